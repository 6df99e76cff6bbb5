package e2e

// The TestOIDF_* tests are named after the OpenID Foundation's OpenID
// Provider conformance test modules (OIDF.md maps every module to its test
// or says why it does not apply). Each drives the built server from the
// outside the way the module drives an OpenID Provider and checks what the
// module's summary and the specification it cites require. Every test runs
// its own server, in parallel with the others.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	ory "github.com/ory/client-go"
)

// oidfEnv is a server under test with its login/consent app and relying
// party, and the discovery document it publishes.
type oidfEnv struct {
	*oauthEnv
	disc map[string]any
}

// oidfClient is a registered client and how it authenticates at the token
// endpoint.
type oidfClient struct {
	ID, Secret, Method string
	Key                *rsa.PrivateKey // private_key_jwt and signed request objects
	KID                string
}

// newOIDF starts a server for one test, in parallel with the others. The
// consent app releases the standard claims of the scopes it grants (OIDC
// Core 5.4), as a login app backed by a user store does.
func newOIDF(t *testing.T, args ...string) *oidfEnv {
	t.Helper()
	return newOIDFWith(t, nil, args...)
}

// newOIDFWith is newOIDF with extra environment for the server.
func newOIDFWith(t *testing.T, env []string, args ...string) *oidfEnv {
	t.Helper()
	t.Parallel()
	return startOIDF(t, env, args...)
}

// startOIDF is newOIDFWith without t.Parallel, for a test that must start
// its clock before it waits for its turn.
func startOIDF(t *testing.T, env []string, args ...string) *oidfEnv {
	t.Helper()
	e := startOAuth(t, env, args...)
	e.app.onConsent = func(req *ory.OAuth2ConsentRequest, body *ory.AcceptOAuth2ConsentRequest) {
		body.Session.IdToken = claimsForScopes(req.RequestedScope)
	}
	o := &oidfEnv{oauthEnv: e}
	status, body := get(t, e.srv.public+"/.well-known/openid-configuration")
	if status != http.StatusOK || json.Unmarshal([]byte(body), &o.disc) != nil {
		t.Fatalf("discovery: %d %s", status, body)
	}
	return o
}

// The user's standard claims (OIDC Core 5.1), by the scope that releases them.
var scopeClaims = map[string]map[string]any{
	"profile": {"name": "Alice Liddell", "given_name": "Alice", "family_name": "Liddell", "preferred_username": "alice",
		"locale": "en-GB", "zoneinfo": "Europe/London", "updated_at": 1700000000},
	"email": {"email": "alice@example.com", "email_verified": true},
	"address": {"address": map[string]any{"formatted": "1 Rabbit Hole\nOxford OX1 1AA\nUnited Kingdom",
		"street_address": "1 Rabbit Hole", "locality": "Oxford", "postal_code": "OX1 1AA", "country": "GB"}},
	"phone": {"phone_number": "+44 1865 000000", "phone_number_verified": true},
}

func claimsForScopes(scopes []string) map[string]any {
	out := map[string]any{}
	for _, s := range scopes {
		for k, v := range scopeClaims[s] {
			out[k] = v
		}
	}
	return out
}

func (o *oidfEnv) issuer() string { return o.disc["issuer"].(string) }

// endpoint is a URL of the discovery document.
func (o *oidfEnv) endpoint(t *testing.T, name string) string {
	t.Helper()
	v, _ := o.disc[name].(string)
	if v == "" {
		t.Fatalf("discovery has no %s", name)
	}
	return v
}

func (o *oidfEnv) cb() string   { return o.rp.URL + "/cb" }
func (o *oidfEnv) plru() string { return o.rp.URL + "/post_logout_redirect" }

// register creates a client through the admin API: a confidential web
// client allowed every response type the server offers, whose fields over
// replaces (a nil value removes a field).
func (o *oidfEnv) register(t *testing.T, id string, over map[string]any) oidfClient {
	t.Helper()
	body := map[string]any{
		"client_id":                 id,
		"redirect_uris":             []string{o.cb()},
		"grant_types":               []string{"authorization_code", "refresh_token", "implicit"},
		"response_types":            []string{"code", "id_token", "id_token token", "code id_token", "code token", "code id_token token"},
		"scope":                     "openid offline_access profile email address phone",
		"post_logout_redirect_uris": []string{o.plru()},
		"backchannel_logout_uri":    o.rp.URL + "/backchannel",
	}
	for k, v := range over {
		if v == nil {
			delete(body, k)
		} else {
			body[k] = v
		}
	}
	status, out := o.adminJSON(t, "POST", "/admin/clients", body)
	if status != http.StatusCreated {
		t.Fatalf("register client %s: %d %v", id, status, out)
	}
	secret, _ := out["client_secret"].(string)
	method, _ := out["token_endpoint_auth_method"].(string)
	return oidfClient{ID: id, Secret: secret, Method: method}
}

// adminJSON sends a JSON request to the admin API.
func (o *oidfEnv) adminJSON(t *testing.T, method, path string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, o.srv.admin+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// rsaClientKey makes an RSA key for a client and its public JWKS.
func rsaClientKey(t *testing.T) (*rsa.PrivateKey, string, map[string]any) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	kid := randomState(t)
	pub := jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}
	b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}})
	var set map[string]any
	_ = json.Unmarshal(b, &set)
	return k, kid, set
}

// signJWT signs claims with key (RS256, or alg none when key is nil).
func signJWT(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	payload, _ := json.Marshal(claims)
	if key == nil {
		return b64url([]byte(`{"alg":"none"}`)) + "." + b64url(payload) + "."
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// assertion is a private_key_jwt client assertion for aud (RFC 7523 3).
func (o *oidfEnv) assertion(t *testing.T, c oidfClient, aud string) string {
	now := time.Now()
	return signJWT(t, c.Key, c.KID, map[string]any{"iss": c.ID, "sub": c.ID, "aud": aud, "jti": randomState(t),
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
}

// serveDoc serves a document the test may change (request objects, a
// client's jwks_uri) on its own loopback server.
type servedDoc struct {
	mu          sync.Mutex
	body        []byte
	contentType string
	fetches     int
	srv         *httptest.Server
}

func serveDoc(t *testing.T, contentType string, body []byte) *servedDoc {
	return serveDocOn(t, httptest.NewServer, contentType, body)
}

// serveDocOn is serveDoc on a server newServer makes (httptest.NewTLSServer
// for https).
func serveDocOn(t *testing.T, newServer func(http.Handler) *httptest.Server, contentType string, body []byte) *servedDoc {
	d := &servedDoc{body: body, contentType: contentType}
	d.srv = newServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.fetches++
		w.Header().Set("Content-Type", d.contentType)
		_, _ = w.Write(d.body)
	}))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *servedDoc) set(body []byte) { d.mu.Lock(); d.body = body; d.mu.Unlock() }

func (d *servedDoc) count() int { d.mu.Lock(); defer d.mu.Unlock(); return d.fetches }

// authParams are the parameters of a plain authorization request of c.
func (o *oidfEnv) authParams(t *testing.T, c oidfClient, responseType string) url.Values {
	return url.Values{"client_id": {c.ID}, "redirect_uri": {o.cb()}, "response_type": {responseType},
		"scope": {"openid"}, "state": {randomState(t)}, "nonce": {randomState(t)}}
}

func (o *oidfEnv) authURL(t *testing.T, v url.Values) string {
	return o.endpoint(t, "authorization_endpoint") + "?" + v.Encode()
}

// responseParams are the authorization response parameters of a callback:
// its fragment when it has one, else its query.
func responseParams(t *testing.T, cb *url.URL) url.Values {
	t.Helper()
	raw := cb.RawQuery
	if cb.Fragment != "" {
		raw = cb.EscapedFragment()
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("callback %s: %v", cb, err)
	}
	return v
}

// callback runs an authorization request in browser b and returns where
// the relying party was sent and the response parameters, checking that
// state comes back and that iss names the issuer (RFC 9207 2).
func (o *oidfEnv) callback(t *testing.T, b *http.Client, v url.Values) (*url.URL, url.Values) {
	t.Helper()
	cb := navigate(t, b, o.authURL(t, v))
	got := responseParams(t, cb)
	if got.Get("state") != v.Get("state") {
		t.Fatalf("state %q came back as %q (%s)", v.Get("state"), got.Get("state"), cb)
	}
	if got.Get("iss") != o.issuer() {
		t.Fatalf("iss %q in the authorization response, want %q", got.Get("iss"), o.issuer())
	}
	return cb, got
}

// authorize is callback for a request that must succeed.
func (o *oidfEnv) authorize(t *testing.T, b *http.Client, v url.Values) url.Values {
	t.Helper()
	cb, got := o.callback(t, b, v)
	if got.Get("error") != "" {
		t.Fatalf("authorization failed: %s", cb)
	}
	if u, _ := url.Parse(v.Get("redirect_uri")); u != nil && (cb.Path != u.Path || cb.Host != u.Host) {
		t.Fatalf("sent to %s, not the redirect_uri %s", cb, u)
	}
	// The default response mode: query for code, fragment for anything
	// that carries a token (OAuth 2.0 Multiple Response Type Encoding 2.1, 5).
	if rt := v.Get("response_type"); v.Get("response_mode") == "" && rt != "" {
		if rt == "code" && cb.Fragment != "" || rt != "code" && (cb.Fragment == "" || cb.Query().Has("code")) {
			t.Fatalf("response_type %s answered in the wrong response mode: %s", rt, cb)
		}
	}
	return got
}

// expectAuthError is callback for a request the server must answer with
// an error sent back to the client.
func (o *oidfEnv) expectAuthError(t *testing.T, b *http.Client, v url.Values, codes ...string) url.Values {
	t.Helper()
	cb, got := o.callback(t, b, v)
	if !slices.Contains(codes, got.Get("error")) {
		t.Fatalf("authorization response %s, want error %v", cb, codes)
	}
	if got.Get("code") != "" || got.Get("id_token") != "" || got.Get("access_token") != "" {
		t.Fatalf("an error response carries credentials: %s", cb)
	}
	return got
}

// oidfTokens is a token endpoint response with its verified ID token.
type oidfTokens struct {
	Access, Refresh, RawID string
	ID                     map[string]any
	IDHeader               jose.Header
	Resp                   map[string]any
}

// tokenRequest posts form to the token endpoint, authenticating as c.
func (o *oidfEnv) tokenRequest(t *testing.T, c oidfClient, form url.Values) (int, map[string]any, http.Header) {
	t.Helper()
	form = cloneValues(form)
	tokenURL := o.endpoint(t, "token_endpoint")
	basic := false
	switch c.Method {
	case "client_secret_post":
		form.Set("client_id", c.ID)
		form.Set("client_secret", c.Secret)
	case "private_key_jwt":
		if form.Get("client_assertion") == "" {
			form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
			form.Set("client_assertion", o.assertion(t, c, tokenURL))
		}
	case "none":
		form.Set("client_id", c.ID)
	default:
		basic = true
	}
	req, _ := http.NewRequest("POST", tokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	d := json.NewDecoder(res.Body)
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		t.Fatalf("token endpoint answered %d with no JSON: %v", res.StatusCode, err)
	}
	return res.StatusCode, out, res.Header
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// exchange redeems a code (OIDC Core 3.1.3) and verifies the answer:
// a bearer access token, no caching, an ID token for c with the nonce and
// an at_hash, when there is one, that matches the access token.
func (o *oidfEnv) exchange(t *testing.T, c oidfClient, code, nonce string, extra url.Values) oidfTokens {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {o.cb()}}
	for k, vs := range extra {
		form[k] = vs
	}
	status, out, h := o.tokenRequest(t, c, form)
	if status != http.StatusOK {
		t.Fatalf("token request: %d %v", status, out)
	}
	return o.checkTokenResponse(t, c, out, h, nonce)
}

func (o *oidfEnv) checkTokenResponse(t *testing.T, c oidfClient, out map[string]any, h http.Header, nonce string) oidfTokens {
	t.Helper()
	if !strings.EqualFold(claimString(out["token_type"]), "bearer") || claimString(out["access_token"]) == "" {
		t.Fatalf("token response %v", out)
	}
	if h.Get("Cache-Control") != "no-store" {
		t.Fatalf("token response Cache-Control %q, want no-store (RFC 6749 5.1)", h.Get("Cache-Control"))
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("token response Content-Type %q", h.Get("Content-Type"))
	}
	tk := oidfTokens{Access: claimString(out["access_token"]), Refresh: claimString(out["refresh_token"]), RawID: claimString(out["id_token"]), Resp: out}
	if tk.RawID == "" {
		t.Fatalf("no id_token in the token response (OIDC Core 3.1.3.3): %v", out)
	}
	tk.IDHeader, tk.ID = o.verifyIDToken(t, tk.RawID, c.ID, nonce)
	if ah := claimString(tk.ID["at_hash"]); ah != "" && ah != halfHash(tk.IDHeader.Algorithm, tk.Access) {
		t.Fatalf("at_hash %q does not match the access token", ah)
	}
	return tk
}

// codeFlow runs the code flow of c in b with extra authorization
// parameters and returns the verified tokens.
func (o *oidfEnv) codeFlow(t *testing.T, b *http.Client, c oidfClient, extra url.Values) oidfTokens {
	t.Helper()
	v := o.authParams(t, c, "code")
	for k, vs := range extra {
		v[k] = vs
	}
	got := o.authorize(t, b, v)
	return o.exchange(t, c, got.Get("code"), v.Get("nonce"), nil)
}

var oidfAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA}

// jwks reads the server's published keys from jwks_uri.
func (o *oidfEnv) jwks(t *testing.T) jose.JSONWebKeySet {
	t.Helper()
	status, body := get(t, o.endpoint(t, "jwks_uri"))
	var set jose.JSONWebKeySet
	if status != http.StatusOK || json.Unmarshal([]byte(body), &set) != nil {
		t.Fatalf("jwks_uri: %d %s", status, body)
	}
	return set
}

// verifyJWT checks a JWT the server signed against its jwks_uri and
// returns its header and claims.
func (o *oidfEnv) verifyJWT(t *testing.T, raw string) (jose.Header, map[string]any) {
	t.Helper()
	jws, err := jose.ParseSigned(raw, oidfAlgs)
	if err != nil {
		t.Fatalf("not a signed JWT: %v (%s)", err, raw)
	}
	h := jws.Signatures[0].Header
	set := o.jwks(t)
	keys := set.Key(h.KeyID)
	if h.KeyID == "" || len(keys) == 0 {
		t.Fatalf("the JWT's kid %q is not in jwks_uri", h.KeyID)
	}
	payload, err := jws.Verify(keys[0].Key)
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	var claims map[string]any
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	if err := d.Decode(&claims); err != nil {
		t.Fatal(err)
	}
	return h, claims
}

// verifyIDToken validates an ID token as OIDC Core 3.1.3.7 asks of a
// client: signature by a published key with an advertised algorithm, iss,
// aud (and azp), exp, iat, sub and nonce (absent when nonce is empty).
func (o *oidfEnv) verifyIDToken(t *testing.T, raw, clientID, nonce string) (jose.Header, map[string]any) {
	t.Helper()
	h, c := o.verifyJWT(t, raw)
	if !slices.Contains(claimStrings(o.disc["id_token_signing_alg_values_supported"]), h.Algorithm) {
		t.Fatalf("ID token alg %s is not advertised", h.Algorithm)
	}
	if claimString(c["iss"]) != o.issuer() {
		t.Fatalf("ID token iss %v, want %s", c["iss"], o.issuer())
	}
	aud := claimStrings(c["aud"])
	if !slices.Contains(aud, clientID) {
		t.Fatalf("ID token aud %v does not hold %s", c["aud"], clientID)
	}
	if azp, ok := c["azp"]; (ok || len(aud) > 1) && claimString(azp) != clientID {
		t.Fatalf("ID token azp %v with aud %v", azp, aud)
	}
	now := time.Now().Unix()
	exp, ok1 := claimInt(c, "exp")
	iat, ok2 := claimInt(c, "iat")
	if !ok1 || !ok2 || exp <= now || iat > now+5 || exp <= iat {
		t.Fatalf("ID token exp %v iat %v (now %d)", c["exp"], c["iat"], now)
	}
	if sub := claimString(c["sub"]); sub == "" || len(sub) > 255 {
		t.Fatalf("ID token sub %v", c["sub"])
	}
	if got, has := c["nonce"]; (nonce != "" && claimString(got) != nonce) || (nonce == "" && has) {
		t.Fatalf("ID token nonce %v, want %q", got, nonce)
	}
	if v, has := c["auth_time"]; has {
		if _, ok := claimInt(c, "auth_time"); !ok {
			t.Fatalf("auth_time %v is not a number", v)
		}
	}
	return h, c
}

// halfHash is the left half of the hash of v for a JWS alg, base64url
// (OIDC Core 3.1.3.6 at_hash, 3.3.2.11 c_hash).
func halfHash(alg, v string) string {
	var h hash.Hash
	switch {
	case strings.HasSuffix(alg, "384"):
		h = sha512.New384()
	case strings.HasSuffix(alg, "512"), alg == "EdDSA":
		h = sha512.New()
	default:
		h = sha256.New()
	}
	h.Write([]byte(v))
	sum := h.Sum(nil)
	return b64url(sum[:len(sum)/2])
}

func claimString(v any) string {
	s, _ := v.(string)
	return s
}

// strs reads a string or a list of strings.
func claimStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, claimString(x))
		}
		return out
	}
	return nil
}

func claimInt(c map[string]any, k string) (int64, bool) {
	switch v := c[k].(type) {
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	case float64:
		return int64(v), true
	}
	return 0, false
}

// userinfo calls the UserInfo endpoint: GET or POST with the token in the
// Authorization header, or POST with it in the body (RFC 6750 2.1, 2.2).
func (o *oidfEnv) userinfo(t *testing.T, how, token string) (int, http.Header, []byte) {
	t.Helper()
	u := o.endpoint(t, "userinfo_endpoint")
	var req *http.Request
	switch how {
	case "get":
		req, _ = http.NewRequest("GET", u, nil)
		req.Header.Set("Authorization", "Bearer "+token)
	case "post-header":
		req, _ = http.NewRequest("POST", u, nil)
		req.Header.Set("Authorization", "Bearer "+token)
	case "post-body":
		req, _ = http.NewRequest("POST", u, strings.NewReader(url.Values{"access_token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

// userinfoClaims is a successful plain JSON UserInfo response whose sub is
// the ID token's (OIDC Core 5.3.2, 5.3.4).
func (o *oidfEnv) userinfoClaims(t *testing.T, how string, tk oidfTokens) map[string]any {
	t.Helper()
	status, h, b := o.userinfo(t, how, tk.Access)
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("userinfo (%s): %d %s %s", how, status, h.Get("Content-Type"), b)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if c["sub"] != tk.ID["sub"] {
		t.Fatalf("userinfo sub %v, ID token sub %v", c["sub"], tk.ID["sub"])
	}
	return c
}

// visit sends req in browser b, following redirects until the relying
// party, and returns the last response with its body.
func browse(t *testing.T, b *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	res, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func getRequest(u string) *http.Request {
	req, _ := http.NewRequest("GET", u, nil)
	return req
}

// expectShown checks that a browser request ended on an error the server
// shows itself (it must not send the browser back to the client), with
// the error code when code is set.
func (o *oidfEnv) expectShown(t *testing.T, res *http.Response, body, code string) {
	t.Helper()
	if loc := res.Header.Get("Location"); loc != "" {
		if u, _ := url.Parse(loc); u != nil && strings.HasPrefix(u.String(), o.rp.URL) {
			t.Fatalf("the browser was sent back to the client: %s", loc)
		}
	}
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("ended at %s with %d (want an error page, 400): %s", res.Request.URL, res.StatusCode, body)
	}
	var e map[string]any
	_ = json.Unmarshal([]byte(body), &e)
	if code != "" && e["error"] != code {
		t.Fatalf("error page %s, want %s", body, code)
	}
}

// logins are the login requests the app saw.
func (o *oidfEnv) logins() []*ory.OAuth2LoginRequest {
	o.app.mu.Lock()
	defer o.app.mu.Unlock()
	return append([]*ory.OAuth2LoginRequest(nil), o.app.logins...)
}

// TestOIDFModuleTable checks that OIDF.md maps every module of the
// conformance suite's OP module list to a test of this package that exists,
// or to a reason.
func TestOIDFModuleTable(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("OIDF.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([^`]+)` \\| (.+?) \\|$").FindAllStringSubmatch(string(doc), -1) {
		rows[m[1]] = m[2]
	}
	var src strings.Builder
	files, _ := filepath.Glob("*_test.go")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		src.Write(b)
	}
	for name, target := range rows {
		if test, ok := strings.CutPrefix(target, "`"); ok {
			test = strings.TrimSuffix(test, "`")
			if want := "TestOIDF_" + strings.ReplaceAll(name, "-", "_"); test != want {
				t.Errorf("%s maps to %s, want %s", name, test, want)
			}
			if !strings.Contains(src.String(), "func "+test+"(t *testing.T)") {
				t.Errorf("%s maps to %s, which does not exist", name, test)
			}
		}
	}
	// The module list lives in the shared test data beside the repository.
	f, err := os.Open(filepath.Join("..", "..", "..", "shared", "testdata", "oidf-oidcc-op-test-modules.tsv"))
	if err != nil {
		t.Skipf("module list not available: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		name, _, _ := strings.Cut(sc.Text(), "\t")
		if !strings.HasPrefix(name, "oidcc-") {
			continue
		}
		n++
		if _, ok := rows[name]; !ok {
			t.Errorf("OIDF.md has no row for %s", name)
		}
	}
	if n != len(rows) {
		t.Errorf("OIDF.md has %d rows, the module list %d modules", len(rows), n)
	}
}
