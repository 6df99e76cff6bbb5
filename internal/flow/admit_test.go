package flow

import (
	"sync"
	"testing"
)

// TestAdmitBoundsSubmissions: at most MaxSubmitting submissions are in
// progress; a refused one takes no place; a finished one frees its place,
// also under concurrent use.
func TestAdmitBoundsSubmissions(t *testing.T) {
	s := &Service{o: Options{MaxSubmitting: 3}}
	var dones []func()
	for range 3 {
		done, ok := s.admit()
		if !ok {
			t.Fatal("refused below the bound")
		}
		dones = append(dones, done)
	}
	if _, ok := s.admit(); ok {
		t.Fatal("a fourth submission was admitted with a bound of 3")
	}
	dones[0]()
	done, ok := s.admit()
	if !ok {
		t.Fatal("a finished submission did not free its place")
	}
	done()
	dones[1]()
	dones[2]()

	var wg sync.WaitGroup
	var mu sync.Mutex
	peak, cur := int64(0), int64(0)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				done, ok := s.admit()
				if !ok {
					continue
				}
				mu.Lock()
				cur++
				peak = max(peak, cur)
				mu.Unlock()
				mu.Lock()
				cur--
				mu.Unlock()
				done()
			}
		}()
	}
	wg.Wait()
	if peak > 3 || s.submitting.Load() != 0 {
		t.Errorf("peak %d in progress (bound 3), %d left counted", peak, s.submitting.Load())
	}
}

func TestMaxSubmittingDefault(t *testing.T) {
	s := NewService(Options{}, nil, nil, nil, nil, nil, nil)
	if s.o.MaxSubmitting < 32 {
		t.Errorf("default MaxSubmitting %d, want at least 32", s.o.MaxSubmitting)
	}
}
