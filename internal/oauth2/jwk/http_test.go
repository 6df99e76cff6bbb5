package jwk_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/warden-iam/warden/internal/oauth2/jwk"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqltest"
	"github.com/warden-iam/warden/internal/web"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

type server struct {
	t             *testing.T
	svc           *jwk.Service
	admin, public *web.Router
}

func newServer(t *testing.T, db *sqldb.DB) *server {
	svc := newService(t, db)
	h := jwk.NewHandler(svc)
	s := &server{t: t, svc: svc, admin: web.NewRouter(), public: web.NewRouter()}
	h.MountAdmin(s.admin)
	h.MountPublic(s.public)
	return s
}

func (s *server) do(r http.Handler, method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	s.t.Helper()
	var req *http.Request
	if body != "" {
		req = httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec
}

func (s *server) expect(rec *httptest.ResponseRecorder, code int) []byte {
	s.t.Helper()
	if rec.Code != code {
		s.t.Fatalf("status %d, want %d: %s", rec.Code, code, rec.Body)
	}
	return rec.Body.Bytes()
}

func decodeSet(t *testing.T, b []byte) jose.JSONWebKeySet {
	t.Helper()
	var ks jose.JSONWebKeySet
	if err := json.Unmarshal(b, &ks); err != nil {
		t.Fatalf("not a key set: %v: %s", err, b)
	}
	return ks
}

// hasPrivate tells whether a key's JSON carries a private member.
func hasPrivate(t *testing.T, b []byte) bool {
	t.Helper()
	var m struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range m.Keys {
		for _, f := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := k[f]; ok {
				return true
			}
		}
	}
	return false
}

func TestAdminAPI(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		s := newServer(t, db)
		for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
			b := s.expect(s.do(s.admin, "POST", "/admin/keys/app", `{"alg":"`+alg+`","kid":"`+alg+`","use":"sig"}`), 201)
			ks := decodeSet(t, b)
			if len(ks.Keys) != 1 || ks.Keys[0].KeyID != alg || ks.Keys[0].IsPublic() {
				t.Fatalf("create %s: %s", alg, b)
			}
		}
		// kid left out: one is generated.
		b := s.expect(s.do(s.admin, "POST", "/admin/keys/app", `{"alg":"HS256","use":"sig"}`), 201)
		hs := decodeSet(t, b).Keys[0]
		if hs.KeyID == "" {
			t.Fatal("no kid generated")
		}
		s.expect(s.do(s.admin, "POST", "/admin/keys/app", `{"alg":"ES256","kid":"ES256","use":"sig"}`), 409)

		list := s.expect(s.do(s.admin, "GET", "/admin/keys/app", ""), 200)
		ks := decodeSet(t, list)
		if len(ks.Keys) != 4 || !hasPrivate(t, list) {
			t.Fatalf("list: %s", list)
		}
		one := decodeSet(t, s.expect(s.do(s.admin, "GET", "/admin/keys/app/RS256", ""), 200))
		if len(one.Keys) != 1 || one.Keys[0].KeyID != "RS256" || one.Keys[0].Algorithm != "RS256" {
			t.Fatalf("get by kid: %+v", one)
		}

		// Bad alg: 400 naming every allowed value.
		bad := s.expect(s.do(s.admin, "POST", "/admin/keys/app", `{"alg":"RS1024","kid":"x","use":"sig"}`), 400)
		for _, a := range jwk.Algorithms {
			if !strings.Contains(string(bad), a) {
				t.Errorf("bad alg answer does not name %s: %s", a, bad)
			}
		}
		s.expect(s.do(s.admin, "POST", "/admin/keys/app", `{"kid":"x","use":"sig"}`), 400)
		s.expect(s.do(s.admin, "POST", "/admin/keys/app", `{"alg":"ES256","use":"nope"}`), 400)
		s.expect(s.do(s.admin, "POST", "/admin/keys/app", `{"alg":`), 400)

		// Unknown set or kid: 404 in the envelope.
		nf := s.expect(s.do(s.admin, "GET", "/admin/keys/nope", ""), 404)
		var env struct {
			Error struct {
				Code   int    `json:"code"`
				Reason string `json:"reason"`
			} `json:"error"`
		}
		if json.Unmarshal(nf, &env) != nil || env.Error.Code != 404 || !strings.Contains(env.Error.Reason, "nope") {
			t.Fatalf("404 envelope: %s", nf)
		}
		s.expect(s.do(s.admin, "GET", "/admin/keys/app/nope", ""), 404)
		s.expect(s.do(s.admin, "DELETE", "/admin/keys/app/nope", ""), 404)
		s.expect(s.do(s.admin, "DELETE", "/admin/keys/nope", ""), 404)

		// PUT one key: replace with a fresh import; body kid must match path.
		rsa := ks.Keys[1]
		body, _ := rsa.MarshalJSON()
		s.expect(s.do(s.admin, "PUT", "/admin/keys/app/other", string(body)), 400)
		got := s.expect(s.do(s.admin, "PUT", "/admin/keys/app/RS256", string(body)), 200)
		var k jose.JSONWebKey
		if err := json.Unmarshal(got, &k); err != nil || k.KeyID != "RS256" {
			t.Fatalf("put key: %s", got)
		}
		s.expect(s.do(s.admin, "PUT", "/admin/keys/app/RS256", `{"kid":"RS256","kty":"oct","k":"AAAA","alg":"RS256","use":"sig"}`), 400)

		// PUT a set: replaces it.
		setBody, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{rsa}})
		put := decodeSet(t, s.expect(s.do(s.admin, "PUT", "/admin/keys/copy", string(setBody)), 200))
		if len(put.Keys) != 1 || put.Keys[0].KeyID != "RS256" {
			t.Fatalf("put set: %+v", put)
		}
		s.expect(s.do(s.admin, "PUT", "/admin/keys/copy", `{"keys":[]}`), 400)

		// Delete a key, then the set.
		s.expect(s.do(s.admin, "DELETE", "/admin/keys/app/EdDSA", ""), 204)
		s.expect(s.do(s.admin, "GET", "/admin/keys/app/EdDSA", ""), 404)
		s.expect(s.do(s.admin, "DELETE", "/admin/keys/app", ""), 204)
		s.expect(s.do(s.admin, "GET", "/admin/keys/app", ""), 404)
	})
}

func TestWellKnownJWKS(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		s := newServer(t, db)
		// The set is made on first request: ES256 and RS256, public parts only.
		rec := s.do(s.public, "GET", "/.well-known/jwks.json", "")
		b := s.expect(rec, 200)
		if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=60" {
			t.Errorf("Cache-Control %q", cc)
		}
		etag := rec.Header().Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		ks := decodeSet(t, b)
		algs := map[string]bool{}
		for _, k := range ks.Keys {
			algs[k.Algorithm] = true
			if !k.IsPublic() {
				t.Errorf("published key %s is private", k.KeyID)
			}
		}
		if len(ks.Keys) != 2 || !algs["ES256"] || !algs["RS256"] || hasPrivate(t, b) {
			t.Fatalf("well-known set: %s", b)
		}
		// The admin API sees the same set with private parts.
		adm := s.expect(s.do(s.admin, "GET", "/admin/keys/"+jwk.IDTokenSet, ""), 200)
		if !hasPrivate(t, adm) {
			t.Fatal("the admin API hides private parts")
		}

		// Revalidation.
		s.expect(s.do(s.public, "GET", "/.well-known/jwks.json", "", "If-None-Match", etag), 304)
		s.expect(s.do(s.public, "GET", "/.well-known/jwks.json", "", "If-None-Match", `"other", W/`+etag), 304)
		s.expect(s.do(s.public, "GET", "/.well-known/jwks.json", "", "If-None-Match", `"other"`), 200)

		// Symmetric keys added to the set are never published; an EdDSA key
		// is, and the ETag changes.
		s.expect(s.do(s.admin, "POST", "/admin/keys/"+jwk.IDTokenSet, `{"alg":"HS512","kid":"hs","use":"sig"}`), 201)
		s.expect(s.do(s.admin, "POST", "/admin/keys/"+jwk.IDTokenSet, `{"alg":"EdDSA","kid":"ed","use":"sig"}`), 201)
		rec = s.do(s.public, "GET", "/.well-known/jwks.json", "", "If-None-Match", etag)
		b = s.expect(rec, 200)
		if rec.Header().Get("ETag") == etag {
			t.Error("ETag unchanged after a write")
		}
		ks = decodeSet(t, b)
		if len(ks.Keys) != 3 || strings.Contains(string(b), `"oct"`) || strings.Contains(string(b), `"hs"`) || hasPrivate(t, b) {
			t.Fatalf("after adding HS512 and EdDSA: %s", b)
		}
		// The admin API is not served publicly.
		s.expect(s.do(s.public, "GET", "/admin/keys/"+jwk.IDTokenSet, ""), 404)
	})
}

func TestSignerVerifiesAgainstWellKnown(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		s := newServer(t, db)
		b := s.expect(s.do(s.public, "GET", "/.well-known/jwks.json", ""), 200)
		var published jose.JSONWebKeySet
		if err := json.Unmarshal(b, &published); err != nil {
			t.Fatal(err)
		}
		// Rotate: a newer key signs, and it is served as well.
		if _, err := s.svc.Generate(t.Context(), jwk.IDTokenSet, "EdDSA", "", "sig"); err != nil {
			t.Fatal(err)
		}
		b = s.expect(s.do(s.public, "GET", "/.well-known/jwks.json", ""), 200)
		if err := json.Unmarshal(b, &published); err != nil {
			t.Fatal(err)
		}
		key, err := s.svc.Signer(t.Context(), jwk.IDTokenSet)
		if err != nil {
			t.Fatal(err)
		}
		if key.Algorithm != "EdDSA" {
			t.Fatalf("signer %s, want the newest (EdDSA)", key.Algorithm)
		}
		sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(key.Algorithm), Key: key},
			(&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			t.Fatal(err)
		}
		jws, err := sig.Sign([]byte(`{"sub":"alice"}`))
		if err != nil {
			t.Fatal(err)
		}
		compact, _ := jws.CompactSerialize()
		parsed, err := jose.ParseSigned(compact, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
		if err != nil {
			t.Fatal(err)
		}
		kid := parsed.Signatures[0].Header.KeyID
		found := published.Key(kid)
		if len(found) != 1 {
			t.Fatalf("kid %q of the signature is not in the served set", kid)
		}
		payload, err := parsed.Verify(found[0])
		if err != nil || string(payload) != `{"sub":"alice"}` {
			t.Fatalf("verify against the served key: %v", err)
		}
		// Every published older key verifies its own signatures too.
		for _, alg := range []string{"ES256", "RS256"} {
			for _, pk := range published.Keys {
				if pk.Algorithm != alg {
					continue
				}
				priv, err := s.svc.Get(t.Context(), jwk.IDTokenSet, pk.KeyID)
				if err != nil {
					t.Fatal(err)
				}
				sg, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: priv}, nil)
				o, _ := sg.Sign([]byte("x"))
				if _, err := o.Verify(pk); err != nil {
					t.Errorf("%s: %v", alg, err)
				}
			}
		}
	})
}
