package workloads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-iam/warden/bench/load"
)

// H5: refresh token rotation. The setup issues --h5-tokens refresh tokens
// through authorization code flows (a client that skips consent, scope
// offline_access only, so no ID token is signed). They go into a FIFO pool;
// an operation takes the oldest, rotates it and puts the new one back, so no
// two workers ever hold the same token and every token is rotated in turn.
// After the measured window the check proves that no rotation was lost or
// duplicated.

var h5Scope = []string{"offline_access"}

const (
	// h5ReplaySample bounds how many rotated-away tokens the check presents
	// again (a uniform sample of all rotations).
	h5ReplaySample = 2000
	// h5Races is how many tokens the check presents twice at the same time.
	h5Races = 256
)

type rotation struct {
	tokenURL, auth string
	pool           chan string

	mu       sync.Mutex
	seen     map[string]struct{} // every refresh token the server returned
	used     []string            // sample of rotated-away tokens
	usedSeen int                 // rotations offered to the sample
	rotated  atomic.Int64
}

// add records a token the server returned; false if it returned it before.
func (rt *rotation) add(tok string) bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if _, dup := rt.seen[tok]; dup {
		return false
	}
	rt.seen[tok] = struct{}{}
	return true
}

// retire samples a rotated-away token for the replay check (reservoir
// sampling, so every rotation is equally likely to be replayed).
func (rt *rotation) retire(tok string) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.usedSeen++
	if len(rt.used) < h5ReplaySample {
		rt.used = append(rt.used, tok)
	} else if j := rand.IntN(rt.usedSeen); j < h5ReplaySample {
		rt.used[j] = tok
	}
}

// refresh presents tok to the token endpoint.
func (rt *rotation) refresh(ctx context.Context, w *load.Worker, tok string) (tokenResponse, int, []byte, error) {
	req, err := formPost(ctx, rt.tokenURL, rt.auth, "grant_type=refresh_token&refresh_token="+url.QueryEscape(tok))
	if err != nil {
		return tokenResponse{}, 0, nil, err
	}
	status, body, err := w.Do(req, true)
	if err != nil || status != http.StatusOK {
		return tokenResponse{}, status, body, err
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return tr, status, body, fmt.Errorf("token response: %w", err)
	}
	return tr, status, body, nil
}

func setupH5(ctx context.Context, env *load.Env) (load.Op, error) {
	n := env.Options.H5Tokens
	if n < 1 {
		n = 1
	}
	c, err := createClient(ctx, env, "h5", clientSpec{grants: []string{"authorization_code", "refresh_token"},
		scope: strings.Join(h5Scope, " "), flow: true, skipConsent: true})
	if err != nil {
		return nil, err
	}
	rt := &rotation{tokenURL: env.URLs.OAuth2Public + "/oauth2/token", auth: c.basicAuth(),
		pool: make(chan string, n), seen: make(map[string]struct{}, 2*n)}
	flow := newCodeFlow(env, c, h5Scope, "bench-h5-"+env.Tag)
	env.Logf("H5: issuing %d refresh tokens through authorization code flows", n)
	start := time.Now()
	var done atomic.Int64
	step := max(int64(n/10), 1)
	err = parallel(ctx, env.Concurrency, n, func(ctx context.Context, w *load.Worker, i int) error {
		tr, r := flow.run(ctx, w, fmt.Sprint(i))
		if r.Err != nil {
			return r.Err
		}
		if tr.RefreshToken == "" {
			return errors.New("token: no refresh_token")
		}
		if !rt.add(tr.RefreshToken) {
			return errors.New("token: a refresh token was issued twice")
		}
		rt.pool <- tr.RefreshToken
		if d := done.Add(1); d%step == 0 && d < int64(n) {
			env.Logf("H5: %d issued", d)
		}
		return nil
	}, env.Client)
	if err != nil {
		return nil, fmt.Errorf("issuing refresh tokens: %w", err)
	}
	el := time.Since(start)
	env.Logf("H5: %d refresh tokens issued in %.1f s (%.0f flows/s)", n, el.Seconds(), float64(n)/el.Seconds())
	env.AfterRun(func(ctx context.Context) (string, error) { return rt.check(ctx, env) })
	return rt.op, nil
}

// op rotates the oldest token of the pool.
func (rt *rotation) op(ctx context.Context, w *load.Worker) load.Result {
	var old string
	select {
	case old = <-rt.pool:
	default:
		return load.Result{Err: errors.New("the pool of refresh tokens is empty (too many rotations failed)")}
	}
	tr, status, body, err := rt.refresh(ctx, w, old)
	if err != nil || status != http.StatusOK {
		return fail("refresh", status, body, err) // the token leaves the pool: its chain ends
	}
	switch {
	case tr.RefreshToken == "":
		return load.Result{Status: status, Err: errors.New("refresh: no new refresh_token")}
	case tr.RefreshToken == old:
		return load.Result{Status: status, Err: errors.New("refresh: the same refresh token came back")}
	case !rt.add(tr.RefreshToken):
		return load.Result{Status: status, Err: errors.New("refresh: a refresh token was issued twice (duplicated rotation)")}
	}
	rt.rotated.Add(1)
	rt.retire(old)
	rt.pool <- tr.RefreshToken
	return load.Result{Status: status}
}

// check runs after the measured window. Every rotation so far returned a
// refresh token never seen before (op checks that). It then proves that
//   - two simultaneous presentations of one token rotate it at most once
//     (and exactly once: one of them must win);
//   - every token left in the pool is still active (no rotation was lost);
//   - a sample of rotated-away tokens is refused when presented again.
func (rt *rotation) check(ctx context.Context, env *load.Env) (string, error) {
	var current []string
drain:
	for {
		select {
		case t := <-rt.pool:
			current = append(current, t)
		default:
			break drain
		}
	}
	rotations := rt.rotated.Load()
	var (
		problems []string       // distinct problems, in order of first sight
		count    map[string]int // how often each was seen
		pmu      sync.Mutex
	)
	count = map[string]int{}
	problem := func(format string, a ...any) {
		msg := fmt.Sprintf(format, a...)
		pmu.Lock()
		defer pmu.Unlock()
		if count[msg] == 0 && len(problems) < 10 {
			problems = append(problems, msg)
		}
		count[msg]++
	}
	var bad atomic.Int64

	races := current[:min(h5Races, len(current)/2)]
	current = current[len(races):]
	var winners atomic.Int64
	err := parallel(ctx, min(16, env.Concurrency), len(races), func(ctx context.Context, _ *load.Worker, i int) error {
		var (
			wg     sync.WaitGroup
			start  = make(chan struct{})
			won    [2]bool
			newTok [2]string
		)
		for k := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := env.Client.NewWorker(1000 + 2*i + k)
				<-start
				tr, status, _, err := rt.refresh(ctx, w, races[i])
				won[k] = err == nil && status == http.StatusOK
				newTok[k] = tr.RefreshToken
			}()
		}
		close(start)
		wg.Wait()
		switch {
		case won[0] && won[1]:
			bad.Add(1)
			problem("a token presented twice at once was rotated twice")
		case !won[0] && !won[1]:
			bad.Add(1)
			problem("a valid token presented twice at once was refused both times")
		default:
			winners.Add(1)
			tok := newTok[0] + newTok[1]
			if tok == "" || !rt.add(tok) {
				bad.Add(1)
				problem("the winning rotation returned no new or a repeated refresh token")
			}
		}
		return nil
	}, env.Client)
	if err != nil {
		return "", err
	}

	introspectURL := env.URLs.OAuth2Admin + "/admin/oauth2/introspect"
	var inactive atomic.Int64
	err = parallel(ctx, env.Concurrency, len(current), func(ctx context.Context, w *load.Worker, i int) error {
		req, err := formPost(ctx, introspectURL, "", "token="+url.QueryEscape(current[i]))
		if err != nil {
			return err
		}
		status, body, err := w.Do(req, true)
		if r := introspectionAnswer(status, body, err, true); r.Err != nil {
			inactive.Add(1)
			problem("a current refresh token: %v", r.Err)
		}
		return nil
	}, env.Client)
	if err != nil {
		return "", err
	}

	rt.mu.Lock()
	replay := append([]string(nil), rt.used...)
	seen := len(rt.seen)
	rt.mu.Unlock()
	var accepted atomic.Int64
	err = parallel(ctx, env.Concurrency, len(replay), func(ctx context.Context, w *load.Worker, i int) error {
		_, status, _, err := rt.refresh(ctx, w, replay[i])
		if err != nil {
			return err
		}
		if status/100 == 2 {
			accepted.Add(1)
			problem("a rotated-away refresh token was accepted again")
		}
		return nil
	}, env.Client)
	if err != nil {
		return "", err
	}

	summary := fmt.Sprintf("%d rotations (warm-up included), each new refresh token distinct (%d tokens seen); "+
		"%d/%d simultaneous double presentations rotated exactly once; %d/%d current tokens active; %d/%d replayed old tokens refused",
		rotations, seen, winners.Load(), len(races), int64(len(current))-inactive.Load(), len(current),
		int64(len(replay))-accepted.Load(), len(replay))
	if bad.Load()+inactive.Load()+accepted.Load() > 0 {
		var parts []string
		for _, p := range problems {
			parts = append(parts, fmt.Sprintf("%s (%d×)", p, count[p]))
		}
		return summary, errors.New(summary + ": " + strings.Join(parts, "; "))
	}
	return summary, nil
}
