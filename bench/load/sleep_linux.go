package load

import (
	"syscall"
	"time"
)

// sleepPrecise blocks the calling thread in nanosleep(2). The kernel wakes it
// within its timer slack (50 µs by default), far closer than the runtime timer.
// An interruption by a signal just returns early; the caller loops.
func sleepPrecise(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil)
}
