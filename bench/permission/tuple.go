// Package permission generates the permission load-test dataset and loads it
// into a server through the relation-tuple write API.
//
// The dataset follows namespaces.ts in this folder: users in groups, groups
// nested in groups, documents in a five-level folder tree, plus the shapes the
// C2 and C3 workloads check (a chain of 16 nested groups, documents in 200 and
// 1,000 folders). Generation is deterministic for a given scale and seed. The
// ids the workloads need are written to a fixtures file (Fixtures).
package permission

import (
	"strconv"
)

// Namespaces and relations of namespaces.ts.
const (
	NSUser     = "User"
	NSGroup    = "Group"
	NSFolder   = "Folder"
	NSDocument = "Document"

	RelMembers = "members"
	RelParents = "parents"
	RelViewers = "viewers"
	RelOwners  = "owners"
	PermView   = "view"
	PermEdit   = "edit"
)

// NS is a namespace of the model.
type NS uint8

// The namespaces, in the order of namespaces.ts.
const (
	User NS = iota
	Group
	Folder
	Document
	numNS
)

var nsNames = [numNS]string{NSUser, NSGroup, NSFolder, NSDocument}

// idPrefix starts every object id of a namespace: u17, g3, f250, d9999.
var idPrefix = [numNS]string{"u", "g", "f", "d"}

func (n NS) String() string { return nsNames[n] }

// ID is the object id of number i in namespace n.
func (n NS) ID(i int32) string { return idPrefix[n] + strconv.Itoa(int(i)) }

// Rel is a relation of the model; RelNone is the empty relation of a subject
// set that names an object itself (User:u1, Folder:f2).
type Rel uint8

// The relations.
const (
	RelNone Rel = iota
	Members
	Parents
	Viewers
	Owners
	numRel
)

var relNames = [numRel]string{"", RelMembers, RelParents, RelViewers, RelOwners}

func (r Rel) String() string { return relNames[r] }

// Tuple is one relation tuple of the dataset. Every subject is a subject set:
// User:u (a user), Group:g#members (everyone in a group) or Folder:f (a
// folder, for parents).
type Tuple struct {
	NS         NS
	Rel        Rel
	SubjectNS  NS
	SubjectRel Rel
	Object     int32
	Subject    int32
}

// String writes the tuple in the relation-tuple text form, e.g.
// Document:d1#viewers@Group:g2#members.
func (t Tuple) String() string {
	s := t.NS.String() + ":" + t.NS.ID(t.Object) + "#" + t.Rel.String() + "@" + t.SubjectNS.String() + ":" + t.SubjectNS.ID(t.Subject)
	if t.SubjectRel != RelNone {
		s += "#" + t.SubjectRel.String()
	}
	return s
}

// AppendJSON appends the tuple in the REST shape:
// {"namespace":..,"object":..,"relation":..,"subject_set":{..}}. Names and ids
// never need escaping.
func (t Tuple) AppendJSON(b []byte) []byte {
	b = append(b, `{"namespace":"`...)
	b = append(b, nsNames[t.NS]...)
	b = append(b, `","object":"`...)
	b = appendID(b, t.NS, t.Object)
	b = append(b, `","relation":"`...)
	b = append(b, relNames[t.Rel]...)
	b = append(b, `","subject_set":{"namespace":"`...)
	b = append(b, nsNames[t.SubjectNS]...)
	b = append(b, `","object":"`...)
	b = appendID(b, t.SubjectNS, t.Subject)
	b = append(b, `","relation":"`...)
	b = append(b, relNames[t.SubjectRel]...)
	return append(b, `"}}`...)
}

func appendID(b []byte, n NS, i int32) []byte {
	b = append(b, idPrefix[n]...)
	return strconv.AppendInt(b, int64(i), 10)
}
