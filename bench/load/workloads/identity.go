package workloads

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/warden-iam/warden/bench/load"
)

// createIdentity creates an identity with an email trait and, when password is
// not empty, a password credential.
func createIdentity(ctx context.Context, env *load.Env, email, password string) error {
	body := map[string]any{
		"schema_id": env.Options.IdentitySchema,
		"traits":    map[string]any{"email": email},
	}
	if password != "" {
		body["credentials"] = map[string]any{
			"password": map[string]any{"config": map[string]any{"password": password}},
		}
	}
	return env.Client.Call(ctx, http.MethodPost, env.URLs.Admin+"/admin/identities", nil, body, nil, http.StatusCreated, http.StatusOK)
}

// randomPassword is 26 random base32 characters (130 bits): long, unlike the
// email, and in no breach list.
func randomPassword() string { return rand.Text() }

func setupK1(ctx context.Context, env *load.Env) (load.Op, error) {
	email := fmt.Sprintf("bench-k1-%s@example.org", env.Tag)
	password := randomPassword()
	if err := createIdentity(ctx, env, email, password); err != nil {
		return nil, fmt.Errorf("creating the identity: %w", err)
	}
	var flow struct {
		ID string `json:"id"`
	}
	if err := env.Client.Call(ctx, http.MethodGet, env.URLs.Public+"/self-service/login/api", nil, nil, &flow, http.StatusOK); err != nil {
		return nil, fmt.Errorf("creating the native login flow: %w", err)
	}
	if flow.ID == "" {
		return nil, errors.New("creating the native login flow: no flow id")
	}
	submit := map[string]any{"method": "password", "identifier": email, "password": password}
	var login struct {
		SessionToken string `json:"session_token"`
	}
	if err := env.Client.Call(ctx, http.MethodPost, env.URLs.Public+"/self-service/login?flow="+url.QueryEscape(flow.ID), nil, submit, &login, http.StatusOK); err != nil {
		return nil, fmt.Errorf("submitting the login flow: %w", err)
	}
	if login.SessionToken == "" {
		return nil, errors.New("submitting the login flow: no session_token in the response")
	}
	return load.Get(env.URLs.Public+"/sessions/whoami", http.Header{"X-Session-Token": {login.SessionToken}}), nil
}

func setupK4(ctx context.Context, env *load.Env) (load.Op, error) {
	listURL := env.URLs.Admin + "/admin/identities?page_size=250"
	var page []json.RawMessage
	if err := env.Client.Call(ctx, http.MethodGet, listURL, nil, nil, &page, http.StatusOK); err != nil {
		return nil, fmt.Errorf("listing identities: %w", err)
	}
	if missing := env.Options.SeedIdentities - len(page); missing > 0 {
		env.Logf("K4: creating %d identities", missing)
		if err := seedIdentities(ctx, env, missing); err != nil {
			return nil, fmt.Errorf("seeding identities: %w", err)
		}
	}
	return load.Get(listURL, nil), nil
}

// seedIdentities creates n identities without credentials, a few at a time.
func seedIdentities(ctx context.Context, env *load.Env, n int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
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
				email := fmt.Sprintf("bench-k4-%s-%d@example.org", env.Tag, i)
				if err := createIdentity(ctx, env, email, ""); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
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
		return firstErr
	}
	return ctx.Err()
}
