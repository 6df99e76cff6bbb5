package grpcapi

import (
	"fmt"

	rts "github.com/warden-iam/warden/api/proto/ory/keto/relation_tuples/v1alpha2"
	"github.com/warden-iam/warden/internal/permission"
	"github.com/warden-iam/warden/internal/permission/tuple"
)

// tupleFromProto converts a tuple without validating it: the service
// validates, and reports what is missing. nil is the empty tuple.
func tupleFromProto(p *rts.RelationTuple) tuple.Tuple {
	if p == nil {
		return tuple.Tuple{}
	}
	return tuple.Tuple{Namespace: p.GetNamespace(), Object: p.GetObject(), Relation: p.GetRelation(),
		Subject: subjectFromProto(p.GetSubject())}
}

// subjectFromProto converts a subject; a missing one is the empty subject,
// which tuple validation rejects. A set reference without a set becomes an
// empty set, rejected the same way.
func subjectFromProto(p *rts.Subject) tuple.Subject {
	switch ref := p.GetRef().(type) {
	case *rts.Subject_Id:
		return tuple.Subject{ID: ref.Id}
	case *rts.Subject_Set:
		s := ref.Set
		return tuple.Subject{Set: &tuple.SubjectSet{Namespace: s.GetNamespace(), Object: s.GetObject(), Relation: s.GetRelation()}}
	}
	return tuple.Subject{}
}

// querySubject converts the subject of a query: nil matches any subject, but
// a subject message naming neither an id nor a set is an error (it must not
// silently widen a delete).
func querySubject(p *rts.Subject) (*tuple.Subject, error) {
	if p == nil {
		return nil, nil
	}
	if p.GetRef() == nil {
		return nil, fmt.Errorf("%w: the query's subject names neither an id nor a set", permission.ErrInvalidTuple)
	}
	s := subjectFromProto(p)
	if s.Set != nil && (s.Set.Namespace == "" || s.Set.Object == "") {
		return nil, fmt.Errorf("%w: the query's subject set needs namespace and object", permission.ErrInvalidTuple)
	}
	return &s, nil
}

// relationQuery converts a RelationQuery; unset and empty fields match anything.
func relationQuery(p *rts.RelationQuery) (tuple.Query, error) {
	sub, err := querySubject(p.GetSubject())
	if err != nil {
		return tuple.Query{}, err
	}
	return tuple.Query{Namespace: p.GetNamespace(), Object: p.GetObject(), Relation: p.GetRelation(), Subject: sub}, nil
}

// legacyQuery is the deprecated query message of list and delete requests.
type legacyQuery interface {
	GetNamespace() string
	GetObject() string
	GetRelation() string
	GetSubject() *rts.Subject
}

func fromLegacyQuery(p legacyQuery) (tuple.Query, error) {
	sub, err := querySubject(p.GetSubject())
	if err != nil {
		return tuple.Query{}, err
	}
	return tuple.Query{Namespace: p.GetNamespace(), Object: p.GetObject(), Relation: p.GetRelation(), Subject: sub}, nil
}

func subjectToProto(s tuple.Subject) *rts.Subject {
	if s.Set != nil {
		return &rts.Subject{Ref: &rts.Subject_Set{Set: &rts.SubjectSet{
			Namespace: s.Set.Namespace, Object: s.Set.Object, Relation: s.Set.Relation}}}
	}
	return &rts.Subject{Ref: &rts.Subject_Id{Id: s.ID}}
}

func tupleToProto(t tuple.Tuple) *rts.RelationTuple {
	return &rts.RelationTuple{Namespace: t.Namespace, Object: t.Object, Relation: t.Relation, Subject: subjectToProto(t.Subject)}
}

// treeToProto converts an expansion. Every node carries its tuple and, in
// the deprecated subject field, the tuple's subject.
func treeToProto(t *permission.Tree) *rts.SubjectTree {
	if t == nil {
		return nil
	}
	n := &rts.SubjectTree{}
	switch t.Type {
	case "union":
		n.NodeType = rts.NodeType_NODE_TYPE_UNION
	case "leaf":
		n.NodeType = rts.NodeType_NODE_TYPE_LEAF
	case "exclusion":
		n.NodeType = rts.NodeType_NODE_TYPE_EXCLUSION
	case "intersection":
		n.NodeType = rts.NodeType_NODE_TYPE_INTERSECTION
	}
	if t.Tuple != nil {
		n.Tuple = tupleToProto(*t.Tuple)
		n.Subject = subjectToProto(t.Tuple.Subject) // deprecated field, still filled for older clients
	}
	if n.NodeType != rts.NodeType_NODE_TYPE_LEAF {
		for _, c := range t.Children {
			n.Children = append(n.Children, treeToProto(c))
		}
	}
	return n
}

// maxDepth turns the request's max_depth into the service's: below 1 means
// the global limit.
func maxDepth(d int32) int {
	if d < 1 {
		return 0
	}
	return int(d)
}
