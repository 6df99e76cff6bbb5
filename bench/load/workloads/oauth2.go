package workloads

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/warden-iam/warden/bench/load"
)

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

// createClient registers a confidential client allowed the client_credentials grant.
func createClient(ctx context.Context, env *load.Env, name string) (oauth2Client, error) {
	body := map[string]any{
		"client_name":                "warden-bench-" + name + "-" + env.Tag,
		"grant_types":                []string{"client_credentials"},
		"token_endpoint_auth_method": "client_secret_basic",
	}
	var c oauth2Client
	if err := env.Client.Call(ctx, http.MethodPost, env.URLs.OAuth2Admin+"/admin/clients", nil, body, &c, http.StatusCreated, http.StatusOK); err != nil {
		return c, fmt.Errorf("creating the OAuth2 client: %w", err)
	}
	if c.ID == "" || c.Secret == "" {
		return c, errors.New("creating the OAuth2 client: response lacks client_id or client_secret")
	}
	return c, nil
}

const clientCredentialsBody = "grant_type=client_credentials"

func tokenRequest(ctx context.Context, tokenURL, auth string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(clientCredentialsBody))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	return req, nil
}

var accessTokenKey = []byte(`"access_token"`)

func setupH1(ctx context.Context, env *load.Env) (load.Op, error) {
	c, err := createClient(ctx, env, "h1")
	if err != nil {
		return nil, err
	}
	tokenURL, auth := env.URLs.OAuth2Public+"/oauth2/token", c.basicAuth()
	return func(ctx context.Context, w *load.Worker) load.Result {
		req, err := tokenRequest(ctx, tokenURL, auth)
		if err != nil {
			return load.Result{Err: err}
		}
		status, body, err := w.Do(req, true)
		if r := load.Expect2xx(status, body, err); r.Err != nil {
			return r
		}
		if !bytes.Contains(body, accessTokenKey) {
			return load.Result{Status: status, Err: errors.New("token response has no access_token")}
		}
		return load.Result{Status: status}
	}, nil
}

func setupH3(ctx context.Context, env *load.Env) (load.Op, error) {
	c, err := createClient(ctx, env, "h3")
	if err != nil {
		return nil, err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	hdr := http.Header{"Authorization": {c.basicAuth()}}
	if err := env.Client.Call(ctx, http.MethodPost, env.URLs.OAuth2Public+"/oauth2/token", hdr, clientCredentialsBody, &tok, http.StatusOK); err != nil {
		return nil, fmt.Errorf("obtaining an access token: %w", err)
	}
	if tok.AccessToken == "" {
		return nil, errors.New("obtaining an access token: empty access_token")
	}
	introspectURL := env.URLs.OAuth2Admin + "/admin/oauth2/introspect"
	form := "token=" + url.QueryEscape(tok.AccessToken)
	return func(ctx context.Context, w *load.Worker) load.Result {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, introspectURL, strings.NewReader(form))
		if err != nil {
			return load.Result{Err: err}
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		status, body, err := w.Do(req, true)
		if r := load.Expect2xx(status, body, err); r.Err != nil {
			return r
		}
		var ir struct {
			Active bool `json:"active"`
		}
		if err := json.Unmarshal(body, &ir); err != nil {
			return load.Result{Status: status, Err: fmt.Errorf("introspection response: %w", err)}
		}
		if !ir.Active {
			return load.Result{Status: status, Err: errors.New("token reported inactive")}
		}
		return load.Result{Status: status}
	}, nil
}

func setupH6(_ context.Context, env *load.Env) (load.Op, error) {
	ops := [2]load.Op{
		load.Get(env.URLs.OAuth2Public+"/.well-known/jwks.json", nil),
		load.Get(env.URLs.OAuth2Public+"/.well-known/openid-configuration", nil),
	}
	return func(ctx context.Context, w *load.Worker) load.Result {
		return ops[(uint64(w.ID)+w.Seq)%2](ctx, w)
	}, nil
}
