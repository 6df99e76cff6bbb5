package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	ory "github.com/ory/client-go"
	"golang.org/x/oauth2"
)

// oauthEnv is a running server with a login/consent app and a relying
// party callback, wired the way a Hydra deployment is.
type oauthEnv struct {
	srv   *server
	admin *ory.APIClient
	app   *loginConsentApp
	rp    *httptest.Server
	mu    sync.Mutex
	calls []*url.URL // requests the relying party received
	bc    []url.Values
}

// loginConsentApp is a login and consent app written against the admin
// API with Ory's SDK, as a Hydra user writes one.
type loginConsentApp struct {
	t        *testing.T
	admin    *ory.APIClient
	srv      *httptest.Server
	subject  string
	remember bool
	reject   bool
	claims   map[string]any
	mu       sync.Mutex
	skips    []bool // skip flags the app saw, login then consent
	logins   []*ory.OAuth2LoginRequest

	// onLogin and onConsent, when set, may change what the app accepts
	// (acr, subject, granted scope, session claims) before it does.
	onLogin   func(*ory.OAuth2LoginRequest, *ory.AcceptOAuth2LoginRequest)
	onConsent func(*ory.OAuth2ConsentRequest, *ory.AcceptOAuth2ConsentRequest)
}

func (a *loginConsentApp) handler() http.Handler {
	mux := http.NewServeMux()
	ctx := context.Background()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		ch := r.URL.Query().Get("login_challenge")
		req, _, err := a.admin.OAuth2API.GetOAuth2LoginRequest(ctx).LoginChallenge(ch).Execute()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		a.mu.Lock()
		a.skips = append(a.skips, req.Skip)
		a.logins = append(a.logins, req)
		a.mu.Unlock()
		if a.reject {
			out, _, err := a.admin.OAuth2API.RejectOAuth2LoginRequest(ctx).LoginChallenge(ch).
				RejectOAuth2Request(ory.RejectOAuth2Request{Error: ory.PtrString("access_denied"), ErrorDescription: ory.PtrString("no entry")}).Execute()
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			http.Redirect(w, r, out.RedirectTo, http.StatusFound)
			return
		}
		body := ory.AcceptOAuth2LoginRequest{Subject: a.subject, Remember: ory.PtrBool(a.remember), Acr: ory.PtrString("urn:warden:pwd"),
			Amr: []string{"pwd"}}
		if req.Skip {
			body.Subject = req.Subject
		}
		if a.onLogin != nil {
			a.onLogin(req, &body)
		}
		out, _, err := a.admin.OAuth2API.AcceptOAuth2LoginRequest(ctx).LoginChallenge(ch).AcceptOAuth2LoginRequest(body).Execute()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		http.Redirect(w, r, out.RedirectTo, http.StatusFound)
	})
	mux.HandleFunc("/consent", func(w http.ResponseWriter, r *http.Request) {
		ch := r.URL.Query().Get("consent_challenge")
		req, _, err := a.admin.OAuth2API.GetOAuth2ConsentRequest(ctx).ConsentChallenge(ch).Execute()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		a.mu.Lock()
		a.skips = append(a.skips, req.GetSkip())
		a.mu.Unlock()
		body := ory.AcceptOAuth2ConsentRequest{
			GrantScope:               req.RequestedScope,
			GrantAccessTokenAudience: req.RequestedAccessTokenAudience,
			Remember:                 ory.PtrBool(a.remember),
			Session: &ory.AcceptOAuth2ConsentRequestSession{
				IdToken:     a.claims,
				AccessToken: map[string]any{"tenant": "acme"},
			},
		}
		if a.onConsent != nil {
			a.onConsent(req, &body)
		}
		out, _, err := a.admin.OAuth2API.AcceptOAuth2ConsentRequest(ctx).ConsentChallenge(ch).AcceptOAuth2ConsentRequest(body).Execute()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		http.Redirect(w, r, out.RedirectTo, http.StatusFound)
	})
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		ch := r.URL.Query().Get("logout_challenge")
		if _, _, err := a.admin.OAuth2API.GetOAuth2LogoutRequest(ctx).LogoutChallenge(ch).Execute(); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		out, _, err := a.admin.OAuth2API.AcceptOAuth2LogoutRequest(ctx).LogoutChallenge(ch).Execute()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		http.Redirect(w, r, out.RedirectTo, http.StatusFound)
	})
	return mux
}

func adminSDK(adminURL string) *ory.APIClient {
	cfg := ory.NewConfiguration()
	cfg.Servers = ory.ServerConfigurations{{URL: adminURL}}
	return ory.NewAPIClient(cfg)
}

// startOAuth starts a server whose login, consent and logout URLs point at
// a test app, with extra flags.
func startOAuth(t *testing.T, env []string, args ...string) *oauthEnv {
	t.Helper()
	e := &oauthEnv{}
	e.app = &loginConsentApp{t: t, subject: "alice", remember: true, claims: map[string]any{"email": "alice@example.com", "email_verified": true}}
	e.app.srv = httptest.NewServer(e.app.handler())
	t.Cleanup(e.app.srv.Close)
	e.rp = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		e.mu.Lock()
		defer e.mu.Unlock()
		if r.URL.Path == "/backchannel" {
			e.bc = append(e.bc, r.PostForm)
			return
		}
		u := *r.URL
		e.calls = append(e.calls, &u)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(e.rp.Close)
	args = append([]string{"--dev",
		"--set", "oauth2.urls.login=" + e.app.srv.URL + "/login",
		"--set", "oauth2.urls.consent=" + e.app.srv.URL + "/consent",
		"--set", "oauth2.urls.logout=" + e.app.srv.URL + "/logout",
		"--set", "oauth2.urls.post_logout_redirect=" + e.rp.URL + "/bye",
	}, args...)
	e.srv = start(t, t.TempDir(), env, args...)
	e.admin = adminSDK(e.srv.admin)
	e.app.admin = e.admin
	return e
}

// createClient registers a client through the SDK.
func (e *oauthEnv) createClient(t *testing.T, c ory.OAuth2Client) ory.OAuth2Client {
	t.Helper()
	out, _, err := e.admin.OAuth2API.CreateOAuth2Client(context.Background()).OAuth2Client(c).Execute()
	if err != nil {
		t.Fatalf("create client: %v", sdkErr(err))
	}
	return *out
}

func sdkErr(err error) string {
	var ge *ory.GenericOpenAPIError
	if errors.As(err, &ge) {
		return err.Error() + ": " + string(ge.Body())
	}
	return err.Error()
}

func (e *oauthEnv) webClient(t *testing.T, id string) ory.OAuth2Client {
	return e.createClient(t, ory.OAuth2Client{
		ClientId:               ory.PtrString(id),
		RedirectUris:           []string{e.rp.URL + "/cb"},
		GrantTypes:             []string{"authorization_code", "refresh_token", "client_credentials"},
		ResponseTypes:          []string{"code", "code id_token", "id_token", "token id_token"},
		Scope:                  ory.PtrString("openid offline_access email profile"),
		Audience:               []string{"https://api.example"},
		PostLogoutRedirectUris: []string{e.rp.URL + "/bye"},
		BackchannelLogoutUri:   ory.PtrString(e.rp.URL + "/backchannel"),
	})
}

// browser is a cookie-keeping HTTP client that stops at the relying party.
func (e *oauthEnv) browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	rp, _ := url.Parse(e.rp.URL)
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == rp.Host {
			return http.ErrUseLastResponse
		}
		if len(via) > 20 {
			return errors.New("too many redirects")
		}
		return nil
	}}
}

// navigate follows a browser through the flow and returns the URL the
// relying party was sent to.
func navigate(t *testing.T, b *http.Client, start string) *url.URL {
	t.Helper()
	res, err := b.Get(start)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusFound && res.StatusCode != http.StatusSeeOther {
		t.Fatalf("flow ended at %s with %d: %s", res.Request.URL, res.StatusCode, body)
	}
	loc, err := res.Location()
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func randomState(t *testing.T) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// eachDB runs fn on SQLite and on PostgreSQL (when TEST_DATABASE_URL is
// set), passing the serve flags that select the database.
func eachDB(t *testing.T, fn func(t *testing.T, args ...string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t) })
	t.Run("postgres", func(t *testing.T) {
		dsn, _ := freshPostgres(t)
		fn(t, "--dsn", dsn, "--migrate")
	})
}

func TestOAuth2CodeFlowWithPKCEAndOIDC(t *testing.T) { eachDB(t, testCodeFlow) }

func testCodeFlow(t *testing.T, args ...string) {
	e := startOAuth(t, nil, args...)
	c := e.webClient(t, "web")
	ctx := oidc.InsecureIssuerURLContext(context.Background(), e.srv.public)
	prov, err := oidc.NewProvider(ctx, e.srv.public)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	conf := oauth2.Config{ClientID: "web", ClientSecret: c.GetClientSecret(), Endpoint: prov.Endpoint(),
		RedirectURL: e.rp.URL + "/cb", Scopes: []string{oidc.ScopeOpenID, "offline_access", "email"}}
	verifier := oauth2.GenerateVerifier()
	state, nonce := randomState(t), randomState(t)
	b := e.browser(t)
	cb := navigate(t, b, conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)))
	q := cb.Query()
	if q.Get("state") != state || q.Get("iss") != e.srv.public || q.Get("code") == "" {
		t.Fatalf("callback %s", cb)
	}
	tok, err := conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := prov.Verifier(&oidc.Config{ClientID: "web"}).Verify(context.Background(), rawID)
	if err != nil {
		t.Fatalf("verify id token: %v", err)
	}
	if idt.Nonce != nonce || idt.Subject != "alice" {
		t.Fatalf("id token nonce %q subject %q", idt.Nonce, idt.Subject)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Fatalf("at_hash: %v", err)
	}
	var claims struct {
		Email string   `json:"email"`
		ACR   string   `json:"acr"`
		AMR   []string `json:"amr"`
		SID   string   `json:"sid"`
	}
	_ = idt.Claims(&claims)
	if claims.Email != "alice@example.com" || claims.ACR != "urn:warden:pwd" || claims.SID == "" {
		t.Fatalf("id token claims %+v", claims)
	}
	ui, err := prov.UserInfo(context.Background(), oauth2.StaticTokenSource(tok))
	if err != nil || ui.Subject != "alice" || ui.Email != "alice@example.com" {
		t.Fatalf("userinfo %+v %v", ui, err)
	}
	// Introspection through the SDK shows the consent's access token claims.
	in, _, err := e.admin.OAuth2API.IntrospectOAuth2Token(context.Background()).Token(tok.AccessToken).Execute()
	if err != nil || !in.Active || in.GetSub() != "alice" || in.GetClientId() != "web" || in.Ext["tenant"] != "acme" {
		t.Fatalf("introspection %+v %v", in, err)
	}

	// The code cannot be used twice, and its replay revokes what it gave.
	if _, err := conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier)); err == nil ||
		!strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("replayed code: %v", err)
	}
	in, _, _ = e.admin.OAuth2API.IntrospectOAuth2Token(context.Background()).Token(tok.AccessToken).Execute()
	if in.Active {
		t.Fatal("access token still active after the code was replayed")
	}

	// Second authorization: login and consent are remembered (skip).
	cb = navigate(t, b, conf.AuthCodeURL(randomState(t), oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)))
	if cb.Query().Get("code") == "" {
		t.Fatalf("second callback %s", cb)
	}
	e.app.mu.Lock()
	skips := append([]bool(nil), e.app.skips...)
	e.app.mu.Unlock()
	if len(skips) != 4 || skips[0] || skips[1] || !skips[2] || !skips[3] {
		t.Fatalf("skip flags seen by the app: %v", skips)
	}
}

func TestOAuth2RefreshRotationAndReuse(t *testing.T) { eachDB(t, testRefreshRotation) }

func testRefreshRotation(t *testing.T, args ...string) {
	e := startOAuth(t, nil, args...)
	c := e.webClient(t, "web")
	conf := oauth2.Config{ClientID: "web", ClientSecret: c.GetClientSecret(), RedirectURL: e.rp.URL + "/cb",
		Endpoint: oauth2.Endpoint{AuthURL: e.srv.public + "/oauth2/auth", TokenURL: e.srv.public + "/oauth2/token"},
		Scopes:   []string{"openid", "offline_access"}}
	verifier := oauth2.GenerateVerifier()
	cb := navigate(t, e.browser(t), conf.AuthCodeURL(randomState(t), oauth2.S256ChallengeOption(verifier)))
	tok, err := conf.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("exchange: %v %+v", err, tok)
	}
	refresh := func(rt string) (*oauth2.Token, error) {
		old := &oauth2.Token{RefreshToken: rt}
		return conf.TokenSource(context.Background(), old).Token()
	}
	t2, err := refresh(tok.RefreshToken)
	if err != nil || t2.RefreshToken == tok.RefreshToken || t2.AccessToken == tok.AccessToken {
		t.Fatalf("refresh: %v", err)
	}
	// The old access token was replaced by the rotation.
	in, _, _ := e.admin.OAuth2API.IntrospectOAuth2Token(context.Background()).Token(tok.AccessToken).Execute()
	if in.Active {
		t.Fatal("the access token before the rotation is still active")
	}
	// Reusing the first refresh token revokes the whole chain.
	if _, err := refresh(tok.RefreshToken); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("reuse: %v", err)
	}
	for _, tk := range []string{t2.AccessToken, t2.RefreshToken} {
		in, _, err := e.admin.OAuth2API.IntrospectOAuth2Token(context.Background()).Token(tk).Execute()
		if err != nil || in.Active {
			t.Fatalf("token of the chain still active after reuse: %v", err)
		}
	}
	if _, err := refresh(t2.RefreshToken); err == nil {
		t.Fatal("refresh after the chain was revoked succeeded")
	}
}

func TestOAuth2ClientCredentialsIntrospectRevoke(t *testing.T) { eachDB(t, testClientCredentials) }

func testClientCredentials(t *testing.T, args ...string) {
	e := startOAuth(t, nil, args...)
	c := e.createClient(t, ory.OAuth2Client{ClientId: ory.PtrString("svc"), GrantTypes: []string{"client_credentials"},
		Scope: ory.PtrString("read write"), Audience: []string{"https://api.example"}})
	tokenURL := e.srv.public + "/oauth2/token"
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}, "audience": {"https://api.example"}}
	req, _ := http.NewRequest("POST", tokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("svc", c.GetClientSecret())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if res.StatusCode != 200 || tok["token_type"] != "bearer" || tok["scope"] != "read" || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("token: %d %v %v", res.StatusCode, tok, res.Header)
	}
	at := tok["access_token"].(string)
	if !strings.HasPrefix(at, "ory_at_") {
		t.Fatalf("opaque token %q", at)
	}
	in, _, err := e.admin.OAuth2API.IntrospectOAuth2Token(context.Background()).Token(at).Execute()
	if err != nil || !in.Active || in.GetClientId() != "svc" || in.GetScope() != "read" || len(in.Aud) != 1 {
		t.Fatalf("introspect: %+v %v", in, err)
	}
	// Wrong secret, unknown client, unknown scope, unsupported grant.
	for _, tc := range []struct {
		user, pass string
		form       url.Values
		status     int
		code       string
	}{
		{"svc", "wrong", form, 401, "invalid_client"},
		{"nobody", "x", form, 401, "invalid_client"},
		{"svc", c.GetClientSecret(), url.Values{"grant_type": {"client_credentials"}, "scope": {"admin"}}, 400, "invalid_scope"},
		{"svc", c.GetClientSecret(), url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type"},
		{"svc", c.GetClientSecret(), url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, 400, "unauthorized_client"},
	} {
		req, _ := http.NewRequest("POST", tokenURL, strings.NewReader(tc.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(tc.user, tc.pass)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e map[string]any
		_ = json.NewDecoder(res.Body).Decode(&e)
		res.Body.Close()
		if res.StatusCode != tc.status || e["error"] != tc.code {
			t.Errorf("%s/%v: %d %v", tc.user, tc.form, res.StatusCode, e)
		}
	}
	// Revocation makes the token inactive.
	rv := url.Values{"token": {at}}
	req, _ = http.NewRequest("POST", e.srv.public+"/oauth2/revoke", strings.NewReader(rv.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("svc", c.GetClientSecret())
	res, err = http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("revoke: %v %v", err, res.Status)
	}
	res.Body.Close()
	in, _, _ = e.admin.OAuth2API.IntrospectOAuth2Token(context.Background()).Token(at).Execute()
	if in.Active {
		t.Fatal("revoked token still active")
	}
}
