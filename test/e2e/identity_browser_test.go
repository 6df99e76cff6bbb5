package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	ory "github.com/ory/client-go"
)

// jarClient is a browser-like client: cookies kept, redirects not followed.
func jarClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// call sends a request; body is JSON (map) or a form (url.Values).
func doReq(t *testing.T, c *http.Client, method, u string, body any, accept string, hdr ...string) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case []byte:
		rd, ct = bytes.NewReader(b), "application/json"
	default:
		j, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	for k := 0; k+1 < len(hdr); k += 2 {
		req.Header.Set(hdr[k], hdr[k+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, resp.Header, m
}

// csrfOf returns the csrf_token node's value of a flow.
func csrfOf(t *testing.T, flow map[string]any) string {
	t.Helper()
	for _, n := range flow["ui"].(map[string]any)["nodes"].([]any) {
		a := n.(map[string]any)["attributes"].(map[string]any)
		if a["name"] == "csrf_token" {
			v, _ := a["value"].(string)
			return v
		}
	}
	t.Fatalf("flow has no csrf_token node: %v", flow)
	return ""
}

func errID(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	id, _ := e["id"].(string)
	return id
}

func TestIdentityBrowserFlows(t *testing.T) { eachDB(t, testBrowserFlows) }

func testBrowserFlows(t *testing.T, args ...string) {
	e := startIdentity(t, append(args, "--set", "identity.selfservice.flows.login.lifespan=2s")...)
	pub := e.srv.public
	b := jarClient(t)
	const js = "application/json"

	// A single-page app registers: flow JSON, then a JSON submission with the CSRF token.
	code, _, f := doReq(t, b, "GET", pub+"/self-service/registration/browser", nil, js)
	if code != 200 || f["type"] != "browser" {
		t.Fatalf("create browser registration: %d %v", code, f)
	}
	tok := csrfOf(t, f)
	if tok == "" {
		t.Fatal("browser flow without a CSRF token")
	}
	action := f["ui"].(map[string]any)["action"].(string)
	code, _, out := doReq(t, b, "POST", action, map[string]any{"method": "password", "csrf_token": tok,
		"traits": map[string]any{"email": "bob@example.com"}, "password": "bobs long passphrase"}, js)
	if code != 200 || out["session"] == nil {
		t.Fatalf("browser registration: %d %v", code, out)
	}
	if code, _, who := doReq(t, b, "GET", pub+"/sessions/whoami", nil, js); code != 200 || who["identity"] == nil {
		t.Fatalf("whoami with the cookie: %d %v", code, who)
	}
	// The cookie's secret is no session token.
	u, _ := url.Parse(pub)
	var cookie string
	for _, c := range b.Jar.Cookies(u) {
		if c.Name == "ory_kratos_session" {
			cookie = c.Value
		}
	}
	if code, _, _ := doReq(t, http.DefaultClient, "GET", pub+"/sessions/whoami", nil, js, "X-Session-Token", cookie); cookie == "" || code != 401 {
		t.Fatalf("the cookie's value worked as a session token: %d", code)
	}

	// A wrong CSRF token is refused, and so is a submission from a browser without the cookie.
	other := jarClient(t)
	code, _, lf := doReq(t, other, "GET", pub+"/self-service/login/browser", nil, js)
	if code != 200 {
		t.Fatalf("login flow: %d", code)
	}
	la := lf["ui"].(map[string]any)["action"].(string)
	code, _, m := doReq(t, other, "POST", la, map[string]any{"method": "password", "identifier": "bob@example.com",
		"password": "bobs long passphrase", "csrf_token": "forged"}, js)
	if code != 403 || errID(m) != "security_csrf_violation" {
		t.Fatalf("forged CSRF token: %d %v", code, m)
	}
	code, _, m = doReq(t, jarClient(t), "POST", la, map[string]any{"method": "password", "identifier": "bob@example.com",
		"password": "bobs long passphrase", "csrf_token": csrfOf(t, lf)}, js)
	if code != 403 || errID(m) != "security_csrf_violation" {
		t.Fatalf("token without its cookie: %d %v", code, m)
	}

	// A classic form post: 303 to the return URL, with the session cookie.
	form := url.Values{"method": {"password"}, "identifier": {"bob@example.com"}, "password": {"bobs long passphrase"},
		"csrf_token": {csrfOf(t, lf)}}
	code, h, _ := doReq(t, other, "POST", la, form, "text/html")
	if code != 303 || h.Get("Location") == "" || !strings.Contains(h.Get("Set-Cookie"), "ory_kratos_session=") {
		t.Fatalf("form login: %d %v", code, h)
	}
	// A wrong password by form goes back to the flow's page with the message stored.
	code, _, lf2 := doReq(t, other, "GET", pub+"/self-service/login/browser?refresh=true", nil, js)
	if code != 200 {
		t.Fatalf("refresh login flow: %d %v", code, lf2)
	}
	form = url.Values{"method": {"password"}, "identifier": {"bob@example.com"}, "password": {"nope nope nope"},
		"csrf_token": {csrfOf(t, lf2)}}
	code, h, _ = doReq(t, other, "POST", lf2["ui"].(map[string]any)["action"].(string), form, "text/html")
	if code != 303 || !strings.Contains(h.Get("Location"), "flow="+lf2["id"].(string)) {
		t.Fatalf("failed form login: %d %v", code, h)
	}
	_, _, stored := doReq(t, other, "GET", pub+"/self-service/login/flows?id="+lf2["id"].(string), nil, js)
	if ids := messageIDs(stored); !has(ids, "4000006") {
		t.Fatalf("stored flow messages %v", ids)
	}
	// Another browser cannot read the flow.
	if code, _, m := doReq(t, jarClient(t), "GET", pub+"/self-service/login/flows?id="+lf2["id"].(string), nil, js); code != 403 {
		t.Fatalf("flow read by another browser: %d %v", code, m)
	}

	// Logout by the logout URL.
	code, _, lo := doReq(t, other, "GET", pub+"/self-service/logout/browser", nil, js)
	if code != 200 || lo["logout_url"] == nil {
		t.Fatalf("logout flow: %d %v", code, lo)
	}
	if code, _, _ := doReq(t, other, "GET", pub+"/self-service/logout?token=forged", nil, js); code != 403 {
		t.Fatalf("logout with a forged token: %d", code)
	}
	if code, _, _ := doReq(t, other, "GET", lo["logout_url"].(string), nil, "text/html"); code != 303 {
		t.Fatalf("logout: %d", code)
	}
	if code, _, _ := doReq(t, other, "GET", pub+"/sessions/whoami", nil, js); code != 401 {
		t.Fatalf("whoami after logout: %d", code)
	}

	// API flows refuse browser traffic and expire.
	code, _, af := doReq(t, http.DefaultClient, "GET", pub+"/self-service/login/api", nil, js)
	if code != 200 || csrfOf(t, af) != "" {
		t.Fatalf("api login flow: %d %v", code, af)
	}
	aa := af["ui"].(map[string]any)["action"].(string)
	code, _, m = doReq(t, b, "POST", aa, map[string]any{"method": "password", "identifier": "bob@example.com", "password": "x"}, js,
		"Origin", pub)
	if code != 400 || errID(m) != "security_csrf_violation" {
		t.Fatalf("api flow submitted by a browser: %d %v", code, m)
	}
	code, _, m = doReq(t, http.DefaultClient, "POST", aa, []byte(`{"method":"password","identifier":"`+strings.Repeat("x", 300<<10)+`"}`), js)
	if code != 413 {
		t.Fatalf("oversized submission: %d %v", code, m)
	}
	code, _, m = doReq(t, http.DefaultClient, "POST", aa, []byte(`{"method":`), js)
	if code != 400 {
		t.Fatalf("malformed JSON: %d %v", code, m)
	}
	time.Sleep(2100 * time.Millisecond)
	code, _, m = doReq(t, http.DefaultClient, "POST", aa, map[string]any{"method": "password", "identifier": "bob@example.com",
		"password": "bobs long passphrase"}, js)
	if code != 410 || errID(m) != "self_service_flow_expired" || m["use_flow_id"] == nil {
		t.Fatalf("expired flow: %d %v", code, m)
	}
	if code, _, nf := doReq(t, http.DefaultClient, "GET", pub+"/self-service/login/flows?id="+m["use_flow_id"].(string), nil, js); code != 200 ||
		!has(messageIDs(nf), "4010001") {
		t.Fatalf("the flow to use instead: %d %v", code, nf)
	}

	// Throttling: after ten wrong passwords even the right one is refused for a while.
	ctx := context.Background()
	for range 10 {
		if _, err := e.login(ctx, "bob@example.com", "wrong wrong wrong"); err == nil {
			t.Fatal("wrong password accepted")
		}
	}
	_, err := e.login(ctx, "bob@example.com", "bobs long passphrase")
	if err == nil {
		t.Fatal("no throttling after ten failures")
	}
	if ids := messageIDs(apiBody(t, err)); !has(ids, "4000001") {
		t.Fatalf("throttled login messages %v", ids)
	}

	// An operator's recovery link signs the browser in and opens settings.
	list, _, err := e.admin.ListIdentities(ctx).CredentialsIdentifier("bob@example.com").Execute()
	if err != nil || len(list) != 1 {
		t.Fatalf("find bob: %v %d", err, len(list))
	}
	rl, _, err := e.admin.CreateRecoveryLinkForIdentity(ctx).CreateRecoveryLinkForIdentityBody(ory.CreateRecoveryLinkForIdentityBody{
		IdentityId: list[0].Id, ExpiresIn: ory.PtrString("10m")}).Execute()
	if err != nil {
		t.Fatalf("recovery link: %v %s", err, bodyOf(err))
	}
	rb := jarClient(t)
	code, h, _ = doReq(t, rb, "GET", rl.RecoveryLink, nil, "text/html")
	if code != 303 || !strings.Contains(h.Get("Location"), "flow=") {
		t.Fatalf("following the recovery link: %d %v", code, h)
	}
	sid, _ := url.Parse(h.Get("Location"))
	code, _, sf := doReq(t, rb, "GET", pub+"/self-service/settings/flows?id="+sid.Query().Get("flow"), nil, js)
	if code != 200 || sf["identity"] == nil {
		t.Fatalf("settings flow after recovery: %d %v", code, sf)
	}
	code, _, sf = doReq(t, rb, "POST", sf["ui"].(map[string]any)["action"].(string), map[string]any{"method": "password",
		"password": "bob recovered this", "csrf_token": csrfOf(t, sf)}, js)
	if code != 200 || sf["state"] != "success" {
		t.Fatalf("new password after recovery: %d %v", code, sf)
	}
	// The link works once.
	if code, _, _ := doReq(t, jarClient(t), "GET", rl.RecoveryLink, nil, js); code != 400 {
		t.Fatalf("recovery link used twice: %d", code)
	}
}
