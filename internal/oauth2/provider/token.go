package provider

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/warden-iam/warden/internal/oauth2/client"
)

// token is POST /oauth2/token.
func (s *Service) token(w http.ResponseWriter, r *http.Request) error {
	if err := parsePostForm(r); err != nil {
		return err
	}
	c, err := s.authenticateClient(r)
	if err != nil {
		return err
	}
	form := r.PostForm
	gt := form.Get("grant_type")
	if gt == "" {
		return errInvalidRequest("The request is missing the grant_type parameter.")
	}
	var out *TokenResponse
	switch gt {
	case "authorization_code":
		out, err = s.codeGrant(r.Context(), c, r)
	case "refresh_token":
		out, err = s.refreshGrant(r.Context(), c, r)
	case "client_credentials":
		out, err = s.clientCredentialsGrant(r.Context(), c, r)
	case jwtBearerGrant:
		out, err = s.jwtBearerGrant(r.Context(), c, r)
	case deviceGrant:
		out, err = s.deviceCodeGrant(r.Context(), c, r)
	default:
		return oauthErr("unsupported_grant_type", http.StatusBadRequest, "The grant_type %q is not supported.", gt)
	}
	if err != nil {
		return err
	}
	noStore(w)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// parsePostForm reads an application/x-www-form-urlencoded body.
func parsePostForm(r *http.Request) error {
	if r.Method != http.MethodPost {
		return errInvalidRequest("Use POST.")
	}
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
		return errInvalidRequest("The request body must be application/x-www-form-urlencoded.")
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return oauthErr("invalid_request", http.StatusRequestEntityTooLarge, "The request body is too large.")
		}
		return errInvalidRequest("The request body could not be parsed.")
	}
	for k, vs := range r.PostForm {
		if len(vs) > 1 && k != "audience" && k != "resource" {
			return errInvalidRequest("The parameter %s is given more than once.", k)
		}
	}
	return nil
}

func mustHaveGrant(c *client.Client, gt string) error {
	if !hasGrant(c, gt) {
		return errUnauthorizedClient("The client is not allowed to use the grant type %s.", gt)
	}
	return nil
}

// codeGrant exchanges an authorization code (RFC 6749 4.1.3, RFC 7636).
func (s *Service) codeGrant(ctx context.Context, c *client.Client, r *http.Request) (*TokenResponse, error) {
	if err := mustHaveGrant(c, "authorization_code"); err != nil {
		return nil, err
	}
	form := r.PostForm
	sig, ok := s.tokenKeys.openOpaque(prefixCode, form.Get("code"))
	if !ok {
		return nil, errInvalidGrant("The authorization code is not valid.")
	}
	rec, err := s.store.GetToken(ctx, sig)
	if err != nil {
		if isNotFound(err) {
			return nil, errInvalidGrant("The authorization code is not valid, has expired or was revoked.")
		}
		return nil, errServer(err)
	}
	if rec.Kind != TokenCode || rec.ClientID != c.ID {
		return nil, errInvalidGrant("The authorization code was issued to another client.")
	}
	now := s.now()
	if !rec.Active {
		// A code used twice: revoke everything it gave (RFC 6749 4.1.2).
		if err := s.store.RevokeRequest(ctx, rec.RequestID); err != nil {
			return nil, errServer(err)
		}
		return nil, errInvalidGrant("The authorization code has been used already; the tokens it gave were revoked.")
	}
	if !rec.ExpiresAt.After(now) {
		return nil, errInvalidGrant("The authorization code has expired.")
	}
	g, err := s.openGrant(rec)
	if err != nil {
		return nil, errServer(err)
	}
	if g.RedirectURI != "" && form.Get("redirect_uri") != g.RedirectURI {
		return nil, errInvalidGrant("The redirect_uri does not match the one of the authorization request.")
	}
	if err := checkPKCE(g, form.Get("code_verifier")); err != nil {
		return nil, err
	}
	out, add, err := s.issueTokens(ctx, c, g, rec.RequestID, "authorization_code", true)
	if err != nil {
		return nil, err
	}
	if err := s.store.ConsumeToken(ctx, sig, now, nil, add...); err != nil {
		if errors.Is(err, ErrNotActive) {
			_ = s.store.RevokeRequest(ctx, rec.RequestID)
			return nil, errInvalidGrant("The authorization code has been used already; the tokens it gave were revoked.")
		}
		return nil, errServer(err)
	}
	return out, nil
}

// checkPKCE verifies the code_verifier against the authorization request's
// code_challenge (RFC 7636 4.6).
func checkPKCE(g *Grant, verifier string) error {
	if g.CodeChallenge == "" {
		if verifier != "" {
			return errInvalidGrant("A code_verifier was given but the authorization request had no code_challenge.")
		}
		return nil
	}
	if verifier == "" {
		return errInvalidGrant("The code_verifier is missing.")
	}
	if n := len(verifier); n < 43 || n > 128 || strings.Trim(verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") != "" {
		return errInvalidGrant("The code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~.")
	}
	want := verifier
	if g.ChallengeMethod == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = b64.EncodeToString(sum[:])
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(g.CodeChallenge)) != 1 {
		return errInvalidGrant("The code_verifier does not match the code_challenge.")
	}
	return nil
}

// issueTokens makes the access token, and the refresh and ID tokens when
// the grant calls for them, running the token hook first.
func (s *Service) issueTokens(ctx context.Context, c *client.Client, g *Grant, requestID, grantType string, withID bool) (*TokenResponse, []TokenRecord, error) {
	now := s.now()
	base := *g
	base.GrantType = grantType
	if err := s.callTokenHook(ctx, c, &base, grantType); err != nil {
		return nil, nil, err
	}
	ttlGrant := grantType
	accessTTL := lifespan(c, ttlGrant, "access", s.opts.TTL.AccessToken)
	access, arec, err := s.issueAccess(ctx, c, grantFor(base, now, accessTTL), requestID)
	if err != nil {
		return nil, nil, errServer(err)
	}
	out := &TokenResponse{AccessToken: access, TokenType: "bearer", ExpiresIn: int64(accessTTL / time.Second),
		Scope: base.scopeString()}
	recs := []TokenRecord{arec}
	if grantType != "client_credentials" && grantType != jwtBearerGrant && wantsRefresh(c, &base) {
		rtok, rrec, err := s.issueRefresh(grantFor(base, now, lifespan(c, ttlGrant, "refresh", s.opts.TTL.RefreshToken)), requestID)
		if err != nil {
			return nil, nil, errServer(err)
		}
		out.RefreshToken = rtok
		recs = append(recs, rrec)
	}
	if withID && slices.Contains(base.Scope, "openid") {
		idTTL := lifespan(c, ttlGrant, "id", s.opts.TTL.IDToken)
		idg := base
		idg.Nonce = g.Nonce
		if grantType == "refresh_token" {
			idg.Nonce = "" // OIDC Core 12.2: no nonce in refreshed ID tokens
		}
		idt, err := s.issueIDToken(ctx, c, &idg, idTTL, access, "")
		if err != nil {
			return nil, nil, errServer(err)
		}
		out.IDToken = idt
	}
	return out, recs, nil
}

// refreshGrant rotates a refresh token (RFC 6749 6, RFC 9700 4.14): the old
// one is used up, a new pair issued. A used refresh token presented again
// outside the grace period revokes the whole grant.
func (s *Service) refreshGrant(ctx context.Context, c *client.Client, r *http.Request) (*TokenResponse, error) {
	if err := mustHaveGrant(c, "refresh_token"); err != nil {
		return nil, err
	}
	form := r.PostForm
	sig, ok := s.tokenKeys.openOpaque(prefixRefresh, form.Get("refresh_token"))
	if !ok {
		return nil, errInvalidGrant("The refresh token is not valid.")
	}
	rec, err := s.store.GetToken(ctx, sig)
	if err != nil {
		if isNotFound(err) {
			return nil, errInvalidGrant("The refresh token is not valid, has expired or was revoked.")
		}
		return nil, errServer(err)
	}
	if rec.Kind != TokenRefresh || rec.ClientID != c.ID {
		return nil, errInvalidGrant("The refresh token was issued to another client.")
	}
	now := s.now()
	if !rec.ExpiresAt.After(now) {
		return nil, errInvalidGrant("The refresh token has expired.")
	}
	g, err := s.openGrant(rec)
	if err != nil {
		return nil, errServer(err)
	}
	if scope := strings.Fields(form.Get("scope")); len(scope) > 0 {
		if !covers(g.Scope, scope) {
			return nil, errInvalidScope("A refresh request may only narrow the granted scope.")
		}
		g.Scope = scope
	}
	if !rec.Active {
		if s.opts.RefreshGracePeriod > 0 && !rec.UsedAt.IsZero() && now.Sub(rec.UsedAt) < s.opts.RefreshGracePeriod {
			out, add, err := s.issueTokens(ctx, c, g, rec.RequestID, "refresh_token", true)
			if err != nil {
				return nil, err
			}
			if err := s.store.InsertTokens(ctx, add...); err != nil {
				return nil, errServer(err)
			}
			return out, nil
		}
		if err := s.store.RevokeRequest(ctx, rec.RequestID); err != nil {
			return nil, errServer(err)
		}
		return nil, errInvalidGrant("The refresh token has been used already; every token of this grant was revoked.")
	}
	out, add, err := s.issueTokens(ctx, c, g, rec.RequestID, "refresh_token", true)
	if err != nil {
		return nil, err
	}
	// The refresh grant always rotates, even if offline access was narrowed away.
	if out.RefreshToken == "" {
		rtok, rrec, err := s.issueRefresh(grantFor(*g, now, lifespan(c, "refresh_token", "refresh", s.opts.TTL.RefreshToken)), rec.RequestID)
		if err != nil {
			return nil, errServer(err)
		}
		out.RefreshToken = rtok
		add = append(add, rrec)
	}
	if err := s.store.ConsumeToken(ctx, sig, now, []int{TokenAccess}, add...); err != nil {
		if errors.Is(err, ErrNotActive) {
			// Lost a race with another use of the same token: that is reuse.
			if s.opts.RefreshGracePeriod > 0 {
				if err := s.store.InsertTokens(ctx, add...); err != nil {
					return nil, errServer(err)
				}
				return out, nil
			}
			_ = s.store.RevokeRequest(ctx, rec.RequestID)
			return nil, errInvalidGrant("The refresh token has been used already; every token of this grant was revoked.")
		}
		return nil, errServer(err)
	}
	return out, nil
}

// clientCredentialsGrant issues a token to the client itself (RFC 6749 4.4).
func (s *Service) clientCredentialsGrant(ctx context.Context, c *client.Client, r *http.Request) (*TokenResponse, error) {
	if err := mustHaveGrant(c, "client_credentials"); err != nil {
		return nil, err
	}
	if c.TokenEndpointAuthMethod == client.AuthNone {
		return nil, errInvalidClient("Public clients cannot use the client_credentials grant.")
	}
	form := r.PostForm
	scope := strings.Fields(form.Get("scope"))
	if len(scope) == 0 && s.opts.ClientCredentialsDefaultScope {
		scope = strings.Fields(c.Scope)
	}
	if err := s.checkScopes(c, scope); err != nil {
		return nil, err
	}
	aud := splitAudience(form["audience"])
	if err := checkAudience(c, aud); err != nil {
		return nil, err
	}
	now := s.now()
	g := &Grant{ClientID: c.ID, Subject: c.ID, Scope: nonNil(scope), Audience: nonNil(aud), IssuedAt: now}
	out, add, err := s.issueTokens(ctx, c, g, s.newRequestID(now), "client_credentials", false)
	if err != nil {
		return nil, err
	}
	if err := s.store.InsertTokens(ctx, add...); err != nil {
		return nil, errServer(err)
	}
	return out, nil
}
