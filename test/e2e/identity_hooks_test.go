package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	ory "github.com/ory/client-go"
)

// Web hooks after registration (parsed: may refuse or enrich before the
// identity is stored) and after login (may refuse), with a Jsonnet body.
func TestIdentityWebHooks(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []map[string]any
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		seen = append(seen, map[string]any{"path": r.URL.Path, "body": m, "key": r.Header.Get("X-Hook-Key")})
		mu.Unlock()
		email, _ := m["email"].(string)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasPrefix(email, "blocked"):
			w.WriteHeader(http.StatusConflict)
			_, _ = io.WriteString(w, `{"messages":[{"instance_ptr":"#/traits/email","messages":[{"id":4000099,"text":"This address is on a block list.","type":"error"}]}]}`)
		case r.URL.Path == "/login" && strings.HasPrefix(email, "banned"):
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"messages":[{"messages":[{"id":4000098,"text":"Banned.","type":"error"}]}]}`)
		case r.URL.Path == "/registration":
			_, _ = io.WriteString(w, `{"identity":{"metadata_public":{"crm_id":"c-42"}}}`)
		}
	}))
	defer hook.Close()
	body := base64.StdEncoding.EncodeToString([]byte(`function(ctx) { email: ctx.identity.traits.email, method: ctx.request_method }`))
	cfg := `identity:
  clients:
    http:
      disallow_private_ip_ranges: false
  selfservice:
    flows:
      registration:
        after:
          password:
            hooks:
              - hook: web_hook
                config: {url: "` + hook.URL + `/registration", method: POST, body: "base64://` + body + `", can_interrupt: true,
                         response: {parse: true}, auth: {type: api_key, config: {name: X-Hook-Key, value: s3cret, in: header}}}
              - hook: session
      login:
        after:
          hooks:
            - hook: web_hook
              config: {url: "` + hook.URL + `/login", method: POST, body: "base64://` + body + `", can_interrupt: true}
`
	dir := t.TempDir()
	file := filepath.Join(dir, "hooks.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e := startIdentity(t, "--config", file)
	ctx := context.Background()

	reg := e.register(t, "ann@example.com", "anns long passphrase")
	if reg.Session == nil {
		t.Fatal("the session hook did not sign in")
	}
	id, _, err := e.admin.GetIdentity(ctx, reg.Identity.Id).Execute()
	if err != nil || id.MetadataPublic["crm_id"] != "c-42" {
		t.Fatalf("the hook's answer did not enrich the identity: %v %v", id.MetadataPublic, err)
	}
	mu.Lock()
	first := seen[0]
	mu.Unlock()
	if first["key"] != "s3cret" || first["body"].(map[string]any)["email"] != "ann@example.com" {
		t.Fatalf("hook request: %v", first)
	}

	f, _, _ := e.frontend.CreateNativeRegistrationFlow(ctx).Execute()
	b := ory.UpdateRegistrationFlowWithPasswordMethodAsUpdateRegistrationFlowBody(&ory.UpdateRegistrationFlowWithPasswordMethod{
		Method: "password", Password: "blocked long passphrase", Traits: map[string]any{"email": "blocked@example.com"}})
	_, _, err = e.frontend.UpdateRegistrationFlow(ctx).Flow(f.Id).UpdateRegistrationFlowBody(b).Execute()
	if ids := messageIDs(apiBody(t, err)); !has(ids, "traits.email:4000099") {
		t.Fatalf("refusing hook: %v", ids)
	}
	if l, _, _ := e.admin.ListIdentities(ctx).CredentialsIdentifier("blocked@example.com").Execute(); len(l) != 0 {
		t.Fatal("a refused registration stored the identity")
	}

	if _, err := e.login(ctx, "ann@example.com", "anns long passphrase"); err != nil {
		t.Fatalf("login: %s", bodyOf(err))
	}
	e.register(t, "banned@example.com", "banned long passphrase")
	_, err = e.login(ctx, "banned@example.com", "banned long passphrase")
	if ids := messageIDs(apiBody(t, err)); !has(ids, "4000098") {
		t.Fatalf("login refused by the hook: %v", ids)
	}
}

// Hooks do not reach private addresses unless allowed.
func TestIdentityWebHookPrivateAddressRefused(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the hook on a loopback address was called")
	}))
	defer hook.Close()
	cfg := `identity:
  selfservice:
    flows:
      registration:
        after:
          password:
            hooks:
              - hook: web_hook
                config: {url: "` + hook.URL + `/r", method: POST, can_interrupt: true}
`
	file := filepath.Join(t.TempDir(), "hooks.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e := startIdentity(t, "--config", file)
	ctx := context.Background()
	f, _, _ := e.frontend.CreateNativeRegistrationFlow(ctx).Execute()
	b := ory.UpdateRegistrationFlowWithPasswordMethodAsUpdateRegistrationFlowBody(&ory.UpdateRegistrationFlowWithPasswordMethod{
		Method: "password", Password: "some long passphrase", Traits: map[string]any{"email": "x@example.com"}})
	_, resp, _ := e.frontend.UpdateRegistrationFlow(ctx).Flow(f.Id).UpdateRegistrationFlowBody(b).Execute()
	if resp == nil || resp.StatusCode != 500 {
		t.Fatalf("registration with an unreachable interrupting hook: %v", resp)
	}
	if l, _, _ := e.admin.ListIdentities(ctx).Execute(); len(l) != 0 {
		t.Fatal("identity stored although its hook failed")
	}
}
