package permission

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/warden-iam/warden/internal/permission/check"
	"github.com/warden-iam/warden/internal/permission/tuple"
)

// Tree is the expansion of a subject set: who has the relation, and through
// which tuples. Type is "union" for an expanded subject set and "leaf" for a
// subject (or a subject set not expanded further).
type Tree struct {
	Type     string       `json:"type"`
	Tuple    *tuple.Tuple `json:"tuple,omitempty"`
	Children []*Tree      `json:"children,omitempty"`
}

// maxExpandSize bounds the tuples one expansion reads.
const maxExpandSize = 4000

// Expand returns the tree of subjects of set, up to the depth budget, and the
// snaptoken of the revision it read.
func (s *Service) Expand(ctx context.Context, set tuple.SubjectSet, o CheckOptions) (*Tree, Snaptoken, error) {
	if set.Namespace == "" || set.Object == "" || set.Relation == "" {
		return nil, "", fmt.Errorf("%w: namespace, object and relation are required", ErrInvalidTuple)
	}
	if err := s.Model().validate(set.Namespace, set.Relation); err != nil {
		return nil, "", err
	}
	rev, err := s.revision(ctx, o.Snaptoken)
	if err != nil {
		return nil, "", err
	}
	budget := maxExpandSize
	seen := map[tuple.SubjectSet]bool{}
	tree, err := s.expandNode(ctx, set, s.depth(o), seen, &budget)
	return tree, EncodeSnaptoken(rev), err
}

func (s *Service) expandNode(ctx context.Context, set tuple.SubjectSet, depth int, seen map[tuple.SubjectSet]bool, budget *int) (*Tree, error) {
	self := tuple.Tuple{Namespace: set.Namespace, Object: set.Object, Relation: set.Relation, Subject: tuple.Subject{Set: &set}}
	node := &Tree{Type: "union", Tuple: &self}
	seen[set] = true
	defer delete(seen, set)
	ts, err := s.store.ListTuples(ctx, tuple.Query{Namespace: set.Namespace, Object: set.Object, Relation: set.Relation}, nil, *budget)
	if err != nil {
		return nil, err
	}
	*budget -= len(ts)
	for i := range ts {
		t := ts[i]
		sub := t.Subject.Set
		if sub != nil && sub.Relation != "" && depth > 1 && !seen[*sub] && *budget > 0 {
			child, err := s.expandNode(ctx, *sub, depth-1, seen, budget)
			if err != nil {
				return nil, err
			}
			child.Tuple = &t
			node.Children = append(node.Children, child)
			continue
		}
		node.Children = append(node.Children, &Tree{Type: "leaf", Tuple: &t})
	}
	return node, nil
}

// ObjectPage is a page of objects a subject can reach.
type ObjectPage struct {
	Objects   []string  `json:"objects"`
	Snaptoken Snaptoken `json:"snaptoken"`
	// Truncated: the search stopped at its bound; more objects may qualify.
	Truncated bool `json:"truncated"`
}

// maxListCandidates bounds the objects a listing considers.
const maxListCandidates = 10_000

// ListObjects returns the objects of namespace on which subject has relation
// (a relation or a permit). Candidates are found by walking tuples backwards
// from the subject, up to the depth budget, and each candidate is then
// confirmed by a check, so the answer agrees with Check. Objects that grant
// access without any path from the subject (only through negation) are not
// found.
func (s *Service) ListObjects(ctx context.Context, namespace, relation string, subject tuple.Subject, o CheckOptions) (ObjectPage, error) {
	if err := s.Model().validate(namespace, relation); err != nil {
		return ObjectPage{}, err
	}
	if relation == "" {
		return ObjectPage{}, fmt.Errorf("%w: relation is required", ErrInvalidTuple)
	}
	rev, err := s.revision(ctx, o.Snaptoken)
	if err != nil {
		return ObjectPage{}, err
	}
	depth := s.depth(o)
	candidates := map[string]bool{}
	var order []string
	frontier := []tuple.Subject{subject}
	seen := map[string]bool{subject.String(): true}
	truncated := false
	for level := 0; level < depth && len(frontier) > 0; level++ {
		var next []tuple.Subject
		for _, f := range frontier {
			hs, err := s.store.Holders(ctx, f, f.Set != nil, maxListCandidates)
			if err != nil {
				return ObjectPage{}, err
			}
			for _, h := range hs {
				if h.Namespace == namespace && !candidates[h.Object] {
					candidates[h.Object] = true
					order = append(order, h.Object)
				}
				for _, n := range []tuple.Subject{
					{Set: &tuple.SubjectSet{Namespace: h.Namespace, Object: h.Object, Relation: h.Relation}},
					{Set: &tuple.SubjectSet{Namespace: h.Namespace, Object: h.Object}},
				} {
					if k := n.String(); !seen[k] {
						seen[k] = true
						next = append(next, n)
					}
				}
			}
			if len(candidates) >= maxListCandidates || len(seen) >= 4*maxListCandidates {
				truncated = true
				break
			}
		}
		if truncated {
			break
		}
		frontier = next
	}
	page := ObjectPage{Objects: []string{}, Snaptoken: EncodeSnaptoken(rev), Truncated: truncated}
	if len(order) == 0 {
		return page, nil
	}
	res, err := s.head.Check(ctx, &check.Request{Namespace: namespace, Objects: order, Relation: relation,
		Subject: subject, Depth: depth, Revision: rev})
	if err != nil {
		return ObjectPage{}, err
	}
	for i, r := range res {
		if r == check.Member {
			page.Objects = append(page.Objects, order[i])
		}
	}
	return page, nil
}

// ChangePage is one page of the changes feed.
type ChangePage struct {
	Changes []Change `json:"changes"`
	// NextPageToken continues exactly after the last change of this page,
	// even inside a revision too large for one page.
	NextPageToken string `json:"next_page_token"`
	// Snaptoken names the newest revision whose changes have all been
	// returned so far (use it to read the state they lead to).
	Snaptoken Snaptoken `json:"snaptoken"`
}

// Changes returns the writes after a snaptoken (or after a page token of an
// earlier page), oldest first. With wait > 0 and nothing new, it waits up to
// wait for a write made through this process (other replicas' writes are
// seen on the next call).
func (s *Service) Changes(ctx context.Context, since Snaptoken, pageToken string, limit int, wait time.Duration) (ChangePage, error) {
	rev, err := DecodeSnaptoken(since)
	if err != nil {
		return ChangePage{}, err
	}
	seq := 0
	if pageToken != "" {
		if rev, seq, err = decodeChangeCursor(pageToken); err != nil {
			return ChangePage{}, err
		}
	}
	limit = clampPage(limit)
	for {
		s.chMu.Lock()
		changed := s.changed
		s.chMu.Unlock()
		cs, err := s.store.Changes(ctx, rev, seq, limit+1)
		if err != nil {
			return ChangePage{}, err
		}
		if len(cs) > 0 {
			page := ChangePage{Changes: cs}
			more := len(cs) > limit
			if more {
				page.Changes = cs[:limit]
			}
			last := page.Changes[len(page.Changes)-1]
			page.NextPageToken = encodeChangeCursor(last.Revision, last.Seq)
			// The last revision is complete unless the next change belongs to it.
			done := last.Revision
			if more && cs[limit].Revision == last.Revision {
				done = last.Revision - 1
			}
			if done < rev {
				done = rev
			}
			page.Snaptoken = EncodeSnaptoken(done)
			return page, nil
		}
		if wait <= 0 {
			return ChangePage{Changes: []Change{}, NextPageToken: encodeChangeCursor(rev, seq), Snaptoken: EncodeSnaptoken(rev)}, nil
		}
		timer := time.NewTimer(wait)
		select {
		case <-changed:
			timer.Stop()
			wait = 0 // one more look, then answer
		case <-timer.C:
			wait = 0
		case <-ctx.Done():
			timer.Stop()
			return ChangePage{}, ctx.Err()
		}
	}
}

func encodeChangeCursor(rev uint64, seq int) string {
	b := binary.AppendUvarint([]byte{2}, rev)
	b = binary.AppendUvarint(b, uint64(seq))
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeChangeCursor(s string) (uint64, int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil && len(b) > 1 && b[0] == 2 {
		rev, n := binary.Uvarint(b[1:])
		if n > 0 {
			seq, m := binary.Uvarint(b[1+n:])
			if m > 0 && 1+n+m == len(b) && seq < 1<<31 {
				return rev, int(seq), nil
			}
		}
	}
	return 0, 0, fmt.Errorf("%w: %q was not issued by this server", ErrBadPageToken, s)
}

// SubjectPage lists the subjects that have a relation on an object.
type SubjectPage struct {
	SubjectIDs  []string           `json:"subject_ids"`
	SubjectSets []tuple.SubjectSet `json:"subject_sets"`
	Snaptoken   Snaptoken          `json:"snaptoken"`
	Truncated   bool               `json:"truncated"`
}

// ListSubjects returns the subjects (ids, and objects used as subjects such
// as User:ann) that have relation (a relation or a permit) on
// namespace:object. Candidates are the subjects reachable from the object
// through its tuples, following subject sets and objects up to the depth
// budget; each is confirmed by a check.
func (s *Service) ListSubjects(ctx context.Context, namespace, object, relation string, o CheckOptions) (SubjectPage, error) {
	if namespace == "" || object == "" || relation == "" {
		return SubjectPage{}, fmt.Errorf("%w: namespace, object and relation are required", ErrInvalidTuple)
	}
	if err := s.Model().validate(namespace, relation); err != nil {
		return SubjectPage{}, err
	}
	rev, err := s.revision(ctx, o.Snaptoken)
	if err != nil {
		return SubjectPage{}, err
	}
	depth := s.depth(o)
	type node struct{ ns, obj string }
	seenNode := map[node]bool{{namespace, object}: true}
	frontier := []node{{namespace, object}}
	var candidates []tuple.Subject
	seenSubject := map[string]bool{}
	truncated := false
	add := func(sub tuple.Subject) {
		if k := sub.String(); !seenSubject[k] {
			seenSubject[k] = true
			candidates = append(candidates, sub)
		}
	}
	for level := 0; level < depth && len(frontier) > 0 && !truncated; level++ {
		var next []node
		for _, n := range frontier {
			ts, err := s.store.ListTuples(ctx, tuple.Query{Namespace: n.ns, Object: n.obj}, nil, maxListCandidates)
			if err != nil {
				return SubjectPage{}, err
			}
			for _, t := range ts {
				if t.Subject.Set == nil {
					add(t.Subject)
					continue
				}
				if t.Subject.Set.Relation == "" {
					add(t.Subject) // an object used as a subject, e.g. User:ann
				}
				nn := node{t.Subject.Set.Namespace, t.Subject.Set.Object}
				if !seenNode[nn] {
					seenNode[nn] = true
					next = append(next, nn)
				}
			}
			if len(candidates) >= maxListCandidates || len(seenNode) >= 4*maxListCandidates {
				truncated = true
				break
			}
		}
		frontier = next
	}
	page := SubjectPage{SubjectIDs: []string{}, SubjectSets: []tuple.SubjectSet{}, Snaptoken: EncodeSnaptoken(rev), Truncated: truncated}
	for _, sub := range candidates {
		res, err := s.head.Check(ctx, &check.Request{Namespace: namespace, Objects: []string{object}, Relation: relation,
			Subject: sub, Depth: depth, Revision: rev})
		if err != nil {
			return SubjectPage{}, err
		}
		if res[0] != check.Member {
			continue
		}
		if sub.Set != nil {
			page.SubjectSets = append(page.SubjectSets, *sub.Set)
		} else {
			page.SubjectIDs = append(page.SubjectIDs, sub.ID)
		}
	}
	return page, nil
}
