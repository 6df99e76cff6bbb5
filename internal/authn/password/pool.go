package password

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// pool is a weighted, first-in first-out semaphore with a bounded wait
// queue. Each expensive hash computation holds one or more slots while it
// runs; a computation that needs more memory than one slot's share holds
// several. When the queue is full, acquire fails at once with ErrOverloaded
// rather than letting requests pile up behind a saturated CPU.
type pool struct {
	mu         sync.Mutex
	size       int64
	used       int64
	maxWaiters int
	waiters    list.List // of *poolWaiter, oldest first
	// maxWait bounds the expected wait in line (0: none): a request that
	// would wait longer, judged from how long computations have been
	// taking (avgHold, a moving average), is refused at once, so an
	// overloaded server answers quickly instead of late.
	maxWait time.Duration
	avgHold time.Duration
}

// DefaultMaxWait bounds the expected wait for a hashing slot.
const DefaultMaxWait = time.Second

// observe records how long a computation held its slots.
func (p *pool) observe(d time.Duration) {
	p.mu.Lock()
	if p.avgHold == 0 {
		p.avgHold = d
	} else {
		p.avgHold += (d - p.avgHold) / 8
	}
	p.mu.Unlock()
}

type poolWaiter struct {
	n     int64
	ready chan struct{} // closed once the slots are granted
}

func newPool(size int64, maxWaiters int) *pool {
	return &pool{size: size, maxWaiters: maxWaiters}
}

// acquire takes n slots (1 <= n <= size), waiting in line if they are not
// free. It returns ctx.Err() if the context ends first and ErrOverloaded if
// the line is already maxWaiters long.
func (p *pool) acquire(ctx context.Context, n int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if n < 1 {
		n = 1
	}
	if n > p.size {
		n = p.size
	}
	p.mu.Lock()
	if p.waiters.Len() == 0 && p.used+n <= p.size {
		p.used += n
		p.mu.Unlock()
		return nil
	}
	if p.waiters.Len() >= p.maxWaiters {
		p.mu.Unlock()
		return ErrOverloaded
	}
	if p.maxWait > 0 && p.avgHold > 0 {
		// Everyone ahead, and this one, need a slot for about avgHold.
		wait := time.Duration(int64(p.waiters.Len()+1) * int64(p.avgHold) / p.size)
		if wait > p.maxWait {
			p.mu.Unlock()
			return ErrOverloaded
		}
	}
	w := &poolWaiter{n: n, ready: make(chan struct{})}
	elem := p.waiters.PushBack(w)
	p.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		select {
		case <-w.ready:
			// Granted while the context ended: hand the slots back.
			p.used -= n
		default:
			p.waiters.Remove(elem)
		}
		// Either way the head of the line may now fit.
		p.grantLocked()
		p.mu.Unlock()
		return ctx.Err()
	}
}

// release gives back n slots taken by acquire (n is clamped the same way).
func (p *pool) release(n int64) {
	if n < 1 {
		n = 1
	}
	if n > p.size {
		n = p.size
	}
	p.mu.Lock()
	p.used -= n
	if p.used < 0 {
		p.mu.Unlock()
		panic("password: pool released more than it acquired")
	}
	p.grantLocked()
	p.mu.Unlock()
}

// grantLocked wakes waiters from the head of the line while their slots fit.
// A large request at the head blocks smaller ones behind it, so it cannot
// starve.
func (p *pool) grantLocked() {
	for {
		front := p.waiters.Front()
		if front == nil {
			return
		}
		w := front.Value.(*poolWaiter)
		if p.used+w.n > p.size {
			return
		}
		p.used += w.n
		p.waiters.Remove(front)
		close(w.ready)
	}
}

// stats reports slots in use, the capacity and the number of waiters.
func (p *pool) stats() (used, size int64, waiting int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.used, p.size, p.waiters.Len()
}
