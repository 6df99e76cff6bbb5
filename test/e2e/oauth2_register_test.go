package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// call sends a JSON request with an optional bearer token and returns the
// status, the decoded JSON object (nil for an empty body) and the headers.
func call(t *testing.T, method, target, token, body string) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %d, not a JSON object: %s", method, target, res.StatusCode, b)
		}
	}
	return res.StatusCode, out, res.Header
}

func TestOAuth2DynamicClientRegistration(t *testing.T) { eachDB(t, testDynamicRegistration) }

func testDynamicRegistration(t *testing.T, args ...string) {
	e := startOAuth(t, nil, append([]string{
		"--set", "oauth2.oidc.dynamic_client_registration.enabled=true",
		"--set", "oauth2.oidc.dynamic_client_registration.default_scope=openid,offline_access",
	}, args...)...)
	endpoint := e.srv.public + "/oauth2/register"

	// Discovery names the endpoint.
	for _, doc := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"} {
		code, d, _ := call(t, "GET", e.srv.public+doc, "", "")
		if code != 200 || d["registration_endpoint"] != endpoint {
			t.Fatalf("%s: %d registration_endpoint %v, want %s", doc, code, d["registration_endpoint"], endpoint)
		}
	}

	// Register.
	code, c, hdr := call(t, "POST", endpoint, "", `{"client_name":"self-service","redirect_uris":["`+e.rp.URL+`/cb"],`+
		`"grant_types":["authorization_code","refresh_token","client_credentials"],"response_types":["code"],`+
		`"initiate_login_uri":"https://rp.example/login"}`)
	if code != 201 || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("register: %d %v %v", code, c, hdr)
	}
	id, _ := c["client_id"].(string)
	secret, _ := c["client_secret"].(string)
	token, _ := c["registration_access_token"].(string)
	if id == "" || len(secret) < 43 || len(token) < 43 || c["registration_client_uri"] != endpoint+"/"+id ||
		c["token_endpoint_auth_method"] != "client_secret_basic" || c["scope"] != "openid offline_access" ||
		c["client_secret_expires_at"] != 0.0 || c["initiate_login_uri"] != "https://rp.example/login" {
		t.Fatalf("registered client: %v", c)
	}

	// Refused registrations answer in the OAuth 2.0 error form.
	for _, tc := range []struct{ body, code string }{
		{`{"client_id":"mine","redirect_uris":["` + e.rp.URL + `/cb"]}`, "invalid_client_metadata"},
		{`{"client_secret":"my-own-secret","redirect_uris":["` + e.rp.URL + `/cb"]}`, "invalid_client_metadata"},
		{`{"skip_consent":true,"redirect_uris":["` + e.rp.URL + `/cb"]}`, "invalid_client_metadata"},
		{`{"redirect_uris":["http://evil.example/cb"]}`, "invalid_redirect_uri"},
		{`{"redirect_uris":`, "invalid_client_metadata"},
	} {
		code, body, _ := call(t, "POST", endpoint, "", tc.body)
		if code != 400 || body["error"] != tc.code || body["status_code"] != 400.0 {
			t.Errorf("register %s: %d %v, want 400 %s", tc.body, code, body, tc.code)
		}
	}

	// The registered client gets tokens: client credentials...
	form := url.Values{"grant_type": {"client_credentials"}}
	req, _ := http.NewRequest("POST", e.srv.public+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if res.StatusCode != 200 || tok["access_token"] == nil {
		t.Fatalf("client credentials: %d %v", res.StatusCode, tok)
	}

	// ... and the authorization code flow, found through discovery.
	ctx := oidc.InsecureIssuerURLContext(context.Background(), e.srv.public)
	prov, err := oidc.NewProvider(ctx, e.srv.public)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	conf := oauth2.Config{ClientID: id, ClientSecret: secret, Endpoint: prov.Endpoint(), RedirectURL: e.rp.URL + "/cb",
		Scopes: []string{oidc.ScopeOpenID, "offline_access"}}
	verifier, state, nonce := oauth2.GenerateVerifier(), randomState(t), randomState(t)
	cb := navigate(t, e.browser(t), conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)))
	if cb.Query().Get("state") != state || cb.Query().Get("code") == "" {
		t.Fatalf("callback %s", cb)
	}
	ot, err := conf.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	rawID, _ := ot.Extra("id_token").(string)
	idt, err := prov.Verifier(&oidc.Config{ClientID: id}).Verify(context.Background(), rawID)
	if err != nil || idt.Subject != "alice" || idt.Nonce != nonce || ot.RefreshToken == "" {
		t.Fatalf("id token %+v, refresh token %q: %v", idt, ot.RefreshToken, err)
	}

	// Read it back with the registration access token.
	mgmt := endpoint + "/" + id
	code, got, _ := call(t, "GET", mgmt, token, "")
	if code != 200 || got["client_name"] != "self-service" || got["client_secret"] != nil || got["registration_access_token"] != nil ||
		got["registration_client_uri"] != mgmt || got["initiate_login_uri"] != "https://rp.example/login" {
		t.Fatalf("get: %d %v", code, got)
	}
	for _, tc := range []struct{ token, challenge string }{
		{"", `Bearer realm="oauth2"`},
		{"wrong", `Bearer realm="oauth2", error="invalid_token"`},
		{secret, `Bearer realm="oauth2", error="invalid_token"`},
	} {
		code, body, hdr := call(t, "GET", mgmt, tc.token, "")
		if code != 401 || hdr.Get("WWW-Authenticate") != tc.challenge || body["error"] != "invalid_token" {
			t.Errorf("get with token %q: %d %v %q", tc.token, code, body, hdr.Get("WWW-Authenticate"))
		}
	}
	// A client created through the admin API cannot be managed here.
	admin := e.webClient(t, "admin-made")
	if code, _, _ := call(t, "GET", endpoint+"/"+admin.GetClientId(), token, ""); code != 401 {
		t.Fatalf("admin-made client through the registration endpoint: %d", code)
	}

	// Update: the metadata is replaced, a new token issued, the secret kept.
	code, upd, _ := call(t, "PUT", mgmt, token, `{"client_id":"`+id+`","client_name":"renamed","redirect_uris":["`+e.rp.URL+`/cb"],`+
		`"grant_types":["client_credentials"]}`)
	next, _ := upd["registration_access_token"].(string)
	if code != 200 || upd["client_name"] != "renamed" || upd["client_secret"] != nil || next == "" || next == token {
		t.Fatalf("put: %d %v", code, upd)
	}
	if code, _, _ := call(t, "GET", mgmt, token, ""); code != 401 {
		t.Fatalf("the replaced token still reads the client: %d", code)
	}
	code, got, _ = call(t, "GET", mgmt, next, "")
	if code != 200 || got["client_name"] != "renamed" || got["initiate_login_uri"] != nil {
		t.Fatalf("get after put: %d %v", code, got)
	}
	ac, _, err := e.admin.OAuth2API.GetOAuth2Client(context.Background(), id).Execute()
	if err != nil || ac.GetClientName() != "renamed" {
		t.Fatalf("admin API view: %v %v", ac, sdkErr(err))
	}
	req, _ = http.NewRequest("POST", e.srv.public+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("client credentials after put: %v %v", res, err)
	} else {
		res.Body.Close()
	}

	// Delete: the client and its token are gone.
	if code, body, _ := call(t, "DELETE", mgmt, next, ""); code != 204 || body != nil {
		t.Fatalf("delete: %d %v", code, body)
	}
	if code, _, _ := call(t, "GET", mgmt, next, ""); code != 401 {
		t.Fatalf("get after delete: %d", code)
	}
	if _, res, err := e.admin.OAuth2API.GetOAuth2Client(context.Background(), id).Execute(); err == nil || res.StatusCode != 404 {
		t.Fatalf("admin API after delete: %v", err)
	}
}

func TestOAuth2DynamicClientRegistrationDisabled(t *testing.T) {
	srv := start(t, t.TempDir(), nil, "--dev")
	code, d, _ := call(t, "GET", srv.public+"/.well-known/openid-configuration", "", "")
	if code != 200 || d["issuer"] == nil {
		t.Fatalf("discovery: %d %v", code, d)
	}
	if _, ok := d["registration_endpoint"]; ok {
		t.Fatalf("discovery names a registration endpoint while registration is off: %v", d["registration_endpoint"])
	}
	if code, _, _ := call(t, "POST", srv.public+"/oauth2/register", "", `{"redirect_uris":["https://app.example/cb"]}`); code != 404 {
		t.Fatalf("register while off: %d", code)
	}
	if code, _, _ := call(t, "GET", srv.public+"/oauth2/register/x", "x", ""); code != 404 {
		t.Fatalf("get while off: %d", code)
	}
}
