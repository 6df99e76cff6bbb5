package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	ory "github.com/ory/client-go"
	"golang.org/x/oauth2"
)

func TestOAuth2DeviceFlow(t *testing.T) { eachDB(t, testDeviceFlow) }

func testDeviceFlow(t *testing.T, args ...string) {
	// The device verification app: it takes the user code from the link and
	// accepts it through the admin API, as a Hydra device UI does.
	var admin *ory.APIClient
	device := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, _, err := admin.OAuth2API.AcceptUserCodeRequest(context.Background()).
			DeviceChallenge(r.URL.Query().Get("device_challenge")).
			AcceptDeviceUserCodeRequest(ory.AcceptDeviceUserCodeRequest{UserCode: ory.PtrString(r.URL.Query().Get("user_code"))}).Execute()
		if err != nil {
			http.Error(w, sdkErr(err), 400)
			return
		}
		http.Redirect(w, r, out.RedirectTo, http.StatusFound)
	}))
	defer device.Close()
	e := startOAuth(t, nil, append([]string{"--set", "oauth2.urls.device.verification=" + device.URL + "/device",
		"--set", "oauth2.urls.device.success=" + device.URL + "/done",
		"--set", "oauth2.device_authorization.token_polling_interval=1s"}, args...)...)
	admin = e.admin
	e.createClient(t, ory.OAuth2Client{ClientId: ory.PtrString("tv"), TokenEndpointAuthMethod: ory.PtrString("none"),
		GrantTypes: []string{"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"},
		Scope:      ory.PtrString("openid offline_access")})
	conf := oauth2.Config{ClientID: "tv", Scopes: []string{"openid", "offline_access"}, Endpoint: oauth2.Endpoint{
		DeviceAuthURL: e.srv.public + "/oauth2/device/auth", TokenURL: e.srv.public + "/oauth2/token",
		AuthStyle: oauth2.AuthStyleInParams}}
	da, err := conf.DeviceAuth(context.Background())
	if err != nil {
		t.Fatalf("device auth: %v", err)
	}
	if len(da.UserCode) != 8 || da.Interval != 1 || !strings.HasPrefix(da.VerificationURIComplete, e.srv.public) {
		t.Fatalf("device authorization %+v", da)
	}
	// Before the user acts: authorization_pending, then slow_down when polled too fast.
	poll := func() (int, string) {
		res, err := http.PostForm(e.srv.public+"/oauth2/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
			"device_code": {da.DeviceCode}, "client_id": {"tv"}})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct{ Error string }
		_ = decodeJSON(res, &body)
		return res.StatusCode, body.Error
	}
	if st, code := poll(); st != 400 || code != "authorization_pending" {
		t.Fatalf("first poll: %d %s", st, code)
	}
	if st, code := poll(); st != 400 || code != "slow_down" {
		t.Fatalf("second poll: %d %s", st, code)
	}
	got := make(chan *oauth2.Token, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		tok, err := conf.DeviceAccessToken(ctx, da)
		if err != nil {
			t.Errorf("device access token: %v", err)
		}
		got <- tok
	}()
	// The user opens the link on another device and signs in.
	b := e.browser(t)
	dev, _ := url.Parse(device.URL)
	b.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == dev.Host && req.URL.Path == "/done" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	if end := navigate(t, b, da.VerificationURIComplete); end.Path != "/done" || end.Query().Get("client_id") != "tv" {
		t.Fatalf("browser ended at %s", end)
	}
	tok := <-got
	if tok == nil || tok.AccessToken == "" || tok.RefreshToken == "" || tok.Extra("id_token") == nil {
		t.Fatalf("device tokens %+v", tok)
	}
	in, _, err := e.admin.OAuth2API.IntrospectOAuth2Token(context.Background()).Token(tok.AccessToken).Execute()
	if err != nil || !in.Active || in.GetSub() != "alice" {
		t.Fatalf("introspect device token: %+v %v", in, err)
	}
	// The user code and the device code are single use.
	if st, code := poll(); st != 400 || code != "invalid_grant" {
		t.Fatalf("poll after issue: %d %s", st, code)
	}
}

func TestOAuth2LogoutFrontAndBackChannel(t *testing.T) { eachDB(t, testLogout) }

func testLogout(t *testing.T, args ...string) {
	e := startOAuth(t, nil, args...)
	c := e.webClient(t, "web")
	ctx := oidc.InsecureIssuerURLContext(context.Background(), e.srv.public)
	prov, err := oidc.NewProvider(ctx, e.srv.public)
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
		BC         bool   `json:"backchannel_logout_supported"`
	}
	_ = prov.Claims(&meta)
	if meta.EndSession != e.srv.public+"/oauth2/sessions/logout" || !meta.BC {
		t.Fatalf("discovery logout metadata %+v", meta)
	}
	conf := oauth2.Config{ClientID: "web", ClientSecret: c.GetClientSecret(), Endpoint: prov.Endpoint(),
		RedirectURL: e.rp.URL + "/cb", Scopes: []string{"openid"}}
	b := e.browser(t)
	v := oauth2.GenerateVerifier()
	cb := navigate(t, b, conf.AuthCodeURL("s1", oauth2.S256ChallengeOption(v), oidc.Nonce("n-123456")))
	tok, err := conf.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	rawID := tok.Extra("id_token").(string)
	idt, err := prov.Verifier(&oidc.Config{ClientID: "web"}).Verify(context.Background(), rawID)
	if err != nil {
		t.Fatal(err)
	}
	var claims struct{ SID string }
	_ = idt.Claims(&claims)

	// A post_logout_redirect_uri that is not registered is refused, not followed.
	bad := meta.EndSession + "?" + url.Values{"id_token_hint": {rawID}, "post_logout_redirect_uri": {"https://evil.example/"}}.Encode()
	res, err := b.Get(bad)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Fatalf("bad post_logout_redirect_uri: %d", res.StatusCode)
	}

	// RP-initiated logout with the ID token as hint ends at the registered URI with the state.
	end := navigate(t, b, meta.EndSession+"?"+url.Values{"id_token_hint": {rawID},
		"post_logout_redirect_uri": {e.rp.URL + "/bye"}, "state": {"st-1"}}.Encode())
	if end.Path != "/bye" || end.Query().Get("state") != "st-1" {
		t.Fatalf("logout ended at %s", end)
	}
	e.mu.Lock()
	bc := append([]url.Values(nil), e.bc...)
	e.mu.Unlock()
	if len(bc) != 1 {
		t.Fatalf("back-channel logout calls: %d", len(bc))
	}
	lt, err := prov.Verifier(&oidc.Config{ClientID: "web", SkipExpiryCheck: false}).Verify(context.Background(), bc[0].Get("logout_token"))
	if err != nil {
		t.Fatalf("logout token: %v", err)
	}
	var ltc struct {
		SID    string                    `json:"sid"`
		Events map[string]map[string]any `json:"events"`
		Nonce  *string                   `json:"nonce"`
	}
	_ = lt.Claims(&ltc)
	if ltc.SID != claims.SID || ltc.Events["http://schemas.openid.net/event/backchannel-logout"] == nil || ltc.Nonce != nil || lt.Subject != "alice" {
		t.Fatalf("logout token claims %+v sub %s", ltc, lt.Subject)
	}
	// The session is gone: prompt=none now fails with login_required.
	cb = navigate(t, b, conf.AuthCodeURL("s2", oauth2.S256ChallengeOption(v), oidc.Nonce("n-123456"), oauth2.SetAuthURLParam("prompt", "none")))
	if cb.Query().Get("error") != "login_required" {
		t.Fatalf("prompt=none after logout: %s", cb)
	}
}

func TestOAuth2RevokeLoginSessionsTriggersBackChannel(t *testing.T) {
	e := startOAuth(t, nil)
	c := e.webClient(t, "web")
	conf := oauth2.Config{ClientID: "web", ClientSecret: c.GetClientSecret(), RedirectURL: e.rp.URL + "/cb",
		Endpoint: oauth2.Endpoint{AuthURL: e.srv.public + "/oauth2/auth", TokenURL: e.srv.public + "/oauth2/token"},
		Scopes:   []string{"openid"}}
	v := oauth2.GenerateVerifier()
	b := e.browser(t)
	cb := navigate(t, b, conf.AuthCodeURL("s1", oauth2.S256ChallengeOption(v), oidc.Nonce("n-123456")))
	if _, err := conf.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(v)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.OAuth2API.RevokeOAuth2LoginSessions(context.Background()).Subject("alice").Execute(); err != nil {
		t.Fatal(sdkErr(err))
	}
	e.mu.Lock()
	n := len(e.bc)
	e.mu.Unlock()
	if n != 1 {
		t.Fatalf("back-channel calls after revoking login sessions: %d", n)
	}
	// Consent sessions: listed, then revoked with the tokens.
	list, _, err := e.admin.OAuth2API.ListOAuth2ConsentSessions(context.Background()).Subject("alice").Execute()
	if err != nil || len(list) != 1 || list[0].ConsentRequest.Client.GetClientId() != "web" {
		t.Fatalf("consent sessions %+v %v", list, err)
	}
	if _, err := e.admin.OAuth2API.RevokeOAuth2ConsentSessions(context.Background()).Subject("alice").All(true).Execute(); err != nil {
		t.Fatal(sdkErr(err))
	}
	list, _, _ = e.admin.OAuth2API.ListOAuth2ConsentSessions(context.Background()).Subject("alice").Execute()
	if len(list) != 0 {
		t.Fatalf("consent sessions after revoke: %d", len(list))
	}
}

func decodeJSON(res *http.Response, v any) error { return json.NewDecoder(res.Body).Decode(v) }
