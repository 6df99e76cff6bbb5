package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// Browser apps on allowed origins may call the public API; others get no
// CORS headers, and the admin API never answers cross-origin.
func TestPublicCORS(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "cors.yaml")
	if err := os.WriteFile(cfg, []byte("serve:\n  public:\n    cors:\n      enabled: true\n      allowed_origins: [\"https://app.example.com\"]\n      max_age: 600\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := start(t, t.TempDir(), nil, "--dev", "--config", cfg)
	req := func(base, method, origin string, preflight bool) *http.Response {
		r, _ := http.NewRequest(method, base+"/sessions/whoami", nil)
		r.Header.Set("Origin", origin)
		if preflight {
			r.Header.Set("Access-Control-Request-Method", "GET")
			r.Header.Set("Access-Control-Request-Headers", "x-session-token")
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	pf := req(s.public, "OPTIONS", "https://app.example.com", true)
	if pf.StatusCode != 204 || pf.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		pf.Header.Get("Access-Control-Allow-Credentials") != "true" || pf.Header.Get("Access-Control-Max-Age") != "600" {
		t.Fatalf("preflight: %d %v", pf.StatusCode, pf.Header)
	}
	if r := req(s.public, "GET", "https://app.example.com", false); r.StatusCode != 401 || r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("whoami from the app: %d %v", r.StatusCode, r.Header)
	}
	if r := req(s.public, "GET", "https://evil.example", false); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("an unknown origin was allowed: %v", r.Header)
	}
	if r := req(s.admin, "OPTIONS", "https://app.example.com", true); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("the admin API answered cross-origin: %v", r.Header)
	}
}
