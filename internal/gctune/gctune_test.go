package gctune

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, roots, floor uint64
		percent            int
		want               int
	}{
		{live: 4 * mib, floor: 128 * mib, percent: 200, want: 3100},                 // 4 + 4 × 31 = 128 MiB
		{live: 4 * mib, roots: 4 * mib, floor: 128 * mib, percent: 200, want: 1550}, // 4 + 8 × 15.5 = 128
		{live: 32 * mib, floor: 128 * mib, percent: 200, want: 300},                 // 32 + 32 × 3 = 128
		{live: 43 * mib, floor: 128 * mib, percent: 200, want: 200},                 // 43 × 3 ≥ 128: as configured
		{live: 500 * mib, floor: 128 * mib, percent: 200, want: 200},                // large heap: as configured
		{live: 0, floor: 128 * mib, percent: 200, want: 12700},                      // unknown live heap counts as 1 MiB
		{live: 1024, floor: 1 << 40, percent: 100, want: maxPercent},                // bounded
		{live: 4 * mib, floor: 0, percent: 200, want: 200},                          // no floor
		{live: 4 * mib, floor: 128 * mib, percent: -1, want: -1},                    // collector off stays off
	} {
		if got := Percent(c.live, c.roots, c.floor, c.percent); got != c.want {
			t.Errorf("Percent(%d MiB, %d MiB, %d MiB, %d) = %d, want %d", c.live/mib, c.roots/mib, c.floor/mib, c.percent, got, c.want)
		}
	}
}

// TestTunerFollowsLiveHeap: with a small live heap the percentage is raised
// after collections; holding a large live heap brings it back to the
// configured one; Stop restores it.
func TestTunerFollowsLiveHeap(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	const floor = 64 << 20
	tu := Start(200, floor)
	defer tu.Stop()
	runtime.GC()
	waitFor(t, func() bool { return tu.Current() > 200 }, "raised percentage with a small heap")

	big := make([][]byte, 0, 96)
	for range 96 {
		big = append(big, make([]byte, 1<<20)) // 96 MiB live: 96 × 3 > 64
	}
	runtime.GC()
	runtime.GC()
	waitFor(t, func() bool { return tu.Current() == 200 }, "configured percentage with a large heap")
	runtime.KeepAlive(big)

	tu.Stop()
	if got := debug.SetGCPercent(200); got != 200 {
		t.Errorf("after Stop the percentage is %d, want 200", got)
	}
}

func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 5 s", what)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
