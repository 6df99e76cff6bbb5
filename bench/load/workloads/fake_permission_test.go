package workloads

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// fakePermissions is the permission part of the fake server: tuples with
// subject ids or subject sets, revisions and snaptokens, and checks that
// evaluate bench/permission/namespaces.ts (Document and Folder view and
// edit; subject sets of any relation are expanded).
type fakePermissions struct {
	pmu    sync.Mutex
	rev    int
	tuples map[string]int // tuple key -> revision that wrote it
	// edges lists the tuples with a subject set by namespace:object#relation.
	edges map[string][]fakeEdge
	// writes counts PUT writes; patches counts PATCH transactions.
	writes, patches int
	// checks counts checks; snapChecks those that carried a snaptoken.
	checks, snapChecks int
	checked            map[string]int // namespace:object#relation@subject -> checks

	// noSnaptoken: writes answer without X-Snaptoken.
	noSnaptoken bool
	// stale: checks ignore the newest revision and snaptokens, like a replica
	// one write behind that does not honour them.
	stale bool
}

type fakeEdge struct {
	set fakeSet
	rev int
}

type fakeSet struct {
	Namespace string `json:"namespace"`
	Object    string `json:"object"`
	Relation  string `json:"relation"`
}

type fakeTuple struct {
	Namespace  string   `json:"namespace"`
	Object     string   `json:"object"`
	Relation   string   `json:"relation"`
	SubjectID  string   `json:"subject_id,omitempty"`
	SubjectSet *fakeSet `json:"subject_set,omitempty"`
}

func (p *fakePermissions) init() {
	p.tuples = map[string]int{}
	p.edges = map[string][]fakeEdge{}
	p.checked = map[string]int{}
}

func subjectKey(id string, set *fakeSet) string {
	if set != nil {
		return "set:" + set.Namespace + ":" + set.Object + "#" + set.Relation
	}
	return "id:" + id
}

func (t fakeTuple) valid() bool {
	ok := t.Namespace != "" && t.Object != "" && t.Relation != ""
	if t.SubjectSet != nil {
		return ok && t.SubjectID == "" && t.SubjectSet.Namespace != "" && t.SubjectSet.Object != ""
	}
	return ok && t.SubjectID != ""
}

func (t fakeTuple) key() string {
	return t.Namespace + ":" + t.Object + "#" + t.Relation + "@" + subjectKey(t.SubjectID, t.SubjectSet)
}

func (t fakeTuple) node() string { return t.Namespace + ":" + t.Object + "#" + t.Relation }

// insert adds t at revision rev; it reports false when t existed.
func (p *fakePermissions) insert(t fakeTuple, rev int) bool {
	if _, ok := p.tuples[t.key()]; ok {
		return false
	}
	p.tuples[t.key()] = rev
	if t.SubjectSet != nil {
		p.edges[t.node()] = append(p.edges[t.node()], fakeEdge{*t.SubjectSet, rev})
	}
	return true
}

func (p *fakePermissions) token(w http.ResponseWriter) {
	if !p.noSnaptoken {
		w.Header().Set("X-Snaptoken", "rev-"+strconv.Itoa(p.rev))
	}
}

func (p *fakePermissions) writeTuple(w http.ResponseWriter, r *http.Request) {
	var t fakeTuple
	if !decode(w, r, &t) {
		return
	}
	if !t.valid() {
		http.Error(w, "incomplete tuple", http.StatusBadRequest)
		return
	}
	p.pmu.Lock()
	defer p.pmu.Unlock()
	if !p.insert(t, p.rev+1) {
		http.Error(w, "C5 must write new tuples", http.StatusConflict)
		return
	}
	p.rev++
	p.writes++
	p.token(w)
	reply(w, http.StatusCreated, t)
}

func (p *fakePermissions) patchTuples(w http.ResponseWriter, r *http.Request) {
	var items []struct {
		Action string     `json:"action"`
		Tuple  *fakeTuple `json:"relation_tuple"`
	}
	if !decode(w, r, &items) {
		return
	}
	if len(items) > 1000 {
		http.Error(w, "too many tuples in one transaction", http.StatusBadRequest)
		return
	}
	for _, it := range items {
		if it.Action != "insert" || it.Tuple == nil || !it.Tuple.valid() {
			http.Error(w, "bad patch item", http.StatusBadRequest)
			return
		}
	}
	p.pmu.Lock()
	defer p.pmu.Unlock()
	p.rev++
	p.patches++
	for _, it := range items {
		p.insert(*it.Tuple, p.rev)
	}
	p.token(w)
	w.WriteHeader(http.StatusNoContent)
}

// checkQuery reads a tuple from a check's query string, as strictly as the
// API: subject_id, or all three subject_set fields.
func checkQuery(q url.Values) (fakeTuple, error) {
	t := fakeTuple{Namespace: q.Get("namespace"), Object: q.Get("object"), Relation: q.Get("relation"), SubjectID: q.Get("subject_id")}
	if q.Has("subject_set.namespace") || q.Has("subject_set.object") || q.Has("subject_set.relation") {
		if !q.Has("subject_set.namespace") || !q.Has("subject_set.object") || !q.Has("subject_set.relation") || q.Has("subject_id") {
			return t, fmt.Errorf("incomplete subject set")
		}
		t.SubjectSet = &fakeSet{q.Get("subject_set.namespace"), q.Get("subject_set.object"), q.Get("subject_set.relation")}
	}
	if !t.valid() {
		return t, fmt.Errorf("incomplete tuple")
	}
	return t, nil
}

func (p *fakePermissions) check(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	t, err := checkQuery(q)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.pmu.Lock()
	defer p.pmu.Unlock()
	visible := p.rev
	if tok := q.Get("snaptoken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "rev-"))
		if err != nil || !strings.HasPrefix(tok, "rev-") || n > p.rev {
			http.Error(w, "snaptoken not issued here", http.StatusBadRequest)
			return
		}
		p.snapChecks++
	}
	if p.stale {
		visible = p.rev - 1
	}
	p.checks++
	p.checked[t.key()]++
	if !p.holds(t.Namespace, t.Object, t.Relation, subjectKey(t.SubjectID, t.SubjectSet), visible, 40) {
		reply(w, http.StatusForbidden, map[string]bool{"allowed": false})
		return
	}
	reply(w, http.StatusOK, map[string]bool{"allowed": true})
}

// holds evaluates ns:obj#rel@subject with tuples up to revision visible.
func (p *fakePermissions) holds(ns, obj, rel, subject string, visible, depth int) bool {
	if depth == 0 {
		return false
	}
	if rev, ok := p.tuples[ns+":"+obj+"#"+rel+"@"+subject]; ok && rev <= visible {
		return true
	}
	if ns == "Document" || ns == "Folder" {
		parents := func(perm string) bool {
			for _, e := range p.edges[ns+":"+obj+"#parents"] {
				if e.rev <= visible && p.holds(e.set.Namespace, e.set.Object, perm, subject, visible, depth-1) {
					return true
				}
			}
			return false
		}
		switch rel {
		case "view":
			if p.holds(ns, obj, "viewers", subject, visible, depth) || p.holds(ns, obj, "owners", subject, visible, depth) || parents("view") {
				return true
			}
		case "edit":
			if p.holds(ns, obj, "owners", subject, visible, depth) || parents("edit") {
				return true
			}
		}
	}
	for _, e := range p.edges[ns+":"+obj+"#"+rel] {
		if e.set.Relation != "" && e.rev <= visible && p.holds(e.set.Namespace, e.set.Object, e.set.Relation, subject, visible, depth-1) {
			return true
		}
	}
	return false
}

func (p *fakePermissions) batchCheck(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Tuples []fakeTuple `json:"tuples"`
	}
	if !decode(w, r, &body) {
		return
	}
	type result struct {
		Allowed bool   `json:"allowed"`
		Error   string `json:"error,omitempty"`
	}
	res := make([]result, len(body.Tuples))
	p.pmu.Lock()
	for i, t := range body.Tuples {
		res[i].Allowed = p.holds(t.Namespace, t.Object, t.Relation, subjectKey(t.SubjectID, t.SubjectSet), p.rev, 40)
	}
	p.pmu.Unlock()
	reply(w, http.StatusOK, map[string]any{"results": res})
}

// has reports whether the fake holds t.
func (p *fakePermissions) has(t fakeTuple) bool {
	p.pmu.Lock()
	defer p.pmu.Unlock()
	_, ok := p.tuples[t.key()]
	return ok
}
