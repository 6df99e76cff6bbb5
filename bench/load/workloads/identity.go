package workloads

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	benchid "github.com/warden-iam/warden/bench/identity"
	"github.com/warden-iam/warden/bench/load"
)

// createIdentity creates an identity with an email trait and, when password is
// not empty, a password credential.
func createIdentity(ctx context.Context, env *load.Env, email, password string) error {
	var creds map[string]any
	if password != "" {
		creds = map[string]any{"password": map[string]any{"config": map[string]any{"password": password}}}
	}
	_, err := createIdentityWith(ctx, env, email, creds)
	return err
}

// createIdentityWith creates an identity with an email trait and the given
// credentials (none when nil) and returns its id.
func createIdentityWith(ctx context.Context, env *load.Env, email string, creds map[string]any) (string, error) {
	body := map[string]any{
		"schema_id": env.Options.IdentitySchema,
		"traits":    map[string]any{"email": email},
	}
	if creds != nil {
		body["credentials"] = creds
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := env.Client.Call(ctx, http.MethodPost, env.URLs.Admin+"/admin/identities", nil, body, &out, http.StatusCreated, http.StatusOK); err != nil {
		return "", err
	}
	return out.ID, nil
}

// randomPassword is 26 random base32 characters (130 bits): long, unlike the
// email, and in no breach list.
func randomPassword() string { return rand.Text() }

// identityFixtures reads the --identity-fixtures file once per path; it
// returns nil without one.
func identityFixtures(env *load.Env) (*benchid.Fixtures, error) {
	path := env.Options.IdentityFixtures
	if path == "" {
		return nil, nil
	}
	fixtureCache.Lock()
	defer fixtureCache.Unlock()
	if fixtureCache.path != path {
		f, err := benchid.ReadFixtures(path)
		if err != nil {
			return nil, fmt.Errorf("--identity-fixtures: %w", err)
		}
		fixtureCache.path, fixtureCache.f = path, f
	}
	return fixtureCache.f, nil
}

var fixtureCache struct {
	sync.Mutex
	path string
	f    *benchid.Fixtures
}

// pick returns a uniformly random index below n.
func pick(n int) int {
	if n <= 1 {
		return 0
	}
	return mrand.IntN(n)
}

// newJSONRequest builds a request with a JSON body that asks for JSON.
func newJSONRequest(ctx context.Context, method, url string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// overloaded is how a server says it turned a request away to protect
// itself: 503 (Warden's bounded hashing queue) or 429.
func overloaded(status int) bool {
	return status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests
}

// apiLogin signs in through a native (API) login flow and returns the
// session token: GET /self-service/login/api, then POST /self-service/login
// with the password method.
func apiLogin(ctx context.Context, env *load.Env, email, password string) (string, error) {
	var flow struct {
		ID string `json:"id"`
	}
	if err := env.Client.Call(ctx, http.MethodGet, env.URLs.Public+"/self-service/login/api", nil, nil, &flow, http.StatusOK); err != nil {
		return "", fmt.Errorf("creating the native login flow: %w", err)
	}
	if flow.ID == "" {
		return "", errors.New("creating the native login flow: no flow id")
	}
	submit := map[string]any{"method": "password", "identifier": email, "password": password}
	var login struct {
		SessionToken string `json:"session_token"`
	}
	if err := env.Client.Call(ctx, http.MethodPost, env.URLs.Public+"/self-service/login?flow="+url.QueryEscape(flow.ID), nil, submit, &login, http.StatusOK); err != nil {
		return "", fmt.Errorf("submitting the login flow: %w", err)
	}
	if login.SessionToken == "" {
		return "", errors.New("submitting the login flow: no session_token in the response")
	}
	return login.SessionToken, nil
}

func setupK1(ctx context.Context, env *load.Env) (load.Op, error) {
	f, err := identityFixtures(env)
	if err != nil {
		return nil, err
	}
	if f != nil {
		if len(f.Tokens) == 0 {
			return nil, errors.New("the identity fixtures hold no session tokens")
		}
		env.Logf("K1: %d seeded session tokens, one at random per op", len(f.Tokens))
		return whoami(env.URLs.Public, f.Tokens), nil
	}
	email := fmt.Sprintf("bench-k1-%s@example.org", env.Tag)
	password := randomPassword()
	if err := createIdentity(ctx, env, email, password); err != nil {
		return nil, fmt.Errorf("creating the identity: %w", err)
	}
	tok, err := apiLogin(ctx, env, email, password)
	if err != nil {
		return nil, err
	}
	return whoami(env.URLs.Public, []string{tok}), nil
}

// whoami is K1's operation: GET /sessions/whoami with one of tokens.
func whoami(public string, tokens []string) load.Op {
	u := public + "/sessions/whoami"
	return func(ctx context.Context, w *load.Worker) load.Result {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return load.Result{Err: err}
		}
		req.Header["X-Session-Token"] = []string{tokens[pick(len(tokens))]}
		return load.Expect2xx(w.Do(req, false))
	}
}

// credential is an identifier and its password.
type credential struct{ identifier, password string }

func setupK2(ctx context.Context, env *load.Env) (load.Op, error) {
	f, err := identityFixtures(env)
	if err != nil {
		return nil, err
	}
	var creds func() credential
	var probe credential
	if f != nil && len(f.Emails) > 0 {
		env.Logf("K2: signing in as one of %d seeded identities at random (stored hash: %s)", len(f.Emails), f.Hasher)
		creds = func() credential { return credential{f.Emails[pick(len(f.Emails))], f.Password} }
		probe = creds()
	} else {
		probe = credential{fmt.Sprintf("bench-k2-%s@example.org", env.Tag), randomPassword()}
		if err := createIdentity(ctx, env, probe.identifier, probe.password); err != nil {
			return nil, fmt.Errorf("creating the identity: %w", err)
		}
		creds = func() credential { return probe }
	}
	if _, err := apiLogin(ctx, env, probe.identifier, probe.password); err != nil {
		return nil, fmt.Errorf("signing in once: %w", err)
	}
	return apiFlow(env.URLs.Public, "login", func(*load.Worker) ([]byte, error) {
		c := creds()
		return json.Marshal(map[string]string{"method": "password", "identifier": c.identifier, "password": c.password})
	}, func(body []byte) error {
		var out struct {
			SessionToken string `json:"session_token"`
		}
		if json.Unmarshal(body, &out) != nil || out.SessionToken == "" {
			return errors.New("no session_token in the answer")
		}
		return nil
	}), nil
}

func setupK3(ctx context.Context, env *load.Env) (load.Op, error) {
	if err := env.Client.Call(ctx, http.MethodGet, env.URLs.Public+"/self-service/registration/api", nil, nil, nil, http.StatusOK); err != nil {
		return nil, fmt.Errorf("creating a native registration flow: %w", err)
	}
	password := randomPassword()
	return apiFlow(env.URLs.Public, "registration", func(w *load.Worker) ([]byte, error) {
		email := fmt.Sprintf("bench-k3-%s-%d-%d-%d@example.org", env.Tag, w.Run, w.ID, w.Seq)
		return json.Marshal(map[string]any{"method": "password", "traits": map[string]string{"email": email}, "password": password})
	}, func(body []byte) error {
		var out struct {
			Identity struct {
				ID string `json:"id"`
			} `json:"identity"`
		}
		if json.Unmarshal(body, &out) != nil || out.Identity.ID == "" {
			return errors.New("no identity in the answer")
		}
		return nil
	}), nil
}

// apiFlow is one whole native self-service flow of kind ("login",
// "registration"): GET /self-service/<kind>/api for a flow, then POST
// /self-service/<kind>?flow=ID with the body submit makes. A 2xx answer
// must pass check. A refusal as overloaded (503, 429) of the submission is
// shed, not an error.
func apiFlow(public, kind string, submit func(*load.Worker) ([]byte, error), check func([]byte) error) load.Op {
	create := public + "/self-service/" + kind + "/api"
	post := public + "/self-service/" + kind + "?flow="
	return func(ctx context.Context, w *load.Worker) load.Result {
		req, err := newJSONRequest(ctx, http.MethodGet, create, nil)
		if err != nil {
			return load.Result{Err: err}
		}
		status, body, err := w.Do(req, true)
		if r := load.Expect2xx(status, body, err); r.Err != nil {
			return r
		}
		var flow struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(body, &flow) != nil || flow.ID == "" {
			return load.Result{Status: status, Err: errors.New("no flow id in the answer")}
		}
		b, err := submit(w)
		if err != nil {
			return load.Result{Err: err}
		}
		if req, err = newJSONRequest(ctx, http.MethodPost, post+url.QueryEscape(flow.ID), b); err != nil {
			return load.Result{Err: err}
		}
		status, body, err = w.Do(req, true)
		r := load.Expect2xx(status, body, err)
		switch {
		case r.Err != nil:
			r.Shed = err == nil && overloaded(status)
			return r
		case check != nil:
			if err := check(body); err != nil {
				return load.Result{Status: status, Err: err}
			}
		}
		return r
	}
}

func setupK4(ctx context.Context, env *load.Env) (load.Op, error) {
	listURL := env.URLs.Admin + "/admin/identities?page_size=250"
	var page []json.RawMessage
	if err := env.Client.Call(ctx, http.MethodGet, listURL, nil, nil, &page, http.StatusOK); err != nil {
		return nil, fmt.Errorf("listing identities: %w", err)
	}
	if missing := env.Options.SeedIdentities - len(page); missing > 0 {
		env.Logf("K4: creating %d identities", missing)
		if _, err := seedIdentities(ctx, env, "k4", missing, nil); err != nil {
			return nil, fmt.Errorf("seeding identities: %w", err)
		}
	}
	return load.Get(listURL, nil), nil
}

// lookupTargets are the identities K4i and K4g look up: the seeded ones
// of --identity-fixtures, or --seed-identities new ones, each with a
// password credential (an imported bcrypt hash, so that creating them costs
// the server no hashing) whose identifier is its email.
func lookupTargets(ctx context.Context, env *load.Env, id string) (emails, ids []string, err error) {
	f, err := identityFixtures(env)
	if err != nil {
		return nil, nil, err
	}
	if f != nil && len(f.IDs) > 0 {
		env.Logf("%s: one of %d seeded identities at random per op", id, len(f.IDs))
		return f.Emails, f.IDs, nil
	}
	n := max(env.Options.SeedIdentities, 1)
	h, err := bcrypt.GenerateFromPassword([]byte(randomPassword()), bcrypt.MinCost)
	if err != nil {
		return nil, nil, err
	}
	creds := map[string]any{"password": map[string]any{"config": map[string]any{"hashed_password": string(h)}}}
	env.Logf("%s: creating %d identities", id, n)
	made, err := seedIdentities(ctx, env, strings.ToLower(id), n, creds)
	if err != nil {
		return nil, nil, fmt.Errorf("seeding identities: %w", err)
	}
	for _, m := range made {
		emails, ids = append(emails, m[0]), append(ids, m[1])
	}
	return emails, ids, nil
}

func setupK4i(ctx context.Context, env *load.Env) (load.Op, error) {
	emails, ids, err := lookupTargets(ctx, env, "K4i")
	if err != nil {
		return nil, err
	}
	base := env.URLs.Admin + "/admin/identities?credentials_identifier="
	return func(ctx context.Context, w *load.Worker) load.Result {
		k := pick(len(emails))
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+url.QueryEscape(emails[k]), nil)
		if err != nil {
			return load.Result{Err: err}
		}
		status, body, err := w.Do(req, true)
		r := load.Expect2xx(status, body, err)
		if r.Err != nil {
			return r
		}
		var page []struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return load.Result{Status: status, Err: fmt.Errorf("decoding the page: %w", err)}
		}
		if len(page) != 1 || page[0].ID != ids[k] {
			return load.Result{Status: status, Err: fmt.Errorf("%d identities for %s, want exactly %s", len(page), emails[k], ids[k])}
		}
		return r
	}, nil
}

func setupK4g(ctx context.Context, env *load.Env) (load.Op, error) {
	_, ids, err := lookupTargets(ctx, env, "K4g")
	if err != nil {
		return nil, err
	}
	base := env.URLs.Admin + "/admin/identities/"
	return func(ctx context.Context, w *load.Worker) load.Result {
		id := ids[pick(len(ids))]
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+url.PathEscape(id), nil)
		if err != nil {
			return load.Result{Err: err}
		}
		status, body, err := w.Do(req, true)
		r := load.Expect2xx(status, body, err)
		if r.Err != nil {
			return r
		}
		var got struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(body, &got) != nil || got.ID != id {
			return load.Result{Status: status, Err: fmt.Errorf("the answer is not identity %s", id)}
		}
		return r
	}, nil
}

// seedIdentities creates n identities named bench-<label>-<tag>-<i>, with
// creds (none when nil), a few at a time, and returns their emails and ids.
func seedIdentities(ctx context.Context, env *load.Env, label string, n int, creds map[string]any) ([][2]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	made := make([][2]string, n)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for range min(8, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				email := fmt.Sprintf("bench-%s-%s-%d@example.org", label, env.Tag, i)
				id, err := createIdentityWith(ctx, env, email, creds)
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					continue
				}
				made[i] = [2]string{email, id}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return made, ctx.Err()
}
