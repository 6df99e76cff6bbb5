package e2e

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// newLogoutOIDF is newOIDF with the server's own "signed out" page as the
// default post-logout URL, as a deployment without one has.
func newLogoutOIDF(t *testing.T) *oidfEnv {
	t.Helper()
	return newOIDF(t, "--set", "oauth2.urls.post_logout_redirect=")
}

// loggedIn signs the user in to c in a new browser.
func (o *oidfEnv) loggedIn(t *testing.T, c oidfClient) (*http.Client, oidfTokens) {
	t.Helper()
	b := o.browser(t)
	tk := o.codeFlow(t, b, c, nil)
	if claimString(tk.ID["sid"]) == "" {
		t.Fatalf("no sid in the ID token: %v", tk.ID)
	}
	return b, tk
}

// endSession sends the browser to the end_session_endpoint with v (the
// login app accepts the logout when asked).
func (o *oidfEnv) endSession(t *testing.T, b *http.Client, v url.Values) (*http.Response, string) {
	t.Helper()
	u := o.endpoint(t, "end_session_endpoint")
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	return browse(t, b, getRequest(u))
}

// expectPostLogoutRedirect checks that the browser was sent to the
// client's post_logout_redirect_uri with state when one was given
// (RP-Initiated Logout 1.0, 3).
func (o *oidfEnv) expectPostLogoutRedirect(t *testing.T, res *http.Response, body, state string) {
	t.Helper()
	loc, err := res.Location()
	if err != nil {
		t.Fatalf("logout ended at %s with %d, not at the post_logout_redirect_uri: %s", res.Request.URL, res.StatusCode, body)
	}
	want, _ := url.Parse(o.plru())
	if loc.Scheme != want.Scheme || loc.Host != want.Host || loc.Path != want.Path {
		t.Fatalf("sent to %s, want %s", loc, want)
	}
	q := loc.Query()
	if q.Get("state") != state || (state == "" && q.Has("state")) || len(q) > 1 {
		t.Fatalf("post logout redirect %s, want state %q and nothing else", loc, state)
	}
}

// expectSignedOutPage checks that the browser ended on the server's own
// "signed out" page rather than at a client.
func (o *oidfEnv) expectSignedOutPage(t *testing.T, res *http.Response, body string) {
	t.Helper()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Request.URL.String(), o.srv.public) ||
		!strings.Contains(body, "signed out") {
		t.Fatalf("logout ended at %s with %d (Location %q): %s", res.Request.URL, res.StatusCode, res.Header.Get("Location"), body)
	}
}

// expectLoggedOut checks that the browser's session is gone: prompt=none
// fails with login_required (OIDC Core 3.1.2.6).
func (o *oidfEnv) expectLoggedOut(t *testing.T, b *http.Client, c oidfClient) {
	t.Helper()
	v := o.authParams(t, c, "code")
	v.Set("prompt", "none")
	o.expectAuthError(t, b, v, "login_required", "interaction_required")
}

// expectLoggedIn checks that the browser's session survived.
func (o *oidfEnv) expectLoggedIn(t *testing.T, b *http.Client, c oidfClient) {
	t.Helper()
	v := o.authParams(t, c, "code")
	v.Set("prompt", "none")
	o.authorize(t, b, v)
}

func TestOIDF_oidcc_rp_initiated_logout(t *testing.T) {
	o := newLogoutOIDF(t)
	c := o.register(t, "rp", nil)
	b, tk := o.loggedIn(t, c)
	state := randomState(t)
	res, body := o.endSession(t, b, url.Values{"id_token_hint": {tk.RawID}, "post_logout_redirect_uri": {o.plru()}, "state": {state}})
	o.expectPostLogoutRedirect(t, res, body, state)
	o.expectLoggedOut(t, b, c)
}

func TestOIDF_oidcc_rp_initiated_logout_no_state(t *testing.T) {
	o := newLogoutOIDF(t)
	c := o.register(t, "rp", nil)
	b, tk := o.loggedIn(t, c)
	res, body := o.endSession(t, b, url.Values{"id_token_hint": {tk.RawID}, "post_logout_redirect_uri": {o.plru()}})
	o.expectPostLogoutRedirect(t, res, body, "")
	o.expectLoggedOut(t, b, c)
}

func TestOIDF_oidcc_rp_initiated_logout_no_params(t *testing.T) {
	o := newLogoutOIDF(t)
	c := o.register(t, "rp", nil)
	b, _ := o.loggedIn(t, c)
	res, body := o.endSession(t, b, nil)
	o.expectSignedOutPage(t, res, body)
	o.expectLoggedOut(t, b, c)
}

func TestOIDF_oidcc_rp_initiated_logout_no_post_logout_redirect_uri(t *testing.T) {
	o := newLogoutOIDF(t)
	c := o.register(t, "rp", nil)
	b, tk := o.loggedIn(t, c)
	res, body := o.endSession(t, b, url.Values{"id_token_hint": {tk.RawID}})
	o.expectSignedOutPage(t, res, body)
	o.expectLoggedOut(t, b, c)
}

func TestOIDF_oidcc_rp_initiated_logout_only_state(t *testing.T) {
	o := newLogoutOIDF(t)
	c := o.register(t, "rp", nil)
	b, _ := o.loggedIn(t, c)
	res, body := o.endSession(t, b, url.Values{"state": {randomState(t)}})
	o.expectSignedOutPage(t, res, body)
	o.expectLoggedOut(t, b, c)
}

// A post_logout_redirect_uri must match a registered one exactly
// (RP-Initiated Logout 1.0, 3): otherwise the server does not redirect.
func TestOIDF_oidcc_rp_initiated_logout_bad_post_logout_redirect_uri(t *testing.T) {
	o := newLogoutOIDF(t)
	c := o.register(t, "rp", nil)
	b, tk := o.loggedIn(t, c)
	res, body := o.endSession(t, b, url.Values{"id_token_hint": {tk.RawID}, "post_logout_redirect_uri": {o.rp.URL + "/not-registered"},
		"state": {randomState(t)}})
	o.expectShown(t, res, body, "invalid_request")
	o.expectLoggedIn(t, b, c)
}

func TestOIDF_oidcc_rp_initiated_logout_query_added_to_post_logout_redirect_uri(t *testing.T) {
	o := newLogoutOIDF(t)
	c := o.register(t, "rp", nil)
	b, tk := o.loggedIn(t, c)
	res, body := o.endSession(t, b, url.Values{"id_token_hint": {tk.RawID}, "post_logout_redirect_uri": {o.plru() + "?foo=bar"},
		"state": {randomState(t)}})
	o.expectShown(t, res, body, "invalid_request")
	o.expectLoggedIn(t, b, c)
}

// Without id_token_hint (or client_id) the server cannot tell which client
// the post_logout_redirect_uri belongs to, so it must not redirect.
func TestOIDF_oidcc_rp_initiated_logout_no_id_token_hint(t *testing.T) {
	o := newLogoutOIDF(t)
	c := o.register(t, "rp", nil)
	b, _ := o.loggedIn(t, c)
	res, body := o.endSession(t, b, url.Values{"post_logout_redirect_uri": {o.plru()}, "state": {randomState(t)}})
	o.expectShown(t, res, body, "invalid_request")
	o.expectLoggedIn(t, b, c)
}

// An id_token_hint signed by someone else's key is refused.
func TestOIDF_oidcc_rp_initiated_logout_bad_id_token_hint(t *testing.T) {
	o := newLogoutOIDF(t)
	c := o.register(t, "rp", nil)
	b, tk := o.loggedIn(t, c)
	key, kid, _ := rsaClientKey(t)
	forged := signJWT(t, key, kid, tk.ID)
	res, body := o.endSession(t, b, url.Values{"id_token_hint": {forged}, "post_logout_redirect_uri": {o.plru()}, "state": {randomState(t)}})
	o.expectShown(t, res, body, "invalid_request")
	o.expectLoggedIn(t, b, c)
}

// The server's own ID token with its header changed to alg none (with and
// without the original signature) is refused.
func TestOIDF_oidcc_rp_initiated_logout_modified_id_token_hint(t *testing.T) {
	o := newLogoutOIDF(t)
	c := o.register(t, "rp", nil)
	b, tk := o.loggedIn(t, c)
	parts := strings.Split(tk.RawID, ".")
	none := b64url([]byte(`{"alg":"none","typ":"JWT","kid":"` + tk.IDHeader.KeyID + `"}`))
	for name, hint := range map[string]string{
		"no-signature":   none + "." + parts[1] + ".",
		"same-signature": none + "." + parts[1] + "." + parts[2],
	} {
		t.Run(name, func(t *testing.T) {
			res, body := o.endSession(t, b, url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {o.plru()},
				"state": {randomState(t)}})
			o.expectShown(t, res, body, "invalid_request")
		})
	}
	o.expectLoggedIn(t, b, c)
}

// Back-Channel Logout 1.0: ending the session POSTs a logout token to the
// client's backchannel_logout_uri before the browser goes on.
func TestOIDF_oidcc_backchannel_rp_initiated_logout(t *testing.T) {
	o := newLogoutOIDF(t)
	c := o.register(t, "rp", map[string]any{"backchannel_logout_session_required": true})
	b, tk := o.loggedIn(t, c)
	state := randomState(t)
	res, body := o.endSession(t, b, url.Values{"id_token_hint": {tk.RawID}, "post_logout_redirect_uri": {o.plru()}, "state": {state}})
	o.expectPostLogoutRedirect(t, res, body, state)
	o.mu.Lock()
	bc := append([]url.Values(nil), o.bc...)
	o.mu.Unlock()
	if len(bc) != 1 || bc[0].Get("logout_token") == "" {
		t.Fatalf("back-channel logout requests %v", bc)
	}
	h, lt := o.verifyJWT(t, bc[0].Get("logout_token"))
	// 2.4: typ logout+jwt; iss, aud, iat, exp, jti, events; sub and/or
	// sid (sid here, as the session was required); never nonce.
	if typ, _ := h.ExtraHeaders["typ"].(string); typ != "logout+jwt" {
		t.Errorf("logout token typ %q", typ)
	}
	if lt["iss"] != o.issuer() || !slices.Contains(claimStrings(lt["aud"]), c.ID) || claimString(lt["jti"]) == "" {
		t.Errorf("logout token iss/aud/jti %v", lt)
	}
	iat, ok1 := claimInt(lt, "iat")
	exp, ok2 := claimInt(lt, "exp")
	if now := time.Now().Unix(); !ok1 || !ok2 || iat > now+5 || exp <= now {
		t.Errorf("logout token iat %v exp %v", lt["iat"], lt["exp"])
	}
	ev, _ := lt["events"].(map[string]any)
	if _, ok := ev["http://schemas.openid.net/event/backchannel-logout"].(map[string]any); !ok || len(ev) != 1 {
		t.Errorf("logout token events %v", lt["events"])
	}
	if lt["sid"] != tk.ID["sid"] || lt["sub"] != tk.ID["sub"] {
		t.Errorf("logout token sid %v sub %v, ID token sid %v sub %v", lt["sid"], lt["sub"], tk.ID["sid"], tk.ID["sub"])
	}
	if _, has := lt["nonce"]; has {
		t.Error("logout token has a nonce")
	}
	o.expectLoggedOut(t, b, c)
}

var (
	iframeSrc = regexp.MustCompile(`<iframe[^>]* src="([^"]+)"`)
	linkHref  = regexp.MustCompile(`<a href="([^"]+)"`)
)

// Front-Channel Logout 1.0: the logout page loads the client's
// frontchannel_logout_uri (with iss and sid, 2 and 3) in an iframe, then
// goes on to the post_logout_redirect_uri.
func TestOIDF_oidcc_frontchannel_rp_initiated_logout(t *testing.T) {
	o := newLogoutOIDF(t)
	c := o.register(t, "rp", map[string]any{"frontchannel_logout_uri": o.rp.URL + "/frontchannel_logout",
		"frontchannel_logout_session_required": true, "backchannel_logout_uri": nil})
	b, tk := o.loggedIn(t, c)
	state := randomState(t)
	res, body := o.endSession(t, b, url.Values{"id_token_hint": {tk.RawID}, "post_logout_redirect_uri": {o.plru()}, "state": {state}})
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("logout answered %d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	frames := iframeSrc.FindAllStringSubmatch(body, -1)
	if len(frames) != 1 {
		t.Fatalf("logout page frames %v: %s", frames, body)
	}
	fc, err := url.Parse(html.UnescapeString(frames[0][1]))
	if err != nil || fc.Host != strings.TrimPrefix(o.rp.URL, "http://") || fc.Path != "/frontchannel_logout" {
		t.Fatalf("front-channel frame %s", frames[0][1])
	}
	if fc.Query().Get("iss") != o.issuer() || fc.Query().Get("sid") != tk.ID["sid"] {
		t.Fatalf("front-channel frame %s: want iss %s and sid %v", fc, o.issuer(), tk.ID["sid"])
	}
	if csp := res.Header.Get("Content-Security-Policy"); csp != "" && !strings.Contains(csp, o.rp.URL) {
		t.Fatalf("the page's CSP %q blocks the frame", csp)
	}
	// The browser loads the frame, then follows the page on.
	if r, _ := browse(t, b, getRequest(fc.String())); r.StatusCode != http.StatusOK {
		t.Fatalf("frame load %d", r.StatusCode)
	}
	links := linkHref.FindAllStringSubmatch(body, -1)
	if len(links) != 1 {
		t.Fatalf("logout page links %v", links)
	}
	next, err := url.Parse(html.UnescapeString(links[0][1]))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := url.Parse(o.plru())
	if next.Host != want.Host || next.Path != want.Path || next.Query().Get("state") != state {
		t.Fatalf("the logout page goes on to %s, want %s with state %s", next, want, state)
	}
	o.expectLoggedOut(t, b, c)
}
