// Package gctune keeps the garbage collector's heap goal at or above a floor.
//
// A server whose live heap is a few megabytes collects very often under load
// at any fixed GOGC: at 5 MB live and GOGC=200 a new collection starts every
// 10 MB allocated, several times a second at ten thousand requests a second,
// and every collection's mark phase takes CPU from the requests running
// beside it (with one core, a noticeable share for a few milliseconds). A
// floor on the heap goal makes those collections rare while the heap is small
// and changes nothing once the live heap is large: after each collection the
// percentage for the next cycle is raised just enough that the goal reaches
// the floor, and is the configured one again once live × (1 + percent/100)
// passes the floor. Memory stays bounded by max(floor, live × (1 +
// percent/100)), and a memory limit (GOMEMLIMIT) still applies on top.
package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// maxPercent bounds the raised percentage (a live heap of a few hundred
// kilobytes would otherwise ask for absurd values).
const maxPercent = 100_000

// Percent is the percentage that puts the heap goal at max(floor, the goal
// of percent) for a live heap of live bytes and roots (goroutine stacks and
// globals) of roots bytes. The runtime's goal is live + (live + roots) ×
// percent/100.
func Percent(live, roots, floor uint64, percent int) int {
	if percent < 0 || floor == 0 {
		return percent
	}
	live = max(live, 1<<20)
	if live+(live+roots)*uint64(percent)/100 >= floor {
		return percent
	}
	p := (floor - live) * 100 / (live + roots)
	return int(min(p, maxPercent))
}

// Tuner adjusts the collector after every collection until stopped.
type Tuner struct {
	percent int
	floor   uint64
	stopped atomic.Bool
	mu      sync.Mutex
	current int
	samples []metrics.Sample
}

// sentinel is what a collection finds unreachable, so that its finalizer
// runs once after each cycle. It is larger than the tiny allocator's blocks
// (16 bytes), which would share it with other objects and delay its finalizer.
type sentinel struct{ _ [32]byte }

// Start sets the collector's percentage and keeps the heap goal at least
// floor bytes until Stop.
func Start(percent int, floor uint64) *Tuner {
	t := &Tuner{percent: percent, floor: floor, current: -2,
		samples: []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}}
	t.Adjust()
	t.arm()
	return t
}

func (t *Tuner) arm() {
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
		if t.stopped.Load() {
			return
		}
		t.Adjust()
		t.arm()
	})
}

// Adjust sets the percentage for the live heap the last collection found;
// it runs by itself after every collection.
func (t *Tuner) Adjust() {
	t.mu.Lock()
	defer t.mu.Unlock()
	metrics.Read(t.samples)
	var v [3]uint64
	for i, s := range t.samples {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	if p := Percent(v[0], v[1]+v[2], t.floor, t.percent); p != t.current {
		debug.SetGCPercent(p)
		t.current = p
	}
}

// Current is the percentage last set.
func (t *Tuner) Current() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.current
}

// Stop ends the adjustments and restores the configured percentage.
func (t *Tuner) Stop() {
	if t.stopped.Swap(true) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	debug.SetGCPercent(t.percent)
	t.current = t.percent
}
