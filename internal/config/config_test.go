package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustLoad(t *testing.T, src Sources) *Config {
	t.Helper()
	if src.Env == nil {
		src.Env = envOf(nil)
	}
	c, err := Load(src)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func problemsOf(t *testing.T, src Sources) Problems {
	t.Helper()
	if src.Env == nil {
		src.Env = envOf(nil)
	}
	_, err := Load(src)
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("want Problems, got %v", err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	c := mustLoad(t, Sources{})
	if c.Serve.Public.Addr() != "127.0.0.1:4433" || c.Serve.Admin.Addr() != "127.0.0.1:4434" {
		t.Fatalf("addrs %s %s", c.Serve.Public.Addr(), c.Serve.Admin.Addr())
	}
	if c.DSN != "sqlite://warden-data/warden.db" {
		t.Fatalf("dsn %q", c.DSN)
	}
	if c.Serve.Public.BaseURL != "http://127.0.0.1:4433/" || c.Log.Format != "json" || c.Dev {
		t.Fatalf("unexpected defaults %+v", c)
	}
	if time.Duration(c.Serve.ShutdownTimeout) != 15*time.Second {
		t.Fatalf("shutdown timeout %v", c.Serve.ShutdownTimeout)
	}
	c = mustLoad(t, Sources{Env: envOf(map[string]string{"WARDEN_DATA_DIR": "/tmp/wd"})})
	if c.DSN != "sqlite:///tmp/wd/warden.db" {
		t.Fatalf("dsn from data dir %q", c.DSN)
	}
}

func TestExampleConfigFromTheIssue(t *testing.T) {
	c := mustLoad(t, Sources{Files: []string{"testdata/example.yaml"}})
	if c.DSN != "sqlite:///var/lib/warden/warden.db" || len(c.Secrets.System) != 1 {
		t.Fatalf("%+v", c)
	}
	var perm struct {
		Limit struct {
			MaxReadDepth int `json:"max_read_depth"`
		} `json:"limit"`
	}
	if err := c.Permission.Decode(&perm); err != nil || perm.Limit.MaxReadDepth != 7 {
		t.Fatalf("permission section: %v %+v", err, perm)
	}
	var oauth struct {
		URLs struct {
			Login string `json:"login"`
		} `json:"urls"`
		PKCE struct {
			Enforced bool `json:"enforced_for_public_clients"`
		} `json:"pkce"`
	}
	if err := c.OAuth2.Decode(&oauth); err != nil || oauth.URLs.Login != "http://app/login" || !oauth.PKCE.Enforced {
		t.Fatalf("oauth2 section: %v %+v", err, oauth)
	}
}

func TestPrecedenceFilesThenEnvThenSets(t *testing.T) {
	a := writeFile(t, "serve: { public: { port: 5000, host: 0.0.0.0 } }\nlog: { level: debug }\n")
	b := writeFile(t, "serve: { public: { port: 5001 } }\n")
	c := mustLoad(t, Sources{Files: []string{a, b}})
	if c.Serve.Public.Port != 5001 || c.Serve.Public.Host != "0.0.0.0" || c.Log.Level != "debug" {
		t.Fatalf("merge: %+v", c.Serve.Public)
	}
	c = mustLoad(t, Sources{Files: []string{a, b}, Env: envOf(map[string]string{
		"SERVE_PUBLIC_PORT": "6000", "LOG_LEVEL": "warn", "DSN": "memory",
		"SECRETS_SYSTEM":                                "first-secret-0123456789,second-secret-0123456789",
		"PERMISSION_NAMESPACES_LOCATION":                "file://./testdata/namespaces.ts",
		"IDENTITY_SELFSERVICE_METHODS_PASSWORD_ENABLED": "false",
	})})
	if c.Serve.Public.Port != 6000 || c.Log.Level != "warn" || c.DSN != "memory" {
		t.Fatalf("env: %+v %s", c.Serve.Public, c.Log.Level)
	}
	if len(c.Secrets.System) != 2 || c.Secrets.System[1] != "second-secret-0123456789" {
		t.Fatalf("secrets from env: %q", c.Secrets.System)
	}
	var id struct {
		Selfservice struct {
			Methods struct {
				Password struct {
					Enabled *bool `json:"enabled"`
				} `json:"password"`
			} `json:"methods"`
		} `json:"selfservice"`
	}
	if err := c.Identity.Decode(&id); err != nil || id.Selfservice.Methods.Password.Enabled == nil || *id.Selfservice.Methods.Password.Enabled {
		t.Fatalf("nested env key: %v", err)
	}
	c = mustLoad(t, Sources{Files: []string{a}, Env: envOf(map[string]string{"SERVE_PUBLIC_PORT": "6000"}),
		Sets: []string{"serve.public.port=7000"}, Dev: true})
	if c.Serve.Public.Port != 7000 || !c.Dev {
		t.Fatalf("sets: %+v dev=%v", c.Serve.Public, c.Dev)
	}
}

func TestEveryProblemIsReportedWithItsKey(t *testing.T) {
	f := writeFile(t, `
dsn: mysql://root@localhost/db
serve:
  public: { port: 70000, colour: blue }
  admin: { port: "abc" }
log: { level: loud }
secrets: { system: ["short"] }
identity: { not_a_kratos_key: 1, selfservice: { methods: { password: { enabled: "yes" } } } }
permission: { namespaces: { location: file:///does/not/exist.ts } }
tracing: {}
`)
	p := problemsOf(t, Sources{Files: []string{f}})
	want := []string{"serve.public.port", "serve.public.colour", "serve.admin.port", "log.level",
		"secrets.system.0", "identity.not_a_kratos_key", "identity.selfservice.methods.password.enabled", "tracing"}
	keys := map[string]string{}
	for _, pr := range p {
		keys[pr.Key] = pr.Message
	}
	for _, k := range want {
		if _, ok := keys[k]; !ok {
			t.Errorf("no problem reported for %s; got %v", k, p)
		}
	}
	if keys["tracing"] != "unknown key" {
		t.Errorf("tracing: %q", keys["tracing"])
	}
	// Semantic checks run only once the schema passes; they are covered below.
	if strings.Contains(p.Error(), "\n\tgoroutine") {
		t.Fatal("stack trace in message")
	}
}

func TestSemanticProblems(t *testing.T) {
	for name, tc := range map[string]struct {
		yaml, key, msg string
	}{
		"bad scheme":      {"dsn: mysql://root@x/db", "dsn", "unsupported database"},
		"not a url":       {"dsn: hello", "dsn", "must be memory"},
		"empty sqlite":    {"dsn: 'sqlite://'", "dsn", "needs a file path"},
		"pg without host": {"dsn: 'postgres:///db'", "dsn", "needs a host"},
		"same ports":      {"serve: { public: { port: 9000 }, admin: { port: 9000 } }", "serve.admin.port", "must differ"},
		"missing file":    {"permission: { namespaces: { location: file:///does/not/exist.ts } }", "permission.namespaces.location", "no such file"},
		"missing schema":  {"identity: { schemas: [ { id: x, url: file:///nope.json } ] }", "identity.schemas.0.url", "no such file"},
	} {
		t.Run(name, func(t *testing.T) {
			p := problemsOf(t, Sources{Files: []string{writeFile(t, tc.yaml)}})
			if len(p) != 1 || p[0].Key != tc.key || !strings.Contains(p[0].Message, tc.msg) {
				t.Fatalf("got %v", p)
			}
		})
	}
}

func TestFileProblems(t *testing.T) {
	p := problemsOf(t, Sources{Files: []string{"/does/not/exist.yaml", writeFile(t, "a: [1\n"), writeFile(t, "- 1\n- 2\n")}})
	if len(p) != 3 {
		t.Fatalf("want 3 problems, got %v", p)
	}
	msgs := p.Error()
	for _, s := range []string{"cannot read file", "not valid YAML", "must be a mapping"} {
		if !strings.Contains(msgs, s) {
			t.Errorf("missing %q in %s", s, msgs)
		}
	}
}

func TestEnvValueProblemNamesTheVariable(t *testing.T) {
	p := problemsOf(t, Sources{Env: envOf(map[string]string{"SERVE_ADMIN_PORT": "lots"})})
	if len(p) != 1 || p[0].Key != "serve.admin.port" || !strings.Contains(p[0].Message, "SERVE_ADMIN_PORT") {
		t.Fatalf("got %v", p)
	}
}

func TestSchemaDocument(t *testing.T) {
	b, err := Schema()
	if err != nil || !strings.Contains(string(b), `"oauth2"`) {
		t.Fatalf("schema: %v", err)
	}
	names := EnvKeys()
	for _, want := range []string{"DSN", "SERVE_PUBLIC_PORT", "SERVE_ADMIN_PORT", "LOG_LEVEL", "PERMISSION_NAMESPACES_LOCATION",
		"IDENTITY_DEFAULT_SCHEMA_ID", "OAUTH2_URLS_SELF_ISSUER", "PROXY_ACCESS_RULES_REPOSITORIES"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("env name %s not known", want)
		}
	}
}
