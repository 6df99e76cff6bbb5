package opl

import (
	"fmt"
	"sort"
	"strings"
)

// Model is a parsed namespace configuration: every class of an OPL source.
// It is plain data: build it by hand in tests, compare it with reflect.DeepEqual,
// and share it read-only between goroutines.
type Model struct {
	Namespaces []*Namespace // in source order
}

// Namespace returns the namespace called name, or nil if there is none. With
// duplicate names (which Parse rejects) the first one wins.
func (m *Model) Namespace(name string) *Namespace {
	if m == nil {
		return nil
	}
	for _, n := range m.Namespaces {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Namespace is one `class NAME implements Namespace { ... }`.
type Namespace struct {
	Name string
	// Relations lists the `related` relations first, then the permits, each
	// group in source order.
	Relations []*Relation
	Pos       Pos // position of the class name
}

// Relation returns the relation or permit called name, or nil if there is none.
func (n *Namespace) Relation(name string) *Relation {
	if n == nil {
		return nil
	}
	for _, r := range n.Relations {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Relation is either a `related` relation (Types set, Rewrite nil), whose
// members are stored as relation tuples, or a permit (Rewrite set, Types
// empty), whose members are computed from the rewrite.
type Relation struct {
	Name    string
	Types   []SubjectType // allowed subject types of a `related` relation; empty for permits
	Rewrite *Rewrite      // the permit expression; nil for `related` relations
	Pos     Pos           // position of the relation name
}

// IsPermit reports whether r is a permit (computed) rather than a `related`
// relation.
func (r *Relation) IsPermit() bool { return r.Rewrite != nil }

// SubjectType is one allowed subject of a `related` relation: a plain object
// of Namespace (`User`, Relation "") or a subject set (`SubjectSet<Group,
// "members">`: everyone with Relation on an object of Namespace).
type SubjectType struct {
	Namespace string
	Relation  string
}

// Operator combines the children of a Rewrite.
type Operator int

// The operators of a Rewrite. The zero value is OpUnion.
const (
	OpUnion        Operator = iota // `||`: any child grants
	OpIntersection                 // `&&`: every child must grant
)

func (o Operator) String() string {
	switch o {
	case OpUnion:
		return "union"
	case OpIntersection:
		return "intersection"
	}
	return fmt.Sprintf("Operator(%d)", int(o))
}

// Rewrite is an n-ary `||` or `&&` over its children. The rewrite of a permit
// is always a *Rewrite; a permit made of a single term is a union of one
// child. A parenthesised group nested inside another expression is a
// *Rewrite child of its own (with at least two children).
type Rewrite struct {
	Op       Operator
	Children []Child
}

// Child is one term of a Rewrite. Parse produces exactly these
// implementations: ComputedSubjectSet, TupleToSubjectSet and InvertResult
// (as values) and *Rewrite (as a pointer).
type Child interface{ child() }

// ComputedSubjectSet checks Relation on the same object. It is what both
// `this.related.R.includes(ctx.subject)` and `this.permits.R(ctx)` mean.
type ComputedSubjectSet struct {
	Relation string
}

// TupleToSubjectSet follows the tuples of Relation on the object
// (`this.related.R.traverse(...)`) and, for each object O of namespace N they
// point to, checks ComputedSubjectSetRelation on N:O (`p.permits.X(ctx)` or
// `p.related.X.includes(ctx.subject)`).
type TupleToSubjectSet struct {
	Relation                   string
	ComputedSubjectSetRelation string
}

// InvertResult is `!expr`: it grants when Child does not.
type InvertResult struct {
	Child Child
}

func (ComputedSubjectSet) child() {}
func (TupleToSubjectSet) child()  {}
func (InvertResult) child()       {}
func (*Rewrite) child()           {}

// Pos is a 1-based position in the source. Columns count characters
// (Unicode code points; a tab is one column; an invalid UTF-8 byte is one).
type Pos struct {
	Line, Column int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Column) }

// before reports whether p comes before q in the source.
func (p Pos) before(q Pos) bool {
	return p.Line < q.Line || p.Line == q.Line && p.Column < q.Column
}

// Error is one problem found in a source, at the position it refers to.
type Error struct {
	Pos     Pos
	Message string
}

func (e Error) Error() string { return e.Pos.String() + ": " + e.Message }

// Errors is every problem found in a source, ordered by position.
type Errors []Error

func (es Errors) Error() string {
	switch len(es) {
	case 0:
		return "no errors"
	case 1:
		return es[0].Error()
	}
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// sort orders es by position, keeping the order of errors at one position.
func (es Errors) sort() {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Pos.before(es[j].Pos) })
}
