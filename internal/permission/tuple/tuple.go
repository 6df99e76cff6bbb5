package tuple

import (
	"errors"
	"fmt"
	"strings"
)

// SubjectSet is everyone with Relation on Namespace:Object. An empty Relation
// means the object itself (Group:eng, as a subject).
type SubjectSet struct {
	Namespace string `json:"namespace"`
	Object    string `json:"object"`
	Relation  string `json:"relation"`
}

// String writes N:O#R, or N:O when the relation is empty.
func (s SubjectSet) String() string {
	if s.Relation == "" {
		return s.Namespace + ":" + s.Object
	}
	return s.Namespace + ":" + s.Object + "#" + s.Relation
}

// Subject is either an opaque subject id or a subject set.
type Subject struct {
	ID  string
	Set *SubjectSet
}

// IsSet tells whether the subject is a subject set.
func (s Subject) IsSet() bool { return s.Set != nil }

// Equal compares two subjects.
func (s Subject) Equal(o Subject) bool {
	if s.Set == nil || o.Set == nil {
		return s.Set == nil && o.Set == nil && s.ID == o.ID
	}
	return *s.Set == *o.Set
}

// String writes the id, or the subject set.
func (s Subject) String() string {
	if s.Set != nil {
		return s.Set.String()
	}
	return s.ID
}

// Tuple is one relationship.
type Tuple struct {
	Namespace string
	Object    string
	Relation  string
	Subject   Subject
}

// String writes N:O#R@S.
func (t Tuple) String() string {
	return t.Namespace + ":" + t.Object + "#" + t.Relation + "@" + t.Subject.String()
}

// Errors callers can test for.
var (
	ErrMalformed = errors.New("malformed relation tuple")
	ErrInvalid   = errors.New("invalid relation tuple")
)

// Validate reports the first missing or conflicting part.
func (t Tuple) Validate() error {
	switch {
	case t.Namespace == "":
		return fmt.Errorf("%w: namespace is required", ErrInvalid)
	case t.Object == "":
		return fmt.Errorf("%w: object is required", ErrInvalid)
	case t.Relation == "":
		return fmt.Errorf("%w: relation is required", ErrInvalid)
	case t.Subject.Set != nil && t.Subject.ID != "":
		return fmt.Errorf("%w: give either subject_id or subject_set, not both", ErrInvalid)
	case t.Subject.Set == nil && t.Subject.ID == "":
		return fmt.Errorf("%w: a subject (subject_id or subject_set) is required", ErrInvalid)
	case t.Subject.Set != nil && (t.Subject.Set.Namespace == "" || t.Subject.Set.Object == ""):
		return fmt.Errorf("%w: subject_set needs namespace and object", ErrInvalid)
	}
	for _, n := range []struct{ what, v string }{{"namespace", t.Namespace}, {"relation", t.Relation}} {
		if !validName(n.v) {
			return fmt.Errorf("%w: %s %q may not contain spaces or any of : # @ ( )", ErrInvalid, n.what, n.v)
		}
	}
	if s := t.Subject.Set; s != nil && (!validName(s.Namespace) || (s.Relation != "" && !validName(s.Relation))) {
		return fmt.Errorf("%w: subject_set namespace and relation may not contain spaces or any of : # @ ( )", ErrInvalid)
	}
	return nil
}

// validName accepts namespace and relation names: OPL identifiers and quoted
// keys such as "reports.view", never the separators of the string form.
func validName(s string) bool {
	for _, r := range s {
		if r <= ' ' || r == 0x7f || strings.ContainsRune(":#@()", r) {
			return false
		}
	}
	return true
}

// Parse reads N:O#R@S where S is an id, N2:O2, N2:O2#R2 or (N2:O2#R2).
// The namespace ends at the first ':', the object at the first '#' after it and
// the relation at the first '@' after that; the subject is the rest, so ids and
// objects in subjects may contain '@' (email addresses) but objects before the
// relation may not contain '#'.
func Parse(s string) (Tuple, error) {
	var t Tuple
	ns, rest, ok := strings.Cut(s, ":")
	if !ok {
		return t, fmt.Errorf("%w %q: expected namespace:object#relation@subject", ErrMalformed, s)
	}
	obj, rest, ok := strings.Cut(rest, "#")
	if !ok {
		return t, fmt.Errorf("%w %q: missing '#' before the relation", ErrMalformed, s)
	}
	rel, subj, ok := strings.Cut(rest, "@")
	if !ok {
		return t, fmt.Errorf("%w %q: missing '@' before the subject", ErrMalformed, s)
	}
	sub, err := ParseSubject(subj)
	if err != nil {
		return t, fmt.Errorf("%w %q: %v", ErrMalformed, s, err)
	}
	t = Tuple{Namespace: ns, Object: obj, Relation: rel, Subject: sub}
	if err := t.Validate(); err != nil {
		return Tuple{}, fmt.Errorf("%w %q: %v", ErrMalformed, s, strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
	}
	return t, nil
}

// ParseSubject reads a subject: an id, or N:O, N:O#R, (N:O#R) for subject sets.
func ParseSubject(s string) (Subject, error) {
	if strings.HasPrefix(s, "(") {
		if !strings.HasSuffix(s, ")") {
			return Subject{}, errors.New("unbalanced parenthesis in the subject")
		}
		s = s[1 : len(s)-1]
		if !strings.Contains(s, ":") {
			return Subject{}, errors.New("a parenthesised subject must be a subject set namespace:object#relation")
		}
	}
	ns, rest, ok := strings.Cut(s, ":")
	if !ok {
		if s == "" {
			return Subject{}, errors.New("the subject is empty")
		}
		return Subject{ID: s}, nil
	}
	obj, rel, _ := strings.Cut(rest, "#")
	if ns == "" || obj == "" {
		return Subject{}, errors.New("a subject set needs namespace and object")
	}
	return Subject{Set: &SubjectSet{Namespace: ns, Object: obj, Relation: rel}}, nil
}
