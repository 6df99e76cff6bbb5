package cli

import (
	"io"
	"os"
	"sync"
	"time"
)

// Every request writes an access-log line. Written straight to stderr that
// is a system call per request, a noticeable share of a cheap request's
// cost; logBuffer gathers lines and writes them out together, at most
// logFlushEvery after the first one waiting, or at once when logFlushSize
// bytes wait. A line is never split: the handlers write one whole record per
// Write. Close writes out what waits; until then, a crash loses at most the
// last logFlushEvery of lines.

const (
	logFlushEvery = 50 * time.Millisecond
	logFlushSize  = 64 << 10
)

type logBuffer struct {
	mu      sync.Mutex
	w       io.Writer
	buf     []byte
	pending bool // a flush is scheduled
	closed  bool
}

func newLogBuffer(w io.Writer) *logBuffer { return &logBuffer{w: w} }

// Write implements io.Writer.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) >= logFlushSize {
		b.flushLocked()
	} else if !b.pending {
		b.pending = true
		time.AfterFunc(logFlushEvery, b.Flush)
	}
	return len(p), nil
}

// Flush writes out the lines that wait.
func (b *logBuffer) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending = false
	b.flushLocked()
}

func (b *logBuffer) flushLocked() {
	if len(b.buf) == 0 {
		return
	}
	_, _ = b.w.Write(b.buf) // nowhere to report a failing log
	b.buf = b.buf[:0]
	if cap(b.buf) > 4*logFlushSize {
		b.buf = nil // a burst of huge lines does not pin memory
	}
}

// Close writes out what waits; later writes go straight through.
func (b *logBuffer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	b.closed = true
	return nil
}

// bufferedStderr wraps w in a logBuffer when it is a file (the process's
// stderr, or a file it was redirected to); anything else, such as a test's
// buffer, is written to directly. The returned function writes out what
// waits.
func bufferedStderr(w io.Writer) (io.Writer, func()) {
	if _, ok := w.(*os.File); !ok {
		return w, func() {}
	}
	b := newLogBuffer(w)
	return b, func() { _ = b.Close() }
}
