package check

import (
	"context"
	"sync"

	"github.com/warden-iam/warden/internal/permission/tuple"
)

// The reverse closure of a subject is every subject set that holds it through
// stored tuples: the groups it is in, the groups those are in, and so on. It
// plays the part of Zanzibar's Leopard index, computed on demand per revision
// and subject: one query per nesting level from the subject upwards, after
// which "is the subject in any of these nested sets?" is a set lookup instead
// of a descent into every group below. It answers membership exactly when no
// stored nested subject set names a computed permit (then every path is made
// of stored tuples); otherwise the engine descends as before.

const (
	maxClosureLevels = 64
	maxClosureSets   = 50_000
	closureEntries   = 20_000
)

type closure struct {
	sets     map[tuple.SubjectSet]struct{}
	complete bool
}

type closureKey struct {
	rev     uint64
	subject string
	strict  bool
}

type closureCache struct {
	mu sync.Mutex
	m  map[closureKey]*closure
}

func (c *closureCache) get(k closureKey) *closure {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *closureCache) put(k closureKey, v *closure) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= closureEntries {
		c.m = map[closureKey]*closure{}
	}
	c.m[k] = v
}

// summary is the reader's Summary as of a revision, indexed.
type summary struct {
	rev     uint64
	targets []tuple.SubjectSet
	used    map[pair]bool
	nested  map[pair]bool
}

type pair struct{ namespace, relation string }

func indexPairs(ps []tuple.SubjectSet) map[pair]bool {
	m := make(map[pair]bool, len(ps))
	for _, p := range ps {
		m[pair{p.Namespace, p.Relation}] = true
	}
	return m
}

// summaryAt returns a summary no older than rev.
func (e *Engine) summaryAt(ctx context.Context, rev uint64) (*summary, error) {
	if sum := e.summary.Load(); sum != nil && sum.rev >= rev {
		return sum, nil
	}
	s, err := e.reader.Summary(ctx)
	if err != nil {
		return nil, err
	}
	sum := &summary{rev: rev, targets: s.Targets, used: indexPairs(s.Used), nested: indexPairs(s.Nested)}
	e.summary.Store(sum)
	return sum, nil
}

// closureUsable tells whether membership in nested sets can be read from
// closures at revision rev: no stored nested set names a relation with a
// rewrite in the model in force.
func (e *Engine) closureUsable(ctx context.Context, m *Model, rev uint64) (bool, error) {
	sum, err := e.summaryAt(ctx, rev)
	if err != nil {
		return false, err
	}
	for _, t := range sum.targets {
		if rel := m.OPL.Namespace(t.Namespace).Relation(t.Relation); rel != nil && rel.Rewrite != nil {
			return false, nil
		}
	}
	return true, nil
}

// closureOf returns the subject's reverse closure at rev.
func (e *Engine) closureOf(ctx context.Context, m *Model, rev uint64, subject tuple.Subject) (*closure, error) {
	k := closureKey{rev: rev, subject: subjectKey(subject), strict: m.Strict}
	if c := e.closures.get(k); c != nil {
		return c, nil
	}
	c := &closure{sets: map[tuple.SubjectSet]struct{}{}, complete: true}
	frontier := []tuple.Subject{subject}
	for level := 0; len(frontier) > 0; level++ {
		if level == maxClosureLevels {
			c.complete = false
			break
		}
		holders, err := e.reader.Containing(ctx, frontier)
		if err != nil {
			return nil, err
		}
		frontier = frontier[:0:0]
		for _, h := range holders {
			if _, seen := c.sets[h]; seen || !hopAllowed(m, h, level) {
				continue
			}
			c.sets[h] = struct{}{}
			hs := h
			frontier = append(frontier, tuple.Subject{Set: &hs})
		}
		if len(c.sets) > maxClosureSets {
			c.complete = false
			break
		}
	}
	e.closures.put(k, c)
	return c, nil
}

// hopAllowed mirrors which stored tuples the forward evaluation consults: in
// strict mode none of a relation with a rewrite, and subject sets only where
// the relation declares SubjectSet types.
func hopAllowed(m *Model, h tuple.SubjectSet, level int) bool {
	if !m.Strict {
		return true
	}
	rel := m.OPL.Namespace(h.Namespace).Relation(h.Relation)
	if rel == nil {
		return true
	}
	if rel.Rewrite != nil {
		return false
	}
	return level == 0 || declaresSubjectSets(rel)
}

// expandByClosure answers the nested subject sets of the objects at positions
// open from the subject's closure, or returns nil when it cannot.
func (e *Engine) expandByClosure(ctx context.Context, m *Model, r *Request, open []int, edges []Edge) ([]Result, error) {
	ok, err := e.closureUsable(ctx, m, r.Revision)
	if err != nil || !ok {
		return nil, err
	}
	c, err := e.closureOf(ctx, m, r.Revision, r.Subject)
	if err != nil || !c.complete {
		return nil, err
	}
	pos := make(map[string][]int, len(open))
	for i, oi := range open {
		pos[r.Objects[oi]] = append(pos[r.Objects[oi]], i)
	}
	out := make([]Result, len(open))
	for _, ed := range edges {
		if _, in := c.sets[ed.Set]; in {
			for _, i := range pos[ed.Object] {
				out[i] = Member
			}
		}
	}
	return out, nil
}

// reverseThreshold is the request size from which memberships are read
// backwards (from the subject) rather than forwards (from each object).
const reverseThreshold = 8

// maxReverseRows bounds a backwards read; a subject holding more than this
// (a very popular group, say) is looked up forwards instead.
const maxReverseRows = 20_000

// reverseMembers marks the objects that hold the subject directly (when
// direct) or hold a nested set of its closure (when nested), reading the
// stored tuples backwards. It reports false, touching nothing, when it cannot
// answer completely: no usable closure, or too many rows.
func (e *Engine) reverseMembers(ctx context.Context, m *Model, r *Request, res []Result, direct, nested bool) (bool, error) {
	var subjects []tuple.Subject
	if direct {
		subjects = append(subjects, r.Subject)
	}
	if nested {
		ok, err := e.closureUsable(ctx, m, r.Revision)
		if err != nil || !ok {
			return false, err
		}
		c, err := e.closureOf(ctx, m, r.Revision, r.Subject)
		if err != nil || !c.complete {
			return false, err
		}
		for s := range c.sets {
			s := s
			subjects = append(subjects, tuple.Subject{Set: &s})
		}
	}
	if len(subjects) == 0 {
		return true, nil
	}
	objs, err := e.reader.Holding(ctx, r.Namespace, r.Relation, subjects, maxReverseRows+1)
	if err != nil {
		return false, err
	}
	if len(objs) > maxReverseRows {
		return false, nil
	}
	idx := indexOf(r.Objects)
	for _, o := range objs {
		for _, i := range idx[o] {
			res[i] = Member
		}
	}
	return true, nil
}
