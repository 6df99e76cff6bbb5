package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	ory "github.com/ory/client-go"
)

// sdkModel is the permission model of these tests: groups nest, folders
// inherit viewers from their parents, and a document's view permit calls its
// edit permit.
const sdkModel = `import { Namespace, SubjectSet, Context } from "@ory/keto-namespace-types"

class User implements Namespace {}

class Group implements Namespace {
  related: {
    members: (User | SubjectSet<Group, "members">)[]
  }
}

class Folder implements Namespace {
  related: {
    parents: Folder[]
    viewers: (User | SubjectSet<Group, "members">)[]
  }

  permits = {
    view: (ctx: Context): boolean =>
      this.related.viewers.includes(ctx.subject) ||
      this.related.parents.traverse((parent) => parent.permits.view(ctx)),
  }
}

class Doc implements Namespace {
  related: {
    parents: Folder[]
    owners: (User | SubjectSet<Group, "members">)[]
    viewers: (User | SubjectSet<Group, "members">)[]
  }

  permits = {
    edit: (ctx: Context): boolean => this.related.owners.includes(ctx.subject),
    view: (ctx: Context): boolean =>
      this.permits.edit(ctx) ||
      this.related.viewers.includes(ctx.subject) ||
      this.related.parents.traverse((parent) => parent.permits.view(ctx)),
  }
}
`

// sdkTuples are written before the checks.
var sdkTuples = []string{
	"Group:eng#members@alice",
	"Group:eng#members@Group:leads#members",
	"Group:leads#members@carol",
	"Folder:root#viewers@Group:eng#members",
	"Folder:sub#parents@Folder:root",
	"Doc:plan#parents@Folder:sub",
	"Doc:memo#viewers@erin",
}

// forEachBackend runs fn on SQLite and, when TEST_DATABASE_URL is set, on a
// fresh PostgreSQL database; args are the extra serve flags.
func forEachBackend(t *testing.T, fn func(t *testing.T, args []string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, nil) })
	t.Run("postgres", func(t *testing.T) {
		dsn, _ := freshPostgres(t) // skips without TEST_DATABASE_URL
		fn(t, []string{"--dsn", dsn, "--migrate"})
	})
}

// startWithModel starts warden with its namespaces read from an OPL file
// holding model, and returns the server and the file's path.
func startWithModel(t *testing.T, model string, args ...string) (*server, string) {
	t.Helper()
	dir := t.TempDir()
	oplPath := filepath.Join(dir, "namespaces.keto.ts")
	if err := os.WriteFile(oplPath, []byte(model), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "warden.yaml")
	yaml := fmt.Sprintf("permission:\n  namespaces:\n    location: file://%s\n", oplPath)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return start(t, dir, nil, append([]string{"--config", cfg}, args...)...), oplPath
}

// sdk is Ory's Go SDK pointed at one warden: reads at the public URL, writes
// at the admin URL.
type sdk struct {
	read, write *ory.APIClient
}

func newSDK(s *server) sdk {
	client := func(base string) *ory.APIClient {
		cfg := ory.NewConfiguration()
		cfg.Servers = ory.ServerConfigurations{{URL: base}}
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
		return ory.NewAPIClient(cfg)
	}
	return sdk{read: client(s.public), write: client(s.admin)}
}

// rel turns N:O#R@S (S an id, N2:O2 or N2:O2#R2) into the SDK's shape.
func rel(t *testing.T, s string) ory.Relationship {
	t.Helper()
	ns, rest, ok1 := strings.Cut(s, ":")
	obj, rest, ok2 := strings.Cut(rest, "#")
	relation, sub, ok3 := strings.Cut(rest, "@")
	if !ok1 || !ok2 || !ok3 {
		t.Fatalf("bad test tuple %q", s)
	}
	r := ory.Relationship{Namespace: ns, Object: obj, Relation: relation}
	if sns, srest, isSet := strings.Cut(sub, ":"); isSet {
		sobj, srel, _ := strings.Cut(srest, "#")
		r.SubjectSet = &ory.SubjectSet{Namespace: sns, Object: sobj, Relation: srel}
	} else {
		r.SubjectId = ory.PtrString(sub)
	}
	return r
}

// relString is the inverse of rel.
func relString(r ory.Relationship) string {
	s := r.Namespace + ":" + r.Object + "#" + r.Relation + "@"
	switch {
	case r.SubjectSet != nil && r.SubjectId == nil:
		s += r.SubjectSet.Namespace + ":" + r.SubjectSet.Object
		if r.SubjectSet.Relation != "" {
			s += "#" + r.SubjectSet.Relation
		}
		return s
	case r.SubjectId != nil && r.SubjectSet == nil:
		return s + *r.SubjectId
	}
	return s + "<both or no subject>"
}

func (c sdk) patch(t *testing.T, action string, tuples ...string) string {
	t.Helper()
	var ps []ory.RelationshipPatch
	for _, s := range tuples {
		r := rel(t, s)
		ps = append(ps, ory.RelationshipPatch{Action: ory.PtrString(action), RelationTuple: &r})
	}
	res, err := c.write.RelationshipAPI.PatchRelationships(context.Background()).RelationshipPatch(ps).Execute()
	if err != nil {
		t.Fatalf("PatchRelationships %s %v: %v %s", action, tuples, err, errBody(err))
	}
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("PatchRelationships: status %d", res.StatusCode)
	}
	tok := res.Header.Get("X-Snaptoken")
	if tok == "" {
		t.Fatal("PatchRelationships: no X-Snaptoken")
	}
	return tok
}

// check asks CheckPermission (always 200) and PostCheckPermission and
// requires them to agree.
func (c sdk) check(t *testing.T, s string) bool {
	t.Helper()
	r := rel(t, s)
	req := c.read.PermissionAPI.CheckPermission(context.Background()).Namespace(r.Namespace).Object(r.Object).Relation(r.Relation)
	if r.SubjectId != nil {
		req = req.SubjectId(*r.SubjectId)
	} else {
		req = req.SubjectSetNamespace(r.SubjectSet.Namespace).SubjectSetObject(r.SubjectSet.Object).SubjectSetRelation(r.SubjectSet.Relation)
	}
	got, res, err := req.Execute()
	if err != nil {
		t.Fatalf("CheckPermission %s: %v %s", s, err, errBody(err))
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("X-Snaptoken") == "" {
		t.Fatalf("CheckPermission %s: status %d, snaptoken %q", s, res.StatusCode, res.Header.Get("X-Snaptoken"))
	}
	body := ory.PostCheckPermissionBody{Namespace: &r.Namespace, Object: &r.Object, Relation: &r.Relation,
		SubjectId: r.SubjectId, SubjectSet: r.SubjectSet}
	post, res, err := c.read.PermissionAPI.PostCheckPermission(context.Background()).PostCheckPermissionBody(body).Execute()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("PostCheckPermission %s: %v %s", s, err, errBody(err))
	}
	if post.Allowed != got.Allowed {
		t.Fatalf("%s: CheckPermission says %v, PostCheckPermission %v", s, got.Allowed, post.Allowed)
	}
	return got.Allowed
}

func errBody(err error) string {
	var ge *ory.GenericOpenAPIError
	if errors.As(err, &ge) {
		return string(ge.Body())
	}
	return ""
}

// oryEnvelope is Ory's JSON error envelope.
type oryEnvelope struct {
	Error struct {
		Code    int    `json:"code"`
		Status  string `json:"status"`
		Reason  string `json:"reason"`
		Message string `json:"message"`
		Request string `json:"request"`
	} `json:"error"`
}

// wantSDKError requires err to be the SDK's error for an answer with status
// code carrying Ory's error envelope, and returns the envelope.
func wantSDKError(t *testing.T, what string, err error, res *http.Response, code int) oryEnvelope {
	t.Helper()
	var ge *ory.GenericOpenAPIError
	if !errors.As(err, &ge) {
		t.Fatalf("%s: want the SDK's error for a %d, got %v", what, code, err)
	}
	if res == nil || res.StatusCode != code {
		t.Fatalf("%s: want status %d, got %v (%s)", what, code, res, ge.Body())
	}
	var env oryEnvelope
	if err := json.Unmarshal(ge.Body(), &env); err != nil {
		t.Fatalf("%s: body is not JSON: %s", what, ge.Body())
	}
	if env.Error.Code != code || env.Error.Status != http.StatusText(code) || env.Error.Message == "" || env.Error.Request == "" {
		t.Fatalf("%s: envelope %s", what, ge.Body())
	}
	// The SDK itself reads the same body as its error model.
	m, ok := ge.Model().(ory.ErrorGeneric)
	if !ok {
		t.Fatalf("%s: the SDK did not decode the envelope (model %T, error %q)", what, ge.Model(), ge.Error())
	}
	if m.Error.Message == nil || *m.Error.Message != env.Error.Message {
		t.Fatalf("%s: SDK model message %v, body %s", what, m.Error.Message, ge.Body())
	}
	return env
}

func TestPermissionSDK(t *testing.T) {
	forEachBackend(t, func(t *testing.T, args []string) {
		s, _ := startWithModel(t, sdkModel, args...)
		c := newSDK(s)
		ctx := context.Background()

		t.Run("metadata", func(t *testing.T) {
			for _, cl := range []*ory.APIClient{c.read, c.write} {
				v, res, err := cl.MetadataAPI.GetVersion(ctx).Execute()
				if err != nil || res.StatusCode != 200 || v.Version == "" {
					t.Fatalf("GetVersion: %v %v", err, v)
				}
			}
			// Ory's Go SDK has no health calls; they are plain GETs.
			for _, base := range []string{s.public, s.admin} {
				for _, p := range []string{"/health/alive", "/health/ready"} {
					if code, body := get(t, base+p); code != 200 || !strings.Contains(body, `"ok"`) {
						t.Fatalf("%s%s: %d %s", base, p, code, body)
					}
				}
			}
		})

		t.Run("namespaces and OPL syntax", func(t *testing.T) {
			for _, cl := range []*ory.APIClient{c.read, c.write} {
				ns, _, err := cl.RelationshipAPI.ListRelationshipNamespaces(ctx).Execute()
				if err != nil {
					t.Fatal(err)
				}
				if got := namespaceNames(ns); !slices.Equal(got, []string{"Doc", "Folder", "Group", "User"}) {
					t.Fatalf("namespaces %v", got)
				}
			}
			ok, _, err := c.read.RelationshipAPI.CheckOplSyntax(ctx).Body(sdkModel).Execute()
			if err != nil || len(ok.Errors) != 0 {
				t.Fatalf("valid model: %v %+v", err, ok)
			}
			bad := "class A implements Namespace {\n  related: {\n    owners: Nobody[]\n  }\n}\n"
			res, _, err := c.read.RelationshipAPI.CheckOplSyntax(ctx).Body(bad).Execute()
			if err != nil || len(res.Errors) != 1 {
				t.Fatalf("broken model: %v %+v", err, res)
			}
			e := res.Errors[0]
			if e.Message == nil || !strings.Contains(*e.Message, "Nobody") || e.Start == nil || e.Start.Line == nil || *e.Start.Line != 3 ||
				e.Start.Column == nil || *e.Start.Column != 13 {
				t.Fatalf("syntax error %s", mustJSON(e))
			}
		})

		t.Run("write", func(t *testing.T) {
			want := rel(t, "Doc:plan#owners@dave")
			created, res, err := c.write.RelationshipAPI.CreateRelationship(ctx).CreateRelationshipBody(ory.CreateRelationshipBody{
				Namespace: &want.Namespace, Object: &want.Object, Relation: &want.Relation, SubjectId: want.SubjectId,
			}).Execute()
			if err != nil || res.StatusCode != http.StatusCreated {
				t.Fatalf("CreateRelationship: %v %s", err, errBody(err))
			}
			if relString(*created) != relString(want) || res.Header.Get("X-Snaptoken") == "" {
				t.Fatalf("CreateRelationship returned %s (snaptoken %q)", relString(*created), res.Header.Get("X-Snaptoken"))
			}
			c.patch(t, "insert", sdkTuples...)
			got, _, err := c.read.RelationshipAPI.GetRelationships(ctx).Namespace("Folder").Execute()
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range got.RelationTuples {
				names = append(names, relString(r))
			}
			slices.Sort(names)
			if !slices.Equal(names, []string{"Folder:root#viewers@Group:eng#members", "Folder:sub#parents@Folder:root"}) ||
				got.NextPageToken == nil || *got.NextPageToken != "" {
				t.Fatalf("Folder tuples %v, next %v", names, got.NextPageToken)
			}
			bySet, _, err := c.read.RelationshipAPI.GetRelationships(ctx).SubjectSetNamespace("Group").SubjectSetObject("leads").
				SubjectSetRelation("members").Execute()
			if err != nil || len(bySet.RelationTuples) != 1 || relString(bySet.RelationTuples[0]) != "Group:eng#members@Group:leads#members" {
				t.Fatalf("by subject set: %v %s", err, mustJSON(bySet))
			}
		})

		t.Run("check follows the rewrites", func(t *testing.T) {
			for _, tc := range []struct {
				q    string
				want bool
			}{
				{"Doc:plan#view@alice", true},    // parents twice, then a group's members
				{"Doc:plan#view@carol", true},    // and a nested group
				{"Doc:plan#view@dave", true},     // view calls the edit permit
				{"Doc:plan#edit@dave", true},     // owner
				{"Doc:plan#edit@alice", false},   // a viewer, not an owner
				{"Doc:plan#view@mallory", false}, // nobody
				{"Folder:sub#view@alice", true},
				{"Folder:root#viewers@carol", true}, // a relation through subject sets
				{"Folder:root#view@Group:eng#members", true},
				{"Folder:root#view@Group:leads#members", true}, // a stored subject of Group:eng#members
				{"Folder:root#view@Group:ops#members", false},
				{"Doc:memo#view@erin", true},
				{"Doc:memo#view@alice", false},
				{"Doc:memo#edit@erin", false},
			} {
				if got := c.check(t, tc.q); got != tc.want {
					t.Errorf("%s: allowed=%v, want %v", tc.q, got, tc.want)
				}
			}
		})

		t.Run("check or error", func(t *testing.T) {
			ok, res, err := c.read.PermissionAPI.CheckPermissionOrError(ctx).Namespace("Doc").Object("plan").Relation("view").SubjectId("alice").Execute()
			if err != nil || res.StatusCode != 200 || !ok.Allowed {
				t.Fatalf("allowed: %v %v", err, ok)
			}
			_, res, err = c.read.PermissionAPI.CheckPermissionOrError(ctx).Namespace("Doc").Object("plan").Relation("edit").SubjectId("alice").Execute()
			wantDenied(t, "CheckPermissionOrError", err, res)
			body := ory.PostCheckPermissionOrErrorBody{Namespace: ory.PtrString("Doc"), Object: ory.PtrString("memo"), Relation: ory.PtrString("view"),
				SubjectId: ory.PtrString("mallory")}
			_, res, err = c.read.PermissionAPI.PostCheckPermissionOrError(ctx).PostCheckPermissionOrErrorBody(body).Execute()
			wantDenied(t, "PostCheckPermissionOrError", err, res)
			body.SubjectId = ory.PtrString("erin")
			ok, res, err = c.read.PermissionAPI.PostCheckPermissionOrError(ctx).PostCheckPermissionOrErrorBody(body).Execute()
			if err != nil || res.StatusCode != 200 || !ok.Allowed {
				t.Fatalf("post allowed: %v %v", err, ok)
			}
		})

		t.Run("batch check", func(t *testing.T) {
			qs := []string{"Doc:plan#view@alice", "Doc:plan#edit@alice", "Doc:plan#view@carol", "Nope:x#view@alice",
				"Doc:plan#view@dave", "Doc:memo#view@erin", "Doc:memo#view@alice", "Folder:sub#view@carol",
				"Folder:root#view@Group:eng#members", "Doc:plan#view@mallory"}
			want := []bool{true, false, true, false, true, true, false, true, true, false}
			var tuples []ory.Relationship
			for _, q := range qs {
				tuples = append(tuples, rel(t, q))
			}
			got, res, err := c.read.PermissionAPI.BatchCheckPermission(ctx).
				BatchCheckPermissionBody(ory.BatchCheckPermissionBody{Tuples: tuples}).Execute()
			if err != nil || res.StatusCode != 200 || len(got.Results) != len(qs) {
				t.Fatalf("BatchCheckPermission: %v %s %s", err, errBody(err), mustJSON(got))
			}
			for i, r := range got.Results {
				if r.Allowed != want[i] {
					t.Errorf("%s: allowed=%v, want %v", qs[i], r.Allowed, want[i])
				}
				if hasErr := r.Error != nil && *r.Error != ""; hasErr != (i == 3) {
					t.Errorf("%s: error %v", qs[i], r.Error)
				}
			}
			if e := got.Results[3].Error; e == nil || !strings.Contains(*e, "Nope") {
				t.Errorf("unknown namespace item: %v", e)
			}
			_, res, err = c.read.PermissionAPI.BatchCheckPermission(ctx).
				BatchCheckPermissionBody(ory.BatchCheckPermissionBody{Tuples: append(tuples, rel(t, "Doc:plan#view@zed"))}).Execute()
			env := wantSDKError(t, "batch of 11", err, res, 400)
			if !strings.Contains(env.Error.Reason, "10") {
				t.Errorf("batch limit reason: %q", env.Error.Reason)
			}
		})

		t.Run("expand", func(t *testing.T) {
			tree, res, err := c.read.PermissionAPI.ExpandPermissions(ctx).Namespace("Folder").Object("root").Relation("viewers").Execute()
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("ExpandPermissions: %v %s", err, errBody(err))
			}
			if tree.Type != "union" || tree.Tuple == nil || tree.Tuple.SubjectSet == nil ||
				relString(*tree.Tuple) != "Folder:root#viewers@Folder:root#viewers" {
				t.Fatalf("root %s", mustJSON(tree))
			}
			leaves, sets := map[string]bool{}, map[string]bool{}
			var walk func(n ory.ExpandedPermissionTree)
			walk = func(n ory.ExpandedPermissionTree) {
				if n.Tuple != nil {
					sub := relString(*n.Tuple)
					sub = sub[strings.Index(sub, "@")+1:]
					if n.Type == "leaf" {
						leaves[sub] = true
					} else {
						sets[sub] = true
					}
				}
				for _, ch := range n.Children {
					walk(ch)
				}
			}
			walk(*tree)
			if !leaves["alice"] || !leaves["carol"] || !sets["Group:eng#members"] || !sets["Group:leads#members"] || leaves["erin"] {
				t.Fatalf("leaves %v, subject sets %v\n%s", leaves, sets, mustJSON(tree))
			}
			_, res, err = c.read.PermissionAPI.ExpandPermissions(ctx).Namespace("Nope").Object("x").Relation("viewers").Execute()
			wantSDKError(t, "expand of an unknown namespace", err, res, 404)
		})

		t.Run("pagination", func(t *testing.T) {
			var bulk []string
			for i := range 57 {
				bulk = append(bulk, fmt.Sprintf("Doc:bulk-%02d#viewers@user-%02d", i, i))
			}
			c.patch(t, "insert", bulk...)
			want := map[string]int{"Doc:memo#viewers@erin": 0}
			for _, b := range bulk {
				want[b] = 0
			}
			seen := map[string]int{}
			token, pages := "", 0
			for {
				req := c.read.RelationshipAPI.GetRelationships(ctx).Namespace("Doc").Relation("viewers").PageSize(10)
				if token != "" {
					req = req.PageToken(token)
				}
				page, _, err := req.Execute()
				if err != nil {
					t.Fatalf("page %d: %v %s", pages+1, err, errBody(err))
				}
				pages++
				if len(page.RelationTuples) > 10 {
					t.Fatalf("page %d has %d tuples", pages, len(page.RelationTuples))
				}
				for _, r := range page.RelationTuples {
					seen[relString(r)]++
				}
				if page.NextPageToken == nil || *page.NextPageToken == "" {
					break
				}
				token = *page.NextPageToken
				if pages > 20 {
					t.Fatal("pagination does not end")
				}
			}
			if pages != 6 {
				t.Errorf("%d pages for 58 tuples of 10 a page", pages)
			}
			for k, n := range seen {
				if _, ok := want[k]; !ok || n != 1 {
					t.Errorf("%s came back %d times (expected: %v)", k, n, ok)
				}
			}
			for k := range want {
				if seen[k] == 0 {
					t.Errorf("%s never came back", k)
				}
			}
			// Without a page size the SDK asks for its default of 250.
			all, _, err := c.read.RelationshipAPI.GetRelationships(ctx).Namespace("Doc").Relation("viewers").Execute()
			if err != nil || len(all.RelationTuples) != 58 || all.NextPageToken == nil || *all.NextPageToken != "" {
				t.Fatalf("one big page: %v %d", err, len(all.RelationTuples))
			}
		})

		t.Run("deletes take effect", func(t *testing.T) {
			res, err := c.write.RelationshipAPI.DeleteRelationships(ctx).Namespace("Doc").Object("memo").Relation("viewers").SubjectId("erin").Execute()
			if err != nil || res.StatusCode != http.StatusNoContent || res.Header.Get("X-Snaptoken") == "" {
				t.Fatalf("DeleteRelationships: %v %s", err, errBody(err))
			}
			if c.check(t, "Doc:memo#view@erin") {
				t.Error("erin still views the memo after the delete")
			}
			c.patch(t, "delete", "Group:eng#members@alice")
			if c.check(t, "Doc:plan#view@alice") {
				t.Error("alice still views the plan after leaving the group")
			}
			if !c.check(t, "Doc:plan#view@carol") {
				t.Error("carol lost the plan when alice left")
			}
			// Delete by query: every remaining viewer of every Doc.
			if _, err := c.write.RelationshipAPI.DeleteRelationships(ctx).Namespace("Doc").Relation("viewers").Execute(); err != nil {
				t.Fatal(err)
			}
			left, _, err := c.read.RelationshipAPI.GetRelationships(ctx).Namespace("Doc").Relation("viewers").Execute()
			if err != nil || len(left.RelationTuples) != 0 {
				t.Fatalf("after deleting Doc viewers: %v %s", err, mustJSON(left))
			}
			if c.check(t, "Doc:bulk-03#view@user-03") {
				t.Error("a deleted bulk viewer still views")
			}
		})

		t.Run("errors", func(t *testing.T) {
			_, res, err := c.read.RelationshipAPI.GetRelationships(ctx).Namespace("Nope").Execute()
			env := wantSDKError(t, "GetRelationships of an unknown namespace", err, res, 404)
			if !strings.Contains(env.Error.Reason, "Nope") {
				t.Errorf("reason %q", env.Error.Reason)
			}
			_, res, err = c.read.PermissionAPI.CheckPermission(ctx).Namespace("Nope").Object("x").Relation("view").SubjectId("a").Execute()
			wantSDKError(t, "CheckPermission of an unknown namespace", err, res, 404)
			_, res, err = c.read.PermissionAPI.CheckPermission(ctx).Namespace("Doc").Object("x").Relation("view").Execute()
			wantSDKError(t, "CheckPermission without a subject", err, res, 400)
			bad := rel(t, "Doc:x#viewers@a")
			res, err = c.write.RelationshipAPI.PatchRelationships(ctx).
				RelationshipPatch([]ory.RelationshipPatch{{Action: ory.PtrString("upsert"), RelationTuple: &bad}}).Execute()
			wantSDKError(t, "PatchRelationships with an unknown action", err, res, 400)
			_, res, err = c.write.RelationshipAPI.CreateRelationship(ctx).CreateRelationshipBody(ory.CreateRelationshipBody{
				Namespace: ory.PtrString("Doc"), Object: ory.PtrString("x"), Relation: ory.PtrString("viewers")}).Execute()
			wantSDKError(t, "CreateRelationship without a subject", err, res, 400)
			_, res, err = c.read.RelationshipAPI.GetRelationships(ctx).Namespace("Doc").PageToken("not-a-token").Execute()
			wantSDKError(t, "GetRelationships with a forged page token", err, res, 400)
			res, err = c.write.RelationshipAPI.DeleteRelationships(ctx).Execute()
			wantSDKError(t, "DeleteRelationships of everything", err, res, 400)
			// Writes are not on the public listener.
			pub := newSDK(&server{public: s.public, admin: s.public})
			res, err = pub.write.RelationshipAPI.DeleteRelationships(ctx).Namespace("Doc").Execute()
			wantSDKError(t, "a write on the public listener", err, res, 404)
		})
	})
}

// wantDenied requires the SDK's error for a 403 whose body is the check
// result {"allowed": false}, which the SDK decodes as its model.
func wantDenied(t *testing.T, what string, err error, res *http.Response) {
	t.Helper()
	var ge *ory.GenericOpenAPIError
	if !errors.As(err, &ge) || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("%s denied: want the SDK's error for a 403, got %v %v", what, err, res)
	}
	var body struct {
		Allowed *bool `json:"allowed"`
	}
	if json.Unmarshal(ge.Body(), &body) != nil || body.Allowed == nil || *body.Allowed {
		t.Fatalf("%s denied: body %s", what, ge.Body())
	}
	if res.Header.Get("X-Snaptoken") == "" {
		t.Fatalf("%s denied: no X-Snaptoken", what)
	}
	if m, ok := ge.Model().(ory.CheckPermissionResult); !ok || m.Allowed {
		t.Fatalf("%s denied: the SDK's model is %T %+v", what, ge.Model(), ge.Model())
	}
}

func namespaceNames(ns *ory.RelationshipNamespaces) []string {
	var out []string
	for _, n := range ns.Namespaces {
		if n.Name != nil {
			out = append(out, *n.Name)
		}
	}
	return out
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestPermissionSDKHotReload(t *testing.T) {
	forEachBackend(t, func(t *testing.T, args []string) {
		s, oplPath := startWithModel(t, sdkModel, args...)
		c := newSDK(s)
		ctx := context.Background()
		c.patch(t, "insert", "Doc:plan#owners@dave")

		names := func() []string {
			ns, _, err := c.read.RelationshipAPI.ListRelationshipNamespaces(ctx).Execute()
			if err != nil {
				t.Fatal(err)
			}
			return namespaceNames(ns)
		}
		withTeam := sdkModel + "\nclass Team implements Namespace {\n  related: {\n    members: User[]\n  }\n}\n"
		if err := os.WriteFile(oplPath, []byte(withTeam), 0o600); err != nil {
			t.Fatal(err)
		}
		want := []string{"Doc", "Folder", "Group", "Team", "User"}
		deadline := time.Now().Add(5 * time.Second)
		for !slices.Equal(names(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("Team not in force 5 s after the model changed: %v\n%s", names(), s.stderr)
			}
			time.Sleep(50 * time.Millisecond)
		}
		c.patch(t, "insert", "Team:core#members@zed")

		broken := withTeam + "\nclass Broken implements Namespace {\n  related: {\n    x: Missing[\n"
		if err := os.WriteFile(oplPath, []byte(broken), 0o600); err != nil {
			t.Fatal(err)
		}
		deadline = time.Now().Add(5 * time.Second)
		for !strings.Contains(s.stderr.String(), "permission model not reloaded") {
			if time.Now().After(deadline) {
				t.Fatalf("the broken model was not reported within 5 s\n%s", s.stderr)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if got := names(); !slices.Equal(got, want) {
			t.Fatalf("namespaces after a broken model: %v, want the previous %v", got, want)
		}
		if !c.check(t, "Doc:plan#edit@dave") || !c.check(t, "Team:core#members@zed") || c.check(t, "Team:core#members@dave") {
			t.Fatal("checks changed after a broken model")
		}
		c.patch(t, "insert", "Team:core#members@yan")
		_, res, err := c.read.RelationshipAPI.GetRelationships(ctx).Namespace("Broken").Execute()
		wantSDKError(t, "a namespace of the broken model", err, res, 404)
	})
}
