package check

import (
	"context"
	"sync/atomic"

	"github.com/warden-iam/warden/internal/permission/opl"
	"github.com/warden-iam/warden/internal/permission/tuple"
)

// Engine evaluates requests against the model and the stored tuples. It is
// the innermost Checker; its sub-checks go through Head.
type Engine struct {
	reader Reader
	model  atomic.Pointer[Model]
	// closures and summary serve membership in nested sets (closure.go).
	closures closureCache
	summary  atomic.Pointer[summary]
	// head is the top of the decorator chain; sub-checks are sent there.
	head Checker
}

// NewEngine builds an engine reading tuples from r and wraps it in the
// standard decorator chain. The returned Checker is the chain's head.
func NewEngine(r Reader, m *Model, o ChainOptions) (*Engine, Checker) {
	e := &Engine{reader: r}
	e.SetModel(m)
	e.head = Chain(e, o)
	return e, e.head
}

// SetModel swaps the model in force (hot reload). Checks already running
// finish with the model they started with at each level.
func (e *Engine) SetModel(m *Model) {
	if m == nil {
		m = &Model{}
	}
	e.model.Store(m)
}

// Model returns the model in force.
func (e *Engine) Model() *Model { return e.model.Load() }

// Check evaluates one request at its level; deeper levels go through the head.
func (e *Engine) Check(ctx context.Context, r *Request) ([]Result, error) {
	m := e.model.Load()
	res := make([]Result, len(r.Objects))
	var rel *opl.Relation
	if ns := m.OPL.Namespace(r.Namespace); ns != nil {
		rel = ns.Relation(r.Relation)
	}
	hasRewrite := rel != nil && rel.Rewrite != nil
	sum, err := e.summaryAt(ctx, r.Revision)
	if err != nil {
		return nil, err
	}
	here := pair{r.Namespace, r.Relation}
	canDirect := (!m.Strict || !hasRewrite) && sum.used[here]
	canExpand := (!m.Strict || rel == nil || declaresSubjectSets(rel)) && sum.nested[here]

	// Many objects: read the stored memberships backwards from the subject
	// and its closure, a few index seeks instead of one per object.
	reversed := false
	if (canDirect || canExpand) && len(r.Objects) >= reverseThreshold {
		if reversed, err = e.reverseMembers(ctx, m, r, res, canDirect, canExpand); err != nil {
			return nil, err
		}
	}
	// Stored tuples with exactly this subject.
	if canDirect && !reversed {
		direct, err := e.reader.DirectMembers(ctx, r.Namespace, r.Relation, r.Objects, r.Subject)
		if err != nil {
			return nil, err
		}
		if len(direct) > 0 {
			idx := indexOf(r.Objects)
			for _, o := range direct {
				for _, i := range idx[o] {
					res[i] = Member
				}
			}
		}
	}
	open := undecided(r.Objects, res)
	if len(open) == 0 {
		return res, nil
	}
	if hasRewrite {
		sub, err := e.rewrite(ctx, r, rel.Rewrite, open)
		if err != nil {
			return nil, err
		}
		mergeUnion(res, open, sub)
		open = undecided(r.Objects, res)
		if len(open) == 0 {
			return res, nil
		}
	}
	if canExpand && !reversed {
		sub, err := e.expand(ctx, r, r.Relation, open)
		if err != nil {
			return nil, err
		}
		mergeUnion(res, open, sub)
	}
	return res, nil
}

func declaresSubjectSets(rel *opl.Relation) bool {
	for _, t := range rel.Types {
		if t.Relation != "" {
			return true
		}
	}
	return false
}

// expand follows the subject sets stored under relation of the objects at
// positions open: an object is a member if the subject is a member of any of
// its subject sets (one level down).
func (e *Engine) expand(ctx context.Context, r *Request, relation string, open []int) ([]Result, error) {
	edges, err := e.reader.SubjectSets(ctx, r.Namespace, relation, pick(r.Objects, open))
	if err != nil {
		return nil, err
	}
	if len(edges) == 0 {
		return make([]Result, len(open)), nil
	}
	if out, err := e.expandByClosure(ctx, e.model.Load(), r, open, edges); err != nil || out != nil {
		return out, err
	}
	out := make([]Result, len(open))
	return e.follow(ctx, r, open, edges, func(s tuple.SubjectSet) (string, bool) { return s.Relation, s.Relation != "" }, out)
}

// follow groups edges by target namespace and relation, asks the head about
// each group, and folds the answers back onto the source objects (union).
// target maps an edge's subject set to the relation to check on it.
func (e *Engine) follow(ctx context.Context, r *Request, open []int, edges []Edge,
	target func(tuple.SubjectSet) (string, bool), out []Result) ([]Result, error) {
	pos := make(map[string]int, len(open)) // object -> index into open/out
	for i, oi := range open {
		pos[r.Objects[oi]] = i
	}
	type group struct {
		ns, rel string
	}
	type member struct {
		from int
		obj  string
	}
	groups := map[group][]member{}
	var order []group
	for _, ed := range edges {
		rel, ok := target(ed.Set)
		if !ok {
			continue
		}
		i, ok := pos[ed.Object]
		if !ok || out[i] == Member {
			continue
		}
		g := group{ed.Set.Namespace, rel}
		if _, seen := groups[g]; !seen {
			order = append(order, g)
		}
		groups[g] = append(groups[g], member{i, ed.Set.Object})
	}
	for _, g := range order {
		ms := groups[g]
		// Skip sources already proven members by an earlier group.
		objs := make([]string, 0, len(ms))
		seen := make(map[string]int, len(ms))
		for _, m := range ms {
			if out[m.from] == Member {
				continue
			}
			if _, ok := seen[m.obj]; !ok {
				seen[m.obj] = len(objs)
				objs = append(objs, m.obj)
			}
		}
		if len(objs) == 0 {
			continue
		}
		sub, err := e.head.Check(ctx, &Request{Namespace: g.ns, Objects: objs, Relation: g.rel, Subject: r.Subject, Depth: r.Depth - 1, Revision: r.Revision})
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			j, ok := seen[m.obj]
			if !ok {
				continue
			}
			switch sub[j] {
			case Member:
				out[m.from] = Member
			case Unknown:
				if out[m.from] != Member {
					out[m.from] = Unknown
				}
			}
		}
	}
	return out, nil
}

// rewrite evaluates a permit expression for the objects at positions open.
func (e *Engine) rewrite(ctx context.Context, r *Request, rw *opl.Rewrite, open []int) ([]Result, error) {
	out := make([]Result, len(open))
	if rw.Op == opl.OpIntersection {
		for i := range out {
			out[i] = Member
		}
	}
	for _, c := range rw.Children {
		// Only the objects whose answer this child can still change.
		var idx []int // positions into open
		for i, v := range out {
			if (rw.Op == opl.OpUnion && v != Member) || (rw.Op == opl.OpIntersection && v != NotMember) {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			break
		}
		sub, err := e.child(ctx, r, c, pickInts(open, idx))
		if err != nil {
			return nil, err
		}
		for k, i := range idx {
			out[i] = combine(rw.Op, out[i], sub[k])
		}
	}
	return out, nil
}

func combine(op opl.Operator, a, b Result) Result {
	if op == opl.OpIntersection {
		switch {
		case a == NotMember || b == NotMember:
			return NotMember
		case a == Unknown || b == Unknown:
			return Unknown
		}
		return Member
	}
	switch {
	case a == Member || b == Member:
		return Member
	case a == Unknown || b == Unknown:
		return Unknown
	}
	return NotMember
}

// child evaluates one term of a rewrite for the objects at positions open.
func (e *Engine) child(ctx context.Context, r *Request, c opl.Child, open []int) ([]Result, error) {
	switch c := c.(type) {
	case opl.ComputedSubjectSet:
		return e.head.Check(ctx, &Request{Namespace: r.Namespace, Objects: pick(r.Objects, open), Relation: c.Relation,
			Subject: r.Subject, Depth: r.Depth, Revision: r.Revision})
	case opl.TupleToSubjectSet:
		edges, err := e.reader.Targets(ctx, r.Namespace, c.Relation, pick(r.Objects, open))
		if err != nil {
			return nil, err
		}
		out := make([]Result, len(open))
		if len(edges) == 0 {
			return out, nil
		}
		return e.follow(ctx, r, open, edges, func(tuple.SubjectSet) (string, bool) { return c.ComputedSubjectSetRelation, true }, out)
	case opl.InvertResult:
		sub, err := e.child(ctx, r, c.Child, open)
		if err != nil {
			return nil, err
		}
		for i, v := range sub {
			switch v {
			case Member:
				sub[i] = NotMember
			case NotMember:
				sub[i] = Member
			}
		}
		return sub, nil
	case *opl.Rewrite:
		return e.rewrite(ctx, r, c, open)
	}
	return make([]Result, len(open)), nil
}

func indexOf(objs []string) map[string][]int {
	m := make(map[string][]int, len(objs))
	for i, o := range objs {
		m[o] = append(m[o], i)
	}
	return m
}

func undecided(objs []string, res []Result) []int {
	var open []int
	for i := range objs {
		if res[i] != Member {
			open = append(open, i)
		}
	}
	return open
}

func pick(objs []string, idx []int) []string {
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = objs[j]
	}
	return out
}

func pickInts(open []int, idx []int) []int {
	out := make([]int, len(idx))
	for i, j := range idx {
		out[i] = open[j]
	}
	return out
}

// mergeUnion folds sub (answers for positions open) into res.
func mergeUnion(res []Result, open []int, sub []Result) {
	for k, i := range open {
		res[i] = combine(opl.OpUnion, res[i], sub[k])
	}
}
