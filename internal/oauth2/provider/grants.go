package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/warden-iam/warden/internal/oauth2/client"
)

// jwtBearerGrant exchanges a JWT assertion from a trusted issuer (RFC 7523
// 2.1) for an access token.
func (s *Service) jwtBearerGrant(ctx context.Context, c *client.Client, r *http.Request) (*TokenResponse, error) {
	if err := mustHaveGrant(c, jwtBearerGrant); err != nil {
		return nil, err
	}
	if s.trust == nil {
		return nil, errUnauthorizedClient("The JWT bearer grant is not available.")
	}
	form := r.PostForm
	raw := form.Get("assertion")
	if raw == "" {
		return nil, errInvalidRequest("The assertion parameter is missing.")
	}
	bad := func(format string, args ...any) error {
		return errInvalidGrant("The assertion is not valid: "+format, args...)
	}
	jws, err := parseJWS(raw, signatureAlgs)
	if err != nil {
		return nil, bad("it is not a signed JWT.")
	}
	var unverified map[string]any
	if err := jsonUnmarshalNumber(jws.UnsafePayloadWithoutVerification(), &unverified); err != nil {
		return nil, bad("its claims are not a JSON object.")
	}
	iss, _ := unverified["iss"].(string)
	sub, _ := unverified["sub"].(string)
	if iss == "" || sub == "" {
		return nil, bad("iss and sub are required.")
	}
	kid := jws.Signatures[0].Header.KeyID
	ti, err := s.trust.Match(ctx, iss, sub, kid)
	if err != nil {
		if isNotFound(err) {
			return nil, bad("no trust relationship allows issuer %q to assert subject %q with this key.", iss, sub)
		}
		return nil, errServer(err)
	}
	claims, err := verifyWith(jws, joseSet(ti.Key))
	if err != nil {
		return nil, bad("its signature does not verify.")
	}
	now := s.now()
	aud := audClaim(claims)
	if !slices.Contains(aud, s.endpoint("oauth2/token")) && !slices.Contains(aud, s.issuer()) {
		return nil, bad("aud must name the token endpoint %s.", s.endpoint("oauth2/token"))
	}
	exp, ok := numClaim(claims, "exp")
	if !ok {
		return nil, bad("exp is required.")
	}
	expAt := time.Unix(exp, 0)
	if !expAt.After(now) {
		return nil, bad("it has expired.")
	}
	if expAt.Sub(now) > s.opts.JWTBearerMaxTTL {
		return nil, bad("it is valid for longer than allowed (%s).", s.opts.JWTBearerMaxTTL)
	}
	if iat, ok := numClaim(claims, "iat"); ok {
		if time.Unix(iat, 0).After(now.Add(time.Minute)) {
			return nil, bad("iat is in the future.")
		}
	} else if !s.opts.JWTBearerIATOptional {
		return nil, bad("iat is required.")
	}
	if nbf, ok := numClaim(claims, "nbf"); ok && time.Unix(nbf, 0).After(now.Add(time.Minute)) {
		return nil, bad("it is not valid yet.")
	}
	if err := s.useJTI(ctx, "jwt_bearer:"+iss, claims, expAt, s.opts.JWTBearerJTIOptional); err != nil {
		var oe *Error
		if errors.As(err, &oe) {
			return nil, err
		}
		return nil, bad("%v", err)
	}
	scope := strings.Fields(form.Get("scope"))
	for _, sc := range scope {
		if !slices.Contains(ti.Scope, sc) {
			return nil, errInvalidScope("The trust relationship does not allow the scope %q.", sc)
		}
	}
	if err := s.checkScopes(c, scope); err != nil {
		return nil, err
	}
	audience := splitAudience(form["audience"])
	if err := checkAudience(c, audience); err != nil {
		return nil, err
	}
	g := &Grant{ClientID: c.ID, Subject: sub, Scope: nonNil(scope), Audience: nonNil(audience), IssuedAt: now}
	out, add, err := s.issueTokens(ctx, c, g, s.newRequestID(now), jwtBearerGrant, false)
	if err != nil {
		return nil, err
	}
	if err := s.store.InsertTokens(ctx, add...); err != nil {
		return nil, errServer(err)
	}
	return out, nil
}

// hookRequest is what the token hook receives.
type hookRequest struct {
	Session hookSession `json:"session"`
	Request struct {
		ClientID        string              `json:"client_id"`
		GrantedScopes   []string            `json:"granted_scopes"`
		GrantedAudience []string            `json:"granted_audience"`
		GrantTypes      []string            `json:"grant_types"`
		Payload         map[string][]string `json:"payload,omitempty"`
	} `json:"request"`
}

type hookSession struct {
	IDToken struct {
		IDTokenClaims struct {
			Subject string `json:"sub"`
			Ext     Claims `json:"ext"`
		} `json:"id_token_claims"`
	} `json:"id_token"`
	Extra    Claims `json:"extra"`
	ClientID string `json:"client_id"`
}

type hookResponse struct {
	Session struct {
		AccessToken Claims `json:"access_token"`
		IDToken     Claims `json:"id_token"`
	} `json:"session"`
}

// callTokenHook lets the configured webhook enrich the claims or deny the
// request: 200 with {session:{access_token,id_token}} replaces the claims,
// 204 keeps them, 403 denies; anything else fails the request.
func (s *Service) callTokenHook(ctx context.Context, c *client.Client, g *Grant, grantType string) error {
	h := s.opts.TokenHook
	if h.URL == "" {
		return nil
	}
	var body hookRequest
	body.Session.IDToken.IDTokenClaims.Subject = g.Subject
	body.Session.IDToken.IDTokenClaims.Ext = g.Session.IDToken
	body.Session.Extra = g.Session.AccessToken
	body.Session.ClientID = c.ID
	body.Request.ClientID = c.ID
	body.Request.GrantedScopes = nonNil(g.Scope)
	body.Request.GrantedAudience = nonNil(g.Audience)
	body.Request.GrantTypes = []string{grantType}
	b, _ := json.Marshal(body)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(b))
	if err != nil {
		return errServer(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if h.APIKey != "" {
		if h.APIKeyInHeader {
			req.Header.Set(h.APIKeyName, h.APIKey)
		} else {
			req.AddCookie(&http.Cookie{Name: h.APIKeyName, Value: h.APIKey})
		}
	}
	res, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return errServer(err)
	}
	defer res.Body.Close()
	switch res.StatusCode {
	case http.StatusNoContent:
		return nil
	case http.StatusOK:
		var out hookResponse
		if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&out); err != nil {
			return errServer(err)
		}
		if out.Session.AccessToken != nil {
			g.Session.AccessToken = out.Session.AccessToken
		}
		if out.Session.IDToken != nil {
			g.Session.IDToken = out.Session.IDToken
		}
		return nil
	case http.StatusForbidden:
		return errAccessDenied("The token hook denied the request.")
	}
	return errServer(errors.New("the token hook answered " + res.Status))
}
