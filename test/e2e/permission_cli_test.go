package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The permission commands of the binary against a running server.
func TestPermissionCLI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, args []string) {
		s, oplPath := startWithModel(t, sdkModel, args...)
		dir := t.TempDir()
		env := []string{"WARDEN_READ_URL=" + s.public, "WARDEN_WRITE_URL=" + s.admin}
		write := func(name, content string) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		cli := func(wantCode int, args ...string) (string, string) {
			t.Helper()
			out, errOut, code := run(t, dir, env, args...)
			if code != wantCode {
				t.Fatalf("warden %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, out, errOut)
			}
			if strings.Contains(errOut, "goroutine ") {
				t.Fatalf("warden %s: stack trace\n%s", strings.Join(args, " "), errOut)
			}
			return out, errOut
		}

		tuples := write("tuples.txt", "# who sees what\n"+strings.Join(sdkTuples, "\n")+"\n\nDoc:plan#owners@dave\n")
		out, _ := cli(0, "relation-tuples", "create", tuples)
		if !strings.Contains(out, "Created 8 relation tuple(s).") {
			t.Fatalf("create: %s", out)
		}

		out, _ = cli(0, "relation-tuples", "get", "--namespace", "Group", "--format", "json")
		var page struct {
			RelationTuples []json.RawMessage `json:"relation_tuples"`
			NextPageToken  string            `json:"next_page_token"`
		}
		if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.RelationTuples) != 3 || page.NextPageToken != "" {
			t.Fatalf("get json: %v\n%s", err, out)
		}
		out, _ = cli(0, "relation-tuples", "get", "--namespace", "Group", "--page-size", "2", "--all")
		for _, w := range []string{"NAMESPACE", "alice", "Group:leads#members", "carol"} {
			if !strings.Contains(out, w) {
				t.Fatalf("get --all lacks %q:\n%s", w, out)
			}
		}
		out, _ = cli(0, "relation-tuples", "get", "--namespace", "Group", "--page-size", "2")
		if strings.Count(out, "\nGroup ") != 2 || !strings.Contains(out, "--page-token ") {
			t.Fatalf("one page of 2:\n%s", out)
		}

		for _, tc := range []struct{ args, want string }{
			// First: the server caches allowed answers whatever the depth.
			{"carol view Doc plan --max-depth 1", "Denied\n"},
			{"alice view Doc plan", "Allowed\n"},
			{"carol view Doc plan", "Allowed\n"},
			{"dave view Doc plan", "Allowed\n"},
			{"alice edit Doc plan", "Denied\n"},
			{"mallory view Doc plan", "Denied\n"},
			{"Group:eng#members view Folder root", "Allowed\n"},
		} {
			if out, _ := cli(0, append([]string{"check"}, strings.Fields(tc.args)...)...); out != tc.want {
				t.Errorf("check %s: %q, want %q", tc.args, out, tc.want)
			}
		}
		out, _ = cli(0, "check", "erin", "view", "Doc", "memo", "--format", "json")
		if strings.Join(strings.Fields(out), "") != `{"allowed":true}` {
			t.Errorf("check json: %s", out)
		}

		out, _ = cli(0, "expand", "viewers", "Folder", "root")
		want := "Folder:root#viewers (union)\n  Group:eng#members (union)\n    Group:leads#members (union)\n      carol\n    alice\n"
		if out != want {
			t.Errorf("expand:\n%s\nwant:\n%s", out, want)
		}
		out, _ = cli(0, "expand", "viewers", "Folder", "root", "--format", "json")
		var tree struct {
			Type     string            `json:"type"`
			Children []json.RawMessage `json:"children"`
		}
		if json.Unmarshal([]byte(out), &tree) != nil || tree.Type != "union" || len(tree.Children) != 1 {
			t.Errorf("expand json: %s", out)
		}

		out, _ = cli(0, "relation-tuples", "delete", "-", "--format", "json")
		if !strings.Contains(out, `"count": 0`) {
			t.Errorf("delete of empty stdin: %s", out)
		}
		out, _ = cli(0, "relation-tuples", "delete", write("leave.txt", "Group:eng#members@alice\n"))
		if !strings.Contains(out, "Deleted 1 relation tuple(s).") {
			t.Fatalf("delete: %s", out)
		}
		if out, _ := cli(0, "check", "alice", "view", "Doc", "plan"); out != "Denied\n" {
			t.Errorf("after the delete alice: %s", out)
		}

		var big strings.Builder
		for i := range 1500 {
			fmt.Fprintf(&big, "Doc:d%04d#viewers@u%04d\n", i, i)
		}
		out, errOut := cli(0, "relation-tuples", "create", write("big.txt", big.String()))
		if !strings.Contains(out, "Created 1500") || !strings.Contains(errOut, "[1/2] created 1000") || !strings.Contains(errOut, "[2/2] created 500") {
			t.Fatalf("chunked create:\n%s\n%s", out, errOut)
		}
		if out, _ := cli(0, "check", "u1499", "view", "Doc", "d1499"); out != "Allowed\n" {
			t.Errorf("last bulk tuple: %s", out)
		}

		_, errOut = cli(1, "relation-tuples", "parse", write("bad.txt", "Doc:a#viewers@alice\n# fine\nDoc:a#viewers\nDoc:b#owners@(Group:x\n"))
		for _, w := range []string{"bad.txt:3: ", "bad.txt:4: ", "2 bad relation tuple(s)"} {
			if !strings.Contains(errOut, w) {
				t.Errorf("parse stderr lacks %q:\n%s", w, errOut)
			}
		}
		_, errOut = cli(1, "relation-tuples", "create", filepath.Join(dir, "bad.txt"))
		if !strings.Contains(errOut, "nothing was done") {
			t.Errorf("create with bad lines: %s", errOut)
		}

		out, _ = cli(0, "namespaces", "validate", oplPath)
		if !strings.Contains(out, "valid, 4 namespace(s)") {
			t.Errorf("validate: %s", out)
		}
		badOPL := write("bad.ts", "class Doc implements Namespace {\n  related: {\n    owners: Person[]\n  }\n}\n")
		_, errOut = cli(1, "namespaces", "validate", badOPL)
		if !strings.Contains(errOut, badOPL+`:3:13: unknown namespace "Person"`) {
			t.Errorf("validate errors:\n%s", errOut)
		}
		out, _ = cli(0, "namespaces", "list")
		if out != "NAME\nDoc\nFolder\nGroup\nUser\n" {
			t.Errorf("namespaces list: %q", out)
		}

		_, errOut = cli(1, "check", "alice", "view", "Nope", "x")
		if !strings.Contains(errOut, `404 Not Found: unknown namespace "Nope"`) {
			t.Errorf("unknown namespace: %s", errOut)
		}
		_, errOut = cli(1, "relation-tuples", "create", write("nope.txt", "Nope:x#y@z\n"))
		if !strings.Contains(errOut, "unknown namespace") {
			t.Errorf("write to an unknown namespace: %s", errOut)
		}
		// Writes go to the admin listener only.
		_, errOut = cli(1, "relation-tuples", "create", tuples, "--write-url", s.public)
		if !strings.Contains(errOut, "404") {
			t.Errorf("write to the public listener: %s", errOut)
		}
	})
}
