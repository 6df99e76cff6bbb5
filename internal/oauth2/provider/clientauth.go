package provider

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/warden-iam/warden/internal/oauth2/client"
)

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// authenticateClient authenticates the client of a token, revocation or
// device request (RFC 6749 2.3, RFC 7523 2.2). The method used must be the
// one the client registered. Every failure is invalid_client and says the
// same, whatever went wrong.
func (s *Service) authenticateClient(r *http.Request) (*client.Client, error) {
	ctx := r.Context()
	form := r.PostForm
	id, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return nil, errInvalidClient("The client credentials in the Authorization header are not properly encoded.")
		}
		if form.Get("client_secret") != "" || form.Get("client_assertion") != "" {
			return nil, errInvalidRequest("The client used more than one authentication method.")
		}
		if fid := form.Get("client_id"); fid != "" && fid != id {
			return nil, errInvalidRequest("The client_id in the body does not match the authenticated client.")
		}
		return s.secretClient(ctx, id, secret, client.AuthSecretBasic)
	}
	if a := form.Get("client_assertion"); a != "" {
		if form.Get("client_assertion_type") != assertionType {
			return nil, errInvalidRequest("client_assertion_type must be %s.", assertionType)
		}
		return s.assertionClient(ctx, form.Get("client_id"), a)
	}
	id = form.Get("client_id")
	if id == "" {
		return nil, errInvalidClient("Client authentication failed: no client credentials were given.")
	}
	if secret := form.Get("client_secret"); secret != "" {
		return s.secretClient(ctx, id, secret, client.AuthSecretPost)
	}
	c, err := s.clients.Lookup(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return nil, errInvalidClient("Client authentication failed.")
		}
		return nil, errServer(err)
	}
	if c.TokenEndpointAuthMethod != client.AuthNone {
		return nil, errInvalidClient("Client authentication failed.")
	}
	return &c, nil
}

func (s *Service) secretClient(ctx context.Context, id, secret, method string) (*client.Client, error) {
	c, err := s.clients.Authenticate(ctx, id, secret)
	if err != nil {
		if errors.Is(err, client.ErrAuthentication) {
			return nil, errInvalidClient("Client authentication failed.").withCause(err)
		}
		return nil, errServer(err)
	}
	if c.TokenEndpointAuthMethod != method {
		return nil, errInvalidClient("Client authentication failed: the client registered token_endpoint_auth_method %s.",
			c.TokenEndpointAuthMethod)
	}
	return c, nil
}

// assertionClient authenticates private_key_jwt: a JWT signed with one of
// the client's keys, iss = sub = client id, aud naming this server, not
// expired, its jti used once.
func (s *Service) assertionClient(ctx context.Context, formID, assertion string) (*client.Client, error) {
	fail := func(why string) error { return errInvalidClient("Client authentication failed: %s", why) }
	jws, err := parseJWS(assertion, signatureAlgs)
	if err != nil {
		return nil, fail("the client assertion is not a signed JWT.")
	}
	var unverified map[string]any
	if err := jsonUnmarshalNumber(jws.UnsafePayloadWithoutVerification(), &unverified); err != nil {
		return nil, fail("the client assertion claims are not a JSON object.")
	}
	id, _ := unverified["sub"].(string)
	if id == "" {
		return nil, fail("the client assertion has no sub.")
	}
	if formID != "" && formID != id {
		return nil, fail("the client assertion's sub does not match client_id.")
	}
	c, err := s.clients.Lookup(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return nil, fail("unknown client.")
		}
		return nil, errServer(err)
	}
	if c.TokenEndpointAuthMethod != client.AuthPrivateKeyJWT {
		return nil, fail("the client did not register private_key_jwt.")
	}
	if alg := c.TokenEndpointAuthSigningAlg; alg != "" && string(jws.Signatures[0].Header.Algorithm) != alg {
		return nil, fail("the client assertion is not signed with the registered algorithm.")
	}
	set, err := s.clientKeySet(ctx, &c)
	if err != nil {
		return nil, fail(err.Error())
	}
	claims, err := verifyWith(jws, set)
	if err != nil {
		return nil, fail("the client assertion's signature does not verify.")
	}
	if iss, _ := claims["iss"].(string); iss != id {
		return nil, fail("the client assertion's iss must be the client id.")
	}
	aud := audClaim(claims)
	if !slices.Contains(aud, s.endpoint("oauth2/token")) && !slices.Contains(aud, s.issuer()) {
		return nil, fail("the client assertion's aud must name the token endpoint.")
	}
	exp, ok := numClaim(claims, "exp")
	if !ok || !time.Unix(exp, 0).After(s.now()) {
		return nil, fail("the client assertion has expired or has no exp.")
	}
	if err := s.useJTI(ctx, "client_assertion:"+id, claims, time.Unix(exp, 0), false); err != nil {
		return nil, fail(err.Error())
	}
	return &c, nil
}

// useJTI records an assertion's jti until it expires; a second use fails.
func (s *Service) useJTI(ctx context.Context, scope string, claims map[string]any, exp time.Time, optional bool) error {
	jti, _ := claims["jti"].(string)
	if jti == "" {
		if optional {
			return nil
		}
		return errors.New("the assertion has no jti.")
	}
	rec := TokenRecord{Signature: hashOf("jti", scope+"\x00"+jti), Kind: TokenAssertion, RequestID: s.newRequestID(s.now()),
		ClientID: "", Active: true, Data: "", RequestedAt: s.now(), ExpiresAt: exp}
	if err := s.store.InsertTokens(ctx, rec); err != nil {
		if errors.Is(err, errConflict) {
			return errors.New("the assertion's jti was used before.")
		}
		return err
	}
	return nil
}
