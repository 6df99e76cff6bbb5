package permission_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-iam/warden/internal/permission"
	"github.com/warden-iam/warden/internal/permission/check"
	"github.com/warden-iam/warden/internal/permission/tuple"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
	"github.com/warden-iam/warden/internal/storage/sqltest"
)

const docsOPL = `
import { Namespace, SubjectSet, Context } from "@ory/keto-namespace-types"
class User implements Namespace {}
class Group implements Namespace {
  related: { members: (User | SubjectSet<Group, "members">)[] }
}
class Folder implements Namespace {
  related: {
    parents: Folder[]
    viewers: (User | SubjectSet<Group, "members">)[]
  }
  permits = {
    view: (ctx: Context): boolean => this.related.viewers.includes(ctx.subject) || this.related.parents.traverse((p) => p.permits.view(ctx)),
  }
}
class Doc implements Namespace {
  related: {
    parents: Folder[]
    owners: (User | SubjectSet<Group, "members">)[]
    viewers: (User | SubjectSet<Group, "members">)[]
    banned: User[]
  }
  permits = {
    edit: (ctx: Context): boolean => this.related.owners.includes(ctx.subject),
    view: (ctx: Context): boolean =>
      (this.permits.edit(ctx) || this.related.viewers.includes(ctx.subject) || this.related.parents.traverse((p) => p.permits.view(ctx)))
      && !this.related.banned.includes(ctx.subject),
  }
}
`

type envelope struct {
	Error struct {
		Code   int    `json:"code"`
		ID     string `json:"id"`
		Reason string `json:"reason"`
	} `json:"error"`
}

func decodeEnvelope(t *testing.T, body string) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code == 0 {
		t.Fatalf("not an error envelope: %s", body)
	}
	return e
}

func TestEachOPLConstruct(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		s := newServer(t, db, docsOPL, permission.Options{MaxReadDepth: 10})
		s.insert(
			"Group:eng#members@User:ann",
			"Group:all#members@Group:eng#members", // nested group
			"Doc:d1#owners@User:olga",
			"Doc:d1#viewers@Group:all#members",
			"Doc:d2#parents@Folder:f2",
			"Folder:f2#parents@Folder:f1",
			"Folder:f1#viewers@User:vic",
			"Doc:d2#banned@User:vic",
			"Doc:d3#parents@Folder:f1",
		)
		for _, c := range []struct {
			q    string
			want int
			why  string
		}{
			{"Doc:d1#owners@User:olga", 200, "direct tuple"},
			{"Doc:d1#edit@User:olga", 200, "computed subject set (related.includes)"},
			{"Doc:d1#view@User:olga", 200, "permit calling a permit"},
			{"Doc:d1#view@User:ann", 200, "subject set two groups deep"},
			{"Doc:d1#edit@User:ann", 403, "viewers are not editors"},
			{"Doc:d3#view@User:vic", 200, "traverse two folder levels"},
			{"Doc:d2#view@User:vic", 403, "negation: banned wins over the traverse (&& !)"},
			{"Doc:d3#view@User:nobody", 403, "nobody"},
			{"Group:all#members@User:ann", 200, "membership through a nested group"},
			{"Group:all#members@Group:eng#members", 200, "a subject set as the subject"},
		} {
			if code, body := s.check(c.q, nil); code != c.want {
				t.Errorf("%s (%s): %d %s, want %d", c.q, c.why, code, body, c.want)
			}
		}
	})
}

func TestBadInputGetsClearErrors(t *testing.T) {
	db := sqltest.SQLite(t)
	s := newServer(t, db, docsOPL, permission.Options{MaxReadDepth: 3})
	s.insert("Doc:d1#owners@User:olga")
	for _, c := range []struct {
		method, path, body string
		code               int
		reason             string
	}{
		{"GET", "/relation-tuples/check?namespace=Nope&object=x&relation=r&subject_id=u", "", 404, `unknown namespace "Nope"`},
		{"GET", "/relation-tuples/check?namespace=Doc&object=x&relation=nope&subject_id=u", "", 400, `has no relation or permit "nope"`},
		{"GET", "/relation-tuples/check?namespace=Doc&object=x&relation=view", "", 400, "subject"},
		{"GET", "/relation-tuples/check?namespace=Doc&object=x&relation=view&subject_id=u&subject_set.namespace=Group", "", 400, "not both"},
		{"GET", "/relation-tuples/check?namespace=Doc&object=x&relation=view&subject_id=u&max-depth=-1", "", 400, "max-depth"},
		{"GET", "/relation-tuples/check?namespace=Doc&object=x&relation=view&subject_id=u&snaptoken=garbage", "", 400, "snaptoken"},
		{"POST", "/relation-tuples/check", `{"namespace": 5}`, 400, "namespace must be a string"},
		{"POST", "/relation-tuples/check", `{"namespace": "Doc"`, 400, "not valid JSON"},
		{"GET", "/relation-tuples?page_token=zzz&namespace=Doc", "", 400, "page token"},
		{"GET", "/relation-tuples?page_size=abc", "", 400, "page_size"},
		{"GET", "/relation-tuples/expand?namespace=Doc&object=d1", "", 400, "required"},
		{"PATCH", "/admin/relation-tuples", `[{"action":"upsert","relation_tuple":{"namespace":"Doc","object":"a","relation":"owners","subject_id":"u"}}]`, 400, "action"},
		{"PATCH", "/admin/relation-tuples", `[{"action":"insert"}]`, 400, "relation_tuple is required"},
		{"PUT", "/admin/relation-tuples", `{"namespace":"Doc","object":"a","relation":"owners"}`, 400, "subject"},
		{"PUT", "/admin/relation-tuples", `{"namespace":"Doc","object":"a","relation":"owners","subject_set":{"namespace":"Nope","object":"x","relation":"y"}}`, 404, "Nope"},
		{"DELETE", "/admin/relation-tuples", "", 400, "namespace is required"},
	} {
		base := s.public.URL
		if strings.HasPrefix(c.path, "/admin") {
			base = s.admin.URL
		}
		code, body, _ := s.do(c.method, base+c.path, c.body)
		if code != c.code {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, code, body, c.code)
			continue
		}
		if e := decodeEnvelope(t, body); !strings.Contains(e.Error.Reason, c.reason) {
			t.Errorf("%s %s: reason %q lacks %q", c.method, c.path, e.Error.Reason, c.reason)
		}
	}
	// A batch over the limit is refused whole; one bad tuple inside a batch
	// gets its own error.
	var many []string
	for i := 0; i < 11; i++ {
		many = append(many, `{"namespace":"Doc","object":"d1","relation":"owners","subject_id":"olga"}`)
	}
	code, body, _ := s.do("POST", s.public.URL+"/relation-tuples/batch/check", `{"tuples":[`+strings.Join(many, ",")+`]}`)
	if code != 400 || !strings.Contains(body, "at most 10") {
		t.Errorf("oversized batch: %d %s", code, body)
	}
	code, body, _ = s.do("POST", s.public.URL+"/relation-tuples/batch/check",
		`{"tuples":[{"namespace":"Doc","object":"d1","relation":"owners","subject_set":{"namespace":"User","object":"olga","relation":""}},{"namespace":"Nope","object":"x","relation":"y","subject_id":"z"}]}`)
	var br struct {
		Results []struct {
			Allowed bool   `json:"allowed"`
			Error   string `json:"error"`
		} `json:"results"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &br) != nil || len(br.Results) != 2 || !br.Results[0].Allowed || br.Results[1].Error == "" {
		t.Errorf("batch with one bad tuple: %d %s", code, body)
	}
	// A transaction with one bad tuple writes nothing.
	code, body, _ = s.do("PATCH", s.admin.URL+"/admin/relation-tuples",
		`[{"action":"insert","relation_tuple":{"namespace":"Doc","object":"new","relation":"owners","subject_id":"u"}},
		  {"action":"insert","relation_tuple":{"namespace":"Nope","object":"x","relation":"y","subject_id":"z"}}]`)
	if code != 404 {
		t.Errorf("half-bad transaction: %d %s", code, body)
	}
	if code, _ := s.check("Doc:new#owners@u", nil); code != 403 {
		t.Error("a refused transaction left a tuple behind")
	}
}

func TestDepthCyclesAndExhaustion(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		s := newServer(t, db, docsOPL, permission.Options{MaxReadDepth: 20})
		// A cycle of groups, and a 6-deep chain.
		s.insert("Group:a#members@Group:b#members", "Group:b#members@Group:c#members", "Group:c#members@Group:a#members",
			"Group:c#members@User:cy")
		chain := []string{}
		for i := 0; i < 6; i++ {
			chain = append(chain, "Group:g"+string(rune('0'+i))+"#members@Group:g"+string(rune('1'+i))+"#members")
		}
		chain = append(chain, "Group:g6#members@User:deep")
		s.insert(chain...)
		if code, body := s.check("Group:a#members@User:cy", nil); code != 200 {
			t.Errorf("member through a cycle: %d %s", code, body)
		}
		if code, body := s.check("Group:a#members@User:nobody", nil); code != 403 {
			t.Errorf("cycle must end in a denial, not a loop or error: %d %s", code, body)
		}
		if code, _ := s.check("Group:g0#members@User:deep", nil); code != 200 {
			t.Error("7 levels within max depth 20")
		}
		// Group nesting is answered from the subject's reverse closure, whole,
		// whatever the budget; traversals through permits spend it.
		if code, body := s.check("Group:g0#members@User:deep", url.Values{"max-depth": {"2"}}); code != 200 {
			t.Errorf("nested groups with a small budget: %d %s", code, body)
		}
		folders := []string{}
		for i := 0; i < 6; i++ {
			folders = append(folders, fmt.Sprintf("Folder:f%d#parents@Folder:f%d", i, i+1))
		}
		s.insert(append(folders, "Folder:f6#viewers@User:top")...)
		if code, body := s.check("Folder:f0#view@User:top", nil); code != 200 {
			t.Errorf("7 folder levels within max depth 20: %d %s", code, body)
		}
		code, body := s.check("Folder:f0#view@User:nobody", url.Values{"max-depth": {"3"}})
		if code != 400 || decodeEnvelope(t, body).Error.ID != "max_depth_exceeded" {
			t.Errorf("depth exhausted: %d %s", code, body)
		}
		code, body, _ = s.do("GET", s.public.URL+"/relation-tuples/check/openapi?namespace=Folder&object=f0&relation=view&subject_id=nobody&max-depth=3", "")
		if code != 200 || !strings.Contains(body, `"allowed":false`) {
			t.Errorf("openapi variant answers 200 always: %d %s", code, body)
		}
	})
}

// Read-your-writes across two service instances on one database (two
// replicas): a check carrying the write's snaptoken sees it.
func TestSnaptokensGiveReadYourWritesAcrossReplicas(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newServer(t, db, docsOPL, permission.Options{})
		b := newServer(t, db, docsOPL, permission.Options{})
		for i := 0; i < 30; i++ {
			obj := "ryw" + string(rune('a'+i%26)) + string(rune('a'+i/26))
			a.insert("Doc:" + obj + "#owners@User:w")
			code, body := b.check("Doc:"+obj+"#owners@User:w", url.Values{"snaptoken": {a.lastTok}})
			if code != 200 {
				t.Fatalf("write %d not visible on the other replica with its snaptoken: %d %s", i, code, body)
			}
		}
	})
}

func TestListPaginationExpandListObjectsAndChanges(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		s := newServer(t, db, docsOPL, permission.Options{MaxReadDepth: 10})
		var ts []string
		for i := 0; i < 25; i++ {
			ts = append(ts, "Doc:p"+string(rune('a'+i))+"#viewers@User:lister")
		}
		s.insert(ts...)
		s.insert("Group:eng#members@User:ann", "Doc:pz#owners@Group:eng#members", "Folder:f#viewers@User:lister", "Doc:inf#parents@Folder:f")
		seen := map[string]bool{}
		token := ""
		pages := 0
		for {
			v := url.Values{"namespace": {"Doc"}, "subject_set.namespace": {"User"}, "subject_set.object": {"lister"},
				"subject_set.relation": {""}, "page_size": {"10"}}
			if token != "" {
				v.Set("page_token", token)
			}
			code, body, hdr := s.do("GET", s.public.URL+"/relation-tuples?"+v.Encode(), "")
			var p struct {
				RelationTuples []tuple.Tuple `json:"relation_tuples"`
				NextPageToken  string        `json:"next_page_token"`
			}
			if code != 200 || json.Unmarshal([]byte(body), &p) != nil {
				t.Fatalf("list: %d %s", code, body)
			}
			for _, tu := range p.RelationTuples {
				if seen[tu.String()] {
					t.Fatalf("tuple %s on two pages", tu)
				}
				seen[tu.String()] = true
			}
			pages++
			if p.NextPageToken == "" {
				break
			}
			if !strings.Contains(hdr.Get("Link"), `rel="next"`) {
				t.Fatal("no Link header with a next page")
			}
			token = p.NextPageToken
		}
		if len(seen) != 25 || pages != 3 {
			t.Fatalf("pagination: %d tuples over %d pages", len(seen), pages)
		}

		code, body, _ := s.do("GET", s.public.URL+"/relation-tuples/expand?namespace=Doc&object=pz&relation=owners&max-depth=3", "")
		if code != 200 || !strings.Contains(body, `"object":"ann"`) || !strings.Contains(body, `"type":"union"`) {
			t.Fatalf("expand: %d %s", code, body)
		}

		code, body, _ = s.do("GET", s.public.URL+"/relation-tuples/list-objects?namespace=Doc&relation=view&subject_set.namespace=User&subject_set.object=lister&subject_set.relation=", "")
		var lo struct {
			Objects []string `json:"objects"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &lo) != nil || len(lo.Objects) != 26 {
			t.Fatalf("list-objects for lister: %d %s", code, body)
		}
		code, body, _ = s.do("GET", s.public.URL+"/relation-tuples/list-objects?namespace=Doc&relation=edit&subject_set.namespace=User&subject_set.object=ann&subject_set.relation=", "")
		if code != 200 || !strings.Contains(body, `["pz"]`) {
			t.Fatalf("list-objects through a group: %d %s", code, body)
		}

		code, body, _ = s.do("GET", s.public.URL+"/relation-tuples/list-subjects?namespace=Doc&object=inf&relation=view", "")
		if code != 200 || !strings.Contains(body, `{"namespace":"User","object":"lister","relation":""}`) {
			t.Fatalf("list-subjects through a traverse: %d %s", code, body)
		}
		code, body, _ = s.do("GET", s.public.URL+"/relation-tuples/list-subjects?namespace=Doc&object=pz&relation=edit", "")
		if code != 200 || !strings.Contains(body, `"object":"ann"`) || strings.Contains(body, `"object":"lister"`) {
			t.Fatalf("list-subjects through a group, excluding mere viewers: %d %s", code, body)
		}
		code, body, _ = s.do("GET", s.public.URL+"/relation-tuples/changes?page_size=1000", "")
		var ch struct {
			Changes   []permission.Change `json:"changes"`
			Snaptoken string              `json:"snaptoken"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &ch) != nil || len(ch.Changes) != 29 || ch.Snaptoken == "" {
			t.Fatalf("changes: %d %.300s", code, body)
		}
		code, _, _ = s.do("DELETE", s.admin.URL+"/admin/relation-tuples?namespace=Doc&relation=viewers&subject_set.namespace=User&subject_set.object=lister&subject_set.relation=", "")
		if code != 204 {
			t.Fatalf("delete by query: %d", code)
		}
		code, body, _ = s.do("GET", s.public.URL+"/relation-tuples/changes?snaptoken="+ch.Snaptoken, "")
		if code != 200 || strings.Count(body, `"action":"delete"`) != 25 {
			t.Fatalf("changes after the delete: %d %.300s", code, body)
		}
		if code, _ := s.check("Doc:pa#viewers@User:lister", nil); code != 403 {
			t.Fatal("deleted tuple still allowed")
		}
	})
}

func BenchmarkCheckDirect(b *testing.B) {
	for _, cache := range []struct {
		name    string
		entries int
	}{{"cached", 0}, {"uncached", -1}} {
		b.Run(cache.name, func(b *testing.B) { benchCheckDirect(b, cache.entries) })
	}
}

func benchCheckDirect(b *testing.B, cacheEntries int) {
	db := sqltest.SQLite(b)
	svc, err := permission.NewService(context.Background(), sqlstore.New(db).Permissions(), mustModel(b), permission.Options{
		SingleWriter: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Chain: check.ChainOptions{CacheEntries: cacheEntries}})
	if err != nil {
		b.Fatal(err)
	}
	var ins []tuple.Tuple
	for i := 0; i < 1000; i++ {
		ins = append(ins, tuple.Tuple{Namespace: "Doc", Object: "d" + itoa(i), Relation: "owners", Subject: tuple.Subject{ID: "u" + itoa(i)}})
	}
	if _, err := svc.Transact(context.Background(), ins, nil); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		at   func(i int) tuple.Tuple
	}{
		{"allowed", func(i int) tuple.Tuple { return ins[i%len(ins)] }},
		{"denied", func(i int) tuple.Tuple {
			t := ins[i%len(ins)]
			t.Subject.ID = "x" + t.Subject.ID
			return t
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := svc.Check(context.Background(), tc.at(i), permission.CheckOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func mustModel(tb testing.TB) *permission.Model {
	m, err := permission.LoadModel("base64://" + b64(docsOPL))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// Concurrent writers (as replicas or parallel clients) all succeed, each
// transaction gets its own revision, and the change log holds every write.
func TestConcurrentWriters(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		s := newServer(t, db, docsOPL, permission.Options{})
		const writers, txs, per = 4, 10, 50
		errs := make(chan error, writers*txs)
		toks := make(chan string, writers*txs)
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < txs; i++ {
					var items []string
					for j := 0; j < per; j++ {
						// Overlapping objects across writers, so they contend.
						items = append(items, fmt.Sprintf(`{"action":"insert","relation_tuple":{"namespace":"Doc","object":"c%d","relation":"owners","subject_id":"w%d-%d"}}`, j, w, i))
					}
					req, _ := http.NewRequest("PATCH", s.admin.URL+"/admin/relation-tuples", strings.NewReader("["+strings.Join(items, ",")+"]"))
					req.Header.Set("Content-Type", "application/json")
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						errs <- err
						continue
					}
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					if res.StatusCode != 204 {
						errs <- fmt.Errorf("%d %s", res.StatusCode, b)
						continue
					}
					toks <- res.Header.Get(permission.SnaptokenHeader)
				}
			}()
		}
		wg.Wait()
		close(errs)
		close(toks)
		for err := range errs {
			t.Error(err)
		}
		seen := map[string]bool{}
		for tok := range toks {
			if seen[tok] {
				t.Errorf("two transactions got the snaptoken %s", tok)
			}
			seen[tok] = true
		}
		// Pages of 30 split the 50-change revisions; the page token resumes
		// inside them, so nothing is lost or repeated.
		inserts, next := 0, ""
		for page := 0; page < 100; page++ {
			code, body, _ := s.do("GET", s.public.URL+"/relation-tuples/changes?page_size=30&page_token="+next, "")
			var ch permission.ChangePage
			if code != 200 || json.Unmarshal([]byte(body), &ch) != nil {
				t.Fatalf("changes: %d %s", code, body)
			}
			if len(ch.Changes) == 0 {
				break
			}
			inserts += len(ch.Changes)
			next = ch.NextPageToken
		}
		if inserts != writers*txs*per {
			t.Errorf("change log after concurrent writes holds %d inserts, want %d", inserts, writers*txs*per)
		}
	})
}

// With consistency.max_staleness, a replica answers reads without a
// snaptoken from a revision it refreshes in the background: another
// replica's write shows within that bound, and a snaptoken still forces it.
func TestBoundedStaleness(t *testing.T) {
	db := sqltest.Postgres(t)
	a := newServer(t, db, docsOPL, permission.Options{})
	b := newServer(t, db, docsOPL, permission.Options{MaxStaleness: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.svc.RefreshRevision(ctx)
	a.insert("Doc:stale#owners@User:w")
	if code, _ := b.check("Doc:stale#owners@User:w", url.Values{"snaptoken": {a.lastTok}}); code != 200 {
		t.Fatal("a snaptoken must force the write to be seen")
	}
	a.insert("Doc:stale2#owners@User:w")
	deadline := time.Now().Add(2 * time.Second)
	for {
		code, _ := b.check("Doc:stale2#owners@User:w", nil)
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the write never showed without a snaptoken")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
