package cli

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	return l.b.Write(p)
}

func (l *lockedBuffer) snapshot() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String(), l.writes
}

// Lines written at once from many goroutines come out whole, each once, in
// fewer writes than lines; what waits is written within the flush interval
// without any further line, and Close writes out the rest.
func TestLogBufferKeepsLinesWholeAndFlushes(t *testing.T) {
	out := &lockedBuffer{}
	b := newLogBuffer(out)
	const writers, lines = 8, 500
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(b, "{\"writer\":%d,\"line\":%d,\"pad\":%q}\n", w, i, strings.Repeat("x", i%300))
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _ := out.snapshot()
		if strings.Count(got, "\n") == writers*lines {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d lines written out without a Close", strings.Count(got, "\n"), writers*lines)
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, writes := out.snapshot()
	seen := map[string]bool{}
	next := make([]int, writers)
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		var w, i int
		if _, err := fmt.Sscanf(line, "{\"writer\":%d,\"line\":%d,", &w, &i); err != nil || !strings.HasSuffix(line, "\"}") {
			t.Fatalf("line split or mixed: %q", line)
		}
		if seen[line] || i != next[w] {
			t.Fatalf("writer %d: line %d out of order or twice (want %d)", w, i, next[w])
		}
		seen[line] = true
		next[w]++
	}
	if writes >= writers*lines/4 {
		t.Errorf("%d writes for %d lines: not gathered", writes, writers*lines)
	}

	// Close writes out at once what waits, and later lines go straight through.
	fmt.Fprintln(b, "last")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := out.snapshot(); !strings.HasSuffix(got, "last\n") {
		t.Fatal("Close did not write out the waiting line")
	}
	fmt.Fprintln(b, "after")
	if got, _ := out.snapshot(); !strings.HasSuffix(got, "after\n") {
		t.Fatal("a line after Close waited")
	}
}

// Only files are buffered: a test's buffer sees each line at once.
func TestBufferedStderrOnlyForFiles(t *testing.T) {
	var buf bytes.Buffer
	w, flush := bufferedStderr(&buf)
	fmt.Fprintln(w, "now")
	if buf.String() != "now\n" {
		t.Fatalf("a buffer was buffered: %q", buf.String())
	}
	flush()
}
