package check

import (
	"context"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/singleflight"
)

// ChainOptions tunes the decorators around the engine.
type ChainOptions struct {
	// CacheEntries bounds the result cache (0 = default 200,000; <0 disables).
	CacheEntries int
	// MaxConcurrent bounds top-level checks evaluated at once (0 = 64).
	MaxConcurrent int
}

// Chain wraps next in the decorators, outermost first: single flight and the
// concurrency limit (top-level requests only, so nested sub-checks can never
// wait on each other), the depth budget, the cache, and cycle detection.
func Chain(next Checker, o ChainOptions) Checker {
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 64
	}
	var c Checker = &cycles{next: next}
	if o.CacheEntries >= 0 {
		if o.CacheEntries == 0 {
			o.CacheEntries = 200_000
		}
		c = &cache{next: c, store: newResultCache(o.CacheEntries)}
	}
	c = &depth{next: c}
	return &top{next: c, sem: make(chan struct{}, o.MaxConcurrent)}
}

// visit is the state of one top-level check, shared by its sub-checks: the
// sub-problems in progress on the current path, and how many times a cycle
// was cut (results computed under a cut are incomplete).
type visit struct {
	mu         sync.Mutex
	inProgress map[key]struct{}
	cuts       atomic.Int64
	// root is the top-level request. With a single object its answer is
	// sound even when cycles were cut below it (a cut node's own evaluation
	// covers its other paths); the answers of sub-requests under a cut, and
	// of the objects of a many-object root, may be false denials.
	root *Request
}

type visitKey struct{}

func visitOf(ctx context.Context) *visit {
	v, _ := ctx.Value(visitKey{}).(*visit)
	return v
}

// top starts a top-level check: it collapses identical concurrent requests,
// bounds how many run at once and gives the check its visit state.
type top struct {
	next  Checker
	sem   chan struct{}
	group singleflight.Group
}

type flightResult struct {
	res []Result
}

func (t *top) Check(ctx context.Context, r *Request) ([]Result, error) {
	if visitOf(ctx) != nil {
		return t.next.Check(ctx, r) // a sub-check: straight through
	}
	run := func() (flightResult, error) {
		select {
		case t.sem <- struct{}{}:
		case <-ctx.Done():
			return flightResult{}, ctx.Err()
		}
		defer func() { <-t.sem }()
		v := &visit{inProgress: map[key]struct{}{}, root: r}
		res, err := t.next.Check(context.WithValue(ctx, visitKey{}, v), r)
		if err != nil || len(r.Objects) == 1 || v.cuts.Load() == 0 {
			return flightResult{res}, err
		}
		// A cycle was cut while many objects were evaluated together: an
		// object reached through a sibling may have been denied wrongly.
		// Members are sure; ask again about each denied object on its own.
		for i, got := range res {
			if got != NotMember {
				continue
			}
			one := &Request{Namespace: r.Namespace, Objects: r.Objects[i : i+1], Relation: r.Relation,
				Subject: r.Subject, Depth: r.Depth, Revision: r.Revision}
			v1 := &visit{inProgress: map[key]struct{}{}, root: one}
			sub, err := t.next.Check(context.WithValue(ctx, visitKey{}, v1), one)
			if err != nil {
				return flightResult{}, err
			}
			res[i] = sub[0]
		}
		return flightResult{res}, nil
	}
	out, err, shared := t.group.Do(flightKey(r), func() (any, error) { return run() })
	if err != nil {
		if shared && ctx.Err() == nil {
			// The leader's context may have ended; try on our own.
			fr, err := run()
			return fr.res, err
		}
		return nil, err
	}
	fr := out.(flightResult)
	if shared {
		// Callers must not share a result slice.
		fr.res = append([]Result(nil), fr.res...)
	}
	return fr.res, nil
}

func flightKey(r *Request) string {
	var b strings.Builder
	b.WriteString(strconv.FormatUint(r.Revision, 36))
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(r.Depth))
	for _, s := range []string{r.Namespace, r.Relation, subjectKey(r.Subject)} {
		b.WriteByte('|')
		b.WriteString(s)
	}
	for _, o := range r.Objects {
		b.WriteByte('|')
		b.WriteString(o)
	}
	return b.String()
}

// depth answers Unknown once the budget is spent.
type depth struct{ next Checker }

func (d *depth) Check(ctx context.Context, r *Request) ([]Result, error) {
	if r.Depth <= 0 {
		out := make([]Result, len(r.Objects))
		for i := range out {
			out[i] = Unknown
		}
		return out, nil
	}
	return d.next.Check(ctx, r)
}

// cycles cuts sub-problems already in progress on the current path: they
// count as NotMember, and the cut is recorded so nothing incomplete is cached.
type cycles struct{ next Checker }

func (c *cycles) Check(ctx context.Context, r *Request) ([]Result, error) {
	v := visitOf(ctx)
	if v == nil {
		return c.next.Check(ctx, r)
	}
	subj := subjectKey(r.Subject)
	keys := make([]key, len(r.Objects))
	var fwd []int
	v.mu.Lock()
	for i, o := range r.Objects {
		keys[i] = key{namespace: r.Namespace, object: o, relation: r.Relation, subject: subj}
		if _, busy := v.inProgress[keys[i]]; busy {
			continue
		}
		fwd = append(fwd, i)
	}
	for _, i := range fwd {
		v.inProgress[keys[i]] = struct{}{}
	}
	v.mu.Unlock()
	if len(fwd) < len(r.Objects) {
		v.cuts.Add(1)
	}
	defer func() {
		v.mu.Lock()
		for _, i := range fwd {
			delete(v.inProgress, keys[i])
		}
		v.mu.Unlock()
	}()
	out := make([]Result, len(r.Objects))
	if len(fwd) == 0 {
		return out, nil
	}
	if len(fwd) == len(r.Objects) {
		return c.next.Check(ctx, r)
	}
	sub, err := c.next.Check(ctx, &Request{Namespace: r.Namespace, Objects: pick(r.Objects, fwd), Relation: r.Relation,
		Subject: r.Subject, Depth: r.Depth, Revision: r.Revision})
	if err != nil {
		return nil, err
	}
	for k, i := range fwd {
		out[i] = sub[k]
	}
	return out, nil
}

// cache remembers answers per (revision, object, relation, subject) with the
// depth budget they were computed with, and answers only requests with at
// least that budget, so an answer never depends on which checks ran before.
// Member is always kept; NotMember only when no cycle was cut while computing
// it; Unknown never (a larger budget may find an answer).
type cache struct {
	next  Checker
	store *resultCache
}

func (c *cache) Check(ctx context.Context, r *Request) ([]Result, error) {
	subj := subjectKey(r.Subject)
	out := make([]Result, len(r.Objects))
	var miss []int
	for i, o := range r.Objects {
		if v, ok := c.store.get(key{r.Revision, r.Namespace, o, r.Relation, subj}, r.Depth); ok {
			out[i] = v
		} else {
			miss = append(miss, i)
		}
	}
	if len(miss) == 0 {
		return out, nil
	}
	v := visitOf(ctx)
	var before int64
	if v != nil {
		before = v.cuts.Load()
	}
	fwd := r
	if len(miss) < len(r.Objects) {
		fwd = &Request{Namespace: r.Namespace, Objects: pick(r.Objects, miss), Relation: r.Relation,
			Subject: r.Subject, Depth: r.Depth, Revision: r.Revision}
	}
	sub, err := c.next.Check(ctx, fwd)
	if err != nil {
		return nil, err
	}
	clean := v == nil || v.cuts.Load() == before || (r == v.root && len(r.Objects) == 1)
	for k, i := range miss {
		out[i] = sub[k]
		if sub[k] == Member || (sub[k] == NotMember && clean) {
			c.store.put(key{r.Revision, r.Namespace, r.Objects[i], r.Relation, subj}, sub[k], r.Depth)
		}
	}
	return out, nil
}

// resultCache is a sharded map bounded by entry count; a full shard is
// emptied (results of old revisions are never asked for again, so recency
// tracking would buy little).
type resultCache struct {
	seed     maphash.Seed
	shards   [64]cacheShard
	perShard int
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[key]cached
}

// cached is an answer and the smallest depth budget it is known to hold for.
type cached struct {
	res   Result
	depth int
}

func newResultCache(entries int) *resultCache {
	c := &resultCache{seed: maphash.MakeSeed(), perShard: max(1, entries/64)}
	for i := range c.shards {
		c.shards[i].m = map[key]cached{}
	}
	return c
}

func (c *resultCache) shard(k key) *cacheShard {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(k.object)
	h.WriteString(k.subject)
	h.WriteString(k.relation)
	return &c.shards[h.Sum64()%64]
}

func (c *resultCache) get(k key, depth int) (Result, bool) {
	s := c.shard(k)
	s.mu.RLock()
	v, ok := s.m[k]
	s.mu.RUnlock()
	if !ok || v.depth > depth {
		return NotMember, false
	}
	return v.res, true
}

func (c *resultCache) put(k key, v Result, depth int) {
	s := c.shard(k)
	s.mu.Lock()
	if old, ok := s.m[k]; ok && old.depth <= depth {
		s.mu.Unlock()
		return
	}
	if len(s.m) >= c.perShard {
		clear(s.m)
	}
	s.m[k] = cached{v, depth}
	s.mu.Unlock()
}
