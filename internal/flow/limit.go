package flow

import (
	"sync"
	"time"
)

// Failed sign-in attempts are counted per identifier and per client
// address over a window; past the limit further attempts are refused
// without checking the password until the window moves on. Counting is per
// server process: with several replicas an attacker gets the limit once per
// replica, which still bounds guessing to a handful of attempts a minute.

const (
	limitWindow        = 5 * time.Minute
	limitPerIdentifier = 10
	limitPerAddress    = 100
	limitMaxKeys       = 100_000
)

type limiter struct {
	mu   sync.Mutex
	hits map[string][]time.Time
}

func newLimiter() *limiter { return &limiter{hits: map[string][]time.Time{}} }

// blocked tells whether key has reached max failures within the window.
func (l *limiter) blocked(key string, max int, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key, now)) >= max
}

func (l *limiter) recent(key string, now time.Time) []time.Time {
	h := l.hits[key]
	k := 0
	for k < len(h) && now.Sub(h[k]) > limitWindow {
		k++
	}
	if k > 0 {
		h = h[k:]
		if len(h) == 0 {
			delete(l.hits, key)
		} else {
			l.hits[key] = h
		}
	}
	return h
}

// fail records a failed attempt for key.
func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.hits) >= limitMaxKeys {
		for k := range l.hits {
			if len(l.recent(k, now)) == 0 {
				continue
			}
			delete(l.hits, k)
			break
		}
	}
	h := l.recent(key, now)
	if len(h) >= 256 {
		h = h[1:]
	}
	l.hits[key] = append(h, now)
}

// reset forgets key's failures (after a successful sign-in).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, key)
}
