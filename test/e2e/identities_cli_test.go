package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The identities commands of the binary against a running server: create,
// list, get and delete, then bulk imports with refusals, duplicates, reruns
// and a resumed import.
func TestIdentitiesCLI(t *testing.T) { eachDB(t, testIdentitiesCLI) }

// runInput is run with stdin as the command's standard input.
func runInput(t *testing.T, dir string, env []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = baseEnv(env...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return o.String(), e.String(), code
}

func testIdentitiesCLI(t *testing.T, args ...string) {
	s := start(t, t.TempDir(), nil, append([]string{"--dev"}, args...)...)
	dir := t.TempDir()
	env := []string{"WARDEN_ADMIN_URL=" + s.admin, "WARDEN_IDENTITY_PASSWORD="}
	cliEnv := func(env []string, wantCode int, stdin string, args ...string) (string, string) {
		t.Helper()
		args = append([]string{"identities"}, args...)
		out, errOut, code := runInput(t, dir, env, stdin, args...)
		if code != wantCode {
			t.Fatalf("warden %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, out, errOut)
		}
		if strings.Contains(errOut, "goroutine ") {
			t.Fatalf("warden %s: stack trace\n%s", strings.Join(args, " "), errOut)
		}
		return out, errOut
	}
	cli := func(wantCode int, args ...string) (string, string) {
		t.Helper()
		return cliEnv(env, wantCode, "", args...)
	}
	// write creates name in dir, where the commands run, and returns name.
	write := func(name, content string) string {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return name
	}
	has := func(what, got string, wants ...string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(got, w) {
				t.Errorf("%s lacks %q:\n%s", what, w, got)
			}
		}
	}
	oneLine := func(what, errOut string, wants ...string) {
		t.Helper()
		if strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "warden: ") {
			t.Errorf("%s: want a one-line error, got:\n%s", what, errOut)
		}
		has(what, errOut, wants...)
	}
	type identity struct {
		ID             string                 `json:"id"`
		State          string                 `json:"state"`
		ExternalID     string                 `json:"external_id"`
		Traits         struct{ Email string } `json:"traits"`
		MetadataPublic map[string]any         `json:"metadata_public"`
		Credentials    map[string]struct {
			Identifiers []string       `json:"identifiers"`
			Config      map[string]any `json:"config"`
		} `json:"credentials"`
	}
	decode := func(what, out string, v any) {
		t.Helper()
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("%s: %v\n%s", what, err, out)
		}
	}
	listAll := func() []identity {
		t.Helper()
		out, _ := cli(0, "list", "--all", "--page-size", "1000", "--format", "json")
		var l []identity
		decode("list --all", out, &l)
		return l
	}
	find := func(identifier string) []identity {
		t.Helper()
		out, _ := cli(0, "list", "--identifier", identifier, "--format", "json")
		var l []identity
		decode("list --identifier", out, &l)
		return l
	}

	// create: from flags, with the password from the environment, from a
	// file with flags on top; refusals are one-line errors.
	out, _ := cli(0, "create", "--email", "ann@cli.test", "--password", "a long enough password",
		"--metadata-public", `{"plan":"pro"}`, "--external-id", "ext-ann", "--format", "json")
	var ann identity
	decode("create ann", out, &ann)
	if ann.ID == "" || ann.Traits.Email != "ann@cli.test" || ann.ExternalID != "ext-ann" || ann.MetadataPublic["plan"] != "pro" ||
		strings.Join(ann.Credentials["password"].Identifiers, ",") != "ann@cli.test" {
		t.Fatalf("create ann: %+v", ann)
	}
	out, _ = cliEnv(append(env, "WARDEN_IDENTITY_PASSWORD=another long password"), 0, "", "create", "--email", "bob@cli.test")
	has("create bob", out, "identifier", "bob@cli.test", "password (bob@cli.test)", "state", "active")
	bobID := strings.Fields(strings.SplitN(out, "\n", 2)[0])[1]
	carolFile := write("carol.json", `{"schema_id":"default","traits":{"email":"old@cli.test"},"state":"inactive"}`)
	out, _ = cli(0, "create", "--file", carolFile, "--email", "carol@cli.test")
	has("create carol", out, "carol@cli.test", "inactive")
	if strings.Contains(out, "old@cli.test") || strings.Contains(out, "password") {
		t.Errorf("create carol: the flag did not replace the file's email, or a password appeared:\n%s", out)
	}
	_, errOut := cli(1, "create", "--email", "not-an-email")
	oneLine("invalid email", errOut, "400 Bad Request", "traits.email")
	_, errOut = cli(1, "create", "--email", "ANN@cli.test")
	oneLine("duplicate", errOut, "409 Conflict")
	_, errOut = cli(1, "create", "--state", "active")
	oneLine("no traits", errOut, "needs traits")
	_, errOut = cli(1, "create", "--traits", "[1]")
	oneLine("traits not an object", errOut, "--traits must be a JSON object")

	// list: a table, JSON, pages, --all and --identifier.
	out, _ = cli(0, "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || strings.Join(strings.Fields(lines[0]), " ") != "ID SCHEMA STATE IDENTIFIER CREATED_AT" {
		t.Fatalf("list table:\n%s", out)
	}
	has("list table", out, ann.ID, "ann@cli.test", "bob@cli.test", "carol@cli.test", "inactive")
	if l := listAll(); len(l) != 3 {
		t.Fatalf("list --all: %d identities", len(l))
	}
	out, _ = cli(0, "list", "--page-size", "2")
	if strings.Count(out, "@cli.test") != 2 || !strings.Contains(out, "More identities: --page-token ") {
		t.Fatalf("one page of 2:\n%s", out)
	}
	out, errOut = cli(0, "list", "--page-size", "1", "--format", "json")
	var page []identity
	decode("list page json", out, &page)
	if len(page) != 1 || !strings.Contains(errOut, "--page-token ") {
		t.Fatalf("json page of 1: %d\n%s", len(page), errOut)
	}
	out, errOut = cli(0, "list", "--page-size", "1", "--all", "--format", "json")
	decode("list all json", out, &page)
	if len(page) != 3 || errOut != "" {
		t.Fatalf("--all by pages of 1: %d identities\n%s", len(page), errOut)
	}
	if l := find("bob@cli.test"); len(l) != 1 || l[0].ID != bobID {
		t.Fatalf("list --identifier bob: %+v", l)
	}

	// get: fields, credentials' config on request, several at once.
	out, _ = cli(0, "get", ann.ID)
	has("get ann", out, ann.ID, "ann@cli.test", "ext-ann", `{"plan":"pro"}`, "password (ann@cli.test)")
	if strings.Contains(out, "hashed_password") {
		t.Errorf("get without --include-credential shows the hash:\n%s", out)
	}
	out, _ = cli(0, "get", ann.ID, "--include-credential", "password", "--format", "json")
	var got identity
	decode("get --include-credential", out, &got)
	if h, _ := got.Credentials["password"].Config["hashed_password"].(string); !strings.HasPrefix(h, "$") {
		t.Fatalf("get --include-credential password: %+v", got.Credentials)
	}
	out, _ = cli(0, "get", ann.ID, bobID, "--format", "json")
	var two []identity
	decode("get two", out, &two)
	if len(two) != 2 || two[1].ID != bobID {
		t.Fatalf("get two: %+v", two)
	}
	_, errOut = cli(1, "get", "00000000-0000-0000-0000-000000000000")
	oneLine("get unknown", errOut, "404 Not Found")

	// delete: each id reported; an unknown one fails the command but not the others.
	out, errOut = cli(1, "delete", "00000000-0000-0000-0000-000000000000", bobID)
	if out != "Deleted identity "+bobID+"\n" {
		t.Errorf("delete stdout: %q", out)
	}
	has("delete stderr", errOut, "identity 00000000-0000-0000-0000-000000000000: ", "404", "1 of 2 identities failed")
	cli(1, "get", bobID)

	// import: 2,500 entries as JSON lines in batches of 1,000, with three
	// invalid entries, two duplicates within the file and one of an
	// existing identity, and a blank line that shifts the line numbers.
	var jl strings.Builder
	for k := 1; k <= 2500; k++ {
		e := map[string]any{"traits": map[string]any{"email": fmt.Sprintf("u%04d@import.test", k)}}
		switch k {
		case 10, 1500, 2400:
			e["traits"] = map[string]any{"email": fmt.Sprintf("invalid-%d", k)}
		case 20:
			e["traits"] = map[string]any{"email": "u0005@import.test"}
		case 2100:
			e["traits"] = map[string]any{"email": "u1999@import.test"}
		case 30:
			e["traits"] = map[string]any{"email": "ann@cli.test"}
		case 7:
			e["credentials"] = map[string]any{"password": map[string]any{"config": map[string]any{"password": "the seventh password"}}}
		}
		b, _ := json.Marshal(e)
		jl.Write(append(b, '\n'))
		if k == 100 {
			jl.WriteString("\n")
		}
	}
	users := write("users.jsonl", jl.String())
	_, errOut = cli(1, "import", users, "--batch-size", "1000")
	has("import", errOut,
		"users.jsonl: 2,500 entries (JSON lines)\n",
		"imported 1,000 of 2,500 (40%) — 2 already existed, 1 refused\n",
		"imported 2,000 of 2,500 (80%) — 2 already existed, 2 refused\n",
		"imported 2,500 of 2,500 (100%) — 3 already existed, 3 refused\n",
		"users.jsonl: entry 10 (line 10) refused: ", "invalid-10",
		"users.jsonl: entry 1500 (line 1501) refused: ", "invalid-1500",
		"users.jsonl: entry 2400 (line 2401) refused: ", "invalid-2400",
		"Imported users.jsonl: 2,500 entries: 2,494 created, 3 already existed, 3 refused.\n",
		"warden: 3 of 2,500 entries were refused\n")
	if n := strings.Count(errOut, " refused: "); n != 3 {
		t.Errorf("%d refusals listed, want 3:\n%s", n, errOut)
	}
	if n := strings.Count(errOut, "imported "); n != 3 {
		t.Errorf("%d progress lines, want 3 (one a batch):\n%s", n, errOut)
	}
	if l := listAll(); len(l) != 2+2494 {
		t.Fatalf("after the import: %d identities, want %d", len(l), 2+2494)
	}
	if l := find("u0007@import.test"); len(l) != 1 {
		t.Fatalf("u0007: %+v", l)
	} else if out, _ := cli(0, "get", l[0].ID); !strings.Contains(out, "password (u0007@import.test)") {
		t.Errorf("u0007 has no password:\n%s", out)
	}
	sum := func(p string) string {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		return hex.EncodeToString(h[:])
	}
	type state struct {
		SHA256                 string `json:"sha256"`
		Done, Created, Refused int
		Exists                 int
	}
	readState := func(p string) state {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		var st state
		decode("state file", string(b), &st)
		return st
	}
	if st := readState(users + ".progress"); st.SHA256 != sum(users) || st.Done != 2500 || st.Created != 2494 || st.Exists != 3 || st.Refused != 3 {
		t.Fatalf("state file: %+v", st)
	}
	// Again: the state says it is all done.
	_, errOut = cli(1, "import", users, "--batch-size", "1000")
	has("import again", errOut, "nothing to send", "3 of 2,500 entries were refused (3 of them by an earlier run)")
	if strings.Contains(errOut, "imported ") {
		t.Errorf("import again sent batches:\n%s", errOut)
	}
	// --restart sends everything again: all exist, nothing new.
	out, _ = cli(1, "import", users, "--batch-size", "1000", "--restart", "--format", "json")
	var sumUp struct {
		Entries, Sent, Created, Exists, Refused int
		ResumedAfter                            int `json:"resumed_after"`
		Refusals                                []struct{ Entry, Line int }
	}
	decode("restart summary", out, &sumUp)
	if sumUp.Entries != 2500 || sumUp.Sent != 2500 || sumUp.Created != 0 || sumUp.Exists != 3+2494 || sumUp.Refused != 3 ||
		len(sumUp.Refusals) != 3 || sumUp.Refusals[1].Entry != 1500 || sumUp.Refusals[1].Line != 1501 {
		t.Fatalf("import --restart: %+v", sumUp)
	}

	// Resume: the first 1,000 entries of a file are imported from standard
	// input (which keeps no state), then a state file saying 1,000 are done
	// makes the import of the file send only the other 1,500: none of them
	// exists yet, so any entry sent twice would show as existing.
	jl.Reset()
	for k := 1; k <= 2500; k++ {
		fmt.Fprintf(&jl, `{"traits":{"email":"r%04d@import.test"},"metadata_admin":{"k":%d}}`+"\n", k, k)
	}
	resume := write("resume.jsonl", jl.String())
	first := strings.Join(strings.SplitAfter(jl.String(), "\n")[:1000], "")
	_, errOut = cliEnv(env, 0, first, "import", "-", "--batch-size", "1000")
	has("import stdin", errOut, "imported 1,000\n", "Imported stdin: 1,000 entries: 1,000 created.\n")
	if _, err := os.Stat(filepath.Join(dir, resume+".progress")); err == nil {
		t.Fatal("a state file appeared for an import from standard input")
	}
	stateFile := write("resume.state", `{"sha256":"`+strings.Repeat("0", 64)+`","done":1000}`)
	_, errOut = cli(1, "import", resume, "--state-file", stateFile)
	has("import of a changed file", errOut, "has changed since the import recorded in", "--restart")
	if strings.Contains(errOut, "imported ") {
		t.Errorf("a changed file was imported:\n%s", errOut)
	}
	write("resume.state", `{"sha256":"`+sum(resume)+`","done":1000}`)
	out, errOut = cli(0, "import", resume, "--state-file", stateFile, "--batch-size", "1000", "--format", "json")
	has("resumed import", errOut, "resuming "+resume+" after entry 1,000 of 2,500 (state file "+stateFile+")\n",
		"imported 2,000 of 2,500 (80%)\n", "imported 2,500 of 2,500 (100%)\n")
	if strings.Contains(errOut, "imported 1,000") {
		t.Errorf("the resumed import sent the first batch again:\n%s", errOut)
	}
	decode("resume summary", out, &sumUp)
	if sumUp.ResumedAfter != 1000 || sumUp.Sent != 1500 || sumUp.Created != 1500 || sumUp.Exists != 0 || sumUp.Refused != 0 {
		t.Fatalf("resumed import: %+v", sumUp)
	}
	if st := readState(stateFile); st.Done != 2500 || st.SHA256 != sum(resume) {
		t.Fatalf("state after resuming: %+v", st)
	}
	if l := listAll(); len(l) != 2+2494+2500 {
		t.Fatalf("after the resumed import: %d identities, want %d", len(l), 2+2494+2500)
	}

	// Bad input: nothing is sent, and the error says where.
	bad := write("bad.json", "[\n  {\"traits\": {\"email\": \"m1@bad.test\"}},\n  {\"traits\": {\"email\": }}\n]\n")
	_, errOut = cli(1, "import", bad)
	oneLine("malformed entry", errOut, "bad.json: entry 2: malformed JSON at line 3")
	if l := find("m1@bad.test"); len(l) != 0 {
		t.Errorf("an entry of a malformed file was imported: %+v", l)
	}
	_, errOut = cli(1, "import", write("bad.jsonl", `{"traits":{"email":"m2@bad.test"}}`+"\n[1]\n"))
	oneLine("not an object", errOut, "bad.jsonl: entry 2 (line 2): not a JSON object")
	_, errOut = cli(1, "import", write("bad.csv", "email\nm3@bad.test\n"))
	oneLine("not JSON", errOut, "neither a JSON array")
	_, errOut = cli(1, "import", "missing.json")
	oneLine("missing file", errOut, "no such file")
	_, errOut = cli(1, "import", users, "--batch-size", "2001")
	oneLine("batch too big", errOut, "--batch-size must be from 1 to 2000")
	_, errOut = cliEnv(env, 1, "[]", "import", "-", "--state-file", stateFile)
	oneLine("state of stdin", errOut, "standard input cannot be resumed")
	_, errOut = cli(1, "import", write("one.json", `[{"traits":{"email":"m4@bad.test"}}]`), "--admin-url", s.public)
	has("wrong listener", errOut, "one.json: 1 entry (JSON array)\n", "warden: one.json: entries 1 to 1: the server answered 404 Not Found: ")
}
