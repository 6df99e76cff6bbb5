package sqldb

import (
	"context"
	"errors"
	"runtime"
	"sync"
)

// Group commit. SQLite has one writer: concurrent writes queue for it and
// each pays for its own commit (every b-tree page it touched is appended to
// the log again, two system calls a page). Grouped lets the writes that
// queue while one transaction runs share the next one: one caller at a time
// (the leader) takes up to maxGroup waiting functions and runs them in a
// single transaction. Each caller returns after the commit that holds its
// writes, so what a caller sees on return is what Tx would have given it.
//
// When a function of a group fails, the group's transaction is rolled back
// and each of its functions runs again in a transaction of its own, so one
// caller's error never becomes another's. A leader runs one group and hands
// the lead to the oldest waiting caller: no caller serves others for longer
// than one transaction.

// maxGroup bounds the functions run in one grouped transaction.
const maxGroup = 64

// errUnfinished is a group member's result until its own is known; a
// caller sees it only if the leader's goroutine died in between.
var errUnfinished = errors.New("sqldb: the grouped transaction ended before this write's result was known")

// errPanicked aborts a group whose function panicked; the panic is raised
// again in the goroutine of the caller that passed the function.
var errPanicked = errors.New("sqldb: a grouped write panicked")

type groupOp struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	err  error
	pv   any       // what fn panicked with, if it did
	wake chan bool // true: lead the next group; false: done, err is set
}

// call runs o.fn, turning a panic into errPanicked with the value kept.
func (o *groupOp) call(tx *Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			o.pv = r
			err = errPanicked
		}
	}()
	return o.fn(tx)
}

type grouper struct {
	mu      sync.Mutex
	queue   []*groupOp
	leading bool
	running int // functions in the group being run
}

// Unwritten marks an error that a Grouped function returns before it has
// written anything (a conditional update that matched no row, say): the
// other functions of its group then carry on in the same transaction, and
// the caller gets err itself.
func Unwritten(err error) error { return unwrittenError{err} }

type unwrittenError struct{ err error }

func (u unwrittenError) Error() string { return u.err.Error() }
func (u unwrittenError) Unwrap() error { return u.err }

// Grouped runs fn in a write transaction, like Tx, that it may share with
// other callers' grouped functions (SQLite only; on PostgreSQL it is Tx,
// whose connections commit in parallel). fn may run more than once, as with
// Tx, must only use tx, and must leave the transaction usable when it
// returns an error it wrapped with Unwritten. It suits short, independent
// writes on hot paths, such as storing an issued token.
func (db *DB) Grouped(ctx context.Context, fn func(tx *Tx) error) error {
	return db.GroupedWith(ctx, TxOptions{}, fn)
}

// GroupedWith is Grouped with options for PostgreSQL, where it is TxWith;
// SQLite ignores them (its transactions are always serializable).
func (db *DB) GroupedWith(ctx context.Context, o TxOptions, fn func(tx *Tx) error) error {
	if db.dialect != SQLite {
		return unwrap(db.TxWith(ctx, o, fn))
	}
	g := &db.group
	op := &groupOp{ctx: ctx, fn: fn}
	g.mu.Lock()
	if g.leading {
		op.wake = make(chan bool, 1)
		g.queue = append(g.queue, op)
		g.mu.Unlock()
		if lead := <-op.wake; !lead {
			if op.pv != nil {
				panic(op.pv)
			}
			return op.err
		}
		g.mu.Lock() // op is the head of the queue now
	} else {
		g.leading = true
		g.queue = append(g.queue, op)
		g.mu.Unlock()
		// Let the goroutines that are ready run first: on one core
		// nothing else runs while the leader writes, so without this
		// the writes about to come would never find a group.
		runtime.Gosched()
		g.mu.Lock()
	}
	n := min(len(g.queue), maxGroup)
	batch := make([]*groupOp, n)
	copy(batch, g.queue)
	rest := copy(g.queue, g.queue[n:])
	clear(g.queue[rest:]) // no stale pointers behind the new end
	g.queue = g.queue[:rest]
	g.running = n
	g.mu.Unlock()

	for _, o := range batch {
		o.err = errUnfinished
	}
	defer func() {
		// Even if this goroutine dies: the next caller leads, the
		// others of this group learn their result.
		g.mu.Lock()
		g.running = 0
		if len(g.queue) > 0 {
			g.queue[0].wake <- true
		} else {
			g.leading = false
		}
		g.mu.Unlock()
		for _, o := range batch[1:] {
			o.wake <- false
		}
	}()
	db.runGroup(batch)
	if op.pv != nil {
		panic(op.pv)
	}
	return op.err
}

// runGroup sets the result of every function in batch.
func (db *DB) runGroup(batch []*groupOp) {
	if len(batch) == 1 {
		o := batch[0]
		o.err = unwrap(db.Tx(o.ctx, o.call))
		return
	}
	errs := make([]error, len(batch))
	err := db.Tx(context.WithoutCancel(batch[0].ctx), func(tx *Tx) error {
		for i, o := range batch {
			errs[i] = nil
			if err := o.ctx.Err(); err != nil {
				errs[i] = err
				continue
			}
			err := o.call(tx)
			var u unwrittenError
			if errors.As(err, &u) {
				errs[i] = u.err
				continue
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		for i, o := range batch {
			o.err = errs[i]
		}
		db.groups.Add(1)
		db.grouped.Add(uint64(len(batch)))
		return
	}
	for _, o := range batch {
		if o.pv != nil {
			o.err = errPanicked // not run again; its caller panics
			continue
		}
		o.err = unwrap(db.Tx(o.ctx, o.call))
	}
}

// unwrap removes the Unwritten mark from an error.
func unwrap(err error) error {
	var u unwrittenError
	if errors.As(err, &u) {
		return u.err
	}
	return err
}

// GroupStats counts the grouped transactions that committed.
type GroupStats struct {
	Transactions uint64 // transactions that held several callers' writes
	Writes       uint64 // the callers' writes in them
}

// GroupStats reports how much Grouped has grouped so far.
func (db *DB) GroupStats() GroupStats {
	return GroupStats{Transactions: db.groups.Load(), Writes: db.grouped.Load()}
}
