package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/warden-iam/warden/internal/oauth2/client"
)

// signatureAlgs are the algorithms accepted on JWTs others sign.
var signatureAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA}

// maxJWTBytes bounds JWTs and documents fetched or received.
const maxJWTBytes = 64 << 10

// parseJWS parses a compact JWS signed with one of algs.
func parseJWS(raw string, algs []jose.SignatureAlgorithm) (*jose.JSONWebSignature, error) {
	if len(raw) > maxJWTBytes {
		return nil, errors.New("the JWT is too large")
	}
	return jose.ParseSigned(raw, algs)
}

// verifyWith checks a JWS against the keys of set and decodes its claims.
func verifyWith(jws *jose.JSONWebSignature, set jose.JSONWebKeySet) (map[string]any, error) {
	if len(jws.Signatures) != 1 {
		return nil, errors.New("the JWT must have exactly one signature")
	}
	h := jws.Signatures[0].Header
	candidates := set.Keys
	if h.KeyID != "" {
		candidates = set.Key(h.KeyID)
	}
	for _, k := range candidates {
		if k.Use == "enc" {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != h.Algorithm {
			continue
		}
		payload, err := jws.Verify(k.Public())
		if err != nil {
			continue
		}
		var claims map[string]any
		d := json.NewDecoder(strings.NewReader(string(payload)))
		d.UseNumber()
		if err := d.Decode(&claims); err != nil {
			return nil, fmt.Errorf("the JWT claims are not a JSON object: %w", err)
		}
		return claims, nil
	}
	return nil, errors.New("no key verifies the signature")
}

// numClaim reads a numeric date claim.
func numClaim(c map[string]any, k string) (int64, bool) {
	switch v := c[k].(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n, true
		}
		if f, err := v.Float64(); err == nil {
			return int64(f), true
		}
	case float64:
		return int64(v), true
	}
	return 0, false
}

// audClaim reads "aud" as a list.
func audClaim(c map[string]any) []string {
	switch v := c["aud"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// verifyOwnIDToken checks an ID token this server issued (id_token_hint):
// signature, issuer and, when unexpired is set, expiry.
func (s *Service) verifyOwnIDToken(ctx context.Context, raw string, unexpired bool) (Claims, error) {
	jws, err := parseJWS(raw, signatureAlgs)
	if err != nil {
		return nil, errors.New("it is not a signed JWT")
	}
	set, err := s.keys.VerificationKeys(ctx, IDTokenSet)
	if err != nil {
		return nil, err
	}
	claims, err := verifyWith(jws, set)
	if err != nil {
		return nil, err
	}
	if iss, _ := claims["iss"].(string); iss != s.issuer() {
		return nil, errors.New("it was not issued by this server")
	}
	if exp, ok := numClaim(claims, "exp"); unexpired && (!ok || time.Unix(exp, 0).Before(s.now())) {
		return nil, errors.New("it has expired")
	}
	return claims, nil
}

// clientKeySet returns the client's registered keys: inline jwks, or those
// at its jwks_uri (cached briefly).
func (s *Service) clientKeySet(ctx context.Context, c *client.Client) (jose.JSONWebKeySet, error) {
	if c.JWKS != nil && len(c.JWKS.Keys) > 0 {
		return *c.JWKS, nil
	}
	if c.JWKSURI == "" {
		return jose.JSONWebKeySet{}, errors.New("the client has no registered keys (jwks or jwks_uri)")
	}
	return s.remoteKeys.get(ctx, s.opts.HTTPClient, c.JWKSURI, s.now())
}

type remoteKeySets struct {
	mu    sync.Mutex
	cache map[string]remoteKeySet
}

type remoteKeySet struct {
	set jose.JSONWebKeySet
	at  time.Time
}

const remoteKeysTTL = time.Minute

func (r *remoteKeySets) get(ctx context.Context, hc *http.Client, uri string, now time.Time) (jose.JSONWebKeySet, error) {
	r.mu.Lock()
	c, ok := r.cache[uri]
	r.mu.Unlock()
	if ok && now.Sub(c.at) < remoteKeysTTL {
		return c.set, nil
	}
	b, err := fetch(ctx, hc, uri, "application/json")
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("fetch jwks_uri: %w", err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		return set, fmt.Errorf("jwks_uri did not return a JSON Web Key Set: %w", err)
	}
	r.mu.Lock()
	if r.cache == nil {
		r.cache = map[string]remoteKeySet{}
	}
	r.cache[uri] = remoteKeySet{set: set, at: now}
	r.mu.Unlock()
	return set, nil
}

// fetch GETs a small document.
func fetch(ctx context.Context, hc *http.Client, uri, accept string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %d", uri, res.StatusCode)
	}
	return io.ReadAll(io.LimitReader(res.Body, maxJWTBytes))
}

// fetchRequestURI loads a request object by reference (OIDC Core 6.2). Only
// URIs the client registered are fetched.
func (s *Service) fetchRequestURI(ctx context.Context, c *client.Client, uri string) (url.Values, error) {
	base, _, _ := strings.Cut(uri, "#")
	registered := false
	for _, r := range c.RequestURIs {
		if rb, _, _ := strings.Cut(r, "#"); rb == base {
			registered = true
		}
	}
	if !registered {
		return nil, oauthErr("invalid_request_uri", http.StatusBadRequest, "The request_uri is not registered for this client.")
	}
	b, err := fetch(ctx, s.opts.HTTPClient, uri, "application/oauth-authz-req+jwt, application/jwt")
	if err != nil {
		return nil, oauthErr("invalid_request_uri", http.StatusBadRequest, "The request_uri could not be fetched: %v", err)
	}
	return url.Values{"request": {strings.TrimSpace(string(b))}, "client_id": {c.ID}}, nil
}

// requestObject merges a request object (OIDC Core 6.1) into q: its claims
// win over the query parameters.
func (s *Service) requestObject(ctx context.Context, c *client.Client, q url.Values) (url.Values, error) {
	raw := q.Get("request")
	claims, err := s.decodeRequestObject(ctx, c, raw)
	if err != nil {
		return nil, oauthErr("invalid_request_object", http.StatusBadRequest, "The request object is not valid: %v", err)
	}
	if id, ok := claims["client_id"].(string); ok && id != c.ID {
		return nil, oauthErr("invalid_request_object", http.StatusBadRequest, "The request object's client_id does not match.")
	}
	out := url.Values{}
	for k, v := range q {
		if k != "request" {
			out[k] = v
		}
	}
	for k, v := range claims {
		switch k {
		case "iss", "aud", "exp", "iat", "nbf", "jti", "request", "request_uri":
			continue
		}
		switch v := v.(type) {
		case string:
			out.Set(k, v)
		case json.Number:
			out.Set(k, v.String())
		case bool, float64:
			out.Set(k, fmt.Sprint(v))
		default:
			b, _ := json.Marshal(v)
			out.Set(k, string(b))
		}
	}
	return out, nil
}

func (s *Service) decodeRequestObject(ctx context.Context, c *client.Client, raw string) (map[string]any, error) {
	if len(raw) > maxJWTBytes {
		return nil, errors.New("too large")
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWT")
	}
	hb, err := b64.DecodeString(parts[0])
	if err != nil {
		return nil, errors.New("bad header")
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, errors.New("bad header")
	}
	want := c.RequestObjectSigningAlg
	if h.Alg == "none" {
		if want != "" && want != "none" {
			return nil, fmt.Errorf("the client registered request objects signed with %s", want)
		}
		if parts[2] != "" {
			return nil, errors.New("an unsigned request object must have an empty signature")
		}
		pb, err := b64.DecodeString(parts[1])
		if err != nil {
			return nil, errors.New("bad payload")
		}
		var claims map[string]any
		d := json.NewDecoder(strings.NewReader(string(pb)))
		d.UseNumber()
		if err := d.Decode(&claims); err != nil {
			return nil, errors.New("the payload is not a JSON object")
		}
		return claims, nil
	}
	if want != "" && want != h.Alg {
		return nil, fmt.Errorf("the client registered request objects signed with %s, not %s", want, h.Alg)
	}
	jws, err := parseJWS(raw, signatureAlgs)
	if err != nil {
		return nil, err
	}
	set, err := s.clientKeySet(ctx, c)
	if err != nil {
		return nil, err
	}
	claims, err := verifyWith(jws, set)
	if err != nil {
		return nil, err
	}
	if exp, ok := numClaim(claims, "exp"); ok && time.Unix(exp, 0).Before(s.now()) {
		return nil, errors.New("it has expired")
	}
	if aud := audClaim(claims); aud != nil && !slices.Contains(aud, s.issuer()) {
		return nil, errors.New("its audience is not this issuer")
	}
	return claims, nil
}

func joseSet(k jose.JSONWebKey) jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k}}
}
