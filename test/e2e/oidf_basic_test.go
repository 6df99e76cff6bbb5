package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	ory "github.com/ory/client-go"
	"golang.org/x/oauth2"
)

// happyFlow completes an authorization request of any response type and
// checks what it returns as a client must: the ID token from the
// authorization endpoint with c_hash and at_hash where required (OIDC Core
// 3.2.2.10, 3.3.2.11), the code's token response, the same iss and sub in
// both ID tokens (3.3.3.6), and the UserInfo endpoint with each access token.
func (o *oidfEnv) happyFlow(t *testing.T, b *http.Client, c oidfClient, v url.Values) oidfTokens {
	t.Helper()
	rt := strings.Fields(v.Get("response_type"))
	has := func(p string) bool { return slices.Contains(rt, p) }
	got := o.authorize(t, b, v)
	nonce := v.Get("nonce")
	var tk oidfTokens
	for _, p := range []string{"code", "id_token", "access_token"} {
		want := has(strings.TrimPrefix(p, "access_"))
		if (got.Get(p) != "") != want {
			t.Fatalf("response_type %q: %s present %v", v.Get("response_type"), p, !want)
		}
	}
	if has("id_token") {
		tk.RawID = got.Get("id_token")
		tk.IDHeader, tk.ID = o.verifyIDToken(t, tk.RawID, c.ID, nonce)
		if has("code") && claimString(tk.ID["c_hash"]) != halfHash(tk.IDHeader.Algorithm, got.Get("code")) {
			t.Fatalf("c_hash %v does not match the code", tk.ID["c_hash"])
		}
		if has("token") && claimString(tk.ID["at_hash"]) != halfHash(tk.IDHeader.Algorithm, got.Get("access_token")) {
			t.Fatalf("at_hash %v does not match the access token", tk.ID["at_hash"])
		}
	}
	if has("token") {
		if !strings.EqualFold(got.Get("token_type"), "bearer") {
			t.Fatalf("token_type %q", got.Get("token_type"))
		}
		tk.Access = got.Get("access_token")
		if tk.ID == nil {
			o.userinfo200(t, tk.Access)
		}
	}
	if has("code") {
		back := o.exchange(t, c, got.Get("code"), nonce, nil)
		if tk.ID != nil && (back.ID["iss"] != tk.ID["iss"] || back.ID["sub"] != tk.ID["sub"]) {
			t.Fatalf("the two ID tokens differ in iss or sub: %v / %v", tk.ID, back.ID)
		}
		if tk.Access != "" {
			o.userinfoClaims(t, "get", oidfTokens{Access: tk.Access, ID: back.ID})
		}
		tk = back
	}
	if tk.Access != "" {
		o.userinfoClaims(t, "get", tk)
	}
	return tk
}

// userinfo200 checks that an access token works at the UserInfo endpoint.
func (o *oidfEnv) userinfo200(t *testing.T, token string) {
	t.Helper()
	if status, _, b := o.userinfo(t, "get", token); status != http.StatusOK {
		t.Fatalf("userinfo: %d %s", status, b)
	}
}

func TestOIDF_oidcc_server(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	for _, rt := range []string{"code", "id_token", "id_token token", "code id_token", "code token", "code id_token token"} {
		t.Run(strings.ReplaceAll(rt, " ", "+"), func(t *testing.T) {
			tk := o.happyFlow(t, o.browser(t), c, o.authParams(t, c, rt))
			if tk.ID["sub"] != "alice" {
				t.Fatalf("sub %v", tk.ID["sub"])
			}
		})
	}
}

func TestOIDF_oidcc_server_client_secret_post(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", map[string]any{"token_endpoint_auth_method": "client_secret_post"})
	if c.Method != "client_secret_post" {
		t.Fatalf("registered %s", c.Method)
	}
	o.happyFlow(t, o.browser(t), c, o.authParams(t, c, "code"))
}

// The parameters in another order and the scope reversed (RFC 6749 3.3).
func TestOIDF_oidcc_alternate_happy_flow(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	state, nonce := randomState(t), randomState(t)
	raw := "nonce=" + nonce + "&state=" + state + "&scope=" + url.QueryEscape("email openid") +
		"&redirect_uri=" + url.QueryEscape(o.cb()) + "&response_type=code&client_id=rp"
	cb := navigate(t, o.browser(t), o.endpoint(t, "authorization_endpoint")+"?"+raw)
	q := cb.Query()
	if q.Get("state") != state || q.Get("code") == "" {
		t.Fatalf("callback %s", cb)
	}
	tk := o.exchange(t, c, q.Get("code"), nonce, nil)
	if sc := strings.Fields(claimString(tk.Resp["scope"])); !slices.Contains(sc, "openid") || !slices.Contains(sc, "email") {
		t.Fatalf("granted scope %v", tk.Resp["scope"])
	}
	if ui := o.userinfoClaims(t, "get", tk); ui["email"] != "alice@example.com" {
		t.Fatalf("userinfo %v", ui)
	}
}

func TestOIDF_oidcc_codereuse(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	v := o.authParams(t, c, "code")
	code := o.authorize(t, o.browser(t), v).Get("code")
	o.exchange(t, c, code, v.Get("nonce"), nil)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {o.cb()}}
	if status, out, _ := o.tokenRequest(t, c, form); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Fatalf("second use of the code: %d %v", status, out)
	}
}

// The second use comes 30 seconds later: still invalid_grant, and the
// access token the code gave is revoked (RFC 6749 4.1.2).
func TestOIDF_oidcc_codereuse_30seconds(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 30 seconds")
	}
	// The code is used before the test waits for its turn among the
	// parallel tests, so that the 30 seconds run meanwhile.
	o := startOIDF(t, nil)
	c := o.register(t, "rp", nil)
	v := o.authParams(t, c, "code")
	code := o.authorize(t, o.browser(t), v).Get("code")
	tk := o.exchange(t, c, code, v.Get("nonce"), nil)
	used := time.Now()
	o.userinfo200(t, tk.Access)
	t.Parallel()
	time.Sleep(30*time.Second - time.Since(used))
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {o.cb()}}
	if status, out, _ := o.tokenRequest(t, c, form); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Fatalf("use of the code 30s later: %d %v", status, out)
	}
	if status, _, b := o.userinfo(t, "get", tk.Access); status != http.StatusUnauthorized {
		t.Fatalf("the access token of a replayed code still works: %d %s", status, b)
	}
}

func TestOIDF_oidcc_ensure_request_with_valid_pkce_succeeds(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	verifier := oauth2.GenerateVerifier()
	v := o.authParams(t, c, "code")
	v.Set("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))
	v.Set("code_challenge_method", "S256")
	code := o.authorize(t, o.browser(t), v).Get("code")
	o.exchange(t, c, code, v.Get("nonce"), url.Values{"code_verifier": {verifier}})
}

// RFC 6749 3.1: unrecognized request parameters are ignored.
func TestOIDF_oidcc_ensure_request_with_unknown_parameter_succeeds(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	o.codeFlow(t, o.browser(t), c, url.Values{"extra": {"foobar"}})
}

// OIDC Core 3.1.2.1: the authorization endpoint supports POST.
func TestOIDF_oidcc_ensure_post_request_succeeds(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	v := o.authParams(t, c, "code")
	req, _ := http.NewRequest("POST", o.endpoint(t, "authorization_endpoint"), strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, body := browse(t, o.browser(t), req)
	loc, err := res.Location()
	if err != nil || !strings.HasPrefix(loc.String(), o.cb()) {
		t.Fatalf("POST authorization ended at %s with %d: %s", res.Request.URL, res.StatusCode, body)
	}
	q := loc.Query()
	if q.Get("state") != v.Get("state") || q.Get("code") == "" {
		t.Fatalf("callback %s", loc)
	}
	o.exchange(t, c, q.Get("code"), v.Get("nonce"), nil)
}

// OIDC Core 3.1.2.1: nonce is optional in the code flow; the ID token
// then has none.
func TestOIDF_oidcc_ensure_request_without_nonce_succeeds_for_code_flow(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	v := o.authParams(t, c, "code")
	v.Del("nonce")
	code := o.authorize(t, o.browser(t), v).Get("code")
	o.exchange(t, c, code, "", nil)
}

// OIDC Core 3.2.2.1, 3.3.2.11: nonce is required whenever the
// authorization endpoint returns an ID token.
func TestOIDF_oidcc_ensure_request_without_nonce_fails(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	for _, rt := range []string{"id_token", "id_token token", "code id_token", "code id_token token"} {
		t.Run(strings.ReplaceAll(rt, " ", "+"), func(t *testing.T) {
			v := o.authParams(t, c, rt)
			v.Del("nonce")
			cb, got := o.callback(t, o.browser(t), v)
			if got.Get("error") != "invalid_request" || cb.Fragment == "" {
				t.Fatalf("want invalid_request in the fragment: %s", cb)
			}
		})
	}
}

// RFC 6749 4.1.2.1: a missing response_type is invalid_request (or
// unsupported_response_type), sent back or shown.
func TestOIDF_oidcc_response_type_missing(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	v := o.authParams(t, c, "code")
	v.Del("response_type")
	res, body := browse(t, o.browser(t), getRequest(o.authURL(t, v)))
	loc, err := res.Location()
	if err != nil {
		o.expectShown(t, res, body, "")
		return
	}
	q := responseParams(t, loc)
	if !strings.HasPrefix(loc.String(), o.cb()) || q.Get("state") != v.Get("state") ||
		(q.Get("error") != "invalid_request" && q.Get("error") != "unsupported_response_type") {
		t.Fatalf("missing response_type answered with %s", loc)
	}
}

// OIDC Core 3.1.2.1: redirect_uri is required, even when the client has
// one (here two) registered.
func TestOIDF_oidcc_ensure_redirect_uri_in_authorization_request(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", map[string]any{"redirect_uris": []string{o.cb(), o.rp.URL + "/cb2"}})
	v := o.authParams(t, c, "code")
	v.Del("redirect_uri")
	res, body := browse(t, o.browser(t), getRequest(o.authURL(t, v)))
	o.expectShown(t, res, body, "invalid_request")
}

// OIDC Core 3.1.2.1: the redirect_uri must match a registered one exactly.
func TestOIDF_oidcc_ensure_registered_redirect_uri(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	v := o.authParams(t, c, "code")
	v.Set("redirect_uri", o.rp.URL+"/not-registered")
	res, body := browse(t, o.browser(t), getRequest(o.authURL(t, v)))
	o.expectShown(t, res, body, "invalid_request")
}

// A registered redirect URI with a query keeps it (RFC 6749 3.1.2).
func TestOIDF_oidcc_redirect_uri_query_OK(t *testing.T) {
	o := newOIDF(t)
	ru := o.cb() + "?foo=bar"
	c := o.register(t, "rp", map[string]any{"redirect_uris": []string{ru}})
	v := o.authParams(t, c, "code")
	v.Set("redirect_uri", ru)
	got := o.authorize(t, o.browser(t), v)
	if got.Get("foo") != "bar" || got.Get("code") == "" {
		t.Fatalf("callback parameters %v", got)
	}
	o.exchange(t, c, got.Get("code"), v.Get("nonce"), url.Values{"redirect_uri": {ru}})
}

func TestOIDF_oidcc_redirect_uri_query_added(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	v := o.authParams(t, c, "code")
	v.Set("redirect_uri", o.cb()+"?foo=bar")
	res, body := browse(t, o.browser(t), getRequest(o.authURL(t, v)))
	o.expectShown(t, res, body, "invalid_request")
}

func TestOIDF_oidcc_redirect_uri_query_mismatch(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", map[string]any{"redirect_uris": []string{o.cb() + "?foo=bar"}})
	v := o.authParams(t, c, "code")
	v.Set("redirect_uri", o.cb()+"?foo=zap")
	res, body := browse(t, o.browser(t), getRequest(o.authURL(t, v)))
	o.expectShown(t, res, body, "invalid_request")
}

func TestOIDF_oidcc_idtoken_rs256(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", map[string]any{"id_token_signed_response_alg": "RS256"})
	tk := o.codeFlow(t, o.browser(t), c, nil)
	if tk.IDHeader.Algorithm != "RS256" {
		t.Fatalf("ID token alg %s", tk.IDHeader.Algorithm)
	}
}

// Without a registered algorithm ID tokens are RS256 (OIDC Registration 2).
func TestOIDF_oidcc_idtoken_signature(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	tk := o.codeFlow(t, o.browser(t), c, nil)
	if tk.IDHeader.Algorithm != "RS256" {
		t.Fatalf("default ID token alg %s", tk.IDHeader.Algorithm)
	}
}

// Unsigned ID tokens are not offered: discovery does not list none (so the
// module is skipped by the suite) and a client cannot register it.
func TestOIDF_oidcc_idtoken_unsigned(t *testing.T) {
	o := newOIDF(t)
	if slices.Contains(claimStrings(o.disc["id_token_signing_alg_values_supported"]), "none") {
		t.Fatal("discovery lists none for ID tokens; the module then applies")
	}
	status, out := o.adminJSON(t, "POST", "/admin/clients", map[string]any{"client_id": "rp", "redirect_uris": []string{o.cb()},
		"id_token_signed_response_alg": "none"})
	if status != http.StatusBadRequest {
		t.Fatalf("a client asking for unsigned ID tokens: %d %v", status, out)
	}
}

func TestOIDF_oidcc_userinfo_get(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	tk := o.codeFlow(t, o.browser(t), c, url.Values{"scope": {"openid email"}})
	if ui := o.userinfoClaims(t, "get", tk); ui["email"] != "alice@example.com" {
		t.Fatalf("userinfo %v", ui)
	}
}

func TestOIDF_oidcc_userinfo_post_header(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	tk := o.codeFlow(t, o.browser(t), c, url.Values{"scope": {"openid email"}})
	if ui := o.userinfoClaims(t, "post-header", tk); ui["email"] != "alice@example.com" {
		t.Fatalf("userinfo %v", ui)
	}
}

// RFC 6750 2.2: the access token in a form body (optional for servers).
func TestOIDF_oidcc_userinfo_post_body(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	tk := o.codeFlow(t, o.browser(t), c, url.Values{"scope": {"openid email"}})
	if ui := o.userinfoClaims(t, "post-body", tk); ui["email"] != "alice@example.com" {
		t.Fatalf("userinfo %v", ui)
	}
}

// OIDC Core 5.3.2: a signed UserInfo response is a JWT (application/jwt)
// with iss and aud.
func TestOIDF_oidcc_userinfo_rs256(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", map[string]any{"userinfo_signed_response_alg": "RS256"})
	tk := o.codeFlow(t, o.browser(t), c, url.Values{"scope": {"openid email"}})
	status, h, b := o.userinfo(t, "get", tk.Access)
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/jwt") {
		t.Fatalf("signed userinfo: %d %s %s", status, h.Get("Content-Type"), b)
	}
	hdr, claims := o.verifyJWT(t, string(b))
	if hdr.Algorithm != "RS256" || claims["iss"] != o.issuer() || !slices.Contains(claimStrings(claims["aud"]), "rp") ||
		claims["sub"] != tk.ID["sub"] || claims["email"] != "alice@example.com" {
		t.Fatalf("signed userinfo %s %v", hdr.Algorithm, claims)
	}
}

// scopeModule requests scope and checks that the UserInfo endpoint
// returns the claims the scope stands for (OIDC Core 5.4).
func scopeModule(t *testing.T, scopes ...string) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	tk := o.codeFlow(t, o.browser(t), c, url.Values{"scope": {"openid " + strings.Join(scopes, " ")}})
	granted := strings.Fields(claimString(tk.Resp["scope"]))
	ui := o.userinfoClaims(t, "get", tk)
	for _, s := range scopes {
		if !slices.Contains(granted, s) {
			t.Fatalf("scope %s not granted: %v", s, tk.Resp["scope"])
		}
		for k, want := range scopeClaims[s] {
			w, _ := json.Marshal(want)
			g, _ := json.Marshal(ui[k])
			if string(w) != string(g) {
				t.Errorf("userinfo %s = %s, want %s", k, g, w)
			}
		}
	}
}

func TestOIDF_oidcc_scope_profile(t *testing.T) { scopeModule(t, "profile") }
func TestOIDF_oidcc_scope_email(t *testing.T)   { scopeModule(t, "email") }
func TestOIDF_oidcc_scope_address(t *testing.T) { scopeModule(t, "address") }
func TestOIDF_oidcc_scope_phone(t *testing.T)   { scopeModule(t, "phone") }
func TestOIDF_oidcc_scope_all(t *testing.T)     { scopeModule(t, "address", "email", "phone", "profile") }

// The claims parameter (OIDC Core 5.5) asks for name as essential; the
// request must succeed. The server does not support the parameter
// (claims_parameter_supported is false), so whether name comes back is up
// to the login app: the suite only warns when it does not.
func TestOIDF_oidcc_claims_essential(t *testing.T) {
	o := newOIDF(t)
	if o.disc["claims_parameter_supported"] != false {
		t.Fatalf("claims_parameter_supported %v", o.disc["claims_parameter_supported"])
	}
	c := o.register(t, "rp", nil)
	tk := o.codeFlow(t, o.browser(t), c, url.Values{"claims": {`{"userinfo":{"name":{"essential":true}}}`}})
	o.userinfoClaims(t, "get", tk)
}

// OIDC Core 5.2: claims_locales must not cause an error.
func TestOIDF_oidcc_claims_locales(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	tk := o.codeFlow(t, o.browser(t), c, url.Values{"claims_locales": {"se"}, "scope": {"openid profile"}})
	o.userinfoClaims(t, "get", tk)
}

// oidcContext runs a code flow with extra parameters and returns the OIDC
// context of the login request the app saw.
func oidcContext(t *testing.T, extra url.Values) (*oidfEnv, *ory.OAuth2ConsentRequestOpenIDConnectContext) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	o.codeFlow(t, o.browser(t), c, extra)
	ls := o.logins()
	if len(ls) != 1 || ls[0].Skip || ls[0].OidcContext == nil {
		t.Fatalf("login requests %+v", ls)
	}
	return o, ls[0].OidcContext
}

// OIDC Core 3.1.2.1 ui_locales: the login app learns the preference.
func TestOIDF_oidcc_ui_locales(t *testing.T) {
	_, oc := oidcContext(t, url.Values{"ui_locales": {"se"}})
	if !slices.Equal(oc.UiLocales, []string{"se"}) {
		t.Fatalf("ui_locales seen by the login app: %v", oc.UiLocales)
	}
}

// OIDC Core 15.1: display must be supported (at least accepted).
func TestOIDF_oidcc_display_page(t *testing.T) {
	_, oc := oidcContext(t, url.Values{"display": {"page"}})
	if oc.GetDisplay() != "page" {
		t.Fatalf("display seen by the login app: %q", oc.GetDisplay())
	}
}

func TestOIDF_oidcc_display_popup(t *testing.T) {
	_, oc := oidcContext(t, url.Values{"display": {"popup"}})
	if oc.GetDisplay() != "popup" {
		t.Fatalf("display seen by the login app: %q", oc.GetDisplay())
	}
}

// The login app receives login_hint and signs in the user it names.
func TestOIDF_oidcc_login_hint(t *testing.T) {
	o := newOIDF(t)
	o.app.onLogin = func(req *ory.OAuth2LoginRequest, body *ory.AcceptOAuth2LoginRequest) {
		if h := req.OidcContext.GetLoginHint(); h != "" && !req.Skip {
			body.Subject = h
		}
	}
	c := o.register(t, "rp", nil)
	u, _ := url.Parse(o.issuer())
	hint := "buffy@" + u.Hostname()
	tk := o.codeFlow(t, o.browser(t), c, url.Values{"login_hint": {hint}})
	if tk.ID["sub"] != hint {
		t.Fatalf("sub %v, login_hint %s", tk.ID["sub"], hint)
	}
}

// acr_values reach the login app and the acr it accepts with is in the ID
// token (OIDC Core 3.1.2.1, 2). Discovery lists no acr_values_supported,
// so the suite sends "1 2".
func TestOIDF_oidcc_ensure_request_with_acr_values_succeeds(t *testing.T) {
	o := newOIDF(t)
	if _, ok := o.disc["acr_values_supported"]; ok {
		t.Fatalf("acr_values_supported %v: use those values", o.disc["acr_values_supported"])
	}
	o.app.onLogin = func(req *ory.OAuth2LoginRequest, body *ory.AcceptOAuth2LoginRequest) {
		if v := req.OidcContext.AcrValues; len(v) > 0 {
			body.Acr = ory.PtrString(v[0])
		}
	}
	c := o.register(t, "rp", nil)
	tk := o.codeFlow(t, o.browser(t), c, url.Values{"acr_values": {"1 2"}})
	if acr := claimString(tk.ID["acr"]); acr != "1" && acr != "2" {
		t.Fatalf("acr %v, requested 1 2", tk.ID["acr"])
	}
}
