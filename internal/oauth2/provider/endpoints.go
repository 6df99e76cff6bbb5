package provider

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// lookedUp is a presented token found active in storage.
type lookedUp struct {
	rec   TokenRecord
	grant *Grant
}

// lookupToken finds an active, unexpired access or refresh token (opaque or
// JWT). Anything else is nil with no error. The grant of an access token
// may be shared with other requests: it must not be modified.
func (s *Service) lookupToken(ctx context.Context, token string, kinds ...int) (*lookedUp, error) {
	var sig string
	var ok bool
	switch {
	case strings.HasPrefix(token, prefixAccess):
		sig, ok = s.tokenKeys.openOpaque(prefixAccess, token)
	case strings.HasPrefix(token, prefixRefresh):
		sig, ok = s.tokenKeys.openOpaque(prefixRefresh, token)
	case strings.Count(token, ".") == 2:
		jws, err := parseJWS(token, signatureAlgs)
		if err != nil {
			return nil, nil
		}
		set, err := s.keys.VerificationKeys(ctx, AccessTokenSet)
		if err != nil {
			return nil, err
		}
		if _, err := verifyWith(jws, set); err != nil {
			return nil, nil
		}
		sig, ok = storedSignature(token[strings.LastIndexByte(token, '.')+1:]), true
	}
	if !ok {
		return nil, nil
	}
	rec, err := s.store.GetToken(ctx, sig)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	if !rec.Active || !rec.ExpiresAt.After(s.now()) {
		return nil, nil
	}
	match := false
	for _, k := range kinds {
		match = match || rec.Kind == k
	}
	if !match {
		return nil, nil
	}
	var g *Grant
	if rec.Kind == TokenAccess {
		g, err = s.grants.open(rec, s.openGrant)
	} else {
		g, err = s.openGrant(rec)
	}
	if err != nil {
		return nil, err
	}
	return &lookedUp{rec: rec, grant: g}, nil
}

// Introspection is the RFC 7662 answer.
type Introspection struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	Sub       string   `json:"sub,omitempty"`
	Exp       int64    `json:"exp,omitempty"`
	Iat       int64    `json:"iat,omitempty"`
	Nbf       int64    `json:"nbf,omitempty"`
	Aud       []string `json:"aud,omitempty"`
	Iss       string   `json:"iss,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	TokenUse  string   `json:"token_use,omitempty"`
	Ext       Claims   `json:"ext,omitempty"`
}

// introspect is POST /admin/oauth2/introspect.
func (s *Service) introspect(w http.ResponseWriter, r *http.Request) error {
	if err := parsePostForm(r); err != nil {
		return err
	}
	token := r.PostForm.Get("token")
	if token == "" {
		return errInvalidRequest("The token parameter is missing.")
	}
	t, err := s.lookupToken(r.Context(), token, TokenAccess, TokenRefresh)
	if err != nil {
		return errServer(err)
	}
	noStore(w)
	if t == nil || !covers(t.grant.Scope, strings.Fields(r.PostForm.Get("scope"))) {
		writeJSON(w, http.StatusOK, Introspection{Active: false})
		return nil
	}
	g := t.grant
	out := Introspection{Active: true, Scope: g.scopeString(), ClientID: g.ClientID, Sub: g.Subject, Exp: t.rec.ExpiresAt.Unix(),
		Iat: t.rec.RequestedAt.Unix(), Nbf: t.rec.RequestedAt.Unix(), Aud: nonNil(g.Audience), Iss: s.issuer(),
		TokenType: "Bearer", TokenUse: "access_token", Ext: g.Session.AccessToken}
	if t.rec.Kind == TokenRefresh {
		out.TokenUse = "refresh_token"
	}
	if out.Sub == "" {
		out.Sub = g.ClientID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// revoke is POST /oauth2/revoke (RFC 7009). Revoking a refresh token
// revokes its whole grant; an unknown or foreign token is not an error.
func (s *Service) revoke(w http.ResponseWriter, r *http.Request) error {
	if err := parsePostForm(r); err != nil {
		return err
	}
	c, err := s.authenticateClient(r)
	if err != nil {
		return err
	}
	token := r.PostForm.Get("token")
	if token == "" {
		return errInvalidRequest("The token parameter is missing.")
	}
	ctx := r.Context()
	t, err := s.lookupToken(ctx, token, TokenAccess, TokenRefresh)
	if err != nil {
		return errServer(err)
	}
	if t != nil && t.rec.ClientID == c.ID {
		if t.rec.Kind == TokenRefresh {
			err = s.store.RevokeRequest(ctx, t.rec.RequestID)
		} else {
			err = s.store.DeleteToken(ctx, t.rec.Signature)
		}
		if err != nil {
			return errServer(err)
		}
	}
	noStore(w)
	w.WriteHeader(http.StatusOK)
	return nil
}

// bearerError answers a protected resource request (RFC 6750 3).
func bearerError(w http.ResponseWriter, status int, code, desc string) {
	h := `Bearer realm="userinfo"`
	if code != "" {
		h += `, error="` + code + `", error_description="` + desc + `"`
	}
	w.Header().Set("WWW-Authenticate", h)
	noStore(w)
	writeJSON(w, status, Error{Code: code, Description: desc, Status: status})
}

// userinfo is GET and POST /userinfo (OIDC Core 5.3).
func (s *Service) userinfo(w http.ResponseWriter, r *http.Request) error {
	token := ""
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, v, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "bearer") {
			bearerError(w, http.StatusUnauthorized, "invalid_request", "Use the Bearer scheme.")
			return nil
		}
		token = strings.TrimSpace(v)
	} else if r.Method == http.MethodPost {
		if err := parsePostForm(r); err == nil {
			token = r.PostForm.Get("access_token")
		}
	}
	if token == "" {
		// RFC 6750 3.1: no error code in the challenge when no token was sent.
		w.Header().Set("WWW-Authenticate", `Bearer realm="userinfo"`)
		noStore(w)
		writeJSON(w, http.StatusUnauthorized, Error{Code: "request_unauthorized",
			Description: "The request carries no access token; send it as Authorization: Bearer.", Status: http.StatusUnauthorized})
		return nil
	}
	ctx := r.Context()
	t, err := s.lookupToken(ctx, token, TokenAccess)
	if err != nil {
		return errServer(err)
	}
	if t == nil {
		bearerError(w, http.StatusUnauthorized, "invalid_token", "The access token is not valid, has expired or was revoked.")
		return nil
	}
	g := t.grant
	if !strings.Contains(" "+g.scopeString()+" ", " openid ") {
		bearerError(w, http.StatusForbidden, "insufficient_scope", "The access token was not granted the openid scope.")
		return nil
	}
	claims := map[string]any{}
	for k, v := range g.Session.IDToken {
		claims[k] = v
	}
	for _, k := range reservedClaims {
		delete(claims, k)
	}
	claims["sub"] = g.Subject
	c, err := s.clients.Lookup(ctx, g.ClientID)
	if err != nil {
		if isNotFound(err) {
			bearerError(w, http.StatusUnauthorized, "invalid_token", "The client of this token no longer exists.")
			return nil
		}
		return errServer(err)
	}
	noStore(w)
	if alg := c.UserinfoSignedResponseAlg; alg != "" && alg != "none" {
		claims["iss"] = s.issuer()
		claims["aud"] = []string{c.ID}
		claims["iat"] = s.now().Unix()
		claims["exp"] = s.now().Add(5 * time.Minute).Unix()
		jwt, err := s.sign(ctx, IDTokenSet, alg, "JWT", claims)
		if err != nil {
			return errServer(err)
		}
		w.Header().Set("Content-Type", "application/jwt")
		_, _ = w.Write([]byte(jwt))
		return nil
	}
	writeJSON(w, http.StatusOK, claims)
	return nil
}

// deleteTokens is DELETE /admin/oauth2/tokens?client_id=.
func (s *Service) deleteTokens(w http.ResponseWriter, r *http.Request) error {
	id := r.URL.Query().Get("client_id")
	if id == "" {
		return adminBadRequest("The client_id parameter is required.")
	}
	if err := s.store.DeleteClientTokens(r.Context(), id, TokenAccess); err != nil {
		return errServer(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Cleanup removes expired flows, tokens and sessions in batches until none
// is left or ctx ends, returning how many of each were removed.
func (s *Service) Cleanup(ctx context.Context, batch int) (map[string]int64, error) {
	total := map[string]int64{}
	for ctx.Err() == nil {
		n, err := s.store.Cleanup(ctx, s.now(), batch)
		more := false
		for k, v := range n {
			total[k] += v
			more = more || v == int64(batch)
		}
		if err != nil || !more {
			return total, err
		}
	}
	return total, ctx.Err()
}
