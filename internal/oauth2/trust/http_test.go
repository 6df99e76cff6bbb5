package trust_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden/internal/oauth2/trust"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqltest"
	"github.com/warden-iam/warden/internal/web"
)

const issuers = "/admin/trust/grants/jwt-bearer/issuers"

type server struct {
	t     *testing.T
	clock *clock
	r     *web.Router
}

func newServer(t *testing.T, db *sqldb.DB) *server {
	c := newClock()
	s := &server{t: t, clock: c, r: web.NewRouter()}
	trust.NewHandler(newService(db, c)).MountAdmin(s.r)
	return s
}

func (s *server) do(method, target, contentType, body string) *httptest.ResponseRecorder {
	s.t.Helper()
	var req *http.Request
	if body != "" {
		req = httptest.NewRequest(method, target, strings.NewReader(body))
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	s.r.ServeHTTP(rec, req)
	return rec
}

func (s *server) expect(rec *httptest.ResponseRecorder, code int) []byte {
	s.t.Helper()
	if rec.Code != code {
		s.t.Fatalf("status %d, want %d: %s", rec.Code, code, rec.Body)
	}
	return rec.Body.Bytes()
}

// body renders a create body from members, jwk and expires_at included as
// given (raw JSON).
func body(members map[string]any) string {
	b, err := json.Marshal(members)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// valid is a valid create body for subject alice with the EC key kid.
func (s *server) valid(kid string) map[string]any {
	return map[string]any{
		"issuer":     "https://idp.example",
		"subject":    "alice",
		"scope":      []string{"openid", "offline_access"},
		"jwk":        json.RawMessage(jwkJSON(s.t, pubJWK(s.t, "ES256", kid))),
		"expires_at": s.clock.Now().Add(48 * time.Hour).Format(time.RFC3339),
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

type envelope struct {
	Error struct {
		Code    int            `json:"code"`
		Status  string         `json:"status"`
		Reason  string         `json:"reason"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

func decodeEnvelope(t *testing.T, b []byte) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == 0 || e.Error.Message == "" {
		t.Fatalf("not an error envelope: %s", b)
	}
	return e
}

func TestAdminAPI(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		s := newServer(t, db)
		b := s.expect(s.do("POST", issuers, "application/json", body(s.valid("k1"))), 201)

		// The answer has exactly the documented members.
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if strings.Join(keys, ",") != "allow_any_subject,created_at,expires_at,id,issuer,public_key,scope,subject" {
			t.Fatalf("members %v: %s", keys, b)
		}
		var is trust.Issuer
		if err := json.Unmarshal(b, &is); err != nil {
			t.Fatal(err)
		}
		want := trust.PublicKey{Set: "https://idp.example", KID: "k1"}
		if is.ID == "" || is.Issuer != "https://idp.example" || is.Subject != "alice" || is.AllowAnySubject ||
			!slices.Equal(is.Scope, []string{"openid", "offline_access"}) || is.PublicKey != want ||
			!is.ExpiresAt.Equal(s.clock.Now().Add(48*time.Hour)) || !is.CreatedAt.Equal(s.clock.Now()) {
			t.Fatalf("created %s", b)
		}

		// Any subject: the answer's subject is empty.
		s.clock.Add(time.Second)
		b = s.expect(s.do("POST", issuers, "application/json",
			body(with(s.valid("k1"), "subject", nil, "allow_any_subject", true, "scope", []string{}))), 201)
		var anyIs trust.Issuer
		if err := json.Unmarshal(b, &anyIs); err != nil || anyIs.Subject != "" || !anyIs.AllowAnySubject || anyIs.Scope == nil {
			t.Fatalf("any subject: %s", b)
		}
		if !strings.Contains(string(b), `"scope":[]`) {
			t.Errorf("an empty scope is not sent as []: %s", b)
		}

		// Get, list, filter.
		got := s.expect(s.do("GET", issuers+"/"+is.ID, "", ""), 200)
		var again trust.Issuer
		if err := json.Unmarshal(got, &again); err != nil || again.ID != is.ID || again.PublicKey != want {
			t.Fatalf("get: %s", got)
		}
		var list []trust.Issuer
		if err := json.Unmarshal(s.expect(s.do("GET", issuers, "", ""), 200), &list); err != nil || len(list) != 2 ||
			list[0].ID != is.ID || list[1].ID != anyIs.ID {
			t.Fatalf("list: %+v", list)
		}
		if err := json.Unmarshal(s.expect(s.do("GET", issuers+"?issuer=https://other.example", "", ""), 200), &list); err != nil || len(list) != 0 {
			t.Fatalf("list of another issuer: %+v", list)
		}
		if b := s.expect(s.do("GET", issuers+"?issuer=nobody", "", ""), 200); string(b) != "[]\n" {
			t.Fatalf("empty list: %q", b)
		}

		// Duplicates: 409 in the envelope.
		e := decodeEnvelope(t, s.expect(s.do("POST", issuers, "application/json", body(s.valid("k1"))), 409))
		if e.Error.Code != 409 || !strings.Contains(e.Error.Reason, `"alice"`) || !strings.Contains(e.Error.Reason, `"k1"`) {
			t.Errorf("duplicate: %+v", e)
		}
		other := with(s.valid("k1"), "subject", "bob", "jwk", json.RawMessage(jwkJSON(t, pubJWK(t, "EdDSA", "k1"))))
		e = decodeEnvelope(t, s.expect(s.do("POST", issuers, "application/json", body(other)), 409))
		if !strings.Contains(e.Error.Reason, "another key") {
			t.Errorf("kid of another key: %+v", e)
		}

		// Unknown ids: 404 in the envelope.
		e = decodeEnvelope(t, s.expect(s.do("GET", issuers+"/nope", "", ""), 404))
		if e.Error.Code != 404 || e.Error.Status != "Not Found" || !strings.Contains(e.Error.Reason, `"nope"`) {
			t.Errorf("404: %+v", e)
		}
		s.expect(s.do("DELETE", issuers+"/nope", "", ""), 404)

		// Delete.
		if b := s.expect(s.do("DELETE", issuers+"/"+is.ID, "", ""), 204); len(b) != 0 {
			t.Errorf("204 with a body: %q", b)
		}
		s.expect(s.do("GET", issuers+"/"+is.ID, "", ""), 404)
		s.expect(s.do("DELETE", issuers+"/"+is.ID, "", ""), 404)
	})
}

func TestCreateBadInput(t *testing.T) {
	s := newServer(t, sqltest.SQLite(t))
	v := s.valid("k1")
	priv := privJWK(t, "RS256", "k1")
	privJSON := jwkJSON(t, priv)
	var privMembers map[string]string
	_ = json.Unmarshal([]byte(privJSON), &privMembers)
	noKid := pubJWK(t, "ES256", "")
	noAlg := pubJWK(t, "ES256", "k1")
	noAlg.Algorithm = ""
	cases := []struct {
		name, body, field string
	}{
		{"malformed JSON", `{"issuer":`, ""},
		{"not an object", `[1]`, "(body)"},
		{"two values", body(v) + body(v), ""},
		{"no issuer", body(with(v, "issuer", nil)), "issuer"},
		{"empty issuer", body(with(v, "issuer", "")), "issuer"},
		{"issuer not a string", body(with(v, "issuer", 7)), "issuer"},
		{"subject and any subject", body(with(v, "allow_any_subject", true)), "subject"},
		{"neither subject nor any subject", body(with(v, "subject", nil)), "subject"},
		{"neither, any subject false", body(with(v, "subject", "", "allow_any_subject", false)), "subject"},
		{"no scope", body(with(v, "scope", nil)), "scope"},
		{"null scope", `{"issuer":"i","subject":"s","scope":null}`, "scope"},
		{"scope a string", body(with(v, "scope", "openid")), "scope"},
		{"bad scope token", body(with(v, "scope", []string{"a b"})), "scope"},
		{"no jwk", body(with(v, "jwk", nil)), "jwk"},
		{"jwk null", body(with(v, "jwk", json.RawMessage("null"))), "jwk"},
		{"jwk a string", body(with(v, "jwk", "key")), "jwk"},
		{"jwk empty", body(with(v, "jwk", map[string]any{})), "jwk"},
		{"jwk private", body(with(v, "jwk", json.RawMessage(privJSON))), "jwk"},
		{"jwk symmetric", body(with(v, "jwk", map[string]any{"kty": "oct", "kid": "k1", "alg": "HS256", "k": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})), "jwk"},
		{"jwk without kid", body(with(v, "jwk", json.RawMessage(jwkJSON(t, noKid)))), "jwk"},
		{"jwk without alg", body(with(v, "jwk", json.RawMessage(jwkJSON(t, noAlg)))), "jwk"},
		{"jwk unknown kty", body(with(v, "jwk", map[string]any{"kty": "XYZ", "kid": "k1", "alg": "ES256"})), "jwk"},
		{"jwk off its curve", body(with(v, "jwk", map[string]any{"kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256",
			"x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "y": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})), "jwk"},
		{"no expires_at", body(with(v, "expires_at", nil)), "expires_at"},
		{"expires_at past", body(with(v, "expires_at", s.clock.Now().Add(-time.Minute).Format(time.RFC3339))), "expires_at"},
		{"expires_at now", body(with(v, "expires_at", s.clock.Now().Format(time.RFC3339Nano))), "expires_at"},
		{"expires_at a number", body(with(v, "expires_at", 1893456000)), "expires_at"},
		{"expires_at not a time", body(with(v, "expires_at", "tomorrow")), "expires_at"},
		{"expires_at without zone", body(with(v, "expires_at", "2999-01-01T00:00:00")), "expires_at"},
	}
	for _, tc := range cases {
		rec := s.do("POST", issuers, "application/json", tc.body)
		if rec.Code != 400 {
			t.Errorf("%s: status %d, want 400: %s", tc.name, rec.Code, rec.Body)
			continue
		}
		e := decodeEnvelope(t, rec.Body.Bytes())
		if f, _ := e.Error.Details["field"].(string); f != tc.field || e.Error.Reason == "" {
			t.Errorf("%s: field %q (%s), want %q", tc.name, f, e.Error.Reason, tc.field)
		}
		// A private key sent by mistake is never echoed.
		for _, m := range []string{"d", "p", "q"} {
			if val := privMembers[m]; val != "" && strings.Contains(rec.Body.String(), val) {
				t.Errorf("%s: the answer echoes the private member %s", tc.name, m)
			}
		}
	}
	s.expect(s.do("POST", issuers, "text/plain", body(v)), 415)
	s.expect(s.do("POST", issuers, "application/json", ""), 400)
	// Nothing was stored.
	if b := s.expect(s.do("GET", issuers, "", ""), 200); string(b) != "[]\n" {
		t.Fatalf("refused requests stored %s", b)
	}
}

// linkNext is the target of the Link header's rel="next", or "".
var linkNext = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

func TestListPaging(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		s := newServer(t, db)
		var want []string
		for i, iss := range []string{"https://a.example", "https://b.example", "https://a.example", "https://a.example", "https://b.example"} {
			s.clock.Add(time.Second)
			b := s.expect(s.do("POST", issuers, "application/json",
				body(with(s.valid("k"), "issuer", iss, "subject", string(rune('a'+i))))), 201)
			var is trust.Issuer
			_ = json.Unmarshal(b, &is)
			if iss == "https://a.example" {
				want = append(want, is.ID)
			}
		}
		target := issuers + "?issuer=" + url.QueryEscape("https://a.example") + "&page_size=2"
		var got []string
		for pages := 0; target != ""; pages++ {
			if pages > 3 {
				t.Fatal("paging does not end")
			}
			rec := s.do("GET", target, "", "")
			var list []trust.Issuer
			if err := json.Unmarshal(s.expect(rec, 200), &list); err != nil || len(list) > 2 {
				t.Fatalf("page %s: %s", target, rec.Body)
			}
			for _, is := range list {
				got = append(got, is.ID)
			}
			target = ""
			if l := rec.Header().Get("Link"); l != "" {
				m := linkNext.FindStringSubmatch(l)
				if m == nil {
					t.Fatalf("Link %q", l)
				}
				u, err := url.Parse(m[1])
				if err != nil || u.Path != issuers || u.Query().Get("issuer") != "https://a.example" || u.Query().Get("page_size") != "2" {
					t.Fatalf("Link %q does not keep the filter and page size", l)
				}
				target = m[1]
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("paged %v, want %v", got, want)
		}
		for _, q := range []string{"page_size=0", "page_size=-3", "page_size=x", "page_token=bogus!"} {
			rec := s.do("GET", issuers+"?"+q, "", "")
			e := decodeEnvelope(t, s.expect(rec, 400))
			if f, _ := e.Error.Details["field"].(string); f != strings.Split(q, "=")[0] {
				t.Errorf("%s: field %q", q, f)
			}
		}
	})
}
