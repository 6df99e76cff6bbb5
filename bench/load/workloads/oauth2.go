package workloads

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/warden-iam/warden/bench/load"
)

// The OAuth2 workloads (H*). Every one registers the clients it needs through
// the admin API (POST /admin/clients) and then uses only the public token,
// authorization and user info endpoints and the admin introspection and
// login/consent endpoints, the way an application and its login app do.

type oauth2Client struct {
	ID     string `json:"client_id"`
	Secret string `json:"client_secret"`
}

// basicAuth builds the client_secret_basic header: RFC 6749 section 2.3.1
// form-encodes id and secret before base64.
func (c oauth2Client) basicAuth() string {
	raw := url.QueryEscape(c.ID) + ":" + url.QueryEscape(c.Secret)
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(raw))
}

// benchRedirect is the redirect URI of the flow clients. Nothing listens
// there: the harness reads the code from the Location header and never
// follows the last redirect.
const benchRedirect = "http://127.0.0.1:9/cb"

// clientSpec is what a workload asks of its client.
type clientSpec struct {
	grants []string // default client_credentials
	// secret, when set, is an operator-chosen secret; otherwise the server
	// generates one.
	secret      string
	jwt         bool   // access_token_strategy jwt
	scope       string // allowed scope
	flow        bool   // authorization code client: redirect URI, response type code
	skipConsent bool
}

// createClient registers a confidential client (client_secret_basic).
func createClient(ctx context.Context, env *load.Env, name string, spec clientSpec) (oauth2Client, error) {
	grants := spec.grants
	if len(grants) == 0 {
		grants = []string{"client_credentials"}
	}
	body := map[string]any{
		"client_name":                "warden-bench-" + name + "-" + env.Tag,
		"grant_types":                grants,
		"token_endpoint_auth_method": "client_secret_basic",
	}
	if spec.secret != "" {
		body["client_secret"] = spec.secret
	}
	if spec.jwt {
		body["access_token_strategy"] = "jwt"
	}
	if spec.scope != "" {
		body["scope"] = spec.scope
	}
	if spec.flow {
		body["redirect_uris"] = []string{benchRedirect}
		body["response_types"] = []string{"code"}
	}
	if spec.skipConsent {
		body["skip_consent"] = true
	}
	var c oauth2Client
	if err := env.Client.Call(ctx, http.MethodPost, env.URLs.OAuth2Admin+"/admin/clients", nil, body, &c, http.StatusCreated, http.StatusOK); err != nil {
		return c, fmt.Errorf("creating the OAuth2 client: %w", err)
	}
	if c.ID == "" || c.Secret == "" {
		return c, errors.New("creating the OAuth2 client: response lacks client_id or client_secret")
	}
	if spec.secret != "" {
		c.Secret = spec.secret // some servers do not echo a chosen secret
	}
	return c, nil
}

const clientCredentialsBody = "grant_type=client_credentials"

// formPost builds a form POST with client_secret_basic authentication (auth
// may be empty).
func formPost(ctx context.Context, target, auth, form string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form))
	if err != nil {
		return nil, err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	return req, nil
}

var accessTokenKey = []byte(`"access_token"`)

// clientCredentialsOp is one client_credentials grant; with jwt the access
// token must be a compact JWS.
func clientCredentialsOp(env *load.Env, c oauth2Client, jwt bool) load.Op {
	tokenURL, auth := env.URLs.OAuth2Public+"/oauth2/token", c.basicAuth()
	return func(ctx context.Context, w *load.Worker) load.Result {
		req, err := formPost(ctx, tokenURL, auth, clientCredentialsBody)
		if err != nil {
			return load.Result{Err: err}
		}
		status, body, err := w.Do(req, true)
		if r := load.Expect2xx(status, body, err); r.Err != nil {
			return r
		}
		if !jwt {
			if !bytes.Contains(body, accessTokenKey) {
				return load.Result{Status: status, Err: errors.New("token response has no access_token")}
			}
			return load.Result{Status: status}
		}
		var tr tokenResponse
		if err := json.Unmarshal(body, &tr); err != nil {
			return load.Result{Status: status, Err: fmt.Errorf("token response: %w", err)}
		}
		if strings.Count(tr.AccessToken, ".") != 2 {
			return load.Result{Status: status, Err: errors.New("the access token is not a JWT")}
		}
		return load.Result{Status: status}
	}
}

// issueClientCredentials gets one access token for c.
func issueClientCredentials(ctx context.Context, env *load.Env, c oauth2Client) (string, error) {
	var tok tokenResponse
	hdr := http.Header{"Authorization": {c.basicAuth()}}
	if err := env.Client.Call(ctx, http.MethodPost, env.URLs.OAuth2Public+"/oauth2/token", hdr, clientCredentialsBody, &tok, http.StatusOK); err != nil {
		return "", fmt.Errorf("obtaining an access token: %w", err)
	}
	if tok.AccessToken == "" {
		return "", errors.New("obtaining an access token: empty access_token")
	}
	return tok.AccessToken, nil
}

// setupH1 uses a secret the operator chose, which servers hash slowly
// (Warden: argon2id; Hydra: its configured hasher), so every grant pays the
// hash.
func setupH1(ctx context.Context, env *load.Env) (load.Op, error) {
	c, err := createClient(ctx, env, "h1", clientSpec{secret: "chosen-" + crand.Text()})
	if err != nil {
		return nil, err
	}
	return clientCredentialsOp(env, c, false), nil
}

// setupH1c uses a secret the server generated: high entropy, so Warden
// verifies it with a keyed MAC instead of a password hash.
func setupH1c(ctx context.Context, env *load.Env) (load.Op, error) {
	c, err := createClient(ctx, env, "h1c", clientSpec{})
	if err != nil {
		return nil, err
	}
	return clientCredentialsOp(env, c, false), nil
}

// setupH2 asks for JWT access tokens (client access_token_strategy jwt),
// signed with whatever algorithm the server is configured for; the setup
// log names it.
func setupH2(ctx context.Context, env *load.Env) (load.Op, error) {
	c, err := createClient(ctx, env, "h2", clientSpec{jwt: true})
	if err != nil {
		return nil, err
	}
	tok, err := issueClientCredentials(ctx, env, c)
	if err != nil {
		return nil, err
	}
	alg, err := jwsAlg(tok)
	if err != nil {
		return nil, fmt.Errorf("the access token: %w", err)
	}
	env.Logf("H2: access tokens are JWTs signed with %s", alg)
	return clientCredentialsOp(env, c, true), nil
}

// jwsAlg reads the alg of a compact JWS header (no verification).
func jwsAlg(tok string) (string, error) {
	head, _, ok := strings.Cut(tok, ".")
	if !ok || strings.Count(tok, ".") != 2 {
		return "", errors.New("not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return "", fmt.Errorf("JWT header: %w", err)
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(raw, &h); err != nil || h.Alg == "" {
		return "", errors.New("JWT header has no alg")
	}
	return h.Alg, nil
}

// h3Tokens is how many access tokens H3 introspects, one picked at random
// per operation, so lookups spread over the token index instead of hitting
// one hot row.
const h3Tokens = 1000

func setupH3(ctx context.Context, env *load.Env) (load.Op, error) {
	c, err := createClient(ctx, env, "h3", clientSpec{})
	if err != nil {
		return nil, err
	}
	tokens := make([]string, h3Tokens)
	err = parallel(ctx, min(8, env.Concurrency), len(tokens), func(ctx context.Context, _ *load.Worker, i int) error {
		tok, err := issueClientCredentials(ctx, env, c)
		tokens[i] = tok
		return err
	}, env.Client)
	if err != nil {
		return nil, err
	}
	introspectURL := env.URLs.OAuth2Admin + "/admin/oauth2/introspect"
	forms := make([]string, len(tokens))
	for i, t := range tokens {
		forms[i] = "token=" + url.QueryEscape(t)
	}
	return func(ctx context.Context, w *load.Worker) load.Result {
		req, err := formPost(ctx, introspectURL, "", forms[rand.IntN(len(forms))])
		if err != nil {
			return load.Result{Err: err}
		}
		status, body, err := w.Do(req, true)
		return introspectionAnswer(status, body, err, true)
	}, nil
}

// introspectionAnswer checks an introspection response: a 200 whose active
// is the one wanted.
func introspectionAnswer(status int, body []byte, err error, active bool) load.Result {
	if r := load.Expect2xx(status, body, err); r.Err != nil {
		return r
	}
	var ir struct {
		Active *bool `json:"active"`
	}
	if err := json.Unmarshal(body, &ir); err != nil {
		return load.Result{Status: status, Err: fmt.Errorf("introspection response: %w", err)}
	}
	if ir.Active == nil || *ir.Active != active {
		return load.Result{Status: status, Err: fmt.Errorf("token reported active=%v, want %v", ir.Active != nil && *ir.Active, active)}
	}
	return load.Result{Status: status}
}

// parallel runs fn for 0..n-1 on up to conc goroutines, each with its own
// worker of client, and stops at the first error.
func parallel(ctx context.Context, conc, n int, fn func(ctx context.Context, w *load.Worker, i int) error, client *load.Client) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for g := range max(1, min(conc, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := client.NewWorker(g)
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(ctx, w, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

// codeFlow drives one authorization code flow with PKCE the way a browser,
// a login and consent app and a relying party do together, without a
// browser: GET /oauth2/auth; the login challenge from the redirect accepted
// through the admin API; its redirect_to followed with the flow's cookies;
// the same for consent (unless the client skips it); the code from the last
// redirect exchanged at the token endpoint.
type codeFlow struct {
	public, admin string
	client        oauth2Client
	auth          string // the client's basic authorization header
	scope         []string
	subject       string         // prefix of the subjects the login accepts
	claims        map[string]any // ID token claims the consent adds
}

func newCodeFlow(env *load.Env, c oauth2Client, scope []string, subject string) *codeFlow {
	return &codeFlow{public: env.URLs.OAuth2Public, admin: env.URLs.OAuth2Admin, client: c, auth: c.basicAuth(),
		scope: scope, subject: subject, claims: map[string]any{"email": subject + "@example.org"}}
}

// randomURLText is n random bytes, base64url without padding.
func randomURLText(n int) string {
	b := make([]byte, n)
	_, _ = crand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// cookieJar holds the cookies of one flow, as a browser would.
type cookieJar map[string]string

func (j cookieJar) take(h http.Header) {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(j, c.Name)
		} else {
			j[c.Name] = c.Value
		}
	}
}

func (j cookieJar) header() string {
	var b strings.Builder
	for k, v := range j {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k + "=" + v)
	}
	return b.String()
}

// fail builds the Result of a flow step that went wrong.
func fail(step string, status int, body []byte, err error) load.Result {
	if err != nil {
		return load.Result{Status: status, Err: fmt.Errorf("%s: %w", step, err)}
	}
	return load.Result{Status: status, Err: fmt.Errorf("%s: %s", step, strings.Join(strings.Fields(string(body)), " "))}
}

// browse sends GET target with the jar's cookies and expects a redirect;
// it returns the Location.
func (f *codeFlow) browse(ctx context.Context, w *load.Worker, step, target string, jar cookieJar) (*url.URL, load.Result) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, load.Result{Err: err}
	}
	if len(jar) > 0 {
		req.Header.Set("Cookie", jar.header())
	}
	status, h, body, err := w.DoHeader(req, false)
	if err != nil || (status != http.StatusFound && status != http.StatusSeeOther) {
		if err == nil && status/100 == 2 {
			status = 0 // a 2xx where a redirect belongs: class it by the error, not as success
			err = errors.New("no redirect")
		}
		return nil, fail(step, status, body, err)
	}
	jar.take(h)
	loc, err := url.Parse(h.Get("Location"))
	if err != nil || h.Get("Location") == "" {
		return nil, load.Result{Status: status, Err: fmt.Errorf("%s: bad Location %q", step, h.Get("Location"))}
	}
	return loc, load.Result{Status: status}
}

// accept sends PUT to an admin accept endpoint and returns redirect_to.
func (f *codeFlow) accept(ctx context.Context, w *load.Worker, step, path, param, challenge string, body any) (string, load.Result) {
	b, err := json.Marshal(body)
	if err != nil {
		return "", load.Result{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, f.admin+path+"?"+param+"="+url.QueryEscape(challenge), bytes.NewReader(b))
	if err != nil {
		return "", load.Result{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	status, resp, err := w.Do(req, true)
	if r := load.Expect2xx(status, resp, err); r.Err != nil {
		return "", fail(step, status, resp, r.Err)
	}
	var rt struct {
		RedirectTo string `json:"redirect_to"`
	}
	if err := json.Unmarshal(resp, &rt); err != nil || rt.RedirectTo == "" {
		return "", load.Result{Status: status, Err: fmt.Errorf("%s: no redirect_to in %s", step, snippetOf(resp))}
	}
	return rt.RedirectTo, load.Result{Status: status}
}

func snippetOf(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// run performs the flow for the subject f.subject + "-" + user and returns
// the tokens.
func (f *codeFlow) run(ctx context.Context, w *load.Worker, user string) (tokenResponse, load.Result) {
	var none tokenResponse
	verifier := randomURLText(32)
	sum := sha256.Sum256([]byte(verifier))
	state, nonce := randomURLText(12), randomURLText(12)
	q := url.Values{
		"client_id":             {f.client.ID},
		"response_type":         {"code"},
		"scope":                 {strings.Join(f.scope, " ")},
		"redirect_uri":          {benchRedirect},
		"state":                 {state},
		"nonce":                 {nonce},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	jar := cookieJar{}
	loc, r := f.browse(ctx, w, "authorize", f.public+"/oauth2/auth?"+q.Encode(), jar)
	if r.Err != nil {
		return none, r
	}
	challenge := loc.Query().Get("login_challenge")
	if challenge == "" {
		return none, load.Result{Status: r.Status, Err: fmt.Errorf("authorize: redirect without login_challenge: %s", loc)}
	}
	next, r := f.accept(ctx, w, "login accept", "/admin/oauth2/auth/requests/login/accept", "login_challenge", challenge,
		map[string]any{"subject": f.subject + "-" + user, "remember": false})
	if r.Err != nil {
		return none, r
	}
	if loc, r = f.browse(ctx, w, "login verifier", next, jar); r.Err != nil {
		return none, r
	}
	if challenge = loc.Query().Get("consent_challenge"); challenge != "" {
		next, r = f.accept(ctx, w, "consent accept", "/admin/oauth2/auth/requests/consent/accept", "consent_challenge", challenge,
			map[string]any{"grant_scope": f.scope, "remember": false, "session": map[string]any{"id_token": f.claims}})
		if r.Err != nil {
			return none, r
		}
		if loc, r = f.browse(ctx, w, "consent verifier", next, jar); r.Err != nil {
			return none, r
		}
	}
	cb := loc.Query()
	if !strings.HasPrefix(loc.String(), benchRedirect) || cb.Get("code") == "" || cb.Get("state") != state {
		return none, load.Result{Status: r.Status, Err: fmt.Errorf("callback: want %s with the code and state, got %s", benchRedirect, loc)}
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {cb.Get("code")}, "redirect_uri": {benchRedirect},
		"code_verifier": {verifier}}
	req, err := formPost(ctx, f.public+"/oauth2/token", f.auth, form.Encode())
	if err != nil {
		return none, load.Result{Err: err}
	}
	status, body, err := w.Do(req, true)
	if r := load.Expect2xx(status, body, err); r.Err != nil {
		return none, fail("token", status, body, r.Err)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return none, load.Result{Status: status, Err: fmt.Errorf("token: no access_token in %s", snippetOf(body))}
	}
	return tr, load.Result{Status: status}
}

// h4Scope asks for an ID token and a refresh token.
var h4Scope = []string{"openid", "offline_access"}

// setupH4 measures whole flows: authorize, login and consent accepted
// through the admin API, code exchange (access, refresh and ID token), then
// one user info request with the access token. Every flow signs in a user
// of its own (many users signing in once each).
func setupH4(ctx context.Context, env *load.Env) (load.Op, error) { return h4(ctx, env, false) }

// setupH4s is H4 with one user for every flow: one subject's flows pile up
// (none of their consents remembered), which shows what a subject's history
// costs each new flow.
func setupH4s(ctx context.Context, env *load.Env) (load.Op, error) { return h4(ctx, env, true) }

func h4(ctx context.Context, env *load.Env, oneSubject bool) (load.Op, error) {
	c, err := createClient(ctx, env, "h4", clientSpec{grants: []string{"authorization_code", "refresh_token"},
		scope: strings.Join(h4Scope, " "), flow: true})
	if err != nil {
		return nil, err
	}
	flow := newCodeFlow(env, c, h4Scope, "bench-h4-"+env.Tag)
	tr, r := flow.run(ctx, env.Client.NewWorker(0), "setup")
	if r.Err != nil {
		return nil, fmt.Errorf("a first flow: %w", r.Err)
	}
	alg, err := jwsAlg(tr.IDToken)
	if err != nil {
		return nil, fmt.Errorf("the ID token: %w", err)
	}
	id := "H4"
	if oneSubject {
		id = "H4s"
	}
	env.Logf("%s: ID tokens signed with %s", id, alg)
	userinfoURL := env.URLs.OAuth2Public + "/userinfo"
	subKey := []byte(`"sub"`)
	return func(ctx context.Context, w *load.Worker) load.Result {
		user := "setup"
		if !oneSubject {
			user = fmt.Sprintf("%d-%d-%d", w.Run, w.ID, w.Seq)
		}
		tr, r := flow.run(ctx, w, user)
		if r.Err != nil {
			return r
		}
		if tr.IDToken == "" || tr.RefreshToken == "" {
			return load.Result{Status: r.Status, Err: errors.New("token: an ID token and a refresh token were expected")}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, userinfoURL, nil)
		if err != nil {
			return load.Result{Err: err}
		}
		req.Header.Set("Authorization", "Bearer "+tr.AccessToken)
		status, body, err := w.Do(req, true)
		if r := load.Expect2xx(status, body, err); r.Err != nil {
			return fail("userinfo", status, body, r.Err)
		}
		if !bytes.Contains(body, subKey) {
			return load.Result{Status: status, Err: errors.New("userinfo: no sub")}
		}
		return load.Result{Status: status}
	}, nil
}

// h6Page is the page size of H6's admin client list; the setup creates
// clients until a page is full.
const h6Page = 100

// H6 parts, in the order the mix cycles through them.
const (
	h6JWKS = iota
	h6Discovery
	h6GetClient
	h6ListClients
	h6Parts
)

// setupH6 returns the setup of one part of H6, or of the mix of all four
// (part < 0): the public key set revalidated by its ETag, the discovery
// document, one client by id and a page of clients from the admin API.
func setupH6(part int) func(ctx context.Context, env *load.Env) (load.Op, error) {
	return func(ctx context.Context, env *load.Env) (load.Op, error) {
		var ops [h6Parts]load.Op
		needClients := part < 0 || part == h6GetClient || part == h6ListClients
		if part < 0 || part == h6JWKS {
			op, err := jwksOp(ctx, env)
			if err != nil {
				return nil, err
			}
			ops[h6JWKS] = op
		}
		ops[h6Discovery] = load.Get(env.URLs.OAuth2Public+"/.well-known/openid-configuration", nil)
		if needClients {
			c, err := createClient(ctx, env, "h6", clientSpec{})
			if err != nil {
				return nil, err
			}
			listURL := fmt.Sprintf("%s/admin/clients?page_size=%d", env.URLs.OAuth2Admin, h6Page)
			if err := fillClientPage(ctx, env, listURL); err != nil {
				return nil, err
			}
			ops[h6GetClient] = load.Get(env.URLs.OAuth2Admin+"/admin/clients/"+url.PathEscape(c.ID), nil)
			ops[h6ListClients] = load.Get(listURL, nil)
		}
		if part >= 0 {
			return ops[part], nil
		}
		return func(ctx context.Context, w *load.Worker) load.Result {
			return ops[(uint64(w.ID)+w.Seq)%h6Parts](ctx, w)
		}, nil
	}
}

// jwksOp fetches the key set once for its ETag and returns an operation
// that revalidates it with If-None-Match: a 304 (or a full 200) is success.
// A server without ETags gets plain GETs.
func jwksOp(ctx context.Context, env *load.Env) (load.Op, error) {
	target := env.URLs.OAuth2Public + "/.well-known/jwks.json"
	w := env.Client.NewWorker(0)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	status, h, body, err := w.DoHeader(req, false)
	if r := load.Expect2xx(status, body, err); r.Err != nil {
		return nil, fmt.Errorf("GET %s: %v", target, r.Err)
	}
	etag := h.Get("ETag")
	if etag == "" {
		env.Logf("H6: the key set has no ETag; plain GETs")
	}
	return func(ctx context.Context, w *load.Worker) load.Result {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return load.Result{Err: err}
		}
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		status, body, err := w.Do(req, false)
		if err == nil && etag != "" && status == http.StatusNotModified {
			return load.Result{Status: status}
		}
		return load.Expect2xx(status, body, err)
	}, nil
}

// fillClientPage creates clients until listURL returns a full page.
func fillClientPage(ctx context.Context, env *load.Env, listURL string) error {
	var page []json.RawMessage
	if err := env.Client.Call(ctx, http.MethodGet, listURL, nil, nil, &page, http.StatusOK); err != nil {
		return fmt.Errorf("listing clients: %w", err)
	}
	missing := h6Page - len(page)
	if missing <= 0 {
		return nil
	}
	env.Logf("H6: creating %d clients", missing)
	return parallel(ctx, min(8, env.Concurrency), missing, func(ctx context.Context, _ *load.Worker, i int) error {
		_, err := createClient(ctx, env, fmt.Sprintf("h6-fill-%d", i), clientSpec{})
		return err
	}, env.Client)
}
