package e2e

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// newRegOIDF is a server with OpenID Connect Dynamic Client Registration
// 1.0 enabled, trusting the certificate of tlsDoc (when given) as a root,
// so that it can fetch documents the test serves over https.
func newRegOIDF(t *testing.T, tlsDoc *servedDoc) *oidfEnv {
	t.Helper()
	var env []string
	if tlsDoc != nil {
		ca := filepath.Join(t.TempDir(), "ca.pem")
		pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsDoc.srv.Certificate().Raw})
		if err := os.WriteFile(ca, pemCert, 0o600); err != nil {
			t.Fatal(err)
		}
		env = append(env, "SSL_CERT_FILE="+ca)
	}
	o := newOIDFWith(t, env, "--set", "oauth2.oidc.dynamic_client_registration.enabled=true",
		"--set", "oauth2.oidc.dynamic_client_registration.default_scope=openid,offline_access,profile,email,address,phone")
	if claimString(o.disc["registration_endpoint"]) == "" {
		t.Fatal("discovery has no registration_endpoint")
	}
	return o
}

// dynRegister posts client metadata to the registration endpoint (OIDC
// Registration 3.1, RFC 7591 3.1).
func (o *oidfEnv) dynRegister(t *testing.T, meta map[string]any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(meta)
	res, err := http.Post(o.endpoint(t, "registration_endpoint"), "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// dynClient registers and expects success (OIDC Registration 3.2).
func (o *oidfEnv) dynClient(t *testing.T, meta map[string]any) (oidfClient, map[string]any) {
	t.Helper()
	if _, ok := meta["redirect_uris"]; !ok {
		meta["redirect_uris"] = []string{o.cb()}
	}
	status, out := o.dynRegister(t, meta)
	if status != http.StatusCreated || claimString(out["client_id"]) == "" {
		t.Fatalf("registration: %d %v", status, out)
	}
	return oidfClient{ID: claimString(out["client_id"]), Secret: claimString(out["client_secret"]), Method: claimString(out["token_endpoint_auth_method"])}, out
}

// expectRegistrationError checks a refused registration (OIDC Registration
// 3.3, RFC 7591 3.2.2).
func (o *oidfEnv) expectRegistrationError(t *testing.T, meta map[string]any, codes ...string) {
	t.Helper()
	status, out := o.dynRegister(t, meta)
	if status != http.StatusBadRequest || !slices.Contains(codes, claimString(out["error"])) {
		t.Fatalf("registration of %v: %d %v, want 400 %v", meta, status, out, codes)
	}
}

// OIDC Core 4, Registration 2: initiate_login_uri is kept and shown by the
// client configuration endpoint (RFC 7592 2.1).
func TestOIDF_oidcc_3rd_party_init_login(t *testing.T) {
	o := newRegOIDF(t, nil)
	const init = "https://rp.example/initiate-login"
	_, out := o.dynClient(t, map[string]any{"initiate_login_uri": init})
	if out["initiate_login_uri"] != init {
		t.Fatalf("registration response %v", out)
	}
	req, _ := http.NewRequest("GET", claimString(out["registration_client_uri"]), nil)
	req.Header.Set("Authorization", "Bearer "+claimString(out["registration_access_token"]))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got map[string]any
	_ = json.NewDecoder(res.Body).Decode(&got)
	if res.StatusCode != http.StatusOK || got["initiate_login_uri"] != init || got["client_id"] != out["client_id"] {
		t.Fatalf("client configuration endpoint: %d %v", res.StatusCode, got)
	}
}

// Registration 2: initiate_login_uri must use https.
func TestOIDF_oidcc_3rd_party_init_login_nohttps(t *testing.T) {
	o := newRegOIDF(t, nil)
	for _, u := range []string{"http://rp.example/initiate-login", o.rp.URL + "/initiate-login"} {
		o.expectRegistrationError(t, map[string]any{"redirect_uris": []string{o.cb()}, "initiate_login_uri": u}, "invalid_client_metadata")
	}
}

// OIDC Registration 2, RFC 6749 3.1.2: a redirect URI has no fragment.
func TestOIDF_oidcc_redirect_uri_regfrag(t *testing.T) {
	o := newRegOIDF(t, nil)
	o.expectRegistrationError(t, map[string]any{"redirect_uris": []string{o.cb() + "#fragment"}},
		"invalid_redirect_uri", "invalid_client_metadata")
}

// A client registering a jwks_uri authenticates with its key there.
func TestOIDF_oidcc_registration_jwks_uri(t *testing.T) {
	o := newRegOIDF(t, nil)
	key, kid, jwks := rsaClientKey(t)
	doc := serveDoc(t, "application/json", []byte(mustJSON(jwks)))
	c, out := o.dynClient(t, map[string]any{"jwks_uri": doc.srv.URL + "/jwks.json", "token_endpoint_auth_method": "private_key_jwt",
		"token_endpoint_auth_signing_alg": "RS256"})
	if out["jwks_uri"] != doc.srv.URL+"/jwks.json" || c.Method != "private_key_jwt" {
		t.Fatalf("registration response %v", out)
	}
	c.Key, c.KID = key, kid
	tk := o.codeFlow(t, o.browser(t), c, nil)
	o.userinfoClaims(t, "get", tk)
	if doc.count() == 0 {
		t.Fatal("the jwks_uri was never fetched")
	}
}

// metadataShown registers field, signs in and checks that the login app
// was given the value, which the login page displays (logo, policy and
// terms links; Registration 2).
func metadataShown(t *testing.T, field string) {
	o := newRegOIDF(t, nil)
	value := "https://rp.example/" + field
	c, out := o.dynClient(t, map[string]any{field: value})
	if out[field] != value {
		t.Fatalf("registration response %v", out)
	}
	o.codeFlow(t, o.browser(t), c, nil)
	ls := o.logins()
	if len(ls) != 1 {
		t.Fatalf("login requests %d", len(ls))
	}
	b, _ := json.Marshal(ls[0].Client)
	var shown map[string]any
	_ = json.Unmarshal(b, &shown)
	if shown[field] != value {
		t.Fatalf("the login app got client %v, without %s %s", shown, field, value)
	}
}

func TestOIDF_oidcc_registration_logo_uri(t *testing.T)   { metadataShown(t, "logo_uri") }
func TestOIDF_oidcc_registration_policy_uri(t *testing.T) { metadataShown(t, "policy_uri") }
func TestOIDF_oidcc_registration_tos_uri(t *testing.T)    { metadataShown(t, "tos_uri") }

// OIDC Core 8.1: the document at sector_identifier_uri must list every
// redirect URI of the client; here it does not.
func TestOIDF_oidcc_registration_sector_bad(t *testing.T) {
	doc := serveDocOn(t, httptest.NewTLSServer, "application/json", nil)
	o := newRegOIDF(t, doc)
	doc.set([]byte(mustJSON([]string{o.rp.URL + "/elsewhere"})))
	o.expectRegistrationError(t, map[string]any{"redirect_uris": []string{o.cb()}, "subject_type": "pairwise",
		"sector_identifier_uri": doc.srv.URL + "/sector.json"}, "invalid_client_metadata")
	if doc.count() == 0 {
		t.Fatal("refused without fetching the sector_identifier_uri")
	}
}

// The document lists the redirect URI: registration succeeds, and the
// client gets pairwise subject identifiers (OIDC Core 8.1).
func TestOIDF_oidcc_registration_sector_uri(t *testing.T) {
	doc := serveDocOn(t, httptest.NewTLSServer, "application/json", nil)
	o := newRegOIDF(t, doc)
	doc.set([]byte(mustJSON([]string{o.cb()})))
	sector := doc.srv.URL + "/sector.json"
	c, out := o.dynClient(t, map[string]any{"subject_type": "pairwise", "sector_identifier_uri": sector})
	if out["sector_identifier_uri"] != sector || out["subject_type"] != "pairwise" {
		t.Fatalf("registration response %v", out)
	}
	tk := o.codeFlow(t, o.browser(t), c, nil)
	if sub := claimString(tk.ID["sub"]); sub == "" || sub == "alice" {
		t.Fatalf("pairwise sub %q", sub)
	}
	o.userinfoClaims(t, "get", tk)
	if u, _ := url.Parse(sector); doc.count() == 0 || u.Scheme != "https" {
		t.Fatal("the sector_identifier_uri was never fetched")
	}
}
