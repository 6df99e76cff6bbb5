package opl

import "fmt"

type refKind int

const (
	refType       refKind = iota // a plain type in `related`: ns
	refSubjectSet                // SubjectSet<ns, "rel"> in `related`
	refRelated                   // this.related.rel in a permit of owner
	refPermit                    // this.permits.rel(ctx) in a permit of owner
	refAny                       // rel on owner, either kind (a ComputedSubjectSet of a built model)
	refTraverse                  // this.related.rel.traverse(p => p.<kind>.target) in owner
)

// refTargetKind says what a traverse callback calls on the objects it visits.
type refTargetKind int

const (
	targetAny     refTargetKind = iota // unknown: a TupleToSubjectSet of a built model
	targetPermit                       // p.permits.X(ctx)
	targetRelated                      // p.related.X.includes(ctx.subject)
)

// ref is one name a model refers to, with where it is referred to.
type ref struct {
	kind       refKind
	owner      *Namespace // namespace of the relation holding the reference
	ns         string
	nsPos      Pos
	rel        string
	relPos     Pos
	target     string
	targetPos  Pos
	targetKind refTargetKind
}

// suppress lists what syntax errors hid from the semantic checks, so that a
// broken definition is not reported a second time as a missing one.
type suppress struct {
	lostNamespace bool
	truncated     map[string]bool
	broken        map[string]map[string]bool
}

func (s *suppress) namespaceHidden() bool { return s != nil && s.lostNamespace }

func (s *suppress) relationHidden(ns, rel string) bool {
	return s != nil && (s.truncated[ns] || s.broken[ns][rel])
}

// Check reports the semantic errors of a model built by hand (Parse runs the
// same checks with precise positions): duplicate names, relations that are
// neither `related` nor a permit, malformed rewrites, and references to
// unknown namespaces and relations. Errors about a relation carry its Pos;
// they are ordered by position.
func (m *Model) Check() Errors {
	if m == nil {
		return nil
	}
	var errs Errors
	var refs []ref
	for _, n := range m.Namespaces {
		if n == nil {
			errs = append(errs, Error{Message: "nil namespace"})
			continue
		}
		if n.Name == "" {
			errs = append(errs, Error{Pos: n.Pos, Message: "namespace name must not be empty"})
		}
		for _, r := range n.Relations {
			if r == nil {
				errs = append(errs, Error{Pos: n.Pos, Message: fmt.Sprintf("nil relation in namespace %q", n.Name)})
				continue
			}
			if r.Name == "" {
				errs = append(errs, Error{Pos: r.Pos, Message: fmt.Sprintf("relation name in namespace %q must not be empty", n.Name)})
			}
			errf := func(format string, args ...any) {
				msg := fmt.Sprintf(format, args...)
				errs = append(errs, Error{Pos: r.Pos, Message: fmt.Sprintf("relation %q of namespace %q: %s", r.Name, n.Name, msg)})
			}
			switch {
			case r.Rewrite == nil && len(r.Types) == 0:
				errf("has neither subject types nor a rewrite")
			case r.Rewrite != nil && len(r.Types) > 0:
				errf("has both subject types and a rewrite")
			case r.Rewrite == nil:
				for _, t := range r.Types {
					if t.Relation == "" {
						refs = append(refs, ref{kind: refType, owner: n, ns: t.Namespace, nsPos: r.Pos})
					} else {
						refs = append(refs, ref{kind: refSubjectSet, owner: n, ns: t.Namespace, nsPos: r.Pos, rel: t.Relation, relPos: r.Pos})
					}
				}
			default:
				refs = collectRewrite(refs, n, r.Pos, r.Rewrite, 0, errf)
			}
		}
	}
	errs = append(errs, check(m, refs, nil)...)
	errs.sort()
	return errs
}

// collectRewrite validates the shape of a built rewrite and collects its
// references.
func collectRewrite(refs []ref, owner *Namespace, pos Pos, c Child, depth int, errf func(string, ...any)) []ref {
	if depth > MaxDepth {
		errf("rewrite nested too deeply (more than %d levels)", MaxDepth)
		return refs
	}
	switch c := c.(type) {
	case *Rewrite:
		if c == nil {
			errf("nil rewrite")
			break
		}
		if c.Op != OpUnion && c.Op != OpIntersection {
			errf("unknown operator %v", c.Op)
		}
		if len(c.Children) == 0 {
			errf("rewrite without children")
		}
		for _, ch := range c.Children {
			refs = collectRewrite(refs, owner, pos, ch, depth+1, errf)
		}
	case ComputedSubjectSet:
		refs = append(refs, ref{kind: refAny, owner: owner, rel: c.Relation, relPos: pos})
	case TupleToSubjectSet:
		refs = append(refs,
			ref{kind: refRelated, owner: owner, rel: c.Relation, relPos: pos},
			ref{kind: refTraverse, owner: owner, rel: c.Relation, relPos: pos, target: c.ComputedSubjectSetRelation, targetPos: pos})
	case InvertResult:
		refs = collectRewrite(refs, owner, pos, c.Child, depth+1, errf)
	default:
		errf("unsupported rewrite child %T", c)
	}
	return refs
}

// check reports duplicate names and unresolved references of m.
func check(m *Model, refs []ref, s *suppress) Errors {
	var errs Errors
	errorAt := func(pos Pos, format string, args ...any) {
		errs = append(errs, Error{Pos: pos, Message: fmt.Sprintf(format, args...)})
	}
	namespaces := map[string]*Namespace{}
	relations := map[*Namespace]map[string]*Relation{} // first of each name
	for _, n := range m.Namespaces {
		if n == nil {
			continue
		}
		if first, dup := namespaces[n.Name]; dup {
			errorAt(n.Pos, "duplicate namespace %q (first declared at %v)", n.Name, first.Pos)
			continue
		}
		namespaces[n.Name] = n
		seen := map[string]*Relation{}
		relations[n] = seen
		for _, r := range n.Relations {
			if r == nil {
				continue
			}
			if first, dup := seen[r.Name]; dup {
				errorAt(r.Pos, "duplicate relation %q in namespace %q (first declared at %v)", r.Name, n.Name, first.Pos)
				continue
			}
			seen[r.Name] = r
		}
	}
	// lookup finds rel in namespace ns; it reports a missing one at pos
	// unless a syntax error hid it, and returns nil then.
	find := func(ns *Namespace, rel string) *Relation {
		if rs, ok := relations[ns]; ok {
			return rs[rel]
		}
		return ns.Relation(rel) // a duplicate namespace
	}
	lookup := func(ns *Namespace, rel string, pos Pos) *Relation {
		if r := find(ns, rel); r != nil {
			return r
		}
		if !s.relationHidden(ns.Name, rel) {
			errorAt(pos, "namespace %q has no relation %q", ns.Name, rel)
		}
		return nil
	}
	for _, rf := range refs {
		switch rf.kind {
		case refType, refSubjectSet:
			ns := namespaces[rf.ns]
			if ns == nil {
				if !s.namespaceHidden() {
					errorAt(rf.nsPos, "unknown namespace %q", rf.ns)
				}
				continue
			}
			if rf.kind == refSubjectSet {
				lookup(ns, rf.rel, rf.relPos)
			}
		case refRelated, refPermit, refAny:
			r := lookup(rf.owner, rf.rel, rf.relPos)
			switch {
			case r == nil:
			case rf.kind == refRelated && r.IsPermit():
				errorAt(rf.relPos, "%q is a permit of namespace %q, not a related relation; use this.permits%s(ctx)",
					rf.rel, rf.owner.Name, access(rf.rel))
			case rf.kind == refPermit && !r.IsPermit():
				errorAt(rf.relPos, "%q is a related relation of namespace %q, not a permit; use this.related%s.includes(ctx.subject)",
					rf.rel, rf.owner.Name, access(rf.rel))
			}
		case refTraverse:
			r := find(rf.owner, rf.rel)
			if r == nil || r.IsPermit() {
				continue // reported by the refRelated of the same expression
			}
			done := map[string]bool{}
			for _, t := range r.Types {
				ns := namespaces[t.Namespace]
				if ns == nil || done[t.Namespace] {
					continue // unknown namespaces are reported where the type is written
				}
				done[t.Namespace] = true
				target := lookup(ns, rf.target, rf.targetPos)
				switch {
				case target == nil:
				case rf.targetKind == targetPermit && !target.IsPermit():
					errorAt(rf.targetPos, "%q is a related relation of namespace %q, not a permit; use p.related%s.includes(ctx.subject)",
						rf.target, ns.Name, access(rf.target))
				case rf.targetKind == targetRelated && target.IsPermit():
					errorAt(rf.targetPos, "%q is a permit of namespace %q, not a related relation; use p.permits%s(ctx)",
						rf.target, ns.Name, access(rf.target))
				}
			}
		}
	}
	return errs
}
