// Package oauth2bench holds in-process benchmarks of the OAuth2 provider's
// hot paths: the token and introspection endpoints called through Warden's
// routers, without sockets, so ns/op is the server's own cost per request
// (storage included). The load figures over HTTP come from run.sh next to
// this file; see bench/README.md, "OAuth2".
//
//	go test -run XXX -bench . -benchtime 3s ./bench/oauth2/
//	go test -run XXX -bench 'ClientCredentials/memory/opaque' -cpuprofile cpu.out ./bench/oauth2/
package oauth2bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warden-iam/warden/internal/app"
	"github.com/warden-iam/warden/internal/config"
)

// server is Warden built in-process with the load test's OAuth2 settings.
type server struct {
	public, admin http.Handler
}

func newServer(b *testing.B, store, accessAlg string) *server {
	b.Helper()
	dsn := "memory"
	if store == "sqlite" {
		dsn = "sqlite://" + filepath.Join(b.TempDir(), "w.db")
	}
	cfg, err := config.Load(config.Sources{
		Env: func(string) (string, bool) { return "", false },
		Sets: []string{"serve.public.port=0", "serve.admin.port=0", "dsn=" + dsn,
			"oauth2.signing.access_token_alg=" + accessAlg, "oauth2.signing.id_token_alg=ES256", "oauth2.cleanup.interval=0s"},
	})
	if err != nil {
		b.Fatal(err)
	}
	a, err := app.New(context.Background(), app.Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = a.Close() })
	return &server{public: a.Public, admin: a.Admin}
}

// do sends one request to h and returns the status and body.
func do(h http.Handler, method, target, ctype, auth string, body []byte) (int, []byte) {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// client registers a client_credentials client with a generated secret and
// returns its basic authorization header.
func (s *server) client(b *testing.B, strategy string) string {
	b.Helper()
	body, _ := json.Marshal(map[string]any{"client_name": "bench", "grant_types": []string{"client_credentials"},
		"token_endpoint_auth_method": "client_secret_basic", "access_token_strategy": strategy})
	code, resp := do(s.admin, http.MethodPost, "/admin/clients", "application/json", "", body)
	if code != http.StatusCreated {
		b.Fatalf("create client: %d %s", code, resp)
	}
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	if err := json.Unmarshal(resp, &c); err != nil {
		b.Fatal(err)
	}
	raw := url.QueryEscape(c.ID) + ":" + url.QueryEscape(c.Secret)
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(raw))
}

const form = "application/x-www-form-urlencoded"

var grantBody = []byte("grant_type=client_credentials")

// token issues one access token.
func (s *server) token(b *testing.B, auth string) string {
	code, resp := do(s.public, http.MethodPost, "/oauth2/token", form, auth, grantBody)
	if code != http.StatusOK {
		b.Fatalf("token: %d %s", code, resp)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(resp, &tr); err != nil || tr.AccessToken == "" {
		b.Fatalf("token response %s: %v", resp, err)
	}
	return tr.AccessToken
}

var stores = []string{"memory", "sqlite"}

// BenchmarkClientCredentials is POST /oauth2/token (client_credentials,
// client_secret_basic with a generated secret): the H1c and H2 path, with
// JWT access tokens signed with ES256 and RS256 (RSA-2048).
func BenchmarkClientCredentials(b *testing.B) {
	for _, store := range stores {
		for _, tc := range []struct{ name, strategy, alg string }{
			{"opaque", "opaque", "ES256"}, {"jwt-ES256", "jwt", "ES256"}, {"jwt-RS256", "jwt", "RS256"},
		} {
			b.Run(store+"/"+tc.name, func(b *testing.B) {
				s := newServer(b, store, tc.alg)
				auth := s.client(b, tc.strategy)
				s.token(b, auth) // creates the signing key for jwt
				b.ReportAllocs()
				for b.Loop() {
					if code, resp := do(s.public, http.MethodPost, "/oauth2/token", form, auth, grantBody); code != http.StatusOK {
						b.Fatalf("%d %s", code, resp)
					}
				}
			})
		}
	}
}

// BenchmarkIntrospect is POST /admin/oauth2/introspect of an opaque access
// token among 1,000: the H3 path.
func BenchmarkIntrospect(b *testing.B) {
	for _, store := range stores {
		b.Run(store, func(b *testing.B) {
			s := newServer(b, store, "ES256")
			auth := s.client(b, "opaque")
			var bodies [][]byte
			for range 1000 {
				bodies = append(bodies, []byte("token="+url.QueryEscape(s.token(b, auth))))
			}
			active := []byte(`"active":true`)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				code, resp := do(s.admin, http.MethodPost, "/admin/oauth2/introspect", form, "", bodies[i%len(bodies)])
				if code != http.StatusOK || !bytes.Contains(resp, active) {
					b.Fatalf("%d %s", code, resp)
				}
				i++
			}
		})
	}
}

// BenchmarkIntrospectInvalid is the answer to a token this server did not
// make: refused by its MAC before any storage read.
func BenchmarkIntrospectInvalid(b *testing.B) {
	s := newServer(b, "sqlite", "ES256")
	body := []byte("token=ory_at_" + strings.Repeat("A", 43) + "." + strings.Repeat("B", 43))
	inactive := []byte(`"active":false`)
	b.ReportAllocs()
	for b.Loop() {
		code, resp := do(s.admin, http.MethodPost, "/admin/oauth2/introspect", form, "", body)
		if code != http.StatusOK || !bytes.Contains(resp, inactive) {
			b.Fatalf("%d %s", code, resp)
		}
	}
}
