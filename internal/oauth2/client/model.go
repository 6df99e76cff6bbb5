package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Token endpoint authentication methods.
const (
	AuthSecretBasic   = "client_secret_basic"
	AuthSecretPost    = "client_secret_post"
	AuthPrivateKeyJWT = "private_key_jwt"
	AuthNone          = "none"
)

// AuthMethods are the supported token_endpoint_auth_method values.
var AuthMethods = []string{AuthSecretBasic, AuthSecretPost, AuthPrivateKeyJWT, AuthNone}

// GrantTypes are the supported grant_types values.
var GrantTypes = []string{
	"authorization_code",
	"refresh_token",
	"client_credentials",
	"implicit",
	"urn:ietf:params:oauth:grant-type:jwt-bearer",
	"urn:ietf:params:oauth:grant-type:device_code",
}

// ResponseTypeParts are the words a response_types value is made of (space
// separated, each at most once; "none" stands alone).
var ResponseTypeParts = []string{"code", "token", "id_token", "none"}

// SigningAlgs are the JWS algorithms clients may register for ID tokens,
// user info, request objects and private_key_jwt assertions.
var SigningAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// SubjectTypes are the supported subject_type values.
var SubjectTypes = []string{"public", "pairwise"}

// AccessTokenStrategies are the supported access_token_strategy values; empty
// means the server's default.
var AccessTokenStrategies = []string{"jwt", "opaque"}

// ErrInvalid means a client was refused; errors.As with *FieldError names the
// field.
var ErrInvalid = errors.New("invalid OAuth2 client")

// FieldError is a refused field of a client.
type FieldError struct {
	Field  string // JSON name, e.g. "redirect_uris"
	Reason string // a sentence saying why
}

func (e *FieldError) Error() string { return e.Reason }

// Is makes FieldError match ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Duration is a lifespan, written in JSON as Go duration text ("1h0m0s").
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler. A value that is not a duration
// string decodes as -1, which validation refuses naming the field.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	v, err := time.Duration(-1), json.Unmarshal(b, &s)
	if err == nil {
		if p, err := time.ParseDuration(s); err == nil {
			v = p
		}
	}
	*d = Duration(v)
	return nil
}

// Lifespans override, per grant and token, how long issued tokens live;
// nil means the server's default.
type Lifespans struct {
	AuthorizationCodeGrantAccessTokenLifespan    *Duration `json:"authorization_code_grant_access_token_lifespan,omitempty"`
	AuthorizationCodeGrantIDTokenLifespan        *Duration `json:"authorization_code_grant_id_token_lifespan,omitempty"`
	AuthorizationCodeGrantRefreshTokenLifespan   *Duration `json:"authorization_code_grant_refresh_token_lifespan,omitempty"`
	ClientCredentialsGrantAccessTokenLifespan    *Duration `json:"client_credentials_grant_access_token_lifespan,omitempty"`
	DeviceAuthorizationGrantAccessTokenLifespan  *Duration `json:"device_authorization_grant_access_token_lifespan,omitempty"`
	DeviceAuthorizationGrantIDTokenLifespan      *Duration `json:"device_authorization_grant_id_token_lifespan,omitempty"`
	DeviceAuthorizationGrantRefreshTokenLifespan *Duration `json:"device_authorization_grant_refresh_token_lifespan,omitempty"`
	ImplicitGrantAccessTokenLifespan             *Duration `json:"implicit_grant_access_token_lifespan,omitempty"`
	ImplicitGrantIDTokenLifespan                 *Duration `json:"implicit_grant_id_token_lifespan,omitempty"`
	JWTBearerGrantAccessTokenLifespan            *Duration `json:"jwt_bearer_grant_access_token_lifespan,omitempty"`
	RefreshTokenGrantAccessTokenLifespan         *Duration `json:"refresh_token_grant_access_token_lifespan,omitempty"`
	RefreshTokenGrantIDTokenLifespan             *Duration `json:"refresh_token_grant_id_token_lifespan,omitempty"`
	RefreshTokenGrantRefreshTokenLifespan        *Duration `json:"refresh_token_grant_refresh_token_lifespan,omitempty"`
}

// check refuses zero or negative lifespans, naming the field.
func (l Lifespans) check() error {
	b, _ := json.Marshal(l)
	var m map[string]string
	_ = json.Unmarshal(b, &m)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if d, _ := time.ParseDuration(m[k]); d <= 0 {
			return invalid(k, "%s must be a positive duration such as \"1h\" or \"30m\".", k)
		}
	}
	return nil
}

// Client is an OAuth2 client as the admin API shows it. Secret is only ever
// set on input and in the answer that reveals a newly generated secret; it
// is never stored.
type Client struct {
	ID                                string              `json:"client_id"`
	Secret                            string              `json:"client_secret,omitempty"`
	Name                              string              `json:"client_name"`
	Owner                             string              `json:"owner"`
	RedirectURIs                      []string            `json:"redirect_uris"`
	GrantTypes                        []string            `json:"grant_types"`
	ResponseTypes                     []string            `json:"response_types"`
	Scope                             string              `json:"scope"`
	Audience                          []string            `json:"audience"`
	AllowedCORSOrigins                []string            `json:"allowed_cors_origins"`
	TokenEndpointAuthMethod           string              `json:"token_endpoint_auth_method"`
	JWKS                              *jose.JSONWebKeySet `json:"jwks,omitempty"`
	JWKSURI                           string              `json:"jwks_uri,omitempty"`
	PostLogoutRedirectURIs            []string            `json:"post_logout_redirect_uris"`
	FrontchannelLogoutURI             string              `json:"frontchannel_logout_uri,omitempty"`
	FrontchannelLogoutSessionRequired bool                `json:"frontchannel_logout_session_required"`
	BackchannelLogoutURI              string              `json:"backchannel_logout_uri,omitempty"`
	BackchannelLogoutSessionRequired  bool                `json:"backchannel_logout_session_required"`
	ClientURI                         string              `json:"client_uri,omitempty"`
	LogoURI                           string              `json:"logo_uri,omitempty"`
	PolicyURI                         string              `json:"policy_uri,omitempty"`
	TosURI                            string              `json:"tos_uri,omitempty"`
	Contacts                          []string            `json:"contacts"`
	Metadata                          json.RawMessage     `json:"metadata,omitempty"`
	SubjectType                       string              `json:"subject_type"`
	SectorIdentifierURI               string              `json:"sector_identifier_uri,omitempty"`
	InitiateLoginURI                  string              `json:"initiate_login_uri,omitempty"`
	RequestURIs                       []string            `json:"request_uris,omitempty"`
	RequestObjectSigningAlg           string              `json:"request_object_signing_alg,omitempty"`
	TokenEndpointAuthSigningAlg       string              `json:"token_endpoint_auth_signing_alg,omitempty"`
	UserinfoSignedResponseAlg         string              `json:"userinfo_signed_response_alg,omitempty"`
	IDTokenSignedResponseAlg          string              `json:"id_token_signed_response_alg,omitempty"`
	AccessTokenStrategy               string              `json:"access_token_strategy,omitempty"`
	SkipConsent                       bool                `json:"skip_consent"`
	SkipLogoutConsent                 bool                `json:"skip_logout_consent"`
	Lifespans
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NeedsSecret tells whether the client authenticates with a client secret.
func (c *Client) NeedsSecret() bool {
	return c.TokenEndpointAuthMethod == AuthSecretBasic || c.TokenEndpointAuthMethod == AuthSecretPost
}

// normalize fills defaults and turns absent lists into empty ones, so every
// client reads the same whichever way it was written.
func (c *Client) normalize() {
	if c.TokenEndpointAuthMethod == "" {
		c.TokenEndpointAuthMethod = AuthSecretBasic
	}
	if len(c.GrantTypes) == 0 {
		c.GrantTypes = []string{"authorization_code"}
	}
	if len(c.ResponseTypes) == 0 {
		c.ResponseTypes = []string{"code"}
	}
	if c.SubjectType == "" {
		c.SubjectType = "public"
	}
	for _, l := range []*[]string{&c.RedirectURIs, &c.Audience, &c.AllowedCORSOrigins, &c.PostLogoutRedirectURIs, &c.Contacts} {
		if *l == nil {
			*l = []string{}
		}
	}
	if string(c.Metadata) == "null" {
		c.Metadata = nil
	}
}

// validate checks every field, returning the first problem as a *FieldError.
// Secret rules are checked by the service, which knows whether a secret is
// kept from before.
func (c *Client) validate() error {
	if err := checkID(c.ID); err != nil {
		return err
	}
	if !slices.Contains(AuthMethods, c.TokenEndpointAuthMethod) {
		return invalid("token_endpoint_auth_method", "token_endpoint_auth_method %q is not supported; use one of %s.",
			c.TokenEndpointAuthMethod, strings.Join(AuthMethods, ", "))
	}
	for i, g := range c.GrantTypes {
		if !slices.Contains(GrantTypes, g) {
			return invalid("grant_types", "grant_types[%d] %q is not supported; use any of %s.", i, g, strings.Join(GrantTypes, ", "))
		}
	}
	if c.TokenEndpointAuthMethod == AuthNone && slices.Contains(c.GrantTypes, "client_credentials") {
		return invalid("grant_types", "The client_credentials grant needs an authenticated client; token_endpoint_auth_method none cannot use it.")
	}
	for i, rt := range c.ResponseTypes {
		if err := checkResponseType(rt); err != nil {
			return invalid("response_types", "response_types[%d] %q: %v", i, rt, err)
		}
	}
	if err := checkScope(c.Scope); err != nil {
		return err
	}
	for i, u := range c.RedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return invalid("redirect_uris", "redirect_uris[%d] %q %v.", i, u, err)
		}
	}
	for i, u := range c.PostLogoutRedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return invalid("post_logout_redirect_uris", "post_logout_redirect_uris[%d] %q %v.", i, u, err)
		}
	}
	for _, f := range []struct {
		name, uri string
		strict    bool // https unless on loopback
	}{
		{"frontchannel_logout_uri", c.FrontchannelLogoutURI, true},
		{"backchannel_logout_uri", c.BackchannelLogoutURI, true},
		{"client_uri", c.ClientURI, false},
		{"logo_uri", c.LogoURI, false},
		{"policy_uri", c.PolicyURI, false},
		{"tos_uri", c.TosURI, false},
	} {
		if f.uri == "" {
			continue
		}
		if err := checkWebURI(f.uri, f.strict); err != nil {
			return invalid(f.name, "%s %q %v.", f.name, f.uri, err)
		}
	}
	for i, o := range c.AllowedCORSOrigins {
		if err := checkOrigin(o); err != nil {
			return invalid("allowed_cors_origins", "allowed_cors_origins[%d] %q %v.", i, o, err)
		}
	}
	if err := c.checkKeys(); err != nil {
		return err
	}
	if !slices.Contains(SubjectTypes, c.SubjectType) {
		return invalid("subject_type", "subject_type %q is not supported; use one of %s.", c.SubjectType, strings.Join(SubjectTypes, ", "))
	}
	for _, f := range []struct{ name, alg string }{
		{"request_object_signing_alg", c.RequestObjectSigningAlg},
		{"token_endpoint_auth_signing_alg", c.TokenEndpointAuthSigningAlg},
		{"userinfo_signed_response_alg", c.UserinfoSignedResponseAlg},
		{"id_token_signed_response_alg", c.IDTokenSignedResponseAlg},
	} {
		if f.alg != "" && !slices.Contains(SigningAlgs, f.alg) && !(f.alg == "none" && f.name != "id_token_signed_response_alg" && f.name != "token_endpoint_auth_signing_alg") {
			return invalid(f.name, "%s %q is not supported; use one of %s.", f.name, f.alg, strings.Join(SigningAlgs, ", "))
		}
	}
	for _, f := range []struct{ name, uri string }{
		{"sector_identifier_uri", c.SectorIdentifierURI},
		{"initiate_login_uri", c.InitiateLoginURI},
	} {
		if f.uri != "" && !isHTTPS(f.uri) {
			return invalid(f.name, "%s %q must be an https URL.", f.name, f.uri)
		}
	}
	for i, u := range c.RequestURIs {
		if err := checkWebURI(u, true); err != nil {
			return invalid("request_uris", "request_uris[%d] %q %v.", i, u, err)
		}
	}
	if c.AccessTokenStrategy != "" && !slices.Contains(AccessTokenStrategies, c.AccessTokenStrategy) {
		return invalid("access_token_strategy", "access_token_strategy %q is not supported; use one of %s.",
			c.AccessTokenStrategy, strings.Join(AccessTokenStrategies, ", "))
	}
	if len(c.Metadata) > 0 && c.Metadata[0] != '{' {
		return invalid("metadata", "metadata must be a JSON object.")
	}
	return c.Lifespans.check()
}

// checkID allows ids that are safe in a URL path segment and in HTTP Basic
// authentication: 1 to 255 of A-Z a-z 0-9 and - . _ ~ (RFC 3986 unreserved).
func checkID(id string) error {
	if id == "" || len(id) > 255 {
		return invalid("client_id", "client_id must be 1 to 255 characters long.")
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)) {
			return invalid("client_id", "client_id %q may only hold letters, digits and - . _ ~.", id)
		}
	}
	return nil
}

func checkResponseType(rt string) error {
	words := strings.Fields(rt)
	if len(words) == 0 {
		return errors.New("is empty")
	}
	seen := map[string]bool{}
	for _, w := range words {
		if !slices.Contains(ResponseTypeParts, w) {
			return fmt.Errorf("%q is not supported; combine %s", w, strings.Join(ResponseTypeParts, ", "))
		}
		if seen[w] {
			return fmt.Errorf("%q appears twice", w)
		}
		seen[w] = true
	}
	if seen["none"] && len(words) > 1 {
		return errors.New("none cannot be combined")
	}
	return nil
}

// checkScope accepts space-separated scope tokens of RFC 6749 section 3.3.
func checkScope(scope string) error {
	for _, r := range scope {
		if r != ' ' && (r < 0x21 || r > 0x7e || r == '"' || r == '\\') {
			return invalid("scope", "scope holds %q; scopes are space-separated words of printable ASCII without \" or \\.", r)
		}
	}
	return nil
}

// loopback tells whether host names this machine.
func loopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// forbiddenSchemes are never redirect targets.
var forbiddenSchemes = []string{"javascript", "data", "vbscript", "file", "blob", "about"}

// checkRedirectURI: absolute, no fragment; https, http on loopback only, or
// a custom scheme (native applications, RFC 8252).
func checkRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return errors.New("is not an absolute URI")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("must not have a fragment")
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme == "https":
		if u.Host == "" {
			return errors.New("has no host")
		}
	case scheme == "http":
		if !loopback(u.Hostname()) {
			return errors.New("must use https (http is allowed for localhost and loopback addresses only)")
		}
	case slices.Contains(forbiddenSchemes, scheme):
		return fmt.Errorf("uses the %s scheme, which is not allowed", scheme)
	}
	if u.User != nil {
		return errors.New("must not hold user information")
	}
	return nil
}

// checkWebURI: an absolute http(s) URI with a host; https unless on
// loopback, when strict.
func checkWebURI(raw string, strict bool) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return errors.New("is not an absolute http or https URI")
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if strict && !loopback(u.Hostname()) {
			return errors.New("must use https (http is allowed for localhost and loopback addresses only)")
		}
	default:
		return errors.New("must be an http or https URI")
	}
	if u.Fragment != "" {
		return errors.New("must not have a fragment")
	}
	return nil
}

// isHTTPS tells whether raw is an absolute https URL with a host and no
// fragment.
func isHTTPS(raw string) bool {
	return checkWebURI(raw, true) == nil && strings.HasPrefix(raw, "https://")
}

// checkOrigin accepts scheme://host[:port] with http or https.
func checkOrigin(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return errors.New("is not an origin (scheme://host[:port] with http or https)")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("is not an origin: only scheme, host and port are allowed")
	}
	return nil
}

// checkKeys: jwks and jwks_uri exclude each other, private_key_jwt needs
// one of them, and jwks holds public keys only.
func (c *Client) checkKeys() error {
	if c.JWKS != nil && c.JWKSURI != "" {
		return invalid("jwks", "Set jwks or jwks_uri, not both.")
	}
	if c.TokenEndpointAuthMethod == AuthPrivateKeyJWT && c.JWKS == nil && c.JWKSURI == "" {
		return invalid("jwks", "token_endpoint_auth_method private_key_jwt needs the client's public keys in jwks or jwks_uri.")
	}
	if c.JWKSURI != "" {
		if err := checkWebURI(c.JWKSURI, true); err != nil {
			return invalid("jwks_uri", "jwks_uri %q %v.", c.JWKSURI, err)
		}
	}
	if c.JWKS != nil {
		if len(c.JWKS.Keys) == 0 {
			return invalid("jwks", "jwks holds no key.")
		}
		for i, k := range c.JWKS.Keys {
			if _, shared := k.Key.([]byte); shared || !k.IsPublic() || !k.Valid() {
				return invalid("jwks", "jwks.keys[%d] must be a valid public key (no private or symmetric keys).", i)
			}
		}
	}
	return nil
}
