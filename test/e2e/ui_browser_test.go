package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/coreos/go-oidc/v3/oidc"
	ory "github.com/ory/client-go"
	"golang.org/x/oauth2"
)

func urlValues(pairs [][]string) url.Values {
	v := url.Values{}
	for _, p := range pairs {
		v.Set(p[1], strings.ReplaceAll(p[2], "&amp;", "&"))
	}
	return v
}

// chromiumPath finds Chromium; without it the browser tests are skipped,
// except in CI, where they must run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("Chromium is required in CI (Debian package chromium)")
	}
	t.Skip("Chromium not installed")
	return ""
}

// browser starts a headless Chromium; js false disables JavaScript.
func browser(t *testing.T, js bool) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Run(ctx, emulation.SetScriptExecutionDisabled(!js)); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// artifacts is where screenshots go ($WARDEN_TEST_ARTIFACTS, default
// test/e2e/artifacts, which git ignores).
func artifacts(t *testing.T) string {
	dir := os.Getenv("WARDEN_TEST_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	dir = filepath.Join(dir, t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shot saves the page at desktop and phone widths.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := artifacts(t)
	for _, size := range []struct {
		tag  string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		var buf []byte
		if err := chromedp.Run(ctx, chromedp.EmulateViewport(size.w, size.h), chromedp.FullScreenshot(&buf, 100)); err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-"+size.tag+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_ = chromedp.Run(ctx, chromedp.EmulateViewport(1280, 900))
}

func mainText(t *testing.T, ctx context.Context) string {
	t.Helper()
	var s string
	if err := chromedp.Run(ctx, chromedp.Text("main", &s, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	return s
}

func cdp(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		var loc, body string
		_ = chromedp.Run(ctx, chromedp.Location(&loc), chromedp.Text("body", &body, chromedp.ByQuery))
		t.Fatalf("%s: %v (at %s)\n%s", what, err, loc, body)
	}
}

var sixDigits = regexp.MustCompile(`\b(\d{6})\b`)

// savedMsg is the settings page's "saved" message (not the one a recovery
// leaves, which is a success message too).
const savedMsg = `//p[contains(@class,"success") and contains(., "saved")]`

// A person registers, verifies the email with the code from the mailbox,
// signs out and in, changes the password, recovers a forgotten one, and
// signs in to an OpenID Connect client: consent asked once, remembered
// the second time.
func TestUIBrowserJourney(t *testing.T) {
	e := startIdentity(t)
	ctx := browser(t, true)
	pub := e.srv.public
	const email = "erin@example.com"

	cdp(t, ctx, "registration page", chromedp.Navigate(pub+"/ui/registration"), chromedp.WaitVisible(`input[name="traits.email"]`, chromedp.ByQuery))
	shot(t, ctx, "registration")
	cdp(t, ctx, "register",
		chromedp.SendKeys(`input[name="traits.email"]`, email, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="password"]`, "erins long passphrase", chromedp.ByQuery),
		chromedp.Click(`button[name="method"][value="password"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`input[name="code"]`, chromedp.ByQuery))
	shot(t, ctx, "verification-code")
	_, code := e.mail.wait(t, email, sixDigits)
	cdp(t, ctx, "verify", chromedp.SendKeys(`input[name="code"]`, code+kb.Enter, chromedp.ByQuery),
		chromedp.WaitVisible(`a.button`, chromedp.ByQuery))
	if s := mainText(t, ctx); !strings.Contains(s, "verified") {
		t.Fatalf("verification page: %q", s)
	}
	shot(t, ctx, "verification-done")

	cdp(t, ctx, "home", chromedp.Navigate(pub+"/"), chromedp.WaitVisible(`main`, chromedp.ByQuery))
	if s := mainText(t, ctx); !strings.Contains(s, email) {
		t.Fatalf("home page does not show the identity: %q", s)
	}
	shot(t, ctx, "home-signed-in")

	signOut := func() {
		cdp(t, ctx, "sign out", chromedp.Navigate(pub+"/ui/logout"), chromedp.WaitVisible(`button[value="yes"]`, chromedp.ByQuery))
		shot(t, ctx, "logout")
		cdp(t, ctx, "confirm sign out", chromedp.Click(`button[value="yes"]`, chromedp.ByQuery), chromedp.WaitVisible(`a[href="/ui/login"]`, chromedp.ByQuery))
	}
	signIn := func(password string) {
		cdp(t, ctx, "sign in", chromedp.Navigate(pub+"/ui/login"), chromedp.WaitVisible(`input[name="identifier"]`, chromedp.ByQuery),
			chromedp.SendKeys(`input[name="identifier"]`, email, chromedp.ByQuery),
			chromedp.SendKeys(`input[name="password"]`, password, chromedp.ByQuery),
			chromedp.Click(`button[name="method"][value="password"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`a[href="/ui/settings"]`, chromedp.ByQuery))
	}
	signOut()
	shot(t, ctx, "home-signed-out")
	cdp(t, ctx, "wrong password", chromedp.Navigate(pub+"/ui/login"), chromedp.WaitVisible(`input[name="identifier"]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="identifier"]`, email, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="password"]`, "not the password", chromedp.ByQuery),
		chromedp.Click(`button[name="method"][value="password"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.messages`, chromedp.ByQuery))
	shot(t, ctx, "login-error")
	signIn("erins long passphrase")

	// Change the password in settings.
	cdp(t, ctx, "settings", chromedp.Navigate(pub+"/ui/settings"), chromedp.WaitVisible(`input[name="password"]`, chromedp.ByQuery))
	shot(t, ctx, "settings")
	cdp(t, ctx, "change password",
		chromedp.SendKeys(`input[name="password"]`, "erins second passphrase", chromedp.ByQuery),
		chromedp.Click(`button[name="method"][value="password"]`, chromedp.ByQuery),
		chromedp.WaitVisible(savedMsg, chromedp.BySearch))
	shot(t, ctx, "settings-saved")
	signOut()
	signIn("erins second passphrase")
	signOut()

	// Recover a forgotten password.
	e.mail.take()
	cdp(t, ctx, "recovery", chromedp.Navigate(pub+"/ui/recovery"), chromedp.WaitVisible(`input[name="email"]`, chromedp.ByQuery))
	shot(t, ctx, "recovery")
	cdp(t, ctx, "ask for a code", chromedp.SendKeys(`input[name="email"]`, email+kb.Enter, chromedp.ByQuery),
		chromedp.WaitVisible(`input[name="code"]`, chromedp.ByQuery))
	shot(t, ctx, "recovery-code")
	_, rcode := e.mail.wait(t, email, sixDigits)
	cdp(t, ctx, "enter the code", chromedp.SendKeys(`input[name="code"]`, rcode+kb.Enter, chromedp.ByQuery),
		chromedp.WaitVisible(`input[name="password"]`, chromedp.ByQuery))
	shot(t, ctx, "settings-after-recovery")
	cdp(t, ctx, "new password after recovery",
		chromedp.SendKeys(`input[name="password"]`, "erins recovered passphrase", chromedp.ByQuery),
		chromedp.Click(`button[name="method"][value="password"]`, chromedp.ByQuery),
		chromedp.WaitVisible(savedMsg, chromedp.BySearch))
	signOut()
	signIn("erins recovered passphrase")

	// OpenID Connect: a relying party signs the user in.
	rp := startRP(t, e)
	var visited []string
	var mu sync.Mutex
	chromedp.ListenTarget(ctx, func(ev any) {
		if f, ok := ev.(*page.EventFrameNavigated); ok {
			mu.Lock()
			visited = append(visited, f.Frame.URL)
			mu.Unlock()
		}
	})
	cdp(t, ctx, "relying party", chromedp.Navigate(rp.url+"/login"), chromedp.WaitVisible(`button[value="allow"]`, chromedp.ByQuery))
	shot(t, ctx, "consent")
	cdp(t, ctx, "allow", chromedp.Click(`button[value="allow"]`, chromedp.ByQuery), chromedp.WaitVisible(`#hello`, chromedp.ByQuery))
	var hello string
	cdp(t, ctx, "relying party page", chromedp.Text(`#hello`, &hello, chromedp.ByQuery))
	if !strings.Contains(hello, email) {
		t.Fatalf("relying party says %q", hello)
	}
	mu.Lock()
	visited = nil
	mu.Unlock()
	cdp(t, ctx, "second sign-in", chromedp.Navigate(rp.url+"/login"), chromedp.WaitVisible(`#hello`, chromedp.ByQuery))
	mu.Lock()
	for _, u := range visited {
		if strings.Contains(u, "/ui/oauth2/consent") && !strings.Contains(u, "consent_verifier") {
			t.Errorf("consent asked again: %s", u)
		}
	}
	mu.Unlock()
	if rp.signIns() != 2 {
		t.Fatalf("relying party saw %d sign-ins, want 2", rp.signIns())
	}
	// Signing out ends the OAuth2 login session too: the client's next
	// sign-in asks for the password again.
	signOut()
	cdp(t, ctx, "relying party after sign-out", chromedp.Navigate(rp.url+"/login"), chromedp.WaitVisible(`input[name="identifier"]`, chromedp.ByQuery))
	if rp.signIns() != 2 {
		t.Fatalf("signed in to the client without a password after signing out")
	}
}

// testRP is a relying party built on golang.org/x/oauth2 and go-oidc.
type testRP struct {
	url string
	mu  sync.Mutex
	n   int
}

func (r *testRP) signIns() int { r.mu.Lock(); defer r.mu.Unlock(); return r.n }

func startRP(t *testing.T, e *identityEnv) *testRP {
	t.Helper()
	rp := &testRP{}
	srv := httptest.NewUnstartedServer(nil)
	rp.url = "http://" + srv.Listener.Addr().String()
	cl, _, err := e.adminOAuth2().CreateOAuth2Client(context.Background()).OAuth2Client(ory.OAuth2Client{
		ClientName: ory.PtrString("Erin's Notes"), RedirectUris: []string{rp.url + "/cb"}, GrantTypes: []string{"authorization_code"},
		ResponseTypes: []string{"code"}, Scope: ory.PtrString("openid email profile")}).Execute()
	if err != nil {
		t.Fatalf("create client: %v %s", err, bodyOf(err))
	}
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, e.srv.public)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	conf := &oauth2.Config{ClientID: *cl.ClientId, ClientSecret: *cl.ClientSecret, Endpoint: provider.Endpoint(),
		RedirectURL: rp.url + "/cb", Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
	verifier := provider.Verifier(&oidc.Config{ClientID: *cl.ClientId})
	state, pkce := "st-"+fmt.Sprint(time.Now().UnixNano()), oauth2.GenerateVerifier()
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			http.Redirect(w, r, conf.AuthCodeURL(state, oauth2.S256ChallengeOption(pkce), oidc.Nonce("n-"+state)), http.StatusFound)
		case "/cb":
			if r.URL.Query().Get("state") != state {
				http.Error(w, "bad state: "+r.URL.RawQuery, 400)
				return
			}
			tok, err := conf.Exchange(r.Context(), r.URL.Query().Get("code"), oauth2.VerifierOption(pkce))
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := verifier.Verify(r.Context(), raw)
			if err != nil || idt.Nonce != "n-"+state {
				http.Error(w, fmt.Sprint("id token: ", err), 400)
				return
			}
			var claims struct {
				Email string `json:"email"`
			}
			_ = idt.Claims(&claims)
			rp.mu.Lock()
			rp.n++
			rp.mu.Unlock()
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, `<!doctype html><p id="hello">Hello `+claims.Email+`</p>`)
		}
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return rp
}

// Sign-up and sign-in work with the keyboard alone.
func TestUIKeyboardOnly(t *testing.T) {
	e := startIdentity(t)
	ctx := browser(t, true)
	pub := e.srv.public
	cdp(t, ctx, "registration page", chromedp.Navigate(pub+"/ui/registration"), chromedp.WaitVisible(`input[name="traits.email"]`, chromedp.ByQuery))
	cdp(t, ctx, "type the email", chromedp.Focus(`input[name="traits.email"]`, chromedp.ByQuery), chromedp.KeyEvent("kay@example.com"))
	// The built-in schema asks for a first and last name too (optional).
	cdp(t, ctx, "tab through the name to the password", chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("Kay"), chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("kays long passphrase"))
	cdp(t, ctx, "submit with Enter", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(`input[name="code"]`, chromedp.ByQuery))
	cdp(t, ctx, "sign out", chromedp.Navigate(pub+"/ui/logout"), chromedp.WaitVisible(`button[value="yes"]`, chromedp.ByQuery),
		chromedp.Focus(`button[value="yes"]`, chromedp.ByQuery), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(`a[href="/ui/login"]`, chromedp.ByQuery))
	cdp(t, ctx, "sign in", chromedp.Navigate(pub+"/ui/login"), chromedp.WaitVisible(`input[name="identifier"]`, chromedp.ByQuery),
		chromedp.Focus(`input[name="identifier"]`, chromedp.ByQuery),
		chromedp.KeyEvent("kay@example.com"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("kays long passphrase"), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`a[href="/ui/settings"]`, chromedp.ByQuery))
	if s := mainText(t, ctx); !strings.Contains(s, "kay@example.com") {
		t.Fatalf("after keyboard sign-in: %q", s)
	}
}

var (
	formAction  = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// page fetches a page, following redirects inside the server, and returns
// the final HTML.
func pageHTML(t *testing.T, c *http.Client, u string) (string, string) {
	t.Helper()
	for range 10 {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusSeeOther || resp.StatusCode == http.StatusFound {
			next, _ := resp.Location()
			u = next.String()
			continue
		}
		if csp := resp.Header.Get("Content-Security-Policy"); resp.Header.Get("Content-Type") == "text/html; charset=utf-8" &&
			(!strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src")) {
			t.Fatalf("%s: the policy allows scripts: %q", u, csp)
		}
		if strings.Contains(strings.ToLower(string(b)), "<script") {
			t.Fatalf("%s has a script", u)
		}
		return u, string(b)
	}
	t.Fatalf("too many redirects from %s", u)
	return "", ""
}

// post submits the page's first form with the given fields added.
func post(t *testing.T, c *http.Client, html string, fields map[string]string) (int, string) {
	t.Helper()
	m := formAction.FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("no form in:\n%s", html)
	}
	v := urlValues(hiddenInput.FindAllStringSubmatch(html, -1))
	for k, x := range fields {
		v.Set(k, x)
	}
	action := strings.ReplaceAll(m[1], "&amp;", "&")
	resp, err := c.PostForm(action, v)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := resp.Location()
	if loc == nil {
		return resp.StatusCode, ""
	}
	return resp.StatusCode, loc.String()
}

// Without any JavaScript engine at all (a plain HTTP client with cookies),
// the pages sign up and sign in: they are forms, and their policy forbids
// scripts anyway.
func TestUIWithoutJavaScript(t *testing.T) {
	e := startIdentity(t)
	c := jarClient(t)
	pub := e.srv.public
	_, html := pageHTML(t, c, pub+"/ui/registration")
	code, next := post(t, c, html, map[string]string{"traits.email": "nojs@example.com", "password": "no script needed here", "method": "password"})
	if code != http.StatusSeeOther {
		t.Fatalf("registration: %d", code)
	}
	_, html = pageHTML(t, c, next)
	if !strings.Contains(html, `name="code"`) {
		t.Fatalf("after registration, not the verification page:\n%s", html)
	}
	_, html = pageHTML(t, c, pub+"/")
	if !strings.Contains(html, "nojs@example.com") {
		t.Fatalf("home page does not show the identity:\n%s", html)
	}
	c2 := jarClient(t)
	_, html = pageHTML(t, c2, pub+"/ui/login")
	code, next = post(t, c2, html, map[string]string{"identifier": "nojs@example.com", "password": "no script needed here", "method": "password"})
	if code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}
	if _, html = pageHTML(t, c2, next); !strings.Contains(html, "nojs@example.com") {
		t.Fatalf("after sign-in:\n%s", html)
	}
}

// A TV signs in with the device flow: the person enters the code on the
// device page (prefilled from the link), signs in, allows, and the TV's
// poll gets its tokens. Pages speak German when asked, and a broken link
// lands on a readable error page.
func TestUIDeviceGermanAndErrors(t *testing.T) {
	e := startIdentity(t)
	pub := e.srv.public
	ctx := browser(t, true)
	e.register(t, "tv@example.com", "tv owners passphrase")
	cl, _, err := e.adminOAuth2().CreateOAuth2Client(context.Background()).OAuth2Client(ory.OAuth2Client{ClientName: ory.PtrString("Living-room TV"),
		TokenEndpointAuthMethod: ory.PtrString("none"), GrantTypes: []string{"urn:ietf:params:oauth:grant-type:device_code"},
		Scope: ory.PtrString("openid")}).Execute()
	if err != nil {
		t.Fatalf("client: %v %s", err, bodyOf(err))
	}
	conf := oauth2.Config{ClientID: *cl.ClientId, Scopes: []string{"openid"}, Endpoint: oauth2.Endpoint{
		DeviceAuthURL: pub + "/oauth2/device/auth", TokenURL: pub + "/oauth2/token", AuthStyle: oauth2.AuthStyleInParams}}
	da, err := conf.DeviceAuth(context.Background())
	if err != nil {
		t.Fatalf("device auth: %v", err)
	}
	cdp(t, ctx, "device link", chromedp.Navigate(da.VerificationURIComplete), chromedp.WaitVisible(`input[name="user_code"]`, chromedp.ByQuery))
	shot(t, ctx, "device")
	cdp(t, ctx, "code", chromedp.Click(`main form button[type="submit"]`, chromedp.ByQuery), chromedp.WaitVisible(`input[name="identifier"]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="identifier"]`, "tv@example.com", chromedp.ByQuery),
		chromedp.SendKeys(`input[name="password"]`, "tv owners passphrase", chromedp.ByQuery),
		chromedp.Click(`button[name="method"][value="password"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`button[value="allow"]`, chromedp.ByQuery), chromedp.Click(`button[value="allow"]`, chromedp.ByQuery),
		chromedp.Sleep(500*time.Millisecond))
	pctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tok, err := conf.DeviceAccessToken(pctx, da)
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("device token: %v", err)
	}

	de := jarClient(t)
	req, _ := http.NewRequest("GET", pub+"/ui/login", nil)
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9,en;q=0.5")
	var html string
	for range 5 { // follow to the flow's page
		resp, err := de.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if loc, _ := resp.Location(); loc != nil {
			req, _ = http.NewRequest("GET", loc.String(), nil)
			req.Header.Set("Accept-Language", "de-DE,de;q=0.9,en;q=0.5")
			continue
		}
		html = string(b)
		break
	}
	if !strings.Contains(html, "Mit Passwort anmelden") || !strings.Contains(html, `lang="de"`) {
		t.Fatalf("German sign-in page:\n%s", html)
	}
	_, html = pageHTML(t, jarClient(t), pub+"/ui/error?id=nope")
	if !strings.Contains(html, "no longer valid") {
		t.Fatalf("error page:\n%s", html)
	}
}
