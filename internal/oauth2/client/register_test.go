package client_test

import (
	"context"
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

// sectorServer serves sector_identifier_uri documents over TLS.
func sectorServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/good":
			_, _ = w.Write([]byte(`["https://app.example/cb","https://app.example/cb2","https://other.example/cb"]`))
		case "/bad":
			_, _ = w.Write([]byte(`["https://elsewhere.example/cb"]`))
		case "/object":
			_, _ = w.Write([]byte(`{"redirect_uris":["https://app.example/cb"]}`))
		case "/huge":
			_, _ = w.Write([]byte(`["https://app.example/cb"` + strings.Repeat(`,"https://x.example/"`, 5000) + `]`))
		default:
			http.Error(w, "no", http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

type regServer struct {
	t      *testing.T
	s      *client.Service
	public *web.Router
	sector string // base URL of the sector document server
}

func newRegServer(t *testing.T, db *sqldb.DB, subjectTypes ...string) *regServer {
	sec := sectorServer(t)
	rs := &regServer{t: t, s: newService(t, db), public: web.NewRouter(), sector: sec.URL}
	client.NewRegistrar(rs.s, client.RegistrationOptions{
		PublicURL:    func() string { return "https://auth.example/" },
		DefaultScope: []string{"openid", "offline"},
		SubjectTypes: subjectTypes,
		HTTPClient:   sec.Client(),
	}).MountPublic(rs.public)
	return rs
}

func (rs *regServer) do(method, target, token, contentType, body string) *httptest.ResponseRecorder {
	rs.t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body == "" {
		req = httptest.NewRequest(method, target, nil)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	rec := httptest.NewRecorder()
	rs.public.ServeHTTP(rec, req)
	return rec
}

// registered is a registration response.
type registered struct {
	ID                      string   `json:"client_id"`
	Secret                  string   `json:"client_secret"`
	Name                    string   `json:"client_name"`
	Owner                   string   `json:"owner"`
	SkipConsent             bool     `json:"skip_consent"`
	RedirectURIs            []string `json:"redirect_uris"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	Scope                   string   `json:"scope"`
	AuthMethod              string   `json:"token_endpoint_auth_method"`
	InitiateLoginURI        string   `json:"initiate_login_uri"`
	JWKSURI                 string   `json:"jwks_uri"`
	LogoURI                 string   `json:"logo_uri"`
	PolicyURI               string   `json:"policy_uri"`
	TosURI                  string   `json:"tos_uri"`
	SectorIdentifierURI     string   `json:"sector_identifier_uri"`
	RegistrationAccessToken string   `json:"registration_access_token"`
	RegistrationClientURI   string   `json:"registration_client_uri"`
	ClientSecretExpiresAt   *int64   `json:"client_secret_expires_at"`
}

type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Status      int    `json:"status_code"`
}

func (rs *regServer) register(body string) registered {
	rs.t.Helper()
	rec := rs.do("POST", "/oauth2/register", "", "application/json", body)
	if rec.Code != http.StatusCreated {
		rs.t.Fatalf("register %s: %d %s", body, rec.Code, rec.Body)
	}
	var out registered
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		rs.t.Fatal(err)
	}
	return out
}

func decodeRegistered(t *testing.T, rec *httptest.ResponseRecorder) registered {
	t.Helper()
	var r registered
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
	return r
}

func errorOf(t *testing.T, rec *httptest.ResponseRecorder) oauthError {
	t.Helper()
	var e oauthError
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" || e.Status != rec.Code {
		t.Fatalf("not an errorOAuth2 body for %d: %s (%v)", rec.Code, rec.Body, err)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("error without Cache-Control: no-store")
	}
	return e
}

func TestRegistrationRequests(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		rs := newRegServer(t, db, "public", "pairwise")
		const cb = `"redirect_uris":["https://app.example/cb"]`
		cases := []struct {
			name        string
			contentType string
			body        string
			status      int
			code        string // error code, or "" on success
			check       func(t *testing.T, r registered)
		}{
			{name: "minimal with defaults", body: `{` + cb + `}`, status: 201, check: func(t *testing.T, r registered) {
				if r.ID == "" || len(r.Secret) < 43 || len(r.RegistrationAccessToken) < 43 || r.Secret == r.RegistrationAccessToken {
					t.Errorf("credentials: id %q secret %q token %q", r.ID, r.Secret, r.RegistrationAccessToken)
				}
				if strings.Join(r.GrantTypes, ",") != "authorization_code" || strings.Join(r.ResponseTypes, ",") != "code" ||
					r.AuthMethod != client.AuthSecretBasic || r.Scope != "openid offline" {
					t.Errorf("defaults: %+v", r)
				}
				if r.RegistrationClientURI != "https://auth.example/oauth2/register/"+r.ID {
					t.Errorf("registration_client_uri %q", r.RegistrationClientURI)
				}
				if r.ClientSecretExpiresAt == nil || *r.ClientSecretExpiresAt != 0 {
					t.Errorf("client_secret_expires_at %v, want 0", r.ClientSecretExpiresAt)
				}
			}},
			{name: "scope given", body: `{` + cb + `,"scope":"openid email"}`, status: 201, check: func(t *testing.T, r registered) {
				if r.Scope != "openid email" {
					t.Errorf("scope %q", r.Scope)
				}
			}},
			{name: "public client", body: `{` + cb + `,"token_endpoint_auth_method":"none"}`, status: 201, check: func(t *testing.T, r registered) {
				if r.Secret != "" || r.ClientSecretExpiresAt != nil || r.RegistrationAccessToken == "" {
					t.Errorf("public client: %+v", r)
				}
			}},
			{name: "client credentials without redirect", body: `{"grant_types":["client_credentials"]}`, status: 201},
			{name: "uris", body: `{` + cb + `,"jwks_uri":"https://app.example/jwks.json","logo_uri":"https://app.example/logo.png",` +
				`"policy_uri":"https://app.example/policy","tos_uri":"https://app.example/tos","initiate_login_uri":"https://app.example/login"}`,
				status: 201, check: func(t *testing.T, r registered) {
					if r.JWKSURI == "" || r.LogoURI == "" || r.PolicyURI == "" || r.TosURI == "" || r.InitiateLoginURI != "https://app.example/login" {
						t.Errorf("uris not kept: %+v", r)
					}
				}},
			{name: "unknown members are ignored", body: `{` + cb + `,"software_id":"x","client_id_issued_at":5}`, status: 201},
			{name: "zero admin fields", body: `{` + cb + `,"owner":"","skip_consent":false,"metadata":null,"client_id":"","client_secret":""}`, status: 201},
			{name: "sector listed", body: `{"redirect_uris":["https://app.example/cb","https://other.example/cb"],"subject_type":"pairwise","sector_identifier_uri":"` + rs.sector + `/good"}`,
				status: 201, check: func(t *testing.T, r registered) {
					if r.SectorIdentifierURI != rs.sector+"/good" {
						t.Errorf("sector_identifier_uri %q", r.SectorIdentifierURI)
					}
				}},

			{name: "client_id", body: `{` + cb + `,"client_id":"mine"}`, status: 400, code: "invalid_client_metadata"},
			{name: "client_id other case", body: `{` + cb + `,"Client_ID":"mine"}`, status: 400, code: "invalid_client_metadata"},
			{name: "client_secret", body: `{` + cb + `,"client_secret":"chosen-secret"}`, status: 400, code: "invalid_client_metadata"},
			{name: "metadata", body: `{` + cb + `,"metadata":{"role":"admin"}}`, status: 400, code: "invalid_client_metadata"},
			{name: "skip_consent", body: `{` + cb + `,"skip_consent":true}`, status: 400, code: "invalid_client_metadata"},
			{name: "skip_logout_consent", body: `{` + cb + `,"skip_logout_consent":true}`, status: 400, code: "invalid_client_metadata"},
			{name: "access_token_strategy", body: `{` + cb + `,"access_token_strategy":"jwt"}`, status: 400, code: "invalid_client_metadata"},
			{name: "owner", body: `{` + cb + `,"owner":"team-a"}`, status: 400, code: "invalid_client_metadata"},
			{name: "lifespan", body: `{` + cb + `,"client_credentials_grant_access_token_lifespan":"100h"}`, status: 400, code: "invalid_client_metadata"},

			{name: "http redirect", body: `{"redirect_uris":["http://app.example/cb"]}`, status: 400, code: "invalid_redirect_uri"},
			{name: "fragment redirect", body: `{"redirect_uris":["https://app.example/cb#x"]}`, status: 400, code: "invalid_redirect_uri"},
			{name: "relative redirect", body: `{"redirect_uris":["/cb"]}`, status: 400, code: "invalid_redirect_uri"},
			{name: "no redirect for code", body: `{}`, status: 400, code: "invalid_redirect_uri"},
			{name: "no redirect for implicit", body: `{"grant_types":["implicit"],"response_types":["id_token"]}`, status: 400, code: "invalid_redirect_uri"},
			{name: "bad grant", body: `{` + cb + `,"grant_types":["password"]}`, status: 400, code: "invalid_client_metadata"},
			{name: "bad auth method", body: `{` + cb + `,"token_endpoint_auth_method":"tls_client_auth"}`, status: 400, code: "invalid_client_metadata"},
			{name: "http initiate_login_uri", body: `{` + cb + `,"initiate_login_uri":"http://localhost/login"}`, status: 400, code: "invalid_client_metadata"},
			{name: "bad logo_uri", body: `{` + cb + `,"logo_uri":"javascript:alert(1)"}`, status: 400, code: "invalid_client_metadata"},
			{name: "http jwks_uri", body: `{` + cb + `,"jwks_uri":"http://app.example/jwks"}`, status: 400, code: "invalid_client_metadata"},

			{name: "sector not listing", body: `{` + cb + `,"sector_identifier_uri":"` + rs.sector + `/bad"}`, status: 400, code: "invalid_client_metadata"},
			{name: "sector partly listing", body: `{"redirect_uris":["https://app.example/cb","https://app.example/cb3"],"sector_identifier_uri":"` + rs.sector + `/good"}`, status: 400, code: "invalid_client_metadata"},
			{name: "sector not an array", body: `{` + cb + `,"sector_identifier_uri":"` + rs.sector + `/object"}`, status: 400, code: "invalid_client_metadata"},
			{name: "sector too large", body: `{` + cb + `,"sector_identifier_uri":"` + rs.sector + `/huge"}`, status: 400, code: "invalid_client_metadata"},
			{name: "sector failing", body: `{` + cb + `,"sector_identifier_uri":"` + rs.sector + `/missing"}`, status: 400, code: "invalid_client_metadata"},
			{name: "sector over http", body: `{` + cb + `,"sector_identifier_uri":"http://app.example/sector"}`, status: 400, code: "invalid_client_metadata"},
			{name: "pairwise over two hosts", body: `{"redirect_uris":["https://app.example/cb","https://other.example/cb"],"subject_type":"pairwise"}`, status: 400, code: "invalid_client_metadata"},

			{name: "malformed JSON", body: `{"redirect_uris":`, status: 400, code: "invalid_client_metadata"},
			{name: "trailing data", body: `{` + cb + `} {}`, status: 400, code: "invalid_client_metadata"},
			{name: "array body", body: `[]`, status: 400, code: "invalid_client_metadata"},
			{name: "null body", body: `null`, status: 400, code: "invalid_client_metadata"},
			{name: "empty body", body: ``, status: 400, code: "invalid_client_metadata"},
			{name: "wrong type", body: `{"redirect_uris":"https://app.example/cb"}`, status: 400, code: "invalid_client_metadata"},
			{name: "bad jwks", body: `{` + cb + `,"jwks":{"keys":[{"kty":"nope"}]}}`, status: 400, code: "invalid_client_metadata"},
			{name: "form body", contentType: "application/x-www-form-urlencoded", body: `redirect_uris=x`, status: 400, code: "invalid_client_metadata"},
			{name: "too large", body: `{"client_name":"` + strings.Repeat("a", client.MaxRegistrationBytes) + `"}`, status: 413, code: "invalid_client_metadata"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ct := tc.contentType
				if ct == "" {
					ct = "application/json"
				}
				rec := rs.do("POST", "/oauth2/register", "", ct, tc.body)
				if rec.Code != tc.status {
					t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
				}
				if tc.code != "" {
					if e := errorOf(t, rec); e.Error != tc.code || e.Description == "" {
						t.Fatalf("error %+v, want %s", e, tc.code)
					}
					return
				}
				if rec.Header().Get("Cache-Control") != "no-store" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
					t.Errorf("headers %v", rec.Header())
				}
				var r registered
				if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
					t.Fatal(err)
				}
				if tc.check != nil {
					tc.check(t, r)
				}
			})
		}
	})
}

func TestRegistrationSubjectTypes(t *testing.T) {
	rs := newRegServer(t, sqltest.SQLite(t), "public")
	rec := rs.do("POST", "/oauth2/register", "", "application/json", `{"redirect_uris":["https://app.example/cb"],"subject_type":"pairwise"}`)
	if rec.Code != 400 || errorOf(t, rec).Error != "invalid_client_metadata" {
		t.Fatalf("pairwise on a public-only server: %d %s", rec.Code, rec.Body)
	}
}

func TestRegistrationManagement(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		rs := newRegServer(t, db)
		r := rs.register(`{"client_name":"app","redirect_uris":["https://app.example/cb"],"grant_types":["authorization_code","client_credentials"]}`)
		other := rs.register(`{"redirect_uris":["https://other.example/cb"]}`)
		admin, err := rs.s.Create(ctx, client.Client{ID: "admin-made", RedirectURIs: []string{"https://app.example/cb"}})
		if err != nil {
			t.Fatal(err)
		}
		path := "/oauth2/register/" + r.ID
		bearer := "Bearer " + r.RegistrationAccessToken

		// The token is stored only as a keyed hash.
		for _, row := range storedRows(t, db) {
			if strings.Contains(row, r.RegistrationAccessToken) || strings.Contains(row, r.Secret) {
				t.Fatalf("a stored row holds a credential: %s", row)
			}
		}

		// Read.
		rec := rs.do("GET", path, bearer, "", "")
		if rec.Code != 200 {
			t.Fatalf("get: %d %s", rec.Code, rec.Body)
		}
		got := decodeRegistered(t, rec)
		if got.ID != r.ID || got.Name != "app" || got.Secret != "" || got.RegistrationAccessToken != "" ||
			got.RegistrationClientURI != r.RegistrationClientURI || rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("get: %s", rec.Body)
		}

		// Refused tokens: all 401 with a Bearer challenge, whatever the reason.
		for _, tc := range []struct {
			name, target, auth, challenge string
		}{
			{"no token", path, "", `Bearer realm="oauth2"`},
			{"empty bearer", path, "Bearer ", `Bearer realm="oauth2"`},
			{"basic", path, "Basic " + r.RegistrationAccessToken, `Bearer realm="oauth2"`},
			{"wrong token", path, "Bearer nope", `Bearer realm="oauth2", error="invalid_token"`},
			{"the client secret", path, "Bearer " + r.Secret, `Bearer realm="oauth2", error="invalid_token"`},
			{"another client's token", path, "Bearer " + other.RegistrationAccessToken, `Bearer realm="oauth2", error="invalid_token"`},
			{"unknown client", "/oauth2/register/nope", bearer, `Bearer realm="oauth2", error="invalid_token"`},
			{"admin-made client", "/oauth2/register/" + admin.ID, bearer, `Bearer realm="oauth2", error="invalid_token"`},
		} {
			for _, m := range []string{"GET", "PUT", "DELETE"} {
				body := ""
				if m == "PUT" {
					body = `{"skip_consent":true}` // refused, but only after authentication
				}
				rec := rs.do(m, tc.target, tc.auth, "application/json", body)
				if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != tc.challenge {
					t.Errorf("%s %s: %d %q %s", m, tc.name, rec.Code, rec.Header().Get("WWW-Authenticate"), rec.Body)
					continue
				}
				if e := errorOf(t, rec); e.Error != "invalid_token" {
					t.Errorf("%s %s: error %q", m, tc.name, e.Error)
				}
			}
		}

		// Update: replaces the metadata, keeps id and secret, issues a new token.
		rec = rs.do("PUT", path, bearer, "application/json",
			`{"client_id":"`+r.ID+`","client_name":"renamed","redirect_uris":["https://app.example/cb2"],"grant_types":["authorization_code"],"initiate_login_uri":"https://app.example/start"}`)
		if rec.Code != 200 {
			t.Fatalf("put: %d %s", rec.Code, rec.Body)
		}
		upd := decodeRegistered(t, rec)
		if upd.ID != r.ID || upd.Name != "renamed" || upd.Secret != "" || strings.Join(upd.RedirectURIs, ",") != "https://app.example/cb2" ||
			strings.Join(upd.GrantTypes, ",") != "authorization_code" || upd.Scope != "openid offline" || upd.InitiateLoginURI != "https://app.example/start" ||
			upd.RegistrationAccessToken == "" || upd.RegistrationAccessToken == r.RegistrationAccessToken {
			t.Fatalf("put: %s", rec.Body)
		}
		if rec := rs.do("GET", path, bearer, "", ""); rec.Code != 401 {
			t.Fatalf("the replaced token still works: %d", rec.Code)
		}
		bearer = "Bearer " + upd.RegistrationAccessToken
		if _, err := rs.s.Authenticate(ctx, r.ID, r.Secret); err != nil {
			t.Fatalf("the secret stopped working after PUT: %v", err)
		}
		rec = rs.do("GET", path, bearer, "", "")
		got = decodeRegistered(t, rec)
		if rec.Code != 200 || got.Name != "renamed" || got.InitiateLoginURI != "https://app.example/start" {
			t.Fatalf("get after put: %d %s", rec.Code, rec.Body)
		}

		// Refused updates leave the client and the token as they were.
		for _, tc := range []struct{ name, body, code string }{
			{"other client_id", `{"client_id":"other","redirect_uris":["https://app.example/cb"]}`, "invalid_client_metadata"},
			{"chosen secret", `{"client_secret":"a-new-chosen-secret","redirect_uris":["https://app.example/cb"]}`, "invalid_client_metadata"},
			{"skip_consent", `{"skip_consent":true,"redirect_uris":["https://app.example/cb"]}`, "invalid_client_metadata"},
			{"metadata", `{"metadata":{"a":1},"redirect_uris":["https://app.example/cb"]}`, "invalid_client_metadata"},
			{"bad redirect", `{"redirect_uris":["http://evil.example/cb"]}`, "invalid_redirect_uri"},
			{"sector not listing", `{"redirect_uris":["https://app.example/cb"],"sector_identifier_uri":"` + rs.sector + `/bad"}`, "invalid_client_metadata"},
			{"malformed", `{`, "invalid_client_metadata"},
		} {
			rec := rs.do("PUT", path, bearer, "application/json", tc.body)
			if rec.Code != 400 || errorOf(t, rec).Error != tc.code {
				t.Errorf("put %s: %d %s", tc.name, rec.Code, rec.Body)
			}
		}
		if rec := rs.do("GET", path, bearer, "", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"renamed"`) {
			t.Fatalf("a refused update changed the client or its token: %d %s", rec.Code, rec.Body)
		}

		// The current secret may be repeated; the admin's fields are kept
		// and may be sent back unchanged, not changed.
		if _, err := rs.s.SetLifespans(ctx, r.ID, client.Lifespans{}); err != nil {
			t.Fatal(err)
		}
		cur, _ := rs.s.Get(ctx, r.ID)
		cur.Owner, cur.SkipConsent = "team-a", true
		if _, err := rs.s.Set(ctx, r.ID, cur); err != nil {
			t.Fatal(err)
		}
		rec = rs.do("PUT", path, bearer, "application/json", `{"client_secret":"`+r.Secret+`","redirect_uris":["https://app.example/cb"]}`)
		if rec.Code != 200 {
			t.Fatalf("put with the current secret: %d %s", rec.Code, rec.Body)
		}
		upd = decodeRegistered(t, rec)
		if upd.Owner != "team-a" || !upd.SkipConsent || upd.Secret != "" {
			t.Fatalf("admin fields not kept, or secret echoed: %s", rec.Body)
		}
		bearer = "Bearer " + upd.RegistrationAccessToken
		rec = rs.do("GET", path, bearer, "", "")
		roundTrip := rec.Body.String()
		rec = rs.do("PUT", path, bearer, "application/json", roundTrip)
		if rec.Code != 200 {
			t.Fatalf("put back what get returned: %d %s", rec.Code, rec.Body)
		}
		upd = decodeRegistered(t, rec)
		bearer = "Bearer " + upd.RegistrationAccessToken
		rec = rs.do("PUT", path, bearer, "application/json", `{"owner":"team-b","redirect_uris":["https://app.example/cb"]}`)
		if rec.Code != 400 {
			t.Fatalf("put changing the owner: %d %s", rec.Code, rec.Body)
		}

		// Admin writes keep the registration token working.
		if _, err := rs.s.RotateSecret(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		if rec := rs.do("GET", path, bearer, "", ""); rec.Code != 200 {
			t.Fatalf("token after an admin rotation: %d", rec.Code)
		}

		// Switching to a public client drops the secret; switching back
		// generates and reveals one.
		rec = rs.do("PUT", path, bearer, "application/json", `{"redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"none"}`)
		upd = decodeRegistered(t, rec)
		if rec.Code != 200 || upd.Secret != "" || upd.ClientSecretExpiresAt != nil {
			t.Fatalf("put to none: %d %s", rec.Code, rec.Body)
		}
		bearer = "Bearer " + upd.RegistrationAccessToken
		rec = rs.do("PUT", path, bearer, "application/json", `{"redirect_uris":["https://app.example/cb"]}`)
		upd = decodeRegistered(t, rec)
		if rec.Code != 200 || len(upd.Secret) < 43 {
			t.Fatalf("put back to a secret: %d %s", rec.Code, rec.Body)
		}
		bearer = "Bearer " + upd.RegistrationAccessToken
		if _, err := rs.s.Authenticate(ctx, r.ID, upd.Secret); err != nil {
			t.Fatalf("the new secret: %v", err)
		}

		// Delete.
		if rec := rs.do("DELETE", path, bearer, "", ""); rec.Code != 204 || rec.Body.Len() != 0 {
			t.Fatalf("delete: %d %s", rec.Code, rec.Body)
		}
		for _, m := range []string{"GET", "DELETE"} {
			if rec := rs.do(m, path, bearer, "", ""); rec.Code != 401 {
				t.Fatalf("%s after delete: %d %s", m, rec.Code, rec.Body)
			}
		}
		if _, err := rs.s.Get(ctx, r.ID); err == nil {
			t.Fatal("the client still exists")
		}
		// The others are untouched.
		if rec := rs.do("GET", "/oauth2/register/"+other.ID, "Bearer "+other.RegistrationAccessToken, "", ""); rec.Code != 200 {
			t.Fatalf("other client: %d", rec.Code)
		}
		if _, err := rs.s.Get(ctx, admin.ID); err != nil {
			t.Fatal(err)
		}
	})
}
