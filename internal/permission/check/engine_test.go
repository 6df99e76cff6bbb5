package check

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/warden-iam/warden/internal/permission/opl"
	"github.com/warden-iam/warden/internal/permission/tuple"
)

// memReader is an in-memory Reader over a tuple list, counting queries.
type memReader struct {
	mu      sync.Mutex
	tuples  []tuple.Tuple
	queries int
}

func (m *memReader) DirectMembers(_ context.Context, ns, rel string, objs []string, s tuple.Subject) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.queries++
	want := map[string]bool{}
	for _, o := range objs {
		want[o] = true
	}
	var out []string
	for _, t := range m.tuples {
		if t.Namespace == ns && t.Relation == rel && want[t.Object] && t.Subject.Equal(s) {
			out = append(out, t.Object)
		}
	}
	return out, nil
}

func (m *memReader) SubjectSets(ctx context.Context, ns, rel string, objs []string) ([]Edge, error) {
	all, err := m.Targets(ctx, ns, rel, objs)
	var out []Edge
	for _, e := range all {
		if e.Set.Relation != "" {
			out = append(out, e)
		}
	}
	return out, err
}

func (m *memReader) Containing(_ context.Context, subjects []tuple.Subject) ([]tuple.SubjectSet, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.queries++
	var out []tuple.SubjectSet
	for _, t := range m.tuples {
		for _, s := range subjects {
			if t.Subject.Equal(s) {
				out = append(out, tuple.SubjectSet{Namespace: t.Namespace, Object: t.Object, Relation: t.Relation})
			}
		}
	}
	return out, nil
}

func (m *memReader) Holding(_ context.Context, ns, rel string, subjects []tuple.Subject, limit int) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.queries++
	var out []string
	for _, t := range m.tuples {
		if t.Namespace != ns || t.Relation != rel {
			continue
		}
		for _, s := range subjects {
			if t.Subject.Equal(s) && len(out) < limit {
				out = append(out, t.Object)
				break
			}
		}
	}
	return out, nil
}

func (m *memReader) Summary(context.Context) (Summary, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[string]bool{}
	var out Summary
	add := func(list *[]tuple.SubjectSet, kind, ns, rel string) {
		if !seen[kind+ns+"#"+rel] {
			seen[kind+ns+"#"+rel] = true
			*list = append(*list, tuple.SubjectSet{Namespace: ns, Relation: rel})
		}
	}
	for _, t := range m.tuples {
		add(&out.Used, "u", t.Namespace, t.Relation)
		if s := t.Subject.Set; s != nil && s.Relation != "" {
			add(&out.Targets, "t", s.Namespace, s.Relation)
			add(&out.Nested, "n", t.Namespace, t.Relation)
		}
	}
	return out, nil
}

func (m *memReader) Targets(_ context.Context, ns, rel string, objs []string) ([]Edge, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.queries++
	want := map[string]bool{}
	for _, o := range objs {
		want[o] = true
	}
	var out []Edge
	for _, t := range m.tuples {
		if t.Namespace == ns && t.Relation == rel && want[t.Object] && t.Subject.Set != nil {
			out = append(out, Edge{Object: t.Object, Set: *t.Subject.Set})
		}
	}
	return out, nil
}

func mustTuples(t *testing.T, ss []string) []tuple.Tuple {
	t.Helper()
	out := make([]tuple.Tuple, len(ss))
	for i, s := range ss {
		tu, err := tuple.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = tu
	}
	return out
}

func checkOne(t *testing.T, head Checker, q string, maxDepth int) Result {
	t.Helper()
	tu, err := tuple.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	res, err := head.Check(context.Background(), &Request{Namespace: tu.Namespace, Objects: []string{tu.Object},
		Relation: tu.Relation, Subject: tu.Subject, Depth: maxDepth, Revision: 1})
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

type scenarioFile struct {
	EngineCases []struct {
		Scenarios []struct {
			Name        string   `json:"name"`
			OPL         string   `json:"opl"`
			InputTuples []string `json:"input_tuples"`
		} `json:"scenarios"`
		StrictMode         bool     `json:"strict_mode"`
		ExpectedMembers    []string `json:"expected_members"`
		ExpectedNonMembers []string `json:"expected_non_members"`
	} `json:"engine_cases"`
	Rewrites struct {
		Scenario struct {
			Name        string   `json:"name"`
			OPL         string   `json:"opl"`
			InputTuples []string `json:"input_tuples"`
		} `json:"scenario"`
		Checks []struct {
			Query  string `json:"query"`
			Member bool   `json:"member"`
		} `json:"checks"`
	} `json:"rewrites"`
}

func loadScenarios(t *testing.T) scenarioFile {
	b, err := os.ReadFile("../../../../shared/testdata/keto-check-scenarios.json")
	if err != nil {
		t.Skipf("shared test data not found: %v", err)
	}
	var f scenarioFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func engineFor(t *testing.T, src string, strict bool, tuples []string, o ChainOptions) (Checker, *memReader) {
	t.Helper()
	m, err := opl.Parse(src)
	if err != nil {
		t.Fatalf("OPL: %v", err)
	}
	r := &memReader{tuples: mustTuples(t, tuples)}
	_, head := NewEngine(r, &Model{OPL: m, Strict: strict}, o)
	return head, r
}

// The engine-level run of Keto's own cases (the HTTP-level run lives with
// the service); max depth 5 as in those cases.
func TestKetoScenarios(t *testing.T) {
	f := loadScenarios(t)
	for _, c := range f.EngineCases {
		for _, sc := range c.Scenarios {
			t.Run(sc.Name, func(t *testing.T) {
				for _, cache := range []int{-1, 0} {
					head, _ := engineFor(t, sc.OPL, c.StrictMode, sc.InputTuples, ChainOptions{CacheEntries: cache})
					for _, q := range c.ExpectedMembers {
						if got := checkOne(t, head, q, 5); got != Member {
							t.Errorf("%s: got %v, want member", q, got)
						}
					}
					for _, q := range c.ExpectedNonMembers {
						if got := checkOne(t, head, q, 5); got == Member {
							t.Errorf("%s: got member, want not", q)
						}
					}
				}
			})
		}
	}
	rw := f.Rewrites
	t.Run(rw.Scenario.Name, func(t *testing.T) {
		head, _ := engineFor(t, rw.Scenario.OPL, false, rw.Scenario.InputTuples, ChainOptions{})
		for _, c := range rw.Checks {
			if got := checkOne(t, head, c.Query, 5) == Member; got != c.Member {
				t.Errorf("%s: member=%v, want %v", c.Query, got, c.Member)
			}
		}
	})
}

// An answer must not depend on which checks ran before: a cached answer
// found with a large budget may not serve a request with a smaller one.
func TestCachedAnswersRespectTheDepthBudget(t *testing.T) {
	head, _ := engineFor(t, `class User implements Namespace {}
class Group implements Namespace { related: { members: (User | SubjectSet<Group, "members">)[] } }`, false,
		[]string{"Group:a#members@Group:b#members", "Group:b#members@Group:c#members", "Group:c#members@User:u"}, ChainOptions{})
	fresh, _ := engineFor(t, `class User implements Namespace {}
class Group implements Namespace { related: { members: (User | SubjectSet<Group, "members">)[] } }`, false,
		[]string{"Group:a#members@Group:b#members", "Group:b#members@Group:c#members", "Group:c#members@User:u"}, ChainOptions{})
	if got := checkOne(t, head, "Group:a#members@User:u", 10); got != Member {
		t.Fatalf("deep check: %v", got)
	}
	for d := 1; d <= 4; d++ {
		want := checkOne(t, fresh, "Group:a#members@User:u", d)
		if got := checkOne(t, head, "Group:a#members@User:u", d); got != want {
			t.Errorf("max depth %d: %v after a deeper check, %v on a fresh engine", d, got, want)
		}
	}
}

// Objects checked together that reach each other (a DAG, not a cycle) must
// get the same answers as when checked one by one.
func TestManyObjectsReachingEachOther(t *testing.T) {
	src := `class User implements Namespace {}
class Folder implements Namespace {
  related: { parents: Folder[]; viewers: User[] }
  permits = { view: (ctx: Context): boolean => this.related.viewers.includes(ctx.subject) || this.related.parents.traverse((p) => p.permits.view(ctx)) }
}`
	tuples := []string{"Folder:child#parents@Folder:mid", "Folder:mid#parents@Folder:top", "Folder:top#viewers@User:u",
		"Folder:other#parents@Folder:child"}
	head, _ := engineFor(t, src, false, tuples, ChainOptions{})
	objs := []string{"other", "child", "mid", "top"}
	res, err := head.Check(context.Background(), &Request{Namespace: "Folder", Objects: objs, Relation: "view",
		Subject: tuple.Subject{Set: &tuple.SubjectSet{Namespace: "User", Object: "u"}}, Depth: 10, Revision: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range objs {
		if res[i] != Member {
			t.Errorf("Folder:%s#view: %v in a batch, want member", o, res[i])
		}
		if got := checkOne(t, head, "Folder:"+o+"#view@User:u", 10); got != Member {
			t.Errorf("Folder:%s#view alone after the batch: %v", o, got)
		}
	}
}

// A nested subject set naming a computed permit leads through a rewrite the
// reverse closure cannot see; the engine must then descend as before.
func TestNestedSetNamingAPermit(t *testing.T) {
	src := `class User implements Namespace {}
class Doc implements Namespace {
  related: { owners: User[] }
  permits = { edit: (ctx: Context): boolean => this.related.owners.includes(ctx.subject) }
}
class Group implements Namespace { related: { members: (User | SubjectSet<Group, "members"> | SubjectSet<Doc, "edit">)[] } }
class Space implements Namespace { related: { viewers: SubjectSet<Group, "members">[] } }`
	tuples := []string{"Doc:d#owners@User:olga", "Group:editors#members@Doc:d#edit", "Space:s#viewers@Group:editors#members",
		"Group:plain#members@User:ann", "Space:s#viewers@Group:plain#members"}
	for _, strict := range []bool{false, true} {
		head, _ := engineFor(t, src, strict, tuples, ChainOptions{})
		if got := checkOne(t, head, "Space:s#viewers@User:olga", 10); got != Member {
			t.Errorf("strict=%v: owner of a doc whose editors are a nested set: %v", strict, got)
		}
		if got := checkOne(t, head, "Space:s#viewers@User:ann", 10); got != Member {
			t.Errorf("strict=%v: plain nested member: %v", strict, got)
		}
		if got := checkOne(t, head, "Space:s#viewers@User:nobody", 10); got != NotMember {
			t.Errorf("strict=%v: nobody: %v", strict, got)
		}
	}
	// Without the permit-naming tuple the closure answers, with few queries:
	// the 30-deep chain costs about one query per level, up from the subject.
	var chain []string
	for i := 0; i < 30; i++ {
		chain = append(chain, fmt.Sprintf("Group:g%d#members@Group:g%d#members", i, i+1))
	}
	chain = append(chain, "Group:g30#members@User:deep", "Space:s#viewers@Group:g0#members")
	head, r := engineFor(t, src, false, chain, ChainOptions{CacheEntries: -1})
	if got := checkOne(t, head, "Space:s#viewers@User:deep", 3); got != Member {
		t.Fatalf("30-deep chain with a budget of 3: %v", got)
	}
	if r.queries > 40 {
		t.Errorf("30-deep chain took %d queries", r.queries)
	}
}

// Large requests read memberships backwards from the subject; their answers
// must equal those of the forwards path (single objects).
func TestBackwardsAndForwardsAgree(t *testing.T) {
	src := `class User implements Namespace {}
class Group implements Namespace { related: { members: (User | SubjectSet<Group, "members">)[] } }
class Doc implements Namespace {
  related: { viewers: (User | SubjectSet<Group, "members">)[]; parents: Doc[] }
  permits = { view: (ctx: Context): boolean => this.related.viewers.includes(ctx.subject) || this.related.parents.traverse((p) => p.permits.view(ctx)) }
}`
	tuples := []string{"Group:a#members@User:u", "Group:b#members@Group:a#members", "Group:c#members@User:other"}
	var objs []string
	for i := 0; i < 24; i++ {
		o := fmt.Sprintf("d%d", i)
		objs = append(objs, o)
		switch i % 4 {
		case 0:
			tuples = append(tuples, "Doc:"+o+"#viewers@User:u")
		case 1:
			tuples = append(tuples, "Doc:"+o+"#viewers@Group:b#members")
		case 2:
			tuples = append(tuples, "Doc:"+o+"#viewers@Group:c#members", fmt.Sprintf("Doc:%s#parents@Doc:d%d", o, i-2))
		}
	}
	for _, strict := range []bool{false, true} {
		batchHead, _ := engineFor(t, src, strict, tuples, ChainOptions{CacheEntries: -1})
		oneHead, _ := engineFor(t, src, strict, tuples, ChainOptions{CacheEntries: -1})
		for _, relation := range []string{"viewers", "view"} {
			res, err := batchHead.Check(context.Background(), &Request{Namespace: "Doc", Objects: objs, Relation: relation,
				Subject: tuple.Subject{Set: &tuple.SubjectSet{Namespace: "User", Object: "u"}}, Depth: 10, Revision: 1})
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range objs {
				if one := checkOne(t, oneHead, "Doc:"+o+"#"+relation+"@User:u", 10); one != res[i] {
					t.Errorf("strict=%v Doc:%s#%s: %v in a batch, %v alone", strict, o, relation, res[i], one)
				}
			}
		}
	}
}
