package e2e

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"
)

type nonceKey struct{}

// TestZitadelRelyingParty signs in with zitadel's relying party library:
// discovery, its login and callback handlers (state and PKCE verifier kept
// in its cookies), a nonce checked on the ID token along with iss, aud,
// azp, signature, expiry and at_hash, the userinfo call that checks sub,
// and a refresh whose new ID token passes the same verification.
func TestZitadelRelyingParty(t *testing.T) {
	o := newOIDF(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cookies := httphelper.NewCookieHandler(key, key, httphelper.WithUnsecure())

	var (
		party  rp.RelyingParty
		mu     sync.Mutex
		tokens *oidc.Tokens[*oidc.IDTokenClaims]
		info   *oidc.UserInfo
		nonce  string
	)
	app := http.NewServeMux()
	// The app keeps the nonce of the login it started in a cookie and
	// hands it to the ID token verifier through the request's context.
	app.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		n := randomState(t)
		mu.Lock()
		nonce = n
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "app_nonce", Value: n, Path: "/", HttpOnly: true})
		state := func() string { return randomState(t) }
		mu.Lock()
		p := party
		mu.Unlock()
		rp.AuthURLHandler(state, p, rp.WithURLParam("nonce", n)).ServeHTTP(w, r)
	})
	var callback http.HandlerFunc // zitadel's, once the relying party exists
	app.HandleFunc("/callback", func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie("app_nonce")
		if err != nil {
			http.Error(w, "no nonce cookie", http.StatusBadRequest)
			return
		}
		mu.Lock()
		cb := callback
		mu.Unlock()
		cb.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), nonceKey{}, ck.Value)))
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { app.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)

	c := o.register(t, "zitadel", map[string]any{"redirect_uris": []string{srv.URL + "/callback"}})
	ctx := context.Background()
	p, err := rp.NewRelyingPartyOIDC(ctx, o.issuer(), c.ID, c.Secret, srv.URL+"/callback",
		[]string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess, oidc.ScopeEmail, oidc.ScopeProfile},
		rp.WithPKCE(cookies),
		rp.WithAuthStyle(oauth2.AuthStyleInHeader), // the client registered client_secret_basic
		rp.WithVerifierOpts(rp.WithNonce(func(ctx context.Context) string {
			n, _ := ctx.Value(nonceKey{}).(string)
			return n
		})))
	if err != nil {
		t.Fatalf("relying party with discovery: %v", err)
	}
	mu.Lock()
	party = p
	callback = rp.CodeExchangeHandler(rp.UserinfoCallback(
		func(w http.ResponseWriter, r *http.Request, tk *oidc.Tokens[*oidc.IDTokenClaims], state string, _ rp.RelyingParty, ui *oidc.UserInfo) {
			mu.Lock()
			tokens, info = tk, ui
			mu.Unlock()
			_, _ = io.WriteString(w, "signed in")
		}), party)
	mu.Unlock()

	// A browser that follows every redirect: app, server, login app and back.
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > 20 {
			return errors.New("too many redirects")
		}
		return nil
	}}
	res, err := b.Get(srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "signed in" {
		t.Fatalf("sign-in ended at %s with %d: %s", res.Request.URL, res.StatusCode, body)
	}
	mu.Lock()
	tk, ui, n := tokens, info, nonce
	mu.Unlock()
	if tk.IDTokenClaims.Subject != "alice" || tk.IDTokenClaims.Nonce != n || tk.IDTokenClaims.Issuer != o.issuer() {
		t.Fatalf("ID token claims %+v", tk.IDTokenClaims)
	}
	if tk.IDTokenClaims.AccessTokenHash == "" || tk.RefreshToken == "" {
		t.Fatalf("at_hash %q, refresh token %q", tk.IDTokenClaims.AccessTokenHash, tk.RefreshToken)
	}
	if ui.Subject != "alice" || ui.Email != "alice@example.com" || !bool(ui.EmailVerified) || ui.Name != "Alice Liddell" {
		t.Fatalf("userinfo in the callback %+v", ui)
	}

	// Userinfo with the access token.
	ui2, err := rp.Userinfo[*oidc.UserInfo](ctx, tk.AccessToken, tk.TokenType, tk.IDTokenClaims.Subject, party)
	if err != nil || ui2.Email != "alice@example.com" {
		t.Fatalf("userinfo: %+v %v", ui2, err)
	}

	// Refresh: a new access and refresh token, and an ID token verified
	// without a nonce (OIDC Core 12.2).
	rt, err := rp.RefreshTokens[*oidc.IDTokenClaims](ctx, party, tk.RefreshToken, "", "")
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if rt.AccessToken == "" || rt.AccessToken == tk.AccessToken || rt.RefreshToken == "" || rt.RefreshToken == tk.RefreshToken {
		t.Fatalf("refresh tokens %+v", rt.Token)
	}
	if rt.IDTokenClaims == nil || rt.IDTokenClaims.Subject != "alice" || rt.IDTokenClaims.AuthTime != tk.IDTokenClaims.AuthTime {
		t.Fatalf("refreshed ID token %+v", rt.IDTokenClaims)
	}
	if ui3, err := rp.Userinfo[*oidc.UserInfo](ctx, rt.AccessToken, rt.TokenType, rt.IDTokenClaims.Subject, party); err != nil || ui3.Subject != "alice" {
		t.Fatalf("userinfo after refresh: %+v %v", ui3, err)
	}
	// The rotated-out access token no longer works.
	if _, err := rp.Userinfo[*oidc.UserInfo](ctx, tk.AccessToken, tk.TokenType, tk.IDTokenClaims.Subject, party); err == nil {
		t.Fatal("the access token from before the refresh still works")
	}
}
