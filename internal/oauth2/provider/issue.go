package provider

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/warden-iam/warden/internal/oauth2/client"
)

// TokenResponse is the token endpoint's answer (and the token part of an
// implicit or hybrid authorization response).
type TokenResponse struct {
	AccessToken  string `json:"access_token,omitempty"`
	TokenType    string `json:"token_type,omitempty"`
	ExpiresIn    int64  `json:"expires_in,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// reservedClaims cannot be set through consent session claims.
var reservedClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "nonce", "acr", "amr",
	"azp", "at_hash", "c_hash", "sid", "client_id", "scp", "rat", "ext"}

// tokenRecord seals g into a stored token.
func (s *Service) tokenRecord(kind int, sig, requestID string, g *Grant) (TokenRecord, error) {
	data, err := s.seal(g)
	if err != nil {
		return TokenRecord{}, err
	}
	return TokenRecord{Signature: sig, Kind: kind, RequestID: requestID, ClientID: g.ClientID, Subject: g.Subject,
		Active: true, Data: data, RequestedAt: g.IssuedAt, ExpiresAt: g.ExpiresAt}, nil
}

func (s *Service) openGrant(r TokenRecord) (*Grant, error) {
	var g Grant
	if err := s.unseal(r.Data, &g); err != nil {
		return nil, fmt.Errorf("token data: %w", err)
	}
	return &g, nil
}

// grantFor copies g with a new lifetime.
func grantFor(g Grant, now time.Time, ttl time.Duration) *Grant {
	g.IssuedAt, g.ExpiresAt = now, now.Add(ttl)
	return &g
}

// issueAccess makes an access token for g (opaque or JWT as the client's
// strategy says) and its record.
func (s *Service) issueAccess(ctx context.Context, c *client.Client, g *Grant, requestID string) (string, TokenRecord, error) {
	if s.accessStrategy(c) != "jwt" {
		tok, sig := s.tokenKeys.newOpaque(prefixAccess)
		rec, err := s.tokenRecord(TokenAccess, sig, requestID, g)
		return tok, rec, err
	}
	g.JWT = true
	claims := map[string]any{
		"iss":       s.issuer(),
		"sub":       g.Subject,
		"aud":       nonNil(g.Audience),
		"exp":       g.ExpiresAt.Unix(),
		"iat":       g.IssuedAt.Unix(),
		"jti":       uuid.NewString(),
		"client_id": g.ClientID,
	}
	if g.Subject == "" {
		claims["sub"] = g.ClientID
	}
	if !s.opts.ExcludeNotBefore {
		claims["nbf"] = g.IssuedAt.Unix()
	}
	switch s.opts.JWTScopeClaim {
	case "string":
		claims["scope"] = g.scopeString()
	case "both":
		claims["scope"] = g.scopeString()
		claims["scp"] = nonNil(g.Scope)
	default:
		claims["scp"] = nonNil(g.Scope)
	}
	if len(g.Session.AccessToken) > 0 {
		claims["ext"] = g.Session.AccessToken
		if s.opts.MirrorTopLevelClaims {
			for k, v := range g.Session.AccessToken {
				if !slices.Contains(reservedClaims, k) {
					claims[k] = v
				}
			}
		}
	}
	tok, err := s.sign(ctx, AccessTokenSet, s.opts.AccessTokenAlg, "at+jwt", claims)
	if err != nil {
		return "", TokenRecord{}, err
	}
	rec, err := s.tokenRecord(TokenAccess, storedSignature(tok[strings.LastIndexByte(tok, '.')+1:]), requestID, g)
	return tok, rec, err
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// issueRefresh makes a refresh token for g.
func (s *Service) issueRefresh(g *Grant, requestID string) (string, TokenRecord, error) {
	tok, sig := s.tokenKeys.newOpaque(prefixRefresh)
	rec, err := s.tokenRecord(TokenRefresh, sig, requestID, g)
	return tok, rec, err
}

// idTokenAlg is the algorithm the client's ID tokens are signed with.
func (s *Service) idTokenAlg(c *client.Client) string {
	if c.IDTokenSignedResponseAlg != "" {
		return c.IDTokenSignedResponseAlg
	}
	return s.opts.IDTokenAlg
}

// issueIDToken makes an ID token for g, bound to the access token and code
// issued with it (at_hash, c_hash) when there are.
func (s *Service) issueIDToken(ctx context.Context, c *client.Client, g *Grant, ttl time.Duration, accessToken, code string) (string, error) {
	now := s.now()
	alg := s.idTokenAlg(c)
	claims := map[string]any{}
	maps.Copy(claims, g.Session.IDToken)
	for _, k := range reservedClaims {
		delete(claims, k)
	}
	claims["iss"] = s.issuer()
	claims["sub"] = g.Subject
	claims["aud"] = []string{c.ID}
	claims["exp"] = now.Add(ttl).Unix()
	claims["iat"] = now.Unix()
	claims["jti"] = uuid.NewString()
	claims["rat"] = g.IssuedAt.Unix()
	if !g.AuthTime.IsZero() {
		claims["auth_time"] = g.AuthTime.Unix()
	}
	if g.Nonce != "" {
		claims["nonce"] = g.Nonce
	}
	if g.ACR != "" {
		claims["acr"] = g.ACR
	}
	if len(g.AMR) > 0 {
		claims["amr"] = g.AMR
	}
	if g.SessionID != "" {
		claims["sid"] = g.SessionID
	}
	if accessToken != "" {
		claims["at_hash"] = halfHash(alg, accessToken)
	}
	if code != "" {
		claims["c_hash"] = halfHash(alg, code)
	}
	return s.sign(ctx, IDTokenSet, alg, "JWT", claims)
}

// halfHash is the left half of the hash of v that alg's family uses (OIDC
// Core 3.1.3.6), base64url: at_hash and c_hash.
func halfHash(alg, v string) string {
	var h hash.Hash
	switch {
	case strings.HasSuffix(alg, "384"):
		h = sha512.New384()
	case strings.HasSuffix(alg, "512"), alg == "EdDSA":
		h = sha512.New()
	default:
		h = sha256.New()
	}
	h.Write([]byte(v))
	sum := h.Sum(nil)
	return b64.EncodeToString(sum[:len(sum)/2])
}

// sign makes a compact JWS of claims with the newest key of set for alg.
func (s *Service) sign(ctx context.Context, set, alg, typ string, claims any) (string, error) {
	key, err := s.keys.SigningKey(ctx, set, alg)
	if err != nil {
		return "", fmt.Errorf("signing key: %w", err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: key},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", key.KeyID))
	if err != nil {
		return "", fmt.Errorf("signer: %w", err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return jws.CompactSerialize()
}

// wantsRefresh tells whether a grant gets a refresh token: the client may
// use the refresh grant and offline access was granted.
func wantsRefresh(c *client.Client, g *Grant) bool {
	return hasGrant(c, "refresh_token") && (slices.Contains(g.Scope, "offline_access") || slices.Contains(g.Scope, "offline"))
}
