package grpcapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	oplpb "github.com/warden-iam/warden/api/proto/ory/keto/opl/v1alpha1"
	rts "github.com/warden-iam/warden/api/proto/ory/keto/relation_tuples/v1alpha2"
	"github.com/warden-iam/warden/internal/app"
	"github.com/warden-iam/warden/internal/config"
	"github.com/warden-iam/warden/internal/permission"
	"github.com/warden-iam/warden/internal/permission/grpcapi"
	"github.com/warden-iam/warden/internal/permission/tuple"
	"github.com/warden-iam/warden/internal/storage/sqltest"
	"github.com/warden-iam/warden/internal/version"
)

// model is a file system: files and folders viewable by users and groups,
// folders passing view down to what they contain.
const model = `
import { Namespace, SubjectSet, Context } from "@ory/keto-namespace-types"

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
      this.related.parents.traverse((p) => p.permits.view(ctx)),
  }
}

class File implements Namespace {
  related: {
    parents: Folder[]
    viewers: (User | SubjectSet<Group, "members">)[]
    owners: User[]
  }
  permits = {
    view: (ctx: Context): boolean =>
      this.related.parents.traverse((p) => p.permits.view(ctx)) ||
      this.related.viewers.includes(ctx.subject) ||
      this.related.owners.includes(ctx.subject),
    edit: (ctx: Context): boolean => this.related.owners.includes(ctx.subject),
  }
}
`

// env is a running Warden with gRPC clients of both listeners.
type env struct {
	app                 *app.App
	public, admin       *grpc.ClientConn
	publicURL, adminURL string
	stopOnce            sync.Once
	cancel              context.CancelFunc
	served              chan error
}

// start runs Warden in-process on free ports, on SQLite or on a fresh
// PostgreSQL database (skipping without TEST_DATABASE_URL), until tb ends.
func start(tb testing.TB, dialect string) *env {
	tb.Helper()
	dir := tb.TempDir()
	opl := filepath.Join(dir, "namespaces.ts")
	if err := os.WriteFile(opl, []byte(model), 0o600); err != nil {
		tb.Fatal(err)
	}
	dsn := "sqlite://" + filepath.Join(dir, "w.db")
	if dialect == "postgres" {
		dsn = sqltest.PostgresURL(tb)
	}
	cfg, err := config.Load(config.Sources{
		Env: func(string) (string, bool) { return "", false },
		Sets: []string{"serve.public.port=0", "serve.admin.port=0", "serve.shutdown_timeout=5s", "dsn=" + dsn,
			"permission.namespaces.location=file://" + opl},
	})
	if err != nil {
		tb.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(context.Background(), app.Options{Config: cfg, Logger: quiet, Migrate: true})
	if err != nil {
		tb.Fatal(err)
	}
	if err := a.Listen(); err != nil {
		a.Close()
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{app: a, cancel: cancel, served: make(chan error, 1),
		publicURL: strings.TrimSuffix(cfg.Serve.Public.BaseURL, "/"), adminURL: strings.TrimSuffix(cfg.Serve.Admin.BaseURL, "/")}
	go func() { e.served <- a.Serve(ctx) }()
	e.public = dial(tb, a.PublicAddr())
	e.admin = dial(tb, a.AdminAddr())
	tb.Cleanup(func() { e.stop(tb) })
	return e
}

// stop shuts Warden down as SIGTERM does and waits for Serve to return.
func (e *env) stop(tb testing.TB) {
	e.stopOnce.Do(func() {
		e.cancel()
		select {
		case err := <-e.served:
			if err != nil {
				tb.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			tb.Error("Serve did not return")
		}
		e.public.Close()
		e.admin.Close()
	})
}

func dial(tb testing.TB, addr string) *grpc.ClientConn {
	tb.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	return cc
}

// tu builds a proto tuple from its string form, N:O#R@S.
func tu(tb testing.TB, s string) *rts.RelationTuple {
	tb.Helper()
	t, err := tuple.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	p := &rts.RelationTuple{Namespace: t.Namespace, Object: t.Object, Relation: t.Relation}
	if t.Subject.Set != nil {
		p.Subject = &rts.Subject{Ref: &rts.Subject_Set{Set: &rts.SubjectSet{
			Namespace: t.Subject.Set.Namespace, Object: t.Subject.Set.Object, Relation: t.Subject.Set.Relation}}}
	} else {
		p.Subject = &rts.Subject{Ref: &rts.Subject_Id{Id: t.Subject.ID}}
	}
	return p
}

func str(p *rts.RelationTuple) string {
	s := p.GetNamespace() + ":" + p.GetObject() + "#" + p.GetRelation() + "@"
	switch r := p.GetSubject().GetRef().(type) {
	case *rts.Subject_Id:
		return s + r.Id
	case *rts.Subject_Set:
		t := tuple.SubjectSet{Namespace: r.Set.GetNamespace(), Object: r.Set.GetObject(), Relation: r.Set.GetRelation()}
		return s + t.String()
	}
	return s + "?"
}

func ctxT(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

func wantCode(t *testing.T, err error, code codes.Code, what string) {
	t.Helper()
	if got := status.Code(err); got != code {
		t.Errorf("%s: got %v (%v), want %v", what, got, err, code)
	}
}

// write inserts tuples over gRPC on the admin port and returns the snaptoken.
func (e *env) write(t *testing.T, ts ...string) string {
	t.Helper()
	req := &rts.TransactRelationTuplesRequest{}
	for _, s := range ts {
		req.RelationTupleDeltas = append(req.RelationTupleDeltas,
			&rts.RelationTupleDelta{Action: rts.RelationTupleDelta_ACTION_INSERT, RelationTuple: tu(t, s)})
	}
	res, err := rts.NewWriteServiceClient(e.admin).TransactRelationTuples(ctxT(t), req)
	if err != nil {
		t.Fatalf("TransactRelationTuples: %v", err)
	}
	if len(res.Snaptokens) != len(ts) || res.Snaptokens[0] == "" {
		t.Fatalf("snaptokens: %q", res.Snaptokens)
	}
	return res.Snaptokens[0]
}

func (e *env) check(t *testing.T, s string, req *rts.CheckRequest) bool {
	t.Helper()
	if req == nil {
		req = &rts.CheckRequest{}
	}
	req.Tuple = tu(t, s)
	res, err := rts.NewCheckServiceClient(e.public).Check(ctxT(t), req)
	if err != nil {
		t.Fatalf("Check %s: %v", s, err)
	}
	if res.Snaptoken == "" {
		t.Errorf("Check %s: no snaptoken", s)
	}
	return res.Allowed
}

var fixture = []string{
	"Group:eng#members@alice",
	"Group:eng#members@Group:interns#members",
	"Group:interns#members@ivan",
	"Folder:root#viewers@Group:eng#members",
	"Folder:docs#parents@Folder:root",
	"File:readme#parents@Folder:docs",
	"File:readme#owners@olga",
	"File:secret#viewers@bob",
}

func TestGRPC(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			e := start(t, dialect)
			tok := e.write(t, fixture...)
			t.Run("Check", func(t *testing.T) { e.testCheck(t, tok) })
			t.Run("BatchCheck", e.testBatchCheck)
			t.Run("List", e.testList)
			t.Run("Expand", e.testExpand)
			t.Run("NamespacesVersionSyntax", e.testMisc)
			t.Run("HealthReflection", e.testHealthReflection)
			t.Run("RESTInterop", e.testREST)
			t.Run("Writes", e.testWrites)
			t.Run("Errors", e.testErrors)
			t.Run("Metrics", e.testMetrics)
		})
	}
}

func (e *env) testCheck(t *testing.T, tok string) {
	for _, c := range []struct {
		tuple string
		want  bool
	}{
		{"Group:eng#members@alice", true},            // direct
		{"Group:eng#members@ivan", true},             // nested group
		{"File:readme#view@alice", true},             // file -> folder -> folder -> group
		{"File:readme#view@ivan", true},              // ... -> nested group
		{"File:readme#edit@olga", true},              // permit
		{"File:readme#edit@alice", false},            // viewer, not owner
		{"File:secret#view@alice", false},            // not a viewer
		{"File:secret#view@bob", true},               // direct viewer
		{"Folder:docs#view@Group:eng#members", true}, // subject set subject
		{"Folder:docs#view@nobody", false},           // unknown subject
		{"File:nothing#view@alice", false},           // unknown object
	} {
		if got := e.check(t, c.tuple, &rts.CheckRequest{Snaptoken: tok}); got != c.want {
			t.Errorf("Check %s = %v, want %v", c.tuple, got, c.want)
		}
	}
	// The deprecated flat fields.
	legacy := &rts.CheckRequest{Namespace: "File", Object: "secret", Relation: "view",
		Subject: &rts.Subject{Ref: &rts.Subject_Id{Id: "bob"}}}
	if res, err := rts.NewCheckServiceClient(e.public).Check(ctxT(t), legacy); err != nil || !res.Allowed {
		t.Errorf("deprecated fields: %v %v", res, err)
	}
	// A depth budget too small for the path: not allowed, and no error.
	// (Checked at a new revision: answers found with a larger budget are
	// remembered per revision.)
	tok = e.write(t, "User:depth1#x@y")
	if e.check(t, "File:readme#view@alice", &rts.CheckRequest{MaxDepth: 1, Snaptoken: tok}) {
		t.Error("max_depth 1 must not find a four-level path")
	}
	if !e.check(t, "File:secret#view@bob", &rts.CheckRequest{MaxDepth: 2}) {
		t.Error("max_depth 2 must find a direct viewer")
	}
	// The snaptoken also arrives in the response header.
	var hdr metadata.MD
	if _, err := rts.NewCheckServiceClient(e.public).Check(ctxT(t), &rts.CheckRequest{Tuple: tu(t, "File:secret#view@bob")},
		grpc.Header(&hdr)); err != nil || len(hdr.Get(grpcapi.SnaptokenHeader)) != 1 {
		t.Errorf("snaptoken header: %v %v", hdr, err)
	}
}

func (e *env) testBatchCheck(t *testing.T) {
	c := rts.NewCheckServiceClient(e.public)
	res, err := c.BatchCheck(ctxT(t), &rts.BatchCheckRequest{Tuples: []*rts.RelationTuple{
		tu(t, "File:readme#view@alice"),
		tu(t, "File:secret#view@alice"),
		tu(t, "Nope:x#view@alice"),
		{Namespace: "File", Object: "readme", Relation: "view"}, // no subject
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != 4 {
		t.Fatalf("results: %v", res.Results)
	}
	r := res.Results
	if !r[0].Allowed || r[0].Error != "" || r[1].Allowed || r[1].Error != "" {
		t.Errorf("allowed/denied: %v %v", r[0], r[1])
	}
	if r[2].Allowed || !strings.Contains(r[2].Error, "unknown namespace") || r[3].Allowed || r[3].Error == "" {
		t.Errorf("per-item errors: %v %v", r[2], r[3])
	}
	for _, x := range r {
		if x.Snaptoken == "" || x.Snaptoken != r[0].Snaptoken {
			t.Errorf("snaptokens: %v", r)
		}
	}
	// Depth exhausted: not allowed, with an error of its own.
	tok := e.write(t, "User:depth2#x@y")
	res, err = c.BatchCheck(ctxT(t), &rts.BatchCheckRequest{MaxDepth: 1, Snaptoken: tok, Tuples: []*rts.RelationTuple{
		tu(t, "File:readme#view@alice"), tu(t, "Group:eng#members@alice")}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Results[0].Allowed || !strings.Contains(res.Results[0].Error, "max depth") || !res.Results[1].Allowed {
		t.Errorf("depth exhausted: %v", res.Results)
	}
	// Over the batch limit (10 by default).
	big := &rts.BatchCheckRequest{}
	for range 11 {
		big.Tuples = append(big.Tuples, tu(t, "File:readme#view@alice"))
	}
	_, err = c.BatchCheck(ctxT(t), big)
	wantCode(t, err, codes.InvalidArgument, "batch over the limit")
}

func (e *env) testList(t *testing.T) {
	c := rts.NewReadServiceClient(e.public)
	var got []string
	token, pages := "", 0
	for {
		res, err := c.ListRelationTuples(ctxT(t), &rts.ListRelationTuplesRequest{
			RelationQuery: &rts.RelationQuery{Namespace: new("Group")}, PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(res.RelationTuples) > 2 {
			t.Fatalf("page of %d", len(res.RelationTuples))
		}
		for _, p := range res.RelationTuples {
			got = append(got, str(p))
		}
		if token = res.NextPageToken; token == "" {
			break
		}
	}
	want := []string{"Group:eng#members@Group:interns#members", "Group:eng#members@alice", "Group:interns#members@ivan"}
	slices.Sort(got)
	if !slices.Equal(got, want) || pages != 2 {
		t.Errorf("list in %d pages: %q, want %q", pages, got, want)
	}
	// Filter by subject set, with the deprecated query message.
	res, err := c.ListRelationTuples(ctxT(t), &rts.ListRelationTuplesRequest{Query: &rts.ListRelationTuplesRequest_Query{
		Namespace: "Folder", Subject: tu(t, "Folder:root#viewers@Group:eng#members").Subject}})
	if err != nil || len(res.RelationTuples) != 1 || str(res.RelationTuples[0]) != "Folder:root#viewers@Group:eng#members" {
		t.Errorf("deprecated query: %v %v", res, err)
	}
	// Filter by object and relation, subject id.
	res, err = c.ListRelationTuples(ctxT(t), &rts.ListRelationTuplesRequest{RelationQuery: &rts.RelationQuery{
		Namespace: new("File"), Object: new("readme"), Relation: new("owners"), Subject: &rts.Subject{Ref: &rts.Subject_Id{Id: "olga"}}}})
	if err != nil || len(res.RelationTuples) != 1 {
		t.Errorf("exact query: %v %v", res, err)
	}
	// A snaptoken this database issued is honoured; one from the future or
	// not issued here is refused.
	tok := e.write(t, "Group:ops#members@carol")
	var hdr metadata.MD
	res, err = c.ListRelationTuples(ctxT(t), &rts.ListRelationTuplesRequest{Snaptoken: tok,
		RelationQuery: &rts.RelationQuery{Namespace: new("Group"), Object: new("ops")}}, grpc.Header(&hdr))
	if err != nil || len(res.RelationTuples) != 1 || len(hdr.Get(grpcapi.SnaptokenHeader)) != 1 {
		t.Errorf("list at a snaptoken: %v %v %v", res, hdr, err)
	}
	_, err = c.ListRelationTuples(ctxT(t), &rts.ListRelationTuplesRequest{Snaptoken: string(permission.EncodeSnaptoken(1 << 40))})
	wantCode(t, err, codes.InvalidArgument, "future snaptoken")
	_, err = c.ListRelationTuples(ctxT(t), &rts.ListRelationTuplesRequest{Snaptoken: "not-a-token"})
	wantCode(t, err, codes.InvalidArgument, "bad snaptoken")
	_, err = c.ListRelationTuples(ctxT(t), &rts.ListRelationTuplesRequest{PageToken: "not-a-token"})
	wantCode(t, err, codes.InvalidArgument, "bad page token")
	_, err = c.ListRelationTuples(ctxT(t), &rts.ListRelationTuplesRequest{PageSize: -1})
	wantCode(t, err, codes.InvalidArgument, "negative page size")
	_, err = c.ListRelationTuples(ctxT(t), &rts.ListRelationTuplesRequest{RelationQuery: &rts.RelationQuery{Namespace: new("Nope")}})
	wantCode(t, err, codes.NotFound, "unknown namespace")
}

func (e *env) testExpand(t *testing.T) {
	c := rts.NewExpandServiceClient(e.public)
	res, err := c.Expand(ctxT(t), &rts.ExpandRequest{Subject: &rts.Subject{Ref: &rts.Subject_Set{Set: &rts.SubjectSet{
		Namespace: "Group", Object: "eng", Relation: "members"}}}})
	if err != nil {
		t.Fatal(err)
	}
	root := res.Tree
	if root.GetNodeType() != rts.NodeType_NODE_TYPE_UNION || str(root.GetTuple()) != "Group:eng#members@Group:eng#members" ||
		root.GetSubject().GetSet().GetObject() != "eng" {
		t.Fatalf("root: %v", root)
	}
	var leaves, unions []string
	for _, ch := range root.Children {
		switch ch.NodeType {
		case rts.NodeType_NODE_TYPE_LEAF:
			leaves = append(leaves, str(ch.Tuple))
			if len(ch.Children) != 0 {
				t.Errorf("leaf with children: %v", ch)
			}
		case rts.NodeType_NODE_TYPE_UNION:
			unions = append(unions, str(ch.Tuple))
			if len(ch.Children) != 1 || str(ch.Children[0].Tuple) != "Group:interns#members@ivan" ||
				ch.Children[0].NodeType != rts.NodeType_NODE_TYPE_LEAF || ch.Children[0].GetSubject().GetId() != "ivan" {
				t.Errorf("nested group: %v", ch)
			}
		}
	}
	if !slices.Equal(leaves, []string{"Group:eng#members@alice"}) || !slices.Equal(unions, []string{"Group:eng#members@Group:interns#members"}) {
		t.Errorf("children: leaves %q unions %q", leaves, unions)
	}
	// max_depth 1 stops at the first level: the nested group is a leaf.
	res, err = c.Expand(ctxT(t), &rts.ExpandRequest{MaxDepth: 1, Subject: &rts.Subject{Ref: &rts.Subject_Set{Set: &rts.SubjectSet{
		Namespace: "Group", Object: "eng", Relation: "members"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range res.Tree.Children {
		if ch.NodeType != rts.NodeType_NODE_TYPE_LEAF {
			t.Errorf("max_depth 1: %v", ch)
		}
	}
	_, err = c.Expand(ctxT(t), &rts.ExpandRequest{Subject: &rts.Subject{Ref: &rts.Subject_Id{Id: "alice"}}})
	wantCode(t, err, codes.InvalidArgument, "expand a subject id")
	_, err = c.Expand(ctxT(t), &rts.ExpandRequest{Subject: &rts.Subject{Ref: &rts.Subject_Set{Set: &rts.SubjectSet{
		Namespace: "Nope", Object: "x", Relation: "y"}}}})
	wantCode(t, err, codes.NotFound, "expand in an unknown namespace")
}

func (e *env) testMisc(t *testing.T) {
	ns, err := rts.NewNamespacesServiceClient(e.public).ListNamespaces(ctxT(t), &rts.ListNamespacesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range ns.Namespaces {
		names = append(names, n.Name)
	}
	if !slices.Equal(names, []string{"File", "Folder", "Group", "User"}) {
		t.Errorf("namespaces: %q", names)
	}
	v, err := rts.NewVersionServiceClient(e.admin).GetVersion(ctxT(t), &rts.GetVersionRequest{})
	if err != nil || v.Version == "" || v.Version != version.String() {
		t.Errorf("version: %v %v", v, err)
	}
	syn := oplpb.NewSyntaxServiceClient(e.public)
	ok, err := syn.Check(ctxT(t), &oplpb.CheckRequest{Content: []byte(model)})
	if err != nil || len(ok.ParseErrors) != 0 {
		t.Errorf("valid OPL: %v %v", ok, err)
	}
	bad, err := syn.Check(ctxT(t), &oplpb.CheckRequest{Content: []byte("class User implements Namespace {}\n\nclass Doc implements Namespace {\n  related: {\n    owners: User[\n  }\n}\n")})
	if err != nil || len(bad.ParseErrors) == 0 {
		t.Fatalf("invalid OPL: %v %v", bad, err)
	}
	pe := bad.ParseErrors[0]
	if pe.Message == "" || pe.Start.GetLine() < 5 || pe.Start.GetColumn() == 0 || pe.End == nil {
		t.Errorf("parse error: %v", pe)
	}
}

func (e *env) testHealthReflection(t *testing.T) {
	const writeSvc = "ory.keto.relation_tuples.v1alpha2.WriteService"
	for _, c := range []struct {
		name      string
		cc        *grpc.ClientConn
		withWrite bool
	}{{"public", e.public, false}, {"admin", e.admin, true}} {
		h := healthpb.NewHealthClient(c.cc)
		res, err := h.Check(ctxT(t), &healthpb.HealthCheckRequest{})
		if err != nil || res.Status != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("%s health: %v %v", c.name, res, err)
		}
		res, err = h.Check(ctxT(t), &healthpb.HealthCheckRequest{Service: "ory.keto.relation_tuples.v1alpha2.CheckService"})
		if err != nil || res.Status != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("%s CheckService health: %v %v", c.name, res, err)
		}
		_, err = h.Check(ctxT(t), &healthpb.HealthCheckRequest{Service: writeSvc})
		if c.withWrite {
			wantCode(t, err, codes.OK, c.name+" WriteService health")
		} else {
			wantCode(t, err, codes.NotFound, c.name+" WriteService health")
		}

		stream, err := reflectionpb.NewServerReflectionClient(c.cc).ServerReflectionInfo(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&reflectionpb.ServerReflectionRequest{
			MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
			t.Fatal(err)
		}
		ans, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		_ = stream.CloseSend()
		var services []string
		for _, s := range ans.GetListServicesResponse().GetService() {
			services = append(services, s.Name)
		}
		for _, want := range []string{"ory.keto.relation_tuples.v1alpha2.CheckService", "ory.keto.relation_tuples.v1alpha2.ExpandService",
			"ory.keto.relation_tuples.v1alpha2.ReadService", "ory.keto.relation_tuples.v1alpha2.NamespacesService",
			"ory.keto.relation_tuples.v1alpha2.VersionService", "ory.keto.opl.v1alpha1.SyntaxService", "grpc.health.v1.Health"} {
			if !slices.Contains(services, want) {
				t.Errorf("%s reflection lacks %s: %q", c.name, want, services)
			}
		}
		if slices.Contains(services, writeSvc) != c.withWrite {
			t.Errorf("%s reflection: %q", c.name, services)
		}
	}
}

// rest sends a REST request over HTTP/1.1 and returns status, body, snaptoken.
func rest(t *testing.T, method, url string, body any) (int, string, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(ctxT(t), method, url, r)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.ProtoMajor != 1 {
		t.Errorf("REST answered over HTTP/%d", res.ProtoMajor)
	}
	return res.StatusCode, string(b), res.Header.Get(permission.SnaptokenHeader)
}

func (e *env) testREST(t *testing.T) {
	// Written through REST, read through gRPC at the write's snaptoken.
	tp, _ := tuple.Parse("File:report#viewers@dora")
	code, body, tok := rest(t, "PUT", e.adminURL+"/admin/relation-tuples", tp)
	if code != http.StatusCreated || tok == "" {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if !e.check(t, "File:report#view@dora", &rts.CheckRequest{Snaptoken: tok}) {
		t.Error("gRPC check does not see the REST write")
	}
	// Written through gRPC, read through REST at the write's snaptoken.
	tok = e.write(t, "File:report#owners@erik")
	code, body, _ = rest(t, "GET", e.publicURL+"/relation-tuples/check?namespace=File&object=report&relation=edit&subject_id=erik&snaptoken="+tok, nil)
	if code != http.StatusOK || !strings.Contains(body, `"allowed":true`) {
		t.Errorf("REST check of a gRPC write: %d %s", code, body)
	}
	// Deleted through gRPC, the REST check after the delete's token is denied.
	var hdr metadata.MD
	_, err := rts.NewWriteServiceClient(e.admin).DeleteRelationTuples(ctxT(t), &rts.DeleteRelationTuplesRequest{
		RelationQuery: &rts.RelationQuery{Namespace: new("File"), Object: new("report"), Relation: new("owners")}}, grpc.Header(&hdr))
	if err != nil || len(hdr.Get(grpcapi.SnaptokenHeader)) != 1 {
		t.Fatalf("delete: %v %v", hdr, err)
	}
	code, body, _ = rest(t, "GET", e.publicURL+"/relation-tuples/check?namespace=File&object=report&relation=edit&subject_id=erik&snaptoken="+hdr.Get(grpcapi.SnaptokenHeader)[0], nil)
	if code != http.StatusForbidden {
		t.Errorf("REST check after a gRPC delete: %d %s", code, body)
	}
	// REST still works on both ports, health included.
	if code, body, _ := rest(t, "GET", e.publicURL+"/health/alive", nil); code != http.StatusOK {
		t.Errorf("public health: %d %s", code, body)
	}
	if code, body, _ := rest(t, "GET", e.adminURL+"/namespaces", nil); code != http.StatusOK || !strings.Contains(body, "Folder") {
		t.Errorf("admin namespaces: %d %s", code, body)
	}
}

func (e *env) testWrites(t *testing.T) {
	w := rts.NewWriteServiceClient(e.admin)
	// Insert and delete in one transaction; an unspecified action is ignored.
	res, err := w.TransactRelationTuples(ctxT(t), &rts.TransactRelationTuplesRequest{RelationTupleDeltas: []*rts.RelationTupleDelta{
		{Action: rts.RelationTupleDelta_ACTION_INSERT, RelationTuple: tu(t, "File:plan#viewers@finn")},
		{Action: rts.RelationTupleDelta_ACTION_DELETE, RelationTuple: tu(t, "File:secret#viewers@bob")},
		{Action: rts.RelationTupleDelta_ACTION_UNSPECIFIED, RelationTuple: tu(t, "File:plan#viewers@gina")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Snaptokens) != 3 || res.Snaptokens[0] == "" || res.Snaptokens[1] != res.Snaptokens[0] || res.Snaptokens[2] != "" {
		t.Errorf("snaptokens: %q", res.Snaptokens)
	}
	tok := res.Snaptokens[0]
	if !e.check(t, "File:plan#view@finn", &rts.CheckRequest{Snaptoken: tok}) ||
		e.check(t, "File:secret#view@bob", &rts.CheckRequest{Snaptoken: tok}) ||
		e.check(t, "File:plan#view@gina", &rts.CheckRequest{Snaptoken: tok}) {
		t.Error("transaction not applied as asked")
	}
	// Delete by relation query, with the deprecated query message too.
	if _, err := w.DeleteRelationTuples(ctxT(t), &rts.DeleteRelationTuplesRequest{Query: &rts.DeleteRelationTuplesRequest_Query{
		Namespace: "File", Object: "plan"}}); err != nil {
		t.Fatal(err)
	}
	if e.check(t, "File:plan#view@finn", nil) {
		t.Error("deleted tuple still grants")
	}

	// Writes are not served on the public port.
	pw := rts.NewWriteServiceClient(e.public)
	_, err = pw.TransactRelationTuples(ctxT(t), &rts.TransactRelationTuplesRequest{RelationTupleDeltas: []*rts.RelationTupleDelta{
		{Action: rts.RelationTupleDelta_ACTION_INSERT, RelationTuple: tu(t, "File:plan#viewers@mallory")}}})
	wantCode(t, err, codes.Unimplemented, "transact on the public port")
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "admin") {
		t.Errorf("a write on the public port should point to the admin port: %q", msg)
	}
	_, err = pw.DeleteRelationTuples(ctxT(t), &rts.DeleteRelationTuplesRequest{RelationQuery: &rts.RelationQuery{Namespace: new("File")}})
	wantCode(t, err, codes.Unimplemented, "delete on the public port")
	if e.check(t, "File:plan#view@mallory", nil) {
		t.Error("a refused write took effect")
	}
}

func (e *env) testErrors(t *testing.T) {
	c := rts.NewCheckServiceClient(e.public)
	w := rts.NewWriteServiceClient(e.admin)
	insert := func(p *rts.RelationTuple) error {
		_, err := w.TransactRelationTuples(ctxT(t), &rts.TransactRelationTuplesRequest{RelationTupleDeltas: []*rts.RelationTupleDelta{
			{Action: rts.RelationTupleDelta_ACTION_INSERT, RelationTuple: p}}})
		return err
	}
	for _, x := range []struct {
		what string
		err  error
		code codes.Code
	}{
		{"check without object", func() error {
			_, err := c.Check(ctxT(t), &rts.CheckRequest{Tuple: &rts.RelationTuple{Namespace: "File", Relation: "view",
				Subject: &rts.Subject{Ref: &rts.Subject_Id{Id: "alice"}}}})
			return err
		}(), codes.InvalidArgument},
		{"check without subject", func() error {
			_, err := c.Check(ctxT(t), &rts.CheckRequest{Tuple: &rts.RelationTuple{Namespace: "File", Object: "x", Relation: "view"}})
			return err
		}(), codes.InvalidArgument},
		{"check with an empty subject set", func() error {
			_, err := c.Check(ctxT(t), &rts.CheckRequest{Tuple: &rts.RelationTuple{Namespace: "File", Object: "x", Relation: "view",
				Subject: &rts.Subject{Ref: &rts.Subject_Set{}}}})
			return err
		}(), codes.InvalidArgument},
		{"empty check", func() error { _, err := c.Check(ctxT(t), &rts.CheckRequest{}); return err }(), codes.InvalidArgument},
		{"check in an unknown namespace", func() error {
			_, err := c.Check(ctxT(t), &rts.CheckRequest{Tuple: tu(t, "Nope:x#view@alice")})
			return err
		}(), codes.NotFound},
		{"check of an unknown relation", func() error {
			_, err := c.Check(ctxT(t), &rts.CheckRequest{Tuple: tu(t, "File:x#nope@alice")})
			return err
		}(), codes.InvalidArgument},
		{"check with a bad snaptoken", func() error {
			_, err := c.Check(ctxT(t), &rts.CheckRequest{Tuple: tu(t, "File:x#view@alice"), Snaptoken: "zzz"})
			return err
		}(), codes.InvalidArgument},
		{"insert with a bad relation name", insert(&rts.RelationTuple{Namespace: "File", Object: "x", Relation: "a b",
			Subject: &rts.Subject{Ref: &rts.Subject_Id{Id: "u"}}}), codes.InvalidArgument},
		{"insert in an unknown namespace", insert(tu(t, "Nope:x#viewers@alice")), codes.NotFound},
		{"insert of an unknown relation", insert(tu(t, "File:x#nope@alice")), codes.InvalidArgument},
		{"insert without a tuple", insert(nil), codes.InvalidArgument},
		{"unknown action", func() error {
			_, err := w.TransactRelationTuples(ctxT(t), &rts.TransactRelationTuplesRequest{RelationTupleDeltas: []*rts.RelationTupleDelta{
				{Action: 7, RelationTuple: tu(t, "File:x#viewers@alice")}}})
			return err
		}(), codes.InvalidArgument},
		{"delete everything", func() error {
			_, err := w.DeleteRelationTuples(ctxT(t), &rts.DeleteRelationTuplesRequest{})
			return err
		}(), codes.InvalidArgument},
		{"delete with a subject naming nothing", func() error {
			_, err := w.DeleteRelationTuples(ctxT(t), &rts.DeleteRelationTuplesRequest{RelationQuery: &rts.RelationQuery{
				Namespace: new("File"), Subject: &rts.Subject{}}})
			return err
		}(), codes.InvalidArgument},
		{"delete in an unknown namespace", func() error {
			_, err := w.DeleteRelationTuples(ctxT(t), &rts.DeleteRelationTuplesRequest{RelationQuery: &rts.RelationQuery{Namespace: new("Nope")}})
			return err
		}(), codes.NotFound},
	} {
		wantCode(t, x.err, x.code, x.what)
	}
	// Nothing above was written.
	res, err := rts.NewReadServiceClient(e.admin).ListRelationTuples(ctxT(t), &rts.ListRelationTuplesRequest{
		RelationQuery: &rts.RelationQuery{Namespace: new("File"), Object: new("x")}})
	if err != nil || len(res.RelationTuples) != 0 {
		t.Errorf("refused writes left %v (%v)", res, err)
	}
}

func (e *env) testMetrics(t *testing.T) {
	code, body, _ := rest(t, "GET", e.adminURL+"/metrics/prometheus", nil)
	if code != http.StatusOK {
		t.Fatalf("metrics: %d", code)
	}
	for _, want := range []string{
		`warden_grpc_requests_total{code="OK",listener="public",method="/ory.keto.relation_tuples.v1alpha2.CheckService/Check"}`,
		`warden_grpc_requests_total{code="Unimplemented",listener="public",method="unmatched"}`,
		`warden_grpc_requests_total{code="NotFound",listener="admin",method="/ory.keto.relation_tuples.v1alpha2.WriteService/TransactRelationTuples"}`,
		`warden_grpc_request_duration_seconds_count{listener="admin",method="/ory.keto.relation_tuples.v1alpha2.WriteService/TransactRelationTuples"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestShutdownEndsHealthWatches: a health watch, a stream that never ends by
// itself, sees NOT_SERVING and ends when Warden shuts down, so the shutdown
// is not held up.
func TestShutdownEndsHealthWatches(t *testing.T) {
	e := start(t, "sqlite")
	w, err := healthpb.NewHealthClient(e.public).Watch(ctxT(t), &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := w.Recv(); err != nil || res.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("watch: %v %v", res, err)
	}
	begun := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, err := w.Recv(); err != nil {
				return
			}
		}
	}()
	// Shut down through the cleanup of start, by hand here to time it.
	shutdown := make(chan struct{})
	go func() { defer close(shutdown); e.stop(t) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("the health watch was not ended by the shutdown")
	}
	<-shutdown
	if d := time.Since(begun); d > 3*time.Second {
		t.Errorf("shutdown took %s", d)
	}
}
