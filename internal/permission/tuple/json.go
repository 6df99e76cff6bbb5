package tuple

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// wire is the REST shape of a relationship.
type wire struct {
	Namespace  string      `json:"namespace"`
	Object     string      `json:"object"`
	Relation   string      `json:"relation"`
	SubjectID  *string     `json:"subject_id,omitempty"`
	SubjectSet *SubjectSet `json:"subject_set,omitempty"`
}

// MarshalJSON writes {"namespace","object","relation","subject_id"|"subject_set"}.
func (t Tuple) MarshalJSON() ([]byte, error) {
	w := wire{Namespace: t.Namespace, Object: t.Object, Relation: t.Relation, SubjectSet: t.Subject.Set}
	if t.Subject.Set == nil {
		id := t.Subject.ID
		w.SubjectID = &id
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the REST shape. It does not validate: callers do, so a
// query body may leave parts empty.
func (t *Tuple) UnmarshalJSON(b []byte) error {
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*t = Tuple{Namespace: w.Namespace, Object: w.Object, Relation: w.Relation}
	if w.SubjectID != nil {
		t.Subject.ID = *w.SubjectID
	}
	if w.SubjectSet != nil {
		s := *w.SubjectSet
		t.Subject.Set = &s
	}
	return nil
}

// Query selects tuples; empty fields match anything.
type Query struct {
	Namespace string
	Object    string
	Relation  string
	Subject   *Subject // nil matches any subject
}

// Matches tells whether t is selected by q.
func (q Query) Matches(t Tuple) bool {
	return (q.Namespace == "" || q.Namespace == t.Namespace) &&
		(q.Object == "" || q.Object == t.Object) &&
		(q.Relation == "" || q.Relation == t.Relation) &&
		(q.Subject == nil || q.Subject.Equal(t.Subject))
}

// IsEmpty tells whether q matches every tuple.
func (q Query) IsEmpty() bool {
	return q.Namespace == "" && q.Object == "" && q.Relation == "" && q.Subject == nil
}

// Keys of the REST query string.
const (
	keyNamespace    = "namespace"
	keyObject       = "object"
	keyRelation     = "relation"
	keySubjectID    = "subject_id"
	keySetNamespace = "subject_set.namespace"
	keySetObject    = "subject_set.object"
	keySetRelation  = "subject_set.relation"
)

// QueryFromURL reads namespace, object, relation and subject_id or
// subject_set.{namespace,object,relation} from a query string.
func QueryFromURL(v url.Values) (Query, error) {
	q := Query{Namespace: v.Get(keyNamespace), Object: v.Get(keyObject), Relation: v.Get(keyRelation)}
	_, hasID := v[keySubjectID]
	hasSet := v.Has(keySetNamespace) || v.Has(keySetObject) || v.Has(keySetRelation)
	switch {
	case hasID && hasSet:
		return q, fmt.Errorf("%w: give either subject_id or subject_set.*, not both", ErrInvalid)
	case hasID:
		q.Subject = &Subject{ID: v.Get(keySubjectID)}
	case hasSet:
		if !v.Has(keySetNamespace) || !v.Has(keySetObject) || !v.Has(keySetRelation) {
			var missing []string
			for _, k := range []string{keySetNamespace, keySetObject, keySetRelation} {
				if !v.Has(k) {
					missing = append(missing, k)
				}
			}
			return q, fmt.Errorf("%w: subject_set needs %s too", ErrInvalid, strings.Join(missing, " and "))
		}
		q.Subject = &Subject{Set: &SubjectSet{Namespace: v.Get(keySetNamespace), Object: v.Get(keySetObject), Relation: v.Get(keySetRelation)}}
	}
	return q, nil
}

// TupleFromURL reads a whole tuple (as for a check) from a query string.
func TupleFromURL(v url.Values) (Tuple, error) {
	q, err := QueryFromURL(v)
	if err != nil {
		return Tuple{}, err
	}
	t := Tuple{Namespace: q.Namespace, Object: q.Object, Relation: q.Relation}
	if q.Subject != nil {
		t.Subject = *q.Subject
	}
	return t, t.Validate()
}

// Values writes q as a query string (for clients and page links).
func (q Query) Values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set(keyNamespace, q.Namespace)
	set(keyObject, q.Object)
	set(keyRelation, q.Relation)
	if q.Subject != nil {
		if q.Subject.Set != nil {
			v.Set(keySetNamespace, q.Subject.Set.Namespace)
			v.Set(keySetObject, q.Subject.Set.Object)
			v.Set(keySetRelation, q.Subject.Set.Relation)
		} else {
			v.Set(keySubjectID, q.Subject.ID)
		}
	}
	return v
}
