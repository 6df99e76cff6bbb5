package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// loginSkips are the skip flags of the login requests the app saw: false
// means the user was asked to authenticate.
func (o *oidfEnv) loginSkips() []bool {
	var out []bool
	for _, l := range o.logins() {
		out = append(out, l.Skip)
	}
	return out
}

// sameUser checks that a second authorization's ID token names the same
// user and authentication as the first's (sub, and auth_time when either
// carries it).
func sameUser(t *testing.T, first, second map[string]any) {
	t.Helper()
	if first["sub"] != second["sub"] {
		t.Fatalf("sub %v then %v", first["sub"], second["sub"])
	}
	a1, ok1 := claimInt(first, "auth_time")
	a2, ok2 := claimInt(second, "auth_time")
	if ok1 != ok2 || a1 != a2 {
		t.Fatalf("auth_time %v then %v", first["auth_time"], second["auth_time"])
	}
}

// OIDC Core 3.1.2.6: with prompt=none and no session the server answers
// with an error and never shows the login app.
func TestOIDF_oidcc_prompt_none_not_logged_in(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	v := o.authParams(t, c, "code")
	v.Set("prompt", "none")
	o.expectAuthError(t, o.browser(t), v, "login_required", "interaction_required", "consent_required", "account_selection_required")
	if n := len(o.logins()); n != 0 {
		t.Fatalf("the login app was asked %d times", n)
	}
}

func TestOIDF_oidcc_prompt_none_logged_in(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	b := o.browser(t)
	first := o.codeFlow(t, b, c, nil)
	second := o.codeFlow(t, b, c, url.Values{"prompt": {"none"}})
	sameUser(t, first.ID, second.ID)
	if s := o.loginSkips(); !slices.Equal(s, []bool{false, true}) {
		t.Fatalf("login skip flags %v: the user was asked to log in again", s)
	}
}

// OIDC Core 3.1.2.1 prompt=login: the user authenticates again, so a
// present auth_time moves on.
func TestOIDF_oidcc_prompt_login(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	b := o.browser(t)
	first := o.codeFlow(t, b, c, nil)
	time.Sleep(1100 * time.Millisecond) // auth_time has a resolution of one second
	second := o.codeFlow(t, b, c, url.Values{"prompt": {"login"}})
	if s := o.loginSkips(); !slices.Equal(s, []bool{false, false}) {
		t.Fatalf("login skip flags %v: prompt=login did not ask the user", s)
	}
	if first.ID["sub"] != second.ID["sub"] {
		t.Fatalf("sub %v then %v", first.ID["sub"], second.ID["sub"])
	}
	a1, ok1 := claimInt(first.ID, "auth_time")
	a2, ok2 := claimInt(second.ID, "auth_time")
	if ok1 && (!ok2 || a2 <= a1) {
		t.Fatalf("auth_time %v then %v", first.ID["auth_time"], second.ID["auth_time"])
	}
}

// OIDC Core 3.1.2.1 max_age: a login older than max_age is redone, and
// the ID token must carry auth_time.
func TestOIDF_oidcc_max_age_1(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	b := o.browser(t)
	first := o.codeFlow(t, b, c, nil)
	time.Sleep(1500 * time.Millisecond)
	second := o.codeFlow(t, b, c, url.Values{"max_age": {"1"}})
	if s := o.loginSkips(); !slices.Equal(s, []bool{false, false}) {
		t.Fatalf("login skip flags %v: max_age=1 did not ask the user again", s)
	}
	a2, ok := claimInt(second.ID, "auth_time")
	if !ok {
		t.Fatal("no auth_time in an ID token requested with max_age")
	}
	if a1, ok := claimInt(first.ID, "auth_time"); ok && a2 <= a1 {
		t.Fatalf("auth_time %d then %d", a1, a2)
	}
	if first.ID["sub"] != second.ID["sub"] {
		t.Fatalf("sub %v then %v", first.ID["sub"], second.ID["sub"])
	}
}

func TestOIDF_oidcc_max_age_10000(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	b := o.browser(t)
	first := o.codeFlow(t, b, c, url.Values{"max_age": {"15000"}})
	if _, ok := claimInt(first.ID, "auth_time"); !ok {
		t.Fatal("no auth_time in an ID token requested with max_age")
	}
	second := o.codeFlow(t, b, c, url.Values{"max_age": {"10000"}})
	sameUser(t, first.ID, second.ID)
	if s := o.loginSkips(); !slices.Equal(s, []bool{false, true}) {
		t.Fatalf("login skip flags %v: a fresh enough login was asked again", s)
	}
}

// OIDC Core 3.1.2.1 id_token_hint with prompt=none: the session of the
// user the hint names answers without interaction.
func TestOIDF_oidcc_id_token_hint(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	b := o.browser(t)
	first := o.codeFlow(t, b, c, nil)
	second := o.codeFlow(t, b, c, url.Values{"prompt": {"none"}, "id_token_hint": {first.RawID}})
	sameUser(t, first.ID, second.ID)
	if s := o.loginSkips(); !slices.Equal(s, []bool{false, true}) {
		t.Fatalf("login skip flags %v", s)
	}
}

// refresh uses a refresh token as c.
func (o *oidfEnv) refresh(t *testing.T, c oidfClient, rt string) (int, map[string]any, http.Header) {
	t.Helper()
	return o.tokenRequest(t, c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

// refreshed checks a refresh response: a working access token and, when
// there is one, an ID token as OIDC Core 12.2 asks (same iss, sub, aud and
// auth_time, a new iat, no other nonce).
func (o *oidfEnv) refreshed(t *testing.T, c oidfClient, before oidfTokens, out map[string]any, h http.Header) oidfTokens {
	t.Helper()
	tk := oidfTokens{Access: claimString(out["access_token"]), Refresh: claimString(out["refresh_token"]), RawID: claimString(out["id_token"]), Resp: out}
	if tk.Access == "" || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("refresh response %v %v", out, h)
	}
	if tk.RawID == "" {
		tk.ID = before.ID
	} else {
		tk.IDHeader, tk.ID = o.verifyIDToken(t, tk.RawID, c.ID, "")
		for _, k := range []string{"iss", "sub", "auth_time", "azp"} {
			if fmt.Sprint(tk.ID[k]) != fmt.Sprint(before.ID[k]) {
				t.Fatalf("refreshed ID token %s %v, was %v", k, tk.ID[k], before.ID[k])
			}
		}
		if !slices.Equal(claimStrings(tk.ID["aud"]), claimStrings(before.ID["aud"])) {
			t.Fatalf("refreshed ID token aud %v, was %v", tk.ID["aud"], before.ID["aud"])
		}
		i1, _ := claimInt(before.ID, "iat")
		if i2, _ := claimInt(tk.ID, "iat"); i2 < i1 {
			t.Fatalf("refreshed ID token iat %d before the first's %d", i2, i1)
		}
		if ah := claimString(tk.ID["at_hash"]); ah != "" && ah != halfHash(tk.IDHeader.Algorithm, tk.Access) {
			t.Fatal("refreshed ID token at_hash does not match the new access token")
		}
	}
	o.userinfoClaims(t, "get", tk)
	return tk
}

// RFC 6749 6: a refresh token works for the client it was issued to, and
// only for it.
func TestOIDF_oidcc_refresh_token(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	other := o.register(t, "rp2", nil)
	if !slices.Contains(claimStrings(o.disc["scopes_supported"]), "offline_access") {
		t.Fatal("discovery does not list offline_access")
	}
	tk := o.codeFlow(t, o.browser(t), c, url.Values{"scope": {"openid offline_access"}, "prompt": {"consent"}})
	if tk.Refresh == "" {
		t.Fatalf("no refresh token: %v", tk.Resp)
	}
	status, out, h := o.refresh(t, c, tk.Refresh)
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, out)
	}
	tk2 := o.refreshed(t, c, tk, out, h)
	next := tk2.Refresh
	if next == "" {
		next = tk.Refresh
	}
	if status, out, _ := o.refresh(t, other, next); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Fatalf("another client used the refresh token: %d %v", status, out)
	}
	status, out, h = o.refresh(t, c, next)
	if status != http.StatusOK {
		t.Fatalf("refresh after another client's attempt: %d %v", status, out)
	}
	o.refreshed(t, c, tk, out, h)
}
