package check

import (
	"context"
	"strings"

	"github.com/warden-iam/warden/internal/permission/opl"
	"github.com/warden-iam/warden/internal/permission/tuple"
)

// Result is the answer for one object.
type Result int8

// The three answers.
const (
	NotMember Result = iota
	Member
	Unknown // the depth budget ran out before an answer was found
)

func (r Result) String() string {
	switch r {
	case Member:
		return "member"
	case Unknown:
		return "unknown"
	}
	return "not member"
}

// Request asks about Relation of every object in Objects (all in Namespace)
// for one subject, at one revision, with Depth levels of budget left.
type Request struct {
	Namespace string
	Objects   []string
	Relation  string
	Subject   tuple.Subject
	Depth     int
	Revision  uint64
}

// Checker answers a Request with one Result per object, in order.
type Checker interface {
	Check(ctx context.Context, r *Request) ([]Result, error)
}

// CheckerFunc adapts a function.
type CheckerFunc func(ctx context.Context, r *Request) ([]Result, error)

// Check calls f.
func (f CheckerFunc) Check(ctx context.Context, r *Request) ([]Result, error) { return f(ctx, r) }

// Edge is a tuple whose subject is a subject set: Object's relation points at
// Set (everyone with Set.Relation on Set.Namespace:Set.Object, or the object
// itself when Set.Relation is empty).
type Edge struct {
	Object string
	Set    tuple.SubjectSet
}

// Reader is what the engine needs from storage. Both methods take many
// objects at once and must return only rows at or before the revision the
// caller works at (storage reads the latest committed state, which is never
// older than a revision the service has handed out).
type Reader interface {
	// DirectMembers returns the objects (a subset of objects) that have a
	// tuple namespace:object#relation@subject with exactly this subject.
	DirectMembers(ctx context.Context, namespace, relation string, objects []string, subject tuple.Subject) ([]string, error)
	// SubjectSets returns the tuples namespace:object#relation@N:O#R of the
	// objects whose subject is a subject set with a relation (nested sets,
	// which membership follows). Plain members are not returned.
	SubjectSets(ctx context.Context, namespace, relation string, objects []string) ([]Edge, error)
	// Targets returns the tuples of the objects whose subject is any subject
	// set, with or without a relation (what traverse follows: Folder:f as a
	// parent).
	Targets(ctx context.Context, namespace, relation string, objects []string) ([]Edge, error)
	// Containing returns the namespace, object and relation of the tuples
	// whose subject is one of subjects (reverse edges).
	Containing(ctx context.Context, subjects []tuple.Subject) ([]tuple.SubjectSet, error)
	// Holding returns up to limit objects of namespace whose relation holds
	// one of subjects directly (reverse edges, in any order).
	Holding(ctx context.Context, namespace, relation string, subjects []tuple.Subject, limit int) ([]string, error)
	// Summary describes which relations hold tuples (supersets: they never
	// shrink, so skipping what they do not list is always safe).
	Summary(ctx context.Context) (Summary, error)
}

// Summary lists, as (namespace, relation) pairs in SubjectSet's fields:
// Targets, every pair some stored tuple used as a nested subject set; Used,
// every pair that held a tuple; Nested, every pair that held a tuple whose
// subject is a nested subject set.
type Summary struct {
	Targets []tuple.SubjectSet
	Used    []tuple.SubjectSet
	Nested  []tuple.SubjectSet
}

// Model is the permission model in force and the evaluation flags.
type Model struct {
	OPL *opl.Model
	// Strict: a relation with a rewrite is only computed (no stored tuples are
	// consulted for it), and subject sets are only expanded where the relation
	// declares SubjectSet<...> types.
	Strict bool
}

// key is the identity of one sub-problem for a single object.
type key struct {
	rev       uint64
	namespace string
	object    string
	relation  string
	subject   string
}

func subjectKey(s tuple.Subject) string {
	if s.Set == nil {
		return s.ID
	}
	var b strings.Builder
	b.Grow(len(s.Set.Namespace) + len(s.Set.Object) + len(s.Set.Relation) + 3)
	b.WriteByte(0)
	b.WriteString(s.Set.Namespace)
	b.WriteByte(0)
	b.WriteString(s.Set.Object)
	b.WriteByte(0)
	b.WriteString(s.Set.Relation)
	return b.String()
}
