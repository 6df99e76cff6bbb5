package load

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func newTestServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestRunClosedLoop(t *testing.T) {
	var hits atomic.Int64
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"status":"ok"}`))
	})
	client := NewClient(4, time.Second)
	defer client.CloseIdle()
	st := Run(context.Background(), RunConfig{Concurrency: 4, Duration: 150 * time.Millisecond}, client, Get(srv.URL+"/health/alive", nil))
	if st.OK == 0 || st.ErrorCount() != 0 {
		t.Fatalf("ok=%d errors=%v first=%q", st.OK, st.Errors, st.FirstError)
	}
	if st.OK != uint64(hits.Load()) || st.Started != st.OK || st.Latency.Count() != st.OK {
		t.Fatalf("ok=%d hits=%d started=%d recorded=%d", st.OK, hits.Load(), st.Started, st.Latency.Count())
	}
	if st.Elapsed < 150*time.Millisecond || st.Elapsed > time.Second {
		t.Fatalf("elapsed %s", st.Elapsed)
	}
	if st.Throughput() <= 0 || st.Latency.Percentile(50) <= 0 {
		t.Fatalf("throughput %v p50 %v", st.Throughput(), st.Latency.Percentile(50))
	}
}

func TestRunRequestBudget(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {})
	client := NewClient(8, time.Second)
	defer client.CloseIdle()
	st := Run(context.Background(), RunConfig{Concurrency: 8, Duration: 5 * time.Second, Requests: 137}, client, Get(srv.URL, nil))
	if st.Started != 137 || st.OK != 137 {
		t.Fatalf("started %d ok %d, want 137", st.Started, st.OK)
	}
}

func TestRunOpenLoop(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {})
	client := NewClient(4, time.Second)
	defer client.CloseIdle()
	// 1000/s for 200 ms is 200 operations due.
	st := Run(context.Background(), RunConfig{Concurrency: 4, Duration: 200 * time.Millisecond, Rate: 1000}, client, Get(srv.URL, nil))
	if st.Started+st.Unsent != 200 {
		t.Fatalf("started %d + unsent %d, want 200", st.Started, st.Unsent)
	}
	if st.Started < 150 {
		t.Fatalf("only %d of 200 sent", st.Started)
	}
	if st.Elapsed < 195*time.Millisecond {
		t.Fatalf("elapsed %s: the schedule was not followed", st.Elapsed)
	}
	if st.SendLag == nil || st.SendLag.Count() != st.Started {
		t.Fatal("send lag not recorded for every operation")
	}
}

func TestRunOpenLoopCountsQueueing(t *testing.T) {
	// One worker, a server that takes 20 ms, and 200 ops/s due: each op waits
	// behind the previous ones, and that wait must show in the latency
	// (coordinated omission would report about 20 ms for every op).
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { time.Sleep(20 * time.Millisecond) })
	client := NewClient(1, time.Second)
	defer client.CloseIdle()
	st := Run(context.Background(), RunConfig{Concurrency: 1, Duration: 200 * time.Millisecond, Rate: 200}, client, Get(srv.URL, nil))
	if st.OK == 0 {
		t.Fatal("no successful op")
	}
	if st.Unsent == 0 {
		t.Fatal("expected unsent operations at this rate")
	}
	if maxMS := float64(st.Latency.Max()) / 1000; maxMS < 60 {
		t.Fatalf("max latency %.1f ms: the queueing delay was not measured", maxMS)
	}
}

func TestRunCountsErrorsByClass(t *testing.T) {
	var n atomic.Int64
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 4 {
		case 0:
			w.WriteHeader(http.StatusNotFound)
		case 1:
			w.WriteHeader(http.StatusInternalServerError)
		case 2:
			http.Redirect(w, r, "/elsewhere", http.StatusFound) // never followed
		default:
			w.WriteHeader(http.StatusOK)
		}
	})
	client := NewClient(2, time.Second)
	defer client.CloseIdle()
	st := Run(context.Background(), RunConfig{Concurrency: 2, Duration: time.Minute, Requests: 400}, client, Get(srv.URL, nil))
	if st.OK != 100 || st.Errors[Class4xx] != 100 || st.Errors[Class5xx] != 100 || st.Errors[Class3xx] != 100 {
		t.Fatalf("ok=%d errors=%v", st.OK, st.Errors)
	}
	if !strings.HasPrefix(st.FirstError, "HTTP ") {
		t.Fatalf("first error %q", st.FirstError)
	}

	// A closed port is a transport error, not a crash.
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	st = Run(context.Background(), RunConfig{Concurrency: 2, Duration: time.Minute, Requests: 10}, client, Get(url, nil))
	if st.Errors[ClassNet] != 10 || st.FirstError == "" {
		t.Fatalf("errors=%v first=%q", st.Errors, st.FirstError)
	}
}

func TestRunBodyCheckFailureIs2xxBad(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"allowed":false}`)) })
	client := NewClient(1, time.Second)
	defer client.CloseIdle()
	op := func(ctx context.Context, w *Worker) Result {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		status, body, err := w.Do(req, true)
		if err == nil && !strings.Contains(string(body), `"allowed":true`) {
			return Result{Status: status, Err: errFalse}
		}
		return Expect2xx(status, body, err)
	}
	st := Run(context.Background(), RunConfig{Concurrency: 1, Duration: time.Minute, Requests: 5}, client, op)
	if st.Errors[Class2xx] != 5 || st.OK != 0 {
		t.Fatalf("ok=%d errors=%v", st.OK, st.Errors)
	}
}

var errFalse = errors.New("allowed is false")

func TestRunStopsOnCancel(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	})
	client := NewClient(2, 5*time.Second)
	defer client.CloseIdle()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	st := Run(ctx, RunConfig{Concurrency: 2, Duration: time.Minute}, client, Get(srv.URL, nil))
	if d := time.Since(t0); d > time.Second {
		t.Fatalf("run took %s after cancel", d)
	}
	if st.ErrorCount() != 0 {
		t.Fatalf("interrupted requests counted as server errors: %v", st.Errors)
	}
}

func TestWorkerSeqAndRunAreUnique(t *testing.T) {
	client := NewClient(3, time.Second)
	defer client.CloseIdle()
	seen := make([]map[[3]uint64]bool, 3)
	for i := range seen {
		seen[i] = map[[3]uint64]bool{}
	}
	op := func(ctx context.Context, w *Worker) Result {
		k := [3]uint64{w.Run, uint64(w.ID), w.Seq}
		if seen[w.ID][k] {
			return Result{Status: 200, Err: errFalse}
		}
		seen[w.ID][k] = true
		return Expect2xx(200, nil, nil)
	}
	cfg := RunConfig{Concurrency: 3, Duration: time.Minute, Requests: 30}
	a := Run(context.Background(), cfg, client, op)
	b := Run(context.Background(), cfg, client, op)
	if a.ErrorCount()+b.ErrorCount() != 0 {
		t.Fatal("an op saw the same (run, worker, seq) twice")
	}
}

// TestRunCountsShedApart: operations the server turns away as overloaded are
// neither successes nor errors, stay out of the latencies, and reach the
// report with the first answer.
func TestRunCountsShedApart(t *testing.T) {
	var n atomic.Int64
	op := func(ctx context.Context, w *Worker) Result {
		if n.Add(1)%4 == 0 {
			return Result{Status: http.StatusServiceUnavailable, Err: errors.New("too busy"), Shed: true}
		}
		return Result{Status: http.StatusOK}
	}
	st := Run(context.Background(), RunConfig{Concurrency: 2, Duration: time.Minute, Requests: 40}, nil, op)
	if st.Shed != 10 || st.OK != 30 || st.ErrorCount() != 0 || st.Latency.Count() != 30 || st.Started != 40 {
		t.Fatalf("shed %d ok %d errors %v recorded %d started %d", st.Shed, st.OK, st.Errors, st.Latency.Count(), st.Started)
	}
	if st.FirstShed != "HTTP 503: too busy" || st.FirstError != "" {
		t.Fatalf("first shed %q, first error %q", st.FirstShed, st.FirstError)
	}
	r := NewWorkloadReport(Workload{ID: "K2"}, st, nil, nil)
	var out strings.Builder
	(&Report{Workloads: []*WorkloadReport{r}}).WriteTable(&out)
	if r.Shed != 10 || r.Errors != 0 || !strings.Contains(out.String(), "K2 shed: 10 operations") || strings.Contains(out.String(), "K2 errors") {
		t.Fatalf("report %+v:\n%s", r, out.String())
	}
}
