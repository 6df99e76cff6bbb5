package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/warden-iam/warden/internal/app"
	"github.com/warden-iam/warden/internal/config"
)

// adminServer runs Warden's admin API in process over a fresh SQLite
// database and returns its URL.
func adminServer(t *testing.T) string {
	t.Helper()
	cfg, err := config.Load(config.Sources{
		Env:  func(string) (string, bool) { return "", false },
		Sets: []string{"dsn=sqlite://" + filepath.Join(t.TempDir(), "w.db")},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), app.Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	srv := httptest.NewServer(a.Admin)
	t.Cleanup(srv.Close)
	return srv.URL
}

// mustRun runs the command line and fails the test unless it exits want.
func mustRun(t *testing.T, want int, stdin string, args ...string) (string, string) {
	t.Helper()
	out, errOut, code := runCLI(t, stdin, args...)
	if code != want {
		t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errOut)
	}
	if strings.Contains(errOut, "goroutine") {
		t.Fatalf("stack trace on stderr:\n%s", errOut)
	}
	return out, errOut
}

func contains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

func getClientJSON(t *testing.T, admin, id string) map[string]any {
	t.Helper()
	out, _ := mustRun(t, 0, "", "clients", "get", id, "--admin-url", admin, "--format", "json")
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("get %s: %v\n%s", id, err, out)
	}
	return m
}

func jsonEq(t *testing.T, m map[string]any, field string, want any) {
	t.Helper()
	g, _ := json.Marshal(m[field])
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s = %s, want %s", field, g, w)
	}
}

func TestClientsEndToEnd(t *testing.T) {
	admin := adminServer(t)
	adm := []string{"--admin-url", admin}

	// create from flags
	out, errOut := mustRun(t, 0, "", append([]string{"clients", "create", "--id", "web", "--name", "Web app",
		"--redirect-uri", "https://app.example/cb", "--redirect-uri", "http://localhost:8080/cb",
		"--grant-type", "authorization_code", "--grant-type", "refresh_token", "--response-type", "code",
		"--scope", "openid offline", "--scope", "email", "--audience", "https://api.example",
		"--token-endpoint-auth-method", "client_secret_post", "--post-logout-redirect-uri", "https://app.example/bye",
		"--backchannel-logout-uri", "https://app.example/bc", "--frontchannel-logout-uri", "https://app.example/fc",
		"--skip-consent", "--access-token-strategy", "jwt", "--owner", "alice", "--metadata", `{"team":"eng"}`}, adm...)...)
	contains(t, "create stdout", out, "ID", "NAME", "SECRET", "web", "Web app", "authorization_code,refresh_token", "openid offline email")
	contains(t, "create stderr", errOut, "secret of client web is shown only this once")
	if m := regexp.MustCompile(`(?m)^web .* (\S+)\s*$`).FindStringSubmatch(out); m == nil || len(m[1]) < 16 {
		t.Fatalf("no generated secret in the table:\n%s", out)
	}

	// create from a JSON file on stdin, a flag overriding it; json output is the server's
	out, _ = mustRun(t, 0, `{"client_id":"svc","client_name":"Service","grant_types":["client_credentials"],"scope":"read","owner":"carol"}`,
		append([]string{"clients", "create", "--file", "-", "--owner", "bob", "--format", "json"}, adm...)...)
	var svc map[string]any
	if err := json.Unmarshal([]byte(out), &svc); err != nil {
		t.Fatalf("create json: %v\n%s", err, out)
	}
	if svc["client_id"] != "svc" || svc["owner"] != "bob" || svc["client_name"] != "Service" || svc["client_secret"] == "" || svc["created_at"] == nil {
		t.Fatalf("create json: %s", out)
	}

	before := getClientJSON(t, admin, "web")
	jsonEq(t, before, "scope", "openid offline email")
	jsonEq(t, before, "metadata", map[string]any{"team": "eng"})
	jsonEq(t, before, "skip_consent", true)
	if _, ok := before["client_secret"]; ok {
		t.Fatal("get shows a secret")
	}

	// update: only the flags given change
	out, errOut = mustRun(t, 0, "", append([]string{"clients", "update", "web", "--name", "Web app 2", "--scope", "openid",
		"--audience", "", "--skip-consent=false"}, adm...)...)
	contains(t, "update stdout", out, "Web app 2")
	if strings.Contains(out, "SECRET") || errOut != "" {
		t.Fatalf("update revealed a secret:\n%s%s", out, errOut)
	}
	after := getClientJSON(t, admin, "web")
	jsonEq(t, after, "client_name", "Web app 2")
	jsonEq(t, after, "scope", "openid")
	jsonEq(t, after, "audience", []string{})
	jsonEq(t, after, "skip_consent", false)
	for _, k := range []string{"redirect_uris", "grant_types", "response_types", "token_endpoint_auth_method", "post_logout_redirect_uris",
		"backchannel_logout_uri", "frontchannel_logout_uri", "access_token_strategy", "owner", "metadata", "created_at"} {
		jsonEq(t, after, k, before[k])
	}
	if after["updated_at"] == before["updated_at"] {
		t.Error("updated_at did not move")
	}
	mustRun(t, 0, `{"logo_uri":"https://app.example/logo.png"}`, append([]string{"clients", "update", "web", "--file", "-"}, adm...)...)
	if m := getClientJSON(t, admin, "web"); m["logo_uri"] != "https://app.example/logo.png" || m["client_name"] != "Web app 2" || m["owner"] != "alice" {
		t.Fatalf("update --file: %v", m)
	}
	_, errOut = mustRun(t, 1, "", append([]string{"clients", "update", "web"}, adm...)...)
	contains(t, "empty update", errOut, "nothing to change")
	_, errOut = mustRun(t, 1, "", append([]string{"clients", "update", "nope", "--name", "x"}, adm...)...)
	contains(t, "update unknown", errOut, "404 Not Found", `"nope" does not exist`)

	// list: a page of one shows the next token; following it ends the list
	out, _ = mustRun(t, 0, "", append([]string{"clients", "list", "--page-size", "1"}, adm...)...)
	contains(t, "list page 1", out, "ID", "NAME", "GRANT_TYPES", "svc", "client_credentials", "More clients: --page-token ")
	if strings.Contains(out, "web") {
		t.Fatalf("page 1 holds web:\n%s", out)
	}
	token := regexp.MustCompile(`--page-token (\S+)`).FindStringSubmatch(out)[1]
	out, _ = mustRun(t, 0, "", append([]string{"clients", "list", "--page-size", "1", "--page-token", token}, adm...)...)
	contains(t, "list page 2", out, "web", "Web app 2")
	if strings.Contains(out, "svc") || strings.Contains(out, "More clients") {
		t.Fatalf("page 2:\n%s", out)
	}
	out, _ = mustRun(t, 0, "", append([]string{"clients", "list", "--page-size", "1", "--format", "json"}, adm...)...)
	var page struct {
		Clients []map[string]any `json:"clients"`
		Next    string           `json:"next_page_token"`
	}
	if json.Unmarshal([]byte(out), &page) != nil || len(page.Clients) != 1 || page.Next != token {
		t.Fatalf("list json: %s", out)
	}
	out, _ = mustRun(t, 0, "", append([]string{"clients", "list", "--owner", "alice"}, adm...)...)
	if !strings.Contains(out, "web") || strings.Contains(out, "svc") {
		t.Fatalf("list --owner:\n%s", out)
	}

	// get several: one unknown id is reported, the others still shown
	out, errOut = mustRun(t, 1, "", append([]string{"clients", "get", "web", "nope", "svc"}, adm...)...)
	contains(t, "get stdout", out, "web", "svc")
	contains(t, "get stderr", errOut, "client nope: the server answered 404", "1 of 3 clients failed: nope")

	// delete, then get fails
	out, _ = mustRun(t, 0, "", append([]string{"clients", "delete", "web", "svc"}, adm...)...)
	contains(t, "delete", out, "Deleted OAuth2 client web", "Deleted OAuth2 client svc")
	_, errOut = mustRun(t, 1, "", append([]string{"clients", "get", "web"}, adm...)...)
	if errOut != "warden: the server answered 404 Not Found: The OAuth2 client \"web\" does not exist.\n" {
		t.Fatalf("get after delete: %q", errOut)
	}
	out, _ = mustRun(t, 0, "", append([]string{"clients", "list", "--format", "json"}, adm...)...)
	if !strings.Contains(out, `"clients": []`) {
		t.Fatalf("list after delete: %s", out)
	}
}

func TestClientsBadInput(t *testing.T) {
	admin := adminServer(t)
	for _, tc := range []struct {
		name    string
		stdin   string
		args    []string
		wantErr string
	}{
		{"server refuses a field", "", []string{"clients", "create", "--redirect-uri", "http://evil.example/cb"},
			`the server answered 400 Bad Request: redirect_uris[0] "http://evil.example/cb" must use https`},
		{"metadata not an object", "", []string{"clients", "create", "--metadata", "[1]"}, "--metadata must be a JSON object"},
		{"file not an object", "[]", []string{"clients", "create", "--file", "-"}, "stdin: not a JSON client object"},
		{"missing file", "", []string{"clients", "create", "--file", filepath.Join(t.TempDir(), "none.json")}, "no such file"},
		{"get without id", "", []string{"clients", "get"}, "wrong number of arguments (0); usage: warden clients get ID..."},
		{"update two ids", "", []string{"clients", "update", "a", "b", "--name", "x"}, "usage: warden clients update ID"},
		{"bad page size", "", []string{"clients", "list", "--page-size", "-2"}, "--page-size must be at least 1"},
		{"bad format", "", []string{"clients", "list", "--format", "yaml"}, "--format must be table or json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut := mustRun(t, 1, tc.stdin, append(tc.args, "--admin-url", admin)...)
			contains(t, "stderr", errOut, tc.wantErr)
			if strings.Count(errOut, "\n") != 1 {
				t.Errorf("want one line:\n%s", errOut)
			}
		})
	}
	out, _ := mustRun(t, 0, "", "clients", "list", "--admin-url", admin, "--format", "json")
	if !strings.Contains(out, `"clients": []`) {
		t.Fatalf("bad input created a client: %s", out)
	}
}

// keyRows returns the KID ALG USE rows of a keys table.
func keyRows(t *testing.T, out string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || strings.Join(strings.Fields(lines[0]), " ") != "KID ALG USE" {
		t.Fatalf("not a keys table:\n%s", out)
	}
	var rows []string
	for _, l := range lines[1:] {
		rows = append(rows, strings.Join(strings.Fields(l), " "))
	}
	return rows
}

func noPrivateParts(t *testing.T, out string) {
	t.Helper()
	var ks struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal([]byte(out), &ks); err != nil || len(ks.Keys) == 0 {
		t.Fatalf("not a key set: %v\n%s", err, out)
	}
	for _, k := range ks.Keys {
		for _, m := range privateMembers {
			if _, ok := k[m]; ok {
				t.Fatalf("key %v shows private member %q", k["kid"], m)
			}
		}
	}
}

func TestKeysEndToEnd(t *testing.T) {
	admin := adminServer(t)
	t.Setenv(envAdminURL, admin) // no --admin-url: the environment names the server

	out, _ := mustRun(t, 0, "", "keys", "create", "app", "--alg", "ES256", "--kid", "k1")
	if rows := keyRows(t, out); len(rows) != 1 || rows[0] != "k1 ES256 sig" {
		t.Fatalf("create: %q", rows)
	}
	out, _ = mustRun(t, 0, "", "keys", "create", "app", "--alg", "RS256", "--kid", "k2", "--format", "json")
	noPrivateParts(t, out)
	contains(t, "create json", out, `"kid": "k2"`, `"n": `)

	// rotate: the new key takes the newest key's alg and goes last; old keys stay
	out, errOut := mustRun(t, 0, "", "keys", "rotate", "app", "--kid", "k3")
	if rows := keyRows(t, out); strings.Join(rows, "|") != "k1 ES256 sig|k2 RS256 sig|k3 RS256 sig" {
		t.Fatalf("rotate: %q", rows)
	}
	contains(t, "rotate stderr", errOut, "Added key k3 (RS256) to set app; the 2 older key(s) stay")
	mustRun(t, 0, "", "keys", "rotate", "app", "--alg", "EdDSA", "--kid", "k4")
	out, _ = mustRun(t, 0, "", "keys", "rotate", "app", "--format", "json")
	noPrivateParts(t, out)
	contains(t, "rotate json", out, `"alg": "EdDSA"`)

	out, _ = mustRun(t, 0, "", "keys", "list", "app")
	rows := keyRows(t, out)
	if len(rows) != 5 || strings.Join(rows[:4], "|") != "k1 ES256 sig|k2 RS256 sig|k3 RS256 sig|k4 EdDSA sig" || !strings.HasSuffix(rows[4], " EdDSA sig") {
		t.Fatalf("list: %q", rows)
	}
	out, _ = mustRun(t, 0, "", "keys", "list", "app", "--format", "json")
	noPrivateParts(t, out)

	// symmetric keys never show their material
	out, _ = mustRun(t, 0, "", "keys", "create", "shared", "--alg", "HS256", "--use", "sig", "--format", "json")
	noPrivateParts(t, out)
	contains(t, "hs256", out, `"alg": "HS256"`)

	// errors
	_, errOut = mustRun(t, 1, "", "keys", "create", "app", "--alg", "RS1024")
	contains(t, "bad alg", errOut, "the server answered 400 Bad Request", `alg "RS1024" is not supported`)
	_, errOut = mustRun(t, 1, "", "keys", "create", "app")
	contains(t, "no alg", errOut, `required flag(s) "alg" not set`)
	_, errOut = mustRun(t, 1, "", "keys", "rotate", "nope")
	contains(t, "rotate unknown", errOut, "404 Not Found", "warden keys create nope --alg")
	_, errOut = mustRun(t, 1, "", "keys", "create", "app", "--alg", "ES256", "--kid", "k1")
	contains(t, "duplicate kid", errOut, "409 Conflict")

	// delete one key, then the set
	out, _ = mustRun(t, 0, "", "keys", "delete", "app", "k1")
	contains(t, "delete key", out, "Deleted key k1 of set app")
	out, _ = mustRun(t, 0, "", "keys", "list", "app")
	if rows := keyRows(t, out); len(rows) != 4 || rows[0] != "k2 RS256 sig" {
		t.Fatalf("after delete: %q", rows)
	}
	mustRun(t, 0, "", "keys", "delete", "app")
	_, errOut = mustRun(t, 1, "", "keys", "list", "app")
	contains(t, "list deleted", errOut, `the server answered 404 Not Found: The JSON Web Key Set "app" does not exist.`)
}

// formStub is a token endpoint stand-in: it records each request and answers
// with the canned status and body.
type formStub struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
	form []url.Values
}

func newFormStub(t *testing.T, status int, body string) *formStub {
	t.Helper()
	s := &formStub{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(b))
		if err != nil {
			t.Errorf("the body is not a form: %q", b)
		}
		s.mu.Lock()
		s.reqs, s.form = append(s.reqs, r), append(s.form, form)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

// only returns the one request the stub got.
func (s *formStub) only(t *testing.T) (*http.Request, url.Values) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(s.reqs))
	}
	return s.reqs[0], s.form[0]
}

func (s *formStub) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

const tokenAnswer = `{"access_token":"ory_at_abc.def","token_type":"bearer","expires_in":3599,"scope":"read write"}`

func TestTokenClientCredentials(t *testing.T) {
	t.Run("basic auth is form-encoded", func(t *testing.T) {
		s := newFormStub(t, 200, tokenAnswer)
		out, errOut := mustRun(t, 0, "", "token", "client-credentials", "--public-url", s.URL+"/",
			"--client-id", "my app:1", "--client-secret", "s3cr&t/+ü", "--scope", "read write", "--scope", " email ",
			"--audience", "https://api.example", "--audience", "urn:x")
		if out != "ory_at_abc.def\n" {
			t.Fatalf("stdout %q", out)
		}
		contains(t, "stderr", errOut, "token type bearer", "expires in 59m59s", "scope: read write")
		r, form := s.only(t)
		if r.Method != "POST" || r.URL.Path != "/oauth2/token" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Fatalf("request %s %s (%s)", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte("my+app%3A1:s3cr%26t%2F%2B%C3%BC"))
		if got := r.Header.Get("Authorization"); got != want {
			t.Fatalf("Authorization %q, want %q", got, want)
		}
		wantForm := url.Values{"grant_type": {"client_credentials"}, "scope": {"read write email"}, "audience": {"https://api.example", "urn:x"}}
		if form.Encode() != wantForm.Encode() {
			t.Fatalf("form %q, want %q", form.Encode(), wantForm.Encode())
		}
	})
	t.Run("post auth, secret from the environment, json", func(t *testing.T) {
		s := newFormStub(t, 200, tokenAnswer)
		t.Setenv(envPublicURL, s.URL)
		t.Setenv(envClientSecret, "env-secret")
		out, _ := mustRun(t, 0, "", "token", "client-credentials", "--client-id", "svc", "--auth-method", "client_secret_post", "--format", "json")
		var m map[string]any
		if json.Unmarshal([]byte(out), &m) != nil || m["access_token"] != "ory_at_abc.def" || m["expires_in"] != 3599.0 {
			t.Fatalf("json: %s", out)
		}
		r, form := s.only(t)
		if r.Header.Get("Authorization") != "" {
			t.Fatal("client_secret_post sent an Authorization header")
		}
		wantForm := url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc"}, "client_secret": {"env-secret"}}
		if form.Encode() != wantForm.Encode() {
			t.Fatalf("form %q", form.Encode())
		}
	})
	t.Run("an OAuth2 error answer", func(t *testing.T) {
		s := newFormStub(t, 401, `{"error":"invalid_client","error_description":"Client authentication failed."}`)
		out, errOut := mustRun(t, 1, "", "token", "client-credentials", "--public-url", s.URL, "--client-id", "svc", "--client-secret", "wrong-secret")
		if out != "" || errOut != "warden: the server answered 401 Unauthorized: invalid_client: Client authentication failed.\n" {
			t.Fatalf("stdout %q stderr %q", out, errOut)
		}
		s = newFormStub(t, 400, `{"error":"invalid_scope"}`)
		_, errOut = mustRun(t, 1, "", "token", "client-credentials", "--public-url", s.URL, "--client-id", "svc", "--client-secret", "x", "--scope", "admin")
		contains(t, "stderr", errOut, "400 Bad Request: invalid_scope\n")
	})
	t.Run("an answer without a token", func(t *testing.T) {
		s := newFormStub(t, 200, `{"token_type":"bearer"}`)
		_, errOut := mustRun(t, 1, "", "token", "client-credentials", "--public-url", s.URL, "--client-id", "svc", "--client-secret", "x")
		contains(t, "stderr", errOut, "holds no access_token")
	})
	t.Run("usage errors send nothing", func(t *testing.T) {
		s := newFormStub(t, 200, tokenAnswer)
		t.Setenv(envClientSecret, "")
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--client-secret", "x"}, `required flag(s) "client-id" not set`},
			{[]string{"--client-id", "svc"}, "--client-secret is required (or set " + envClientSecret + ")"},
			{[]string{"--client-id", "svc", "--client-secret", "x", "--auth-method", "private_key_jwt"}, "--auth-method must be"},
			{[]string{"--client-id", "svc", "--client-secret", "x", "extra"}, "usage: warden token client-credentials"},
		} {
			_, errOut := mustRun(t, 1, "", append([]string{"token", "client-credentials", "--public-url", s.URL}, tc.args...)...)
			contains(t, "stderr", errOut, tc.want)
		}
		if n := s.count(); n != 0 {
			t.Fatalf("%d requests sent", n)
		}
	})
}

func TestTokenIntrospect(t *testing.T) {
	active := `{"active":true,"sub":"svc","client_id":"svc","scope":"read write","exp":1767225600,"iat":1767222000,` +
		`"aud":["https://api.example"],"iss":"http://127.0.0.1:4433/","token_type":"Bearer","token_use":"access_token","ext":{"team":"eng"},"zz":7}`
	s := newFormStub(t, 200, active)
	out, _ := mustRun(t, 0, "ory_at_abc.def\n", "token", "introspect", "-", "--admin-url", s.URL, "--scope", "read")
	r, form := s.only(t)
	if r.Method != "POST" || r.URL.Path != "/admin/oauth2/introspect" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" ||
		form.Encode() != "scope=read&token=ory_at_abc.def" || r.Header.Get("Authorization") != "" {
		t.Fatalf("request %s %s %q", r.Method, r.URL.Path, form.Encode())
	}
	var rows []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		rows = append(rows, strings.Join(strings.Fields(l), " "))
	}
	want := []string{"active true", "sub svc", "client_id svc", "scope read write", "token_type Bearer", "token_use access_token",
		"aud https://api.example", "iss http://127.0.0.1:4433/", "exp 2026-01-01T00:00:00Z", "iat 2025-12-31T23:00:00Z", `ext {"team":"eng"}`, "zz 7"}
	got := strings.Join(rows, "|")
	if got != strings.Join(want, "|") && got != strings.Replace(strings.Join(want, "|"), "00:00Z|", "00:00Z (expired)|", 1) {
		t.Fatalf("table:\n%s", out)
	}

	s = newFormStub(t, 200, `{"active":false}`)
	out, _ = mustRun(t, 0, "", "token", "introspect", "opaque-token", "--admin-url", s.URL)
	if strings.Join(strings.Fields(out), " ") != "active false" {
		t.Fatalf("inactive: %q", out)
	}
	if _, form := s.only(t); form.Encode() != "token=opaque-token" {
		t.Fatalf("form %q", form.Encode())
	}
	out, _ = mustRun(t, 0, "", "token", "introspect", "t", "--admin-url", s.URL, "--format", "json")
	if out != "{\n  \"active\": false\n}\n" {
		t.Fatalf("json: %q", out)
	}

	s = newFormStub(t, 500, `{"error":{"code":500,"status":"Internal Server Error","message":"The server failed."}}`)
	_, errOut := mustRun(t, 1, "", "token", "introspect", "t", "--admin-url", s.URL)
	contains(t, "stderr", errOut, "the server answered 500 Internal Server Error: The server failed.")
	_, errOut = mustRun(t, 1, "  \n", "token", "introspect", "-", "--admin-url", s.URL)
	contains(t, "stderr", errOut, "the token is empty")
}

func TestOAuth2UnreachableServer(t *testing.T) {
	s := newFormStub(t, 200, "{}")
	dead := s.URL
	s.Close()
	for _, args := range [][]string{
		{"clients", "list", "--admin-url", dead},
		{"keys", "list", "app", "--admin-url", dead},
		{"token", "client-credentials", "--client-id", "a", "--client-secret", "b", "--public-url", dead},
	} {
		_, errOut := mustRun(t, 1, "", append(args, "--timeout", "2s")...)
		contains(t, "stderr", errOut, "cannot reach "+dead, "connection refused (is the server running and listening there?)")
		if strings.Count(errOut, "\n") != 1 {
			t.Errorf("want one line: %q", errOut)
		}
	}
}
