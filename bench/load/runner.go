package load

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// RunConfig says how long and how hard to drive one Op.
type RunConfig struct {
	Concurrency int
	// Duration bounds the run; it must be positive (the CLI caps it at 10 min).
	Duration time.Duration
	// Requests, when positive, also bounds the number of operations started;
	// whichever of Duration and Requests is reached first ends the run.
	Requests int64
	// Rate, when positive, switches to open loop: operation i is due at
	// start + i/Rate and its latency is measured from that due time, however
	// late a free worker gets to send it.
	Rate float64
}

// Error classes, in report order.
const (
	ClassNet   = iota // transport error, timeout, refused connection
	Class1xx          // unexpected informational status
	Class2xx          // 2xx whose body did not say what it should
	Class3xx          // redirects are never followed
	Class4xx          //
	Class5xx          //
	ClassOther        // status outside 100..599
	numClasses
)

// ClassNames label the error classes.
var ClassNames = [numClasses]string{"net", "1xx", "2xx-bad", "3xx", "4xx", "5xx", "other"}

func classOf(status int) int {
	if status == 0 {
		return ClassNet
	}
	if c := status / 100; c >= 1 && c <= 5 {
		return c
	}
	return ClassOther
}

// Stats is the merged outcome of one run.
type Stats struct {
	Latency    *Histogram // successful operations only
	SendLag    *Histogram // open loop: how late each operation went out after its due time
	OK         uint64
	Errors     [numClasses]uint64
	FirstError string // the first failure seen, for the report
	Shed       uint64 // operations the server turned away as overloaded (Result.Shed)
	FirstShed  string // the first of those, for the report
	Started    uint64 // operations sent
	Unsent     uint64 // open loop: operations due before the end that never went out
	Elapsed    time.Duration
}

// ErrorCount is the total of all error classes.
func (s *Stats) ErrorCount() uint64 {
	var n uint64
	for _, c := range s.Errors {
		n += c
	}
	return n
}

// Throughput is successful operations per second.
func (s *Stats) Throughput() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.OK) / s.Elapsed.Seconds()
}

type workerStats struct {
	hist      *Histogram
	lag       *Histogram
	ok        uint64
	errors    [numClasses]uint64
	firstErr  string
	shed      uint64
	firstShed string
	started   uint64
}

func (ws *workerStats) record(res Result, lat time.Duration) {
	ws.started++
	if res.Err == nil && !res.Shed {
		ws.ok++
		ws.hist.Record(lat)
		return
	}
	msg := "(no reason given)"
	switch {
	case res.Err != nil && res.Status != 0:
		msg = fmt.Sprintf("HTTP %d: %v", res.Status, res.Err)
	case res.Err != nil:
		msg = res.Err.Error()
	case res.Status != 0:
		msg = fmt.Sprintf("HTTP %d", res.Status)
	}
	if res.Shed {
		ws.shed++
		if ws.firstShed == "" {
			ws.firstShed = msg
		}
		return
	}
	ws.errors[classOf(res.Status)]++
	if ws.firstErr == "" {
		ws.firstErr = msg
	}
}

var runCounter atomic.Uint64

// Run drives op with cfg.Concurrency workers and returns the merged stats.
// Cancelling ctx stops the run early and cancels requests in flight; reaching
// the duration or request bound only stops new operations from starting.
func Run(ctx context.Context, cfg RunConfig, client *Client, op Op) *Stats {
	conc := max(cfg.Concurrency, 1)
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	var claimed atomic.Int64 // operations claimed (closed loop)
	var dues <-chan time.Time
	if cfg.Rate > 0 {
		// The pacer sleeps in a system call; a second P keeps the workers
		// running meanwhile even when the harness has one core.
		if runtime.GOMAXPROCS(0) < 2 {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
		}
		dues = pace(ctx, cfg, start, deadline, float64(time.Second)/cfg.Rate)
	}

	runID := runCounter.Add(1)
	per := make([]*workerStats, conc)
	var wg sync.WaitGroup
	for i := range conc {
		ws := &workerStats{hist: NewHistogram()}
		if cfg.Rate > 0 {
			ws.lag = NewHistogram()
		}
		per[i] = ws
		w := &Worker{Run: runID, ID: i, client: client}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cfg.Rate > 0 {
				openLoop(ctx, w, ws, op, dues)
			} else {
				closedLoop(ctx, cfg, w, ws, op, deadline, &claimed)
			}
		}()
	}
	wg.Wait()

	st := &Stats{Latency: NewHistogram(), Elapsed: time.Since(start)}
	if cfg.Rate > 0 {
		st.SendLag = NewHistogram()
	}
	for _, ws := range per {
		st.Latency.Merge(ws.hist)
		if st.SendLag != nil {
			st.SendLag.Merge(ws.lag)
		}
		st.OK += ws.ok
		st.Started += ws.started
		for c, n := range ws.errors {
			st.Errors[c] += n
		}
		if st.FirstError == "" {
			st.FirstError = ws.firstErr
		}
		st.Shed += ws.shed
		if st.FirstShed == "" {
			st.FirstShed = ws.firstShed
		}
	}
	if cfg.Rate > 0 {
		planned := uint64(math.Ceil(cfg.Duration.Seconds() * cfg.Rate))
		if cfg.Requests > 0 {
			planned = min(planned, uint64(cfg.Requests))
		}
		if planned > st.Started {
			st.Unsent = planned - st.Started
		}
	}
	return st
}

func closedLoop(ctx context.Context, cfg RunConfig, w *Worker, ws *workerStats, op Op, deadline time.Time, claimed *atomic.Int64) {
	for ctx.Err() == nil {
		t0 := time.Now()
		if !t0.Before(deadline) {
			return
		}
		if cfg.Requests > 0 && claimed.Add(1) > cfg.Requests {
			return
		}
		res := op(ctx, w)
		lat := time.Since(t0)
		w.Seq++
		if ctx.Err() != nil {
			return // interrupted: the failure is ours, not the server's
		}
		ws.record(res, lat)
	}
}

// pace hands out the open loop's due times: operation i is due at start +
// i*period. One goroutine does all the waiting, so at most one OS thread sleeps
// in nanosleep at a time and the workers wait on a channel, holding no P: a
// response that arrives while the next operation is being waited for is read
// at once, also when the harness is pinned to one core. A due time that finds
// every worker busy waits for the first free one (its lag is recorded). The
// channel is closed when the run's bound or deadline is reached.
func pace(ctx context.Context, cfg RunConfig, start, deadline time.Time, period float64) <-chan time.Time {
	ch := make(chan time.Time)
	go func() {
		defer close(ch)
		timer := time.NewTimer(time.Hour)
		timer.Stop()
		defer timer.Stop()
		for i := int64(0); cfg.Requests <= 0 || i < cfg.Requests; i++ {
			due := start.Add(time.Duration(float64(i) * period))
			if !due.Before(deadline) || !time.Now().Before(deadline) {
				return // behind schedule at the end: the rest is counted as unsent
			}
			if !waitUntil(ctx, timer, due) {
				return
			}
			select {
			case ch <- due:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

func openLoop(ctx context.Context, w *Worker, ws *workerStats, op Op, dues <-chan time.Time) {
	for due := range dues {
		ws.lag.Record(time.Since(due))
		res := op(ctx, w)
		lat := time.Since(due)
		w.Seq++
		if ctx.Err() != nil {
			return
		}
		ws.record(res, lat)
	}
}

// coarseSlack is how early the runtime timer is asked to wake a worker before
// an operation is due. Go's timers may fire up to a millisecond late when the
// process is idle (the poller sleeps in whole milliseconds), which would add
// itself to every open-loop latency; the last stretch is therefore slept with
// sleepPrecise, which on Linux wakes within tens of microseconds. What is left
// shows in Stats.SendLag, together with any wait for a free worker.
const coarseSlack = 2 * time.Millisecond

// waitUntil blocks until due; it returns false if ctx ended first.
func waitUntil(ctx context.Context, timer *time.Timer, due time.Time) bool {
	if wait := time.Until(due) - coarseSlack; wait > 0 {
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
		}
	}
	for {
		rest := time.Until(due)
		if rest <= 0 {
			return true
		}
		sleepPrecise(rest)
	}
}
