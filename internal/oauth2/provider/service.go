package provider

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/warden-iam/warden/internal/oauth2/client"
	"github.com/warden-iam/warden/internal/storage"
)

// Clients is what the provider needs of the client service.
type Clients interface {
	// Lookup returns a client; it may be a few seconds old.
	Lookup(ctx context.Context, id string) (client.Client, error)
	Authenticate(ctx context.Context, id, secret string) (*client.Client, error)
}

// Keys is what the provider needs of the key service.
type Keys interface {
	SigningKey(ctx context.Context, set, alg string) (jose.JSONWebKey, error)
	VerificationKeys(ctx context.Context, set string) (jose.JSONWebKeySet, error)
}

// TrustedIssuer is a JWT-bearer grant trust relationship that matched an
// assertion.
type TrustedIssuer struct {
	Scope     []string
	Key       jose.JSONWebKey
	ExpiresAt time.Time
}

// Trust finds the trust relationship for a JWT-bearer assertion; none is
// storage.ErrNotFound.
type Trust interface {
	Match(ctx context.Context, issuer, subject, kid string) (TrustedIssuer, error)
}

// Encrypter seals flow and token data at rest.
type Encrypter interface {
	Encrypt(plaintext []byte) (string, error)
	Decrypt(ciphertext string) ([]byte, error)
}

// Key sets the provider signs with.
const (
	IDTokenSet     = "hydra.openid.id-token"
	AccessTokenSet = "hydra.jwt.access-token"
)

// URLs are where the provider sends browsers.
type URLs struct {
	Login, Registration, Consent, Logout, Error, PostLogoutRedirect string
	DeviceVerification, DeviceSuccess                               string
}

// TTLs are the default lifetimes.
type TTLs struct {
	LoginConsentRequest, AuthenticationSession, AccessToken, RefreshToken, IDToken, AuthCode, DeviceUserCode time.Duration
}

// TokenHook is the webhook called before tokens are issued.
type TokenHook struct {
	URL                string
	APIKeyName, APIKey string
	APIKeyInHeader     bool
}

// Options are the provider's settings (Hydra's configuration keys).
type Options struct {
	// Issuer returns the issuer identifier; PublicURL the base URL of the
	// public listener (with a trailing slash). Functions, because with port
	// 0 they are known only once the listener is bound.
	Issuer    func() string
	PublicURL func() string
	URLs      URLs
	TTL       TTLs
	// System are the system secrets (first signs, all verify).
	System []string

	AccessTokenStrategy string // "opaque" (default) or "jwt"
	ScopeStrategy       string // "exact" (default) or "wildcard"
	JWTScopeClaim       string // "list" (default), "string" or "both"
	IDTokenAlg          string // default RS256
	AccessTokenAlg      string // default RS256

	PKCEEnforced          bool
	PKCEEnforcedForPublic bool // default true (set by the caller)

	RefreshGracePeriod time.Duration
	RefreshGraceReuse  int

	SubjectTypes []string // "public", "pairwise"
	PairwiseSalt string

	ClientCredentialsDefaultScope bool
	AllowedTopLevelClaims         []string
	MirrorTopLevelClaims          bool
	ExcludeNotBefore              bool

	JWTBearerJTIOptional bool
	JWTBearerIATOptional bool
	JWTBearerMaxTTL      time.Duration

	DeviceInterval time.Duration

	TokenHook TokenHook

	// SecureCookies sets the Secure flag (off only in development).
	SecureCookies bool

	// DynamicClientRegistration advertises registration_endpoint in the
	// discovery documents (the endpoints are mounted by the caller).
	DynamicClientRegistration bool

	// SingleWriter says that one connection does all writes (SQLite). Flow
	// and grant ids then begin with the time, so that new rows go to the
	// end of the indexes on them and a commit writes fewer pages. With
	// concurrent writers (PostgreSQL, CockroachDB) they stay random:
	// adjacent keys would make concurrent serializable transactions
	// conflict on the same index pages, and would send every write to one
	// range.
	SingleWriter bool

	// HTTPClient makes outbound calls (back-channel logout, jwks_uri,
	// request_uri, token hook).
	HTTPClient *http.Client
	Logger     *slog.Logger
	Now        func() time.Time
}

func (o *Options) defaults() {
	d := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	d(&o.TTL.LoginConsentRequest, 30*time.Minute)
	d(&o.TTL.AuthenticationSession, 720*time.Hour)
	d(&o.TTL.AccessToken, time.Hour)
	d(&o.TTL.RefreshToken, 720*time.Hour)
	d(&o.TTL.IDToken, time.Hour)
	d(&o.TTL.AuthCode, 10*time.Minute)
	d(&o.TTL.DeviceUserCode, 10*time.Minute)
	d(&o.JWTBearerMaxTTL, 720*time.Hour)
	d(&o.DeviceInterval, 5*time.Second)
	if o.AccessTokenStrategy == "" {
		o.AccessTokenStrategy = "opaque"
	}
	if o.ScopeStrategy == "" {
		o.ScopeStrategy = "exact"
	}
	if o.JWTScopeClaim == "" {
		o.JWTScopeClaim = "list"
	}
	if o.IDTokenAlg == "" {
		o.IDTokenAlg = "RS256"
	}
	if o.AccessTokenAlg == "" {
		o.AccessTokenAlg = "RS256"
	}
	if len(o.SubjectTypes) == 0 {
		o.SubjectTypes = []string{"public", "pairwise"}
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Service is the authorization server.
type Service struct {
	store   Store
	clients Clients
	keys    Keys
	trust   Trust
	enc     Encrypter
	opts    Options

	flowKeys   macKeys // challenges and verifiers
	tokenKeys  macKeys // opaque tokens
	cookieKeys macKeys // the login session cookie

	remoteKeys remoteKeySets // clients' jwks_uri documents
	grants     grantCache    // decoded grants of access tokens (lookupToken)
}

// NewService builds the provider. trust may be nil (no JWT-bearer grant).
func NewService(store Store, clients Clients, keys Keys, trust Trust, enc Encrypter, o Options) (*Service, error) {
	o.defaults()
	s := &Service{store: store, clients: clients, keys: keys, trust: trust, enc: enc, opts: o}
	var err error
	if s.flowKeys, err = deriveKeys(o.System, "warden oauth2 flow v1"); err != nil {
		return nil, err
	}
	if s.tokenKeys, err = deriveKeys(o.System, "warden oauth2 token v1"); err != nil {
		return nil, err
	}
	if s.cookieKeys, err = deriveKeys(o.System, "warden oauth2 cookie v1"); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

// issuer is the issuer identifier.
func (s *Service) issuer() string { return s.opts.Issuer() }

// endpoint is the absolute URL of a public path ("oauth2/token").
func (s *Service) endpoint(path string) string {
	return strings.TrimSuffix(s.opts.PublicURL(), "/") + "/" + strings.TrimPrefix(path, "/")
}

func (s *Service) seal(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return s.enc.Encrypt(b)
}

func (s *Service) unseal(data string, v any) error {
	b, err := s.enc.Decrypt(data)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// flowRecord turns a flow into its stored form.
func (s *Service) flowRecord(f *Flow, expires time.Time, rememberUntil time.Time) (FlowRecord, error) {
	data, err := s.seal(f)
	if err != nil {
		return FlowRecord{}, err
	}
	return FlowRecord{ID: f.ID, Kind: f.Kind, State: f.State, ClientID: f.Request.ClientID, Subject: f.Subject,
		LoginSessionID: f.LoginSessionID, RememberUntil: rememberUntil, Data: data, RequestedAt: f.RequestedAt, ExpiresAt: expires}, nil
}

func (s *Service) openFlow(r FlowRecord) (*Flow, error) {
	var f Flow
	if err := s.unseal(r.Data, &f); err != nil {
		return nil, fmt.Errorf("flow %s: %w", r.ID, err)
	}
	f.State = r.State
	return &f, nil
}

// client loads a client for the endpoints: unknown is invalid_client.
func (s *Service) client(ctx context.Context, id string) (*client.Client, error) {
	c, err := s.clients.Lookup(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return nil, errInvalidClient("The OAuth2 client does not exist.").withCause(err)
		}
		return nil, errServer(err)
	}
	return &c, nil
}

// scopeAllowed tells whether the client may ask for scope.
func (s *Service) scopeAllowed(c *client.Client, scope string) bool {
	for _, allowed := range strings.Fields(c.Scope) {
		if allowed == scope {
			return true
		}
		if s.opts.ScopeStrategy == "wildcard" && strings.HasSuffix(allowed, ".*") &&
			strings.HasPrefix(scope, strings.TrimSuffix(allowed, "*")) {
			return true
		}
	}
	return false
}

func (s *Service) checkScopes(c *client.Client, scopes []string) error {
	for _, sc := range scopes {
		if !s.scopeAllowed(c, sc) {
			return errInvalidScope("The OAuth2 client is not allowed to request scope %q.", sc)
		}
	}
	return nil
}

func checkAudience(c *client.Client, aud []string) error {
	for _, a := range aud {
		if !slices.Contains(c.Audience, a) {
			return errInvalidRequest("Requested audience %q has not been whitelisted by the OAuth 2.0 Client.", a)
		}
	}
	return nil
}

// subjectFor is the subject identifier the client sees (OIDC Core 8):
// the subject itself, or a pairwise identifier for the client's sector.
func (s *Service) subjectFor(c *client.Client, subject, forced string) string {
	if c.SubjectType != "pairwise" || subject == "" {
		return subject
	}
	if forced != "" {
		return forced
	}
	sector := c.SectorIdentifierURI
	if u, err := url.Parse(sector); err == nil && u.Host != "" {
		sector = u.Host
	} else if len(c.RedirectURIs) > 0 {
		if u, err := url.Parse(c.RedirectURIs[0]); err == nil {
			sector = u.Host
		}
	}
	h := sha256.Sum256([]byte(sector + subject + s.opts.PairwiseSalt))
	return fmt.Sprintf("%x", h[:])
}

// lifespan returns the client's lifespan for grant and token, or def.
func lifespan(c *client.Client, grant, token string, def time.Duration) time.Duration {
	l := c.Lifespans
	var d *client.Duration
	switch grant + "/" + token {
	case "authorization_code/access":
		d = l.AuthorizationCodeGrantAccessTokenLifespan
	case "authorization_code/id":
		d = l.AuthorizationCodeGrantIDTokenLifespan
	case "authorization_code/refresh":
		d = l.AuthorizationCodeGrantRefreshTokenLifespan
	case "client_credentials/access":
		d = l.ClientCredentialsGrantAccessTokenLifespan
	case deviceGrant + "/access":
		d = l.DeviceAuthorizationGrantAccessTokenLifespan
	case deviceGrant + "/id":
		d = l.DeviceAuthorizationGrantIDTokenLifespan
	case deviceGrant + "/refresh":
		d = l.DeviceAuthorizationGrantRefreshTokenLifespan
	case "implicit/access":
		d = l.ImplicitGrantAccessTokenLifespan
	case "implicit/id":
		d = l.ImplicitGrantIDTokenLifespan
	case jwtBearerGrant + "/access":
		d = l.JWTBearerGrantAccessTokenLifespan
	case "refresh_token/access":
		d = l.RefreshTokenGrantAccessTokenLifespan
	case "refresh_token/id":
		d = l.RefreshTokenGrantIDTokenLifespan
	case "refresh_token/refresh":
		d = l.RefreshTokenGrantRefreshTokenLifespan
	}
	if d != nil && *d > 0 {
		return time.Duration(*d)
	}
	return def
}

const (
	jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	deviceGrant    = "urn:ietf:params:oauth:grant-type:device_code"
)

func hasGrant(c *client.Client, g string) bool { return slices.Contains(c.GrantTypes, g) }

// accessStrategy is "jwt" or "opaque" for the client.
func (s *Service) accessStrategy(c *client.Client) string {
	if c.AccessTokenStrategy != "" {
		return c.AccessTokenStrategy
	}
	return s.opts.AccessTokenStrategy
}

func isNotFound(err error) bool { return errors.Is(err, errNotFound) }

var errNotFound = storage.ErrNotFound

var errConflict = storage.ErrConflict

func jsonUnmarshalNumber(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}
