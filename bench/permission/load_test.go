package permission

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// patchServer stands in for PATCH /admin/relation-tuples: it checks the body
// shape, records every tuple and can fail some requests.
type patchServer struct {
	mu       sync.Mutex
	got      map[string]int // tuple text -> times received
	requests int
	largest  int
	inFlight atomic.Int32
	peak     atomic.Int32
	// fail answers the n-th request (from 1) with a status, or 0 for success.
	fail func(n int) int
}

func (p *patchServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPatch || r.URL.Path != "/admin/relation-tuples" || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "wrong request", http.StatusNotFound)
		return
	}
	n := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for {
		if old := p.peak.Load(); n <= old || p.peak.CompareAndSwap(old, n) {
			break
		}
	}
	time.Sleep(time.Millisecond) // let writers overlap
	var items []struct {
		Action string `json:"action"`
		Tuple  struct {
			Namespace  string `json:"namespace"`
			Object     string `json:"object"`
			Relation   string `json:"relation"`
			SubjectSet struct {
				Namespace string `json:"namespace"`
				Object    string `json:"object"`
				Relation  string `json:"relation"`
			} `json:"subject_set"`
		} `json:"relation_tuple"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&items); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests++
	if p.fail != nil {
		if st := p.fail(p.requests); st != 0 {
			http.Error(w, "failing on purpose", st)
			return
		}
	}
	p.largest = max(p.largest, len(items))
	for _, it := range items {
		t, s := it.Tuple, it.Tuple.SubjectSet
		if it.Action != "insert" || t.Namespace == "" || t.Object == "" || t.Relation == "" || s.Namespace == "" || s.Object == "" {
			http.Error(w, "bad item", http.StatusBadRequest)
			return
		}
		text := t.Namespace + ":" + t.Object + "#" + t.Relation + "@" + s.Namespace + ":" + s.Object
		if s.Relation != "" {
			text += "#" + s.Relation
		}
		p.got[text]++
	}
	w.Header().Set("X-Snaptoken", "rev-"+strconv.Itoa(p.requests))
	w.WriteHeader(http.StatusNoContent)
}

func TestLoadSendsEveryTupleOnce(t *testing.T) {
	d := generate(t, 0.01, 1)
	ps := &patchServer{got: map[string]int{}, fail: func(n int) int {
		if n == 3 {
			return http.StatusServiceUnavailable // retried
		}
		return 0
	}}
	srv := httptest.NewServer(ps)
	defer srv.Close()
	var progress strings.Builder
	res, err := Load(context.Background(), d.Tuples, LoadConfig{URL: srv.URL + "/", Writers: 3, Batch: 700,
		Client: srv.Client(), Progress: &progress, Every: time.Millisecond, Attempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close() // waits for the handlers
	n := len(d.Tuples)
	if res.Tuples != n || res.Transactions != (n+699)/700 || res.Retries != 1 || !strings.HasPrefix(res.Snaptoken, "rev-") {
		t.Errorf("result %+v", res)
	}
	if len(ps.got) != n || ps.largest != 700 {
		t.Errorf("server got %d distinct tuples, largest batch %d", len(ps.got), ps.largest)
	}
	for _, tu := range d.Tuples {
		if ps.got[tu.String()] != 1 {
			t.Fatalf("%s received %d times", tu, ps.got[tu.String()])
		}
	}
	if ps.peak.Load() < 2 {
		t.Errorf("at most %d transactions in flight with 3 writers", ps.peak.Load())
	}
	if !strings.Contains(progress.String(), "tuples/s") {
		t.Errorf("no progress lines: %q", progress.String())
	}
}

func TestLoadStopsAtARejectedTransaction(t *testing.T) {
	d := generate(t, 0.01, 1)
	ps := &patchServer{got: map[string]int{}, fail: func(n int) int {
		if n >= 2 {
			return http.StatusBadRequest // not retried
		}
		return 0
	}}
	srv := httptest.NewServer(ps)
	defer srv.Close()
	res, err := Load(context.Background(), d.Tuples, LoadConfig{URL: srv.URL, Writers: 2, Batch: 1000, Client: srv.Client(), Attempts: 3})
	srv.Close()
	if err == nil || !strings.Contains(err.Error(), "HTTP 400") || !strings.Contains(err.Error(), "failing on purpose") {
		t.Fatalf("error %v", err)
	}
	if res.Tuples >= len(d.Tuples) || res.Retries != 0 {
		t.Errorf("result %+v", res)
	}
	if ps.requests > 4 {
		t.Errorf("%d requests after the first rejection", ps.requests)
	}
}

func TestLoadRejectsBadBatch(t *testing.T) {
	for _, b := range []int{0, MaxBatch + 1} {
		if _, err := Load(context.Background(), nil, LoadConfig{URL: "http://127.0.0.1:1", Batch: b}); err == nil {
			t.Errorf("batch %d accepted", b)
		}
	}
}

func TestFixturesRoundTrip(t *testing.T) {
	d := generate(t, 0.01, 1)
	path := t.TempDir() + "/f.json"
	if err := WriteFixtures(path, &d.Fixtures); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFixtures(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Chain != d.Fixtures.Chain || len(f.Owners) != len(d.Fixtures.Owners) || len(f.Wide) != 2 {
		t.Fatalf("read back %+v", f)
	}
	for name, body := range map[string]string{
		"old version": `{"version":0}`,
		"no chain":    `{"version":1,"owners":[{"document":"d1","user":"u1"}]}`,
		"no owners":   `{"version":1,"chain":{"user":"u1","document":"d1"}}`,
		"not JSON":    `{`,
	} {
		p := t.TempDir() + "/bad.json"
		if err := writeFile(p, body); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadFixtures(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func writeFile(path, body string) error { return os.WriteFile(path, []byte(body), 0o644) }
