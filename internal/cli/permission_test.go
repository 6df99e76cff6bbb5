package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// request is one call the fake server received.
type request struct {
	Method string
	Path   string
	Query  url.Values
	Body   string
	CType  string
}

// fakeAPI records requests and answers each with reply.
type fakeAPI struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []request
	reply func(n int, r request) (status int, body string)
}

func newFakeAPI(t *testing.T, reply func(n int, r request) (int, string)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{reply: reply}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		req := request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: string(b), CType: r.Header.Get("Content-Type")}
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, req)
		f.mu.Unlock()
		status, body := 200, "{}"
		if f.reply != nil {
			status, body = f.reply(n, req)
		}
		if status == http.StatusNoContent {
			w.Header().Set("X-Snaptoken", fmt.Sprintf("tok%d", n+1))
			w.WriteHeader(status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.reqs...)
}

// runCLI runs the command line as Run does, with stdin.
func runCLI(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	root := NewRoot(&o, &e)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	if err := root.ExecuteContext(context.Background()); err != nil {
		fmt.Fprintf(&e, "warden: %v\n", err)
		code = 1
	}
	return o.String(), e.String(), code
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const envelope404 = `{"error":{"code":404,"status":"Not Found","reason":"unknown namespace \"Nope\"","message":"The requested resource could not be found"}}`

func TestRelationTuplesCreateAndDelete(t *testing.T) {
	lines := "# the team\n\nGroup:eng#members@alice\n  Folder:root#viewers@Group:eng#members  \n#Doc:x#owners@nobody\nDoc:plan#parents@Folder:root\n"
	jsonArr := `[{"namespace":"Doc","object":"plan","relation":"owners","subject_id":"dave"}]`
	var big strings.Builder
	for i := 0; i < 2500; i++ {
		fmt.Fprintf(&big, "Doc:d%d#viewers@u%d\n", i, i)
	}
	for _, tc := range []struct {
		name       string
		args       []string
		file       string // written to a temp file and appended to args; "" means stdin
		stdin      string
		reply      func(int, request) (int, string)
		wantItems  [][]string // per request: "action tuple" strings
		wantCode   int
		wantOut    []string
		wantErr    []string
		wantNoReqs bool
	}{
		{
			name: "lines with comments and blanks", args: []string{"relation-tuples", "create"}, file: lines,
			wantItems: [][]string{{"insert Group:eng#members@alice", "insert Folder:root#viewers@Group:eng#members", "insert Doc:plan#parents@Folder:root"}},
			wantOut:   []string{"Created 3 relation tuple(s).", "Snaptoken: tok1"},
		},
		{
			name: "JSON array", args: []string{"relation-tuples", "create"}, file: jsonArr,
			wantItems: [][]string{{"insert Doc:plan#owners@dave"}},
			wantOut:   []string{"Created 1 relation tuple(s)."},
		},
		{
			name: "delete from stdin, json output", args: []string{"relation-tuples", "delete", "-", "--format", "json"}, stdin: lines,
			wantItems: [][]string{{"delete Group:eng#members@alice", "delete Folder:root#viewers@Group:eng#members", "delete Doc:plan#parents@Folder:root"}},
			wantOut:   []string{`"action": "delete"`, `"count": 3`, `"snaptoken": "tok1"`},
		},
		{
			name: "chunks of 1000 with progress", args: []string{"relation-tuples", "create"}, file: big.String(),
			wantItems: [][]string{make([]string, 1000), make([]string, 1000), make([]string, 500)},
			wantOut:   []string{"Created 2500 relation tuple(s).", "Snaptoken: tok3"},
			wantErr:   []string{"[1/3] created 1000 relation tuples (1000 of 2500)", "[3/3] created 500 relation tuples (2500 of 2500)"},
		},
		{
			name: "a failing chunk says what was applied", args: []string{"relation-tuples", "create"}, file: big.String(),
			reply: func(n int, _ request) (int, string) {
				if n == 1 {
					return 400, `{"error":{"code":400,"status":"Bad Request","reason":"a transaction takes at most 500 tuples, got 1000"}}`
				}
				return 204, ""
			},
			wantItems: [][]string{make([]string, 1000), make([]string, 1000)},
			wantCode:  1,
			wantErr:   []string{"chunk 2/3 (tuples 1001-2000)", "at most 500 tuples", "the 1000 tuple(s) of the earlier chunks were applied"},
		},
		{
			name: "bad lines: nothing sent", args: []string{"relation-tuples", "create"}, file: "Doc:a#b@c\nnot a tuple\nDoc:a#b\n",
			wantNoReqs: true, wantCode: 1,
			wantErr: []string{".txt:2: malformed relation tuple \"not a tuple\"", ".txt:3: ", "2 bad relation tuple(s), nothing was done"},
		},
		{
			name: "server error envelope", args: []string{"relation-tuples", "create"}, file: "Nope:a#b@c\n",
			reply:     func(int, request) (int, string) { return 404, envelope404 },
			wantItems: [][]string{{"insert Nope:a#b@c"}}, wantCode: 1,
			wantErr: []string{`warden: the server answered 404 Not Found: unknown namespace "Nope"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reply := tc.reply
			if reply == nil {
				reply = func(int, request) (int, string) { return 204, "" }
			}
			api := newFakeAPI(t, reply)
			args := append([]string{}, tc.args...)
			if tc.file != "" {
				args = append(args, writeFile(t, "tuples.txt", tc.file))
			}
			args = append(args, "--write-url", api.URL+"/")
			out, errOut, code := runCLI(t, tc.stdin, args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errOut)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if strings.Contains(errOut, "goroutine") {
				t.Errorf("stack trace on stderr:\n%s", errOut)
			}
			reqs := api.requests()
			if tc.wantNoReqs && len(reqs) > 0 {
				t.Fatalf("%d requests sent despite bad input", len(reqs))
			}
			if len(reqs) != len(tc.wantItems) {
				t.Fatalf("%d requests, want %d", len(reqs), len(tc.wantItems))
			}
			for i, r := range reqs {
				if r.Method != "PATCH" || r.Path != "/admin/relation-tuples" || r.CType != "application/json" {
					t.Fatalf("request %d: %s %s (%s)", i, r.Method, r.Path, r.CType)
				}
				var items []struct {
					Action string          `json:"action"`
					Tuple  json.RawMessage `json:"relation_tuple"`
				}
				if err := json.Unmarshal([]byte(r.Body), &items); err != nil {
					t.Fatalf("request %d body: %v\n%s", i, err, r.Body)
				}
				if len(items) != len(tc.wantItems[i]) {
					t.Fatalf("request %d: %d items, want %d", i, len(items), len(tc.wantItems[i]))
				}
				for j, want := range tc.wantItems[i] {
					if want == "" {
						continue
					}
					got := items[j].Action + " " + tupleString(t, items[j].Tuple)
					if got != want {
						t.Errorf("request %d item %d: %s, want %s", i, j, got, want)
					}
				}
			}
		})
	}
}

// tupleString turns the REST shape into N:O#R@S.
func tupleString(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var w struct {
		Namespace, Object, Relation string
		SubjectID                   *string `json:"subject_id"`
		SubjectSet                  *struct {
			Namespace, Object, Relation string
		} `json:"subject_set"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatal(err)
	}
	s := w.Namespace + ":" + w.Object + "#" + w.Relation + "@"
	switch {
	case w.SubjectID != nil && w.SubjectSet == nil:
		return s + *w.SubjectID
	case w.SubjectSet != nil && w.SubjectID == nil:
		s += w.SubjectSet.Namespace + ":" + w.SubjectSet.Object
		if w.SubjectSet.Relation != "" {
			s += "#" + w.SubjectSet.Relation
		}
		return s
	}
	t.Fatalf("tuple with both or neither subject: %s", raw)
	return ""
}

func TestRelationTuplesGet(t *testing.T) {
	pages := map[string]string{
		"": `{"relation_tuples":[{"namespace":"Group","object":"eng","relation":"members","subject_id":"alice"}],"next_page_token":"p2"}`,
		"p2": `{"relation_tuples":[{"namespace":"Group","object":"eng","relation":"members",` +
			`"subject_set":{"namespace":"Group","object":"leads","relation":"members"}}],"next_page_token":"p3"}`,
		"p3": `{"relation_tuples":[{"namespace":"Group","object":"leads","relation":"members","subject_id":"carol"}],"next_page_token":""}`,
	}
	reply := func(_ int, r request) (int, string) {
		if r.Method != "GET" || r.Path != "/relation-tuples" {
			return 404, envelope404
		}
		return 200, pages[r.Query.Get("page_token")]
	}
	for _, tc := range []struct {
		name      string
		args      []string
		wantQuery []string // encoded query of each request
		wantOut   []string
		notOut    []string
		wantCode  int
	}{
		{
			name:      "one page with filters",
			args:      []string{"--namespace", "Group", "--object", "eng", "--relation", "members", "--subject-id", "alice", "--page-size", "1"},
			wantQuery: []string{"namespace=Group&object=eng&page_size=1&relation=members&subject_id=alice"},
			wantOut:   []string{"NAMESPACE", "Group      eng     members   alice", "More tuples: --page-token p2"},
			notOut:    []string{"carol"},
		},
		{
			name:      "subject set filter and a page token",
			args:      []string{"--subject-set", "Group:leads#members", "--page-token", "p2"},
			wantQuery: []string{"page_token=p2&subject_set.namespace=Group&subject_set.object=leads&subject_set.relation=members"},
			wantOut:   []string{"Group:leads#members", "--page-token p3"},
		},
		{
			name:      "all pages",
			args:      []string{"--namespace", "Group", "--all"},
			wantQuery: []string{"namespace=Group", "namespace=Group&page_token=p2", "namespace=Group&page_token=p3"},
			wantOut:   []string{"alice", "Group:leads#members", "carol"},
			notOut:    []string{"More tuples"},
		},
		{
			name:      "all pages as JSON",
			args:      []string{"--all", "--format", "json"},
			wantQuery: []string{"", "page_token=p2", "page_token=p3"},
			wantOut:   []string{`"subject_id": "carol"`, `"next_page_token": ""`},
		},
		{name: "both subject kinds", args: []string{"--subject-id", "a", "--subject-set", "G:x#m"}, wantCode: 1},
		{name: "subject set needs a namespace", args: []string{"--subject-set", "alice"}, wantCode: 1},
		{name: "bad format", args: []string{"--format", "yaml"}, wantCode: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t, reply)
			args := append([]string{"relation-tuples", "get", "--read-url", api.URL}, tc.args...)
			out, errOut, code := runCLI(t, "", args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.wantCode, out, errOut)
			}
			reqs := api.requests()
			if len(reqs) != len(tc.wantQuery) {
				t.Fatalf("%d requests, want %d", len(reqs), len(tc.wantQuery))
			}
			for i, r := range reqs {
				if got := r.Query.Encode(); got != tc.wantQuery[i] {
					t.Errorf("request %d query %q, want %q", i, got, tc.wantQuery[i])
				}
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.notOut {
				if strings.Contains(out, w) {
					t.Errorf("stdout has %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestRelationTuplesParse(t *testing.T) {
	good := writeFile(t, "good.txt", "# c\nDoc:a#viewers@alice\nDoc:a#viewers@(Group:eng#members)\n")
	out, errOut, code := runCLI(t, "", "relation-tuples", "parse", good)
	if code != 0 || !strings.Contains(out, "Doc        a       viewers   Group:eng#members") {
		t.Fatalf("table: %d\n%s%s", code, out, errOut)
	}
	out, _, code = runCLI(t, "", "relation-tuples", "parse", good, "--format", "json")
	var ts []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &ts) != nil || len(ts) != 2 || ts[0]["subject_id"] != "alice" {
		t.Fatalf("json: %d %s", code, out)
	}
	if set, _ := ts[1]["subject_set"].(map[string]any); set["relation"] != "members" {
		t.Fatalf("subject set: %v", ts[1])
	}
	out, errOut, code = runCLI(t, "Doc:a#viewers@alice\n\nDoc:a#@bob\n", "relation-tuples", "parse", "-")
	if code != 1 || !strings.Contains(errOut, "stdin:3: ") || out != "" {
		t.Fatalf("bad line: %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	_, errOut, code = runCLI(t, "", "relation-tuples", "parse", filepath.Join(t.TempDir(), "missing.txt"))
	if code != 1 || !strings.Contains(errOut, "no such file") {
		t.Fatalf("missing file: %d %s", code, errOut)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		status    int
		body      string
		wantQuery string
		wantOut   string
		wantErr   string
		wantCode  int
	}{
		{
			name: "allowed", args: []string{"alice", "view", "Doc", "plan"}, status: 200, body: `{"allowed":true}`,
			wantQuery: "namespace=Doc&object=plan&relation=view&subject_id=alice", wantOut: "Allowed\n",
		},
		{
			name: "denied exits 0", args: []string{"mallory", "view", "Doc", "plan"}, status: 200, body: `{"allowed":false}`,
			wantQuery: "namespace=Doc&object=plan&relation=view&subject_id=mallory", wantOut: "Denied\n",
		},
		{
			name: "subject set and max depth, json", args: []string{"Group:eng#members", "view", "Folder", "root", "--max-depth", "3", "--format", "json"},
			status: 200, body: `{"allowed":true}`,
			wantQuery: "max-depth=3&namespace=Folder&object=root&relation=view&subject_set.namespace=Group&subject_set.object=eng&subject_set.relation=members",
			wantOut:   "{\n  \"allowed\": true\n}\n",
		},
		{
			name: "unknown namespace", args: []string{"alice", "view", "Nope", "x"}, status: 404, body: envelope404,
			wantQuery: "namespace=Nope&object=x&relation=view&subject_id=alice", wantCode: 1,
			wantErr: `warden: the server answered 404 Not Found: unknown namespace "Nope"`,
		},
		{
			name: "not the envelope", args: []string{"alice", "view", "Doc", "x"}, status: 502, body: "upstream down",
			wantQuery: "namespace=Doc&object=x&relation=view&subject_id=alice", wantCode: 1,
			wantErr: "502 Bad Gateway: upstream down",
		},
		{name: "bad subject", args: []string{"(Group:eng", "view", "Doc", "x"}, wantCode: 1, wantErr: "subject"},
		{name: "too few arguments", args: []string{"alice", "view", "Doc"}, wantCode: 1, wantErr: "accepts 4 arg(s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t, func(int, request) (int, string) { return tc.status, tc.body })
			out, errOut, code := runCLI(t, "", append([]string{"check", "--read-url", api.URL}, tc.args...)...)
			if code != tc.wantCode || out != tc.wantOut || !strings.Contains(errOut, tc.wantErr) {
				t.Fatalf("exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", code, tc.wantCode, out, tc.wantOut, errOut, tc.wantErr)
			}
			reqs := api.requests()
			if tc.wantQuery == "" {
				if len(reqs) != 0 {
					t.Fatalf("sent %d requests", len(reqs))
				}
				return
			}
			if len(reqs) != 1 || reqs[0].Method != "GET" || reqs[0].Path != "/relation-tuples/check/openapi" || reqs[0].Query.Encode() != tc.wantQuery {
				t.Fatalf("requests: %+v", reqs)
			}
		})
	}
}

const treeJSON = `{"type":"union","tuple":{"namespace":"Folder","object":"root","relation":"viewers","subject_set":{"namespace":"Folder","object":"root","relation":"viewers"}},` +
	`"children":[{"type":"union","tuple":{"namespace":"Folder","object":"root","relation":"viewers","subject_set":{"namespace":"Group","object":"eng","relation":"members"}},` +
	`"children":[{"type":"leaf","tuple":{"namespace":"Group","object":"eng","relation":"members","subject_id":"alice"}}]},` +
	`{"type":"leaf","tuple":{"namespace":"Folder","object":"root","relation":"viewers","subject_id":"bob"}}]}`

func TestExpand(t *testing.T) {
	api := newFakeAPI(t, func(int, request) (int, string) { return 200, treeJSON })
	out, errOut, code := runCLI(t, "", "expand", "viewers", "Folder", "root", "--read-url", api.URL, "--max-depth", "2")
	want := "Folder:root#viewers (union)\n  Group:eng#members (union)\n    alice\n  bob\n"
	if code != 0 || out != want {
		t.Fatalf("exit %d\n%s\nwant:\n%s\n%s", code, out, want, errOut)
	}
	r := api.requests()[0]
	if r.Path != "/relation-tuples/expand" || r.Query.Encode() != "max-depth=2&namespace=Folder&object=root&relation=viewers" {
		t.Fatalf("request: %+v", r)
	}
	out, _, code = runCLI(t, "", "expand", "viewers", "Folder", "root", "--read-url", api.URL, "--format", "json")
	var back, orig any
	_ = json.Unmarshal([]byte(treeJSON), &orig)
	if code != 0 || json.Unmarshal([]byte(out), &back) != nil || fmt.Sprint(back) != fmt.Sprint(orig) || !strings.Contains(out, "\n  \"children\"") {
		t.Fatalf("json: %d\n%s", code, out)
	}
}

func TestNamespaces(t *testing.T) {
	api := newFakeAPI(t, func(_ int, r request) (int, string) {
		if r.Path != "/namespaces" {
			return 404, envelope404
		}
		return 200, `{"namespaces":[{"name":"Doc"},{"name":"Group"}]}`
	})
	t.Setenv(envReadURL, api.URL) // no --read-url: the environment names the server
	out, errOut, code := runCLI(t, "", "namespaces", "list")
	if code != 0 || out != "NAME\nDoc\nGroup\n" {
		t.Fatalf("list: %d %q %s", code, out, errOut)
	}
	out, _, code = runCLI(t, "", "namespaces", "list", "--format", "json")
	if code != 0 || !strings.Contains(out, `"name": "Group"`) {
		t.Fatalf("list json: %d %s", code, out)
	}

	good := writeFile(t, "model.ts", `import { Namespace, Context } from "@ory/keto-namespace-types"
class User implements Namespace {}
class Doc implements Namespace {
  related: { owners: User[] }
  permits = { edit: (ctx: Context) => this.related.owners.includes(ctx.subject) }
}
`)
	out, errOut, code = runCLI(t, "", "namespaces", "validate", good)
	if code != 0 || !strings.Contains(out, "valid, 2 namespace(s): User, Doc") {
		t.Fatalf("valid: %d %s %s", code, out, errOut)
	}
	bad := writeFile(t, "bad.ts", "class Doc implements Namespace {\n  related: { owners: Person[] }\n  permits = { edit: (ctx) => this.related.editors.includes(ctx.subject) }\n}\n")
	out, errOut, code = runCLI(t, "", "namespaces", "validate", bad)
	for _, w := range []string{bad + `:2:22: unknown namespace "Person"`, bad + ":3:", "editors", "warden: " + bad + ": 2 error(s)"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	if code != 1 || out != "" {
		t.Fatalf("invalid: exit %d, stdout %q", code, out)
	}
	out, _, code = runCLI(t, "class A implements Namespace {\n  related: {\n", "namespaces", "validate", "-", "--format", "json")
	var rep struct {
		Valid  bool
		Errors []struct {
			Line    int
			Message string
		}
	}
	if code != 1 || json.Unmarshal([]byte(out), &rep) != nil || rep.Valid || len(rep.Errors) == 0 || rep.Errors[0].Line < 2 {
		t.Fatalf("json: %d %s", code, out)
	}
	if len(api.requests()) != 2 {
		t.Fatalf("validate must not call the server (%d requests)", len(api.requests()))
	}
}

func TestUnreachableServer(t *testing.T) {
	api := newFakeAPI(t, nil)
	dead := api.URL
	api.Close()
	_, errOut, code := runCLI(t, "", "check", "alice", "view", "Doc", "x", "--read-url", dead, "--timeout", "2s")
	if code != 1 || !strings.Contains(errOut, "cannot reach "+dead) || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("%d %q", code, errOut)
	}
}
