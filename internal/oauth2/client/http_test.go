package client_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/warden-iam/warden/internal/oauth2/client"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqltest"
	"github.com/warden-iam/warden/internal/web"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

type server struct {
	t     *testing.T
	admin *web.Router
}

func newServer(t *testing.T, db *sqldb.DB) *server {
	s := &server{t: t, admin: web.NewRouter()}
	client.NewHandler(newService(t, db)).MountAdmin(s.admin)
	return s
}

func (s *server) do(method, target, body string) *httptest.ResponseRecorder {
	s.t.Helper()
	var req *http.Request
	if body != "" {
		req = httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	rec := httptest.NewRecorder()
	s.admin.ServeHTTP(rec, req)
	return rec
}

func (s *server) expect(rec *httptest.ResponseRecorder, code int) []byte {
	s.t.Helper()
	if rec.Code != code {
		s.t.Fatalf("status %d, want %d: %s", rec.Code, code, rec.Body)
	}
	return rec.Body.Bytes()
}

type envelope struct {
	Error struct {
		Code    int            `json:"code"`
		Reason  string         `json:"reason"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

func TestAdminAPI(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		s := newServer(t, db)
		b := s.expect(s.do("POST", "/admin/clients", `{"client_id":"web","client_name":"Web","owner":"o",
			"redirect_uris":["https://web.example/cb"],"metadata":{"tier":"gold"}}`), 201)
		var created map[string]any
		if err := json.Unmarshal(b, &created); err != nil {
			t.Fatal(err)
		}
		secret, _ := created["client_secret"].(string)
		if created["client_id"] != "web" || len(secret) < 43 || created["token_endpoint_auth_method"] != "client_secret_basic" {
			t.Fatalf("create: %s", b)
		}
		got := s.expect(s.do("GET", "/admin/clients/web", ""), 200)
		if strings.Contains(string(got), `"client_secret":`) || !strings.Contains(string(got), `"metadata":{"tier":"gold"}`) {
			t.Fatalf("get: %s", got)
		}
		s.expect(s.do("POST", "/admin/clients", `{"client_id":"web"}`), 409)

		// A refused field is named in the envelope.
		bad := s.expect(s.do("POST", "/admin/clients", `{"redirect_uris":["http://evil.example/cb"]}`), 400)
		var env envelope
		if json.Unmarshal(bad, &env) != nil || env.Error.Code != 400 || env.Error.Details["field"] != "redirect_uris" ||
			!strings.Contains(env.Error.Reason, "https") {
			t.Fatalf("400: %s", bad)
		}
		s.expect(s.do("POST", "/admin/clients", `{"client_name":`), 400)

		for i := range 4 {
			s.expect(s.do("POST", "/admin/clients", `{"client_id":"p`+string(rune('0'+i))+`","owner":"o2","token_endpoint_auth_method":"none"}`), 201)
		}
		rec := s.do("GET", "/admin/clients?owner=o2&page_size=3", "")
		page := s.expect(rec, 200)
		link := rec.Header().Get("Link")
		var list []client.Client
		if json.Unmarshal(page, &list) != nil || len(list) != 3 || !strings.Contains(link, `rel="next"`) || !strings.Contains(link, "owner=o2") {
			t.Fatalf("page 1: %s, Link %q", page, link)
		}
		next := link[strings.Index(link, "<")+1 : strings.Index(link, ">")]
		rec = s.do("GET", next, "")
		page = s.expect(rec, 200)
		if json.Unmarshal(page, &list) != nil || len(list) != 1 || list[0].ID != "p3" || rec.Header().Get("Link") != "" {
			t.Fatalf("page 2: %s, Link %q", page, rec.Header().Get("Link"))
		}
		s.expect(s.do("GET", "/admin/clients?page_size=0", ""), 400)
		s.expect(s.do("GET", "/admin/clients?page_token=%21", ""), 400)
		if b := s.expect(s.do("GET", "/admin/clients?client_name=nobody", ""), 200); strings.TrimSpace(string(b)) != "[]" {
			t.Fatalf("empty list: %s", b)
		}

		// PUT, PATCH, lifespans.
		put := s.expect(s.do("PUT", "/admin/clients/web", `{"client_name":"Web 2","redirect_uris":["https://web.example/cb"]}`), 200)
		if !strings.Contains(string(put), `"client_name":"Web 2"`) || strings.Contains(string(put), `"client_secret":`) {
			t.Fatalf("put: %s", put)
		}
		s.expect(s.do("PUT", "/admin/clients/web", `{"client_id":"other"}`), 400)
		s.expect(s.do("PUT", "/admin/clients/nope", `{}`), 404)
		pt := s.expect(s.do("PATCH", "/admin/clients/web", `[{"op":"replace","path":"/owner","value":"o3"}]`), 200)
		if !strings.Contains(string(pt), `"owner":"o3"`) {
			t.Fatalf("patch: %s", pt)
		}
		s.expect(s.do("PATCH", "/admin/clients/web", `[{"op":"replace","path":"/client_id","value":"x"}]`), 400)
		s.expect(s.do("PATCH", "/admin/clients/web", `{"op":"replace"}`), 400)
		s.expect(s.do("PATCH", "/admin/clients/nope", `[]`), 404)
		ls := s.expect(s.do("PUT", "/admin/clients/web/lifespans", `{"refresh_token_grant_refresh_token_lifespan":"720h"}`), 200)
		if !strings.Contains(string(ls), `"refresh_token_grant_refresh_token_lifespan":"720h0m0s"`) {
			t.Fatalf("lifespans: %s", ls)
		}
		bad = s.expect(s.do("PUT", "/admin/clients/web/lifespans", `{"refresh_token_grant_refresh_token_lifespan":"soon"}`), 400)
		if json.Unmarshal(bad, &env) != nil || env.Error.Details["field"] != "refresh_token_grant_refresh_token_lifespan" {
			t.Fatalf("bad lifespan: %s", bad)
		}

		// Rotation returns the new secret.
		rot := s.expect(s.do("POST", "/admin/clients/web/secrets/rotate", ""), 200)
		if !strings.Contains(string(rot), `"client_secret":"`) || strings.Contains(string(rot), secret) {
			t.Fatalf("rotate: %s", rot)
		}
		s.expect(s.do("DELETE", "/admin/clients/web/secrets/rotate", ""), 200)
		s.expect(s.do("POST", "/admin/clients/p0/secrets/rotate", ""), 400)

		s.expect(s.do("DELETE", "/admin/clients/web", ""), 204)
		nf := s.expect(s.do("GET", "/admin/clients/web", ""), 404)
		if json.Unmarshal(nf, &env) != nil || env.Error.Code != 404 || !strings.Contains(env.Error.Reason, "web") {
			t.Fatalf("404: %s", nf)
		}
		s.expect(s.do("DELETE", "/admin/clients/web", ""), 404)
	})
}
