package provider

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Flow kinds.
const (
	KindAuthorize = 1 // an /oauth2/auth request (or a device request after its user code was entered)
	KindLogout    = 2 // an RP- or admin-initiated logout
	KindDevice    = 3 // a device authorization waiting for its user code
)

// Flow states. A flow only moves forward, by a conditional update.
const (
	StateLoginUnused    = 1 // login challenge issued
	StateLoginHandled   = 2 // login accepted or rejected; login verifier issued
	StateConsentUnused  = 3 // login verifier used; consent challenge issued
	StateConsentHandled = 4 // consent accepted or rejected; consent verifier issued
	StateDone           = 5 // consent verifier used; the response went to the client
	StateLogoutUnused   = 11
	StateLogoutHandled  = 12
	StateLogoutDone     = 13
	StateDeviceUnused   = 21 // device challenge issued, no user code yet
	StateDeviceHandled  = 22 // user code accepted; device verifier issued
)

// AuthorizeRequest is a validated authorization request.
type AuthorizeRequest struct {
	ClientID            string    `json:"client_id"`
	ResponseTypes       []string  `json:"response_types"`
	ResponseMode        string    `json:"response_mode"`
	RedirectURI         string    `json:"redirect_uri"`
	RedirectURIGiven    bool      `json:"redirect_uri_given"`
	State               string    `json:"state,omitempty"`
	Scope               []string  `json:"scope"`
	Audience            []string  `json:"audience"`
	Nonce               string    `json:"nonce,omitempty"`
	CodeChallenge       string    `json:"code_challenge,omitempty"`
	CodeChallengeMethod string    `json:"code_challenge_method,omitempty"`
	Prompt              []string  `json:"prompt,omitempty"`
	MaxAge              *int64    `json:"max_age,omitempty"`
	ACRValues           []string  `json:"acr_values,omitempty"`
	LoginHint           string    `json:"login_hint,omitempty"`
	UILocales           []string  `json:"ui_locales,omitempty"`
	Display             string    `json:"display,omitempty"`
	IDTokenHintClaims   Claims    `json:"id_token_hint_claims,omitempty"`
	Claims              string    `json:"claims,omitempty"`
	RequestURL          string    `json:"request_url"`
	RequestedAt         time.Time `json:"requested_at"`
	// DeviceRequestID is set for a device grant: the request id of its
	// device code, which the consent approves instead of issuing a code.
	DeviceRequestID string `json:"device_request_id,omitempty"`
}

func (r *AuthorizeRequest) has(rt string) bool { return slices.Contains(r.ResponseTypes, rt) }

// Claims is a JSON object of token claims.
type Claims map[string]any

// Session is what the consent app puts into the tokens.
type Session struct {
	AccessToken Claims `json:"access_token,omitempty"`
	IDToken     Claims `json:"id_token,omitempty"`
}

// RequestDeniedError is a login or consent rejection, sent back to the client.
type RequestDeniedError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
	Hint        string `json:"error_hint,omitempty"`
	Debug       string `json:"error_debug,omitempty"`
	StatusCode  int    `json:"status_code,omitempty"`
}

// Flow is an authorization, device or logout request through its life.
type Flow struct {
	ID          string           `json:"id"`
	Kind        int              `json:"kind"`
	State       int              `json:"state"`
	Request     AuthorizeRequest `json:"request"`
	CSRF        string           `json:"csrf"`
	RequestedAt time.Time        `json:"requested_at"`

	// login
	LoginSkip                 bool                `json:"login_skip"`
	Subject                   string              `json:"subject"`
	ForceSubjectIdentifier    string              `json:"force_subject_identifier,omitempty"`
	LoginSessionID            string              `json:"login_session_id,omitempty"`
	LoginRemember             bool                `json:"login_remember"`
	LoginRememberFor          int64               `json:"login_remember_for"`
	ExtendSessionLifespan     bool                `json:"extend_session_lifespan,omitempty"`
	IdentityProviderSessionID string              `json:"identity_provider_session_id,omitempty"`
	ACR                       string              `json:"acr,omitempty"`
	AMR                       []string            `json:"amr,omitempty"`
	LoginContext              json.RawMessage     `json:"login_context,omitempty"`
	AuthTime                  time.Time           `json:"auth_time"`
	LoginError                *RequestDeniedError `json:"login_error,omitempty"`
	LoginHandledAt            time.Time           `json:"login_handled_at"`

	// consent
	ConsentSkip        bool                `json:"consent_skip"`
	GrantedScope       []string            `json:"grant_scope"`
	GrantedAudience    []string            `json:"grant_access_token_audience"`
	ConsentRemember    bool                `json:"consent_remember"`
	ConsentRememberFor int64               `json:"consent_remember_for"`
	Session            Session             `json:"session"`
	ConsentContext     json.RawMessage     `json:"consent_context,omitempty"`
	ConsentError       *RequestDeniedError `json:"consent_error,omitempty"`
	ConsentHandledAt   time.Time           `json:"consent_handled_at"`

	// logout
	Logout *LogoutRequest `json:"logout,omitempty"`

	// device
	DeviceUserCodeSignature string `json:"device_user_code_signature,omitempty"`
}

// LogoutRequest is what an RP-initiated (or session) logout asked for.
type LogoutRequest struct {
	Subject               string    `json:"subject"`
	SessionID             string    `json:"sid"`
	ClientID              string    `json:"client_id,omitempty"`
	RequestURL            string    `json:"request_url"`
	RPInitiated           bool      `json:"rp_initiated"`
	PostLogoutRedirectURI string    `json:"post_logout_redirect_uri,omitempty"`
	State                 string    `json:"state,omitempty"`
	ExpiresAt             time.Time `json:"expires_at"`
	Rejected              bool      `json:"rejected,omitempty"`
}

// LoginSession is a remembered authentication.
type LoginSession struct {
	ID                        string
	Subject                   string
	AuthenticatedAt           time.Time
	Remember                  bool
	IdentityProviderSessionID string
	ExpiresAt                 time.Time
}

// Token kinds.
const (
	TokenCode      = 1
	TokenAccess    = 2
	TokenRefresh   = 3
	TokenDevice    = 4
	TokenUserCode  = 5
	TokenAssertion = 6 // a seen JWT assertion id (jti), kept until it expires
)

// Grant is what a token stands for: stored (encrypted) with each token.
type Grant struct {
	ClientID        string    `json:"client_id"`
	Subject         string    `json:"sub,omitempty"`
	Scope           []string  `json:"scope"`
	Audience        []string  `json:"aud"`
	GrantType       string    `json:"grant_type"`
	Session         Session   `json:"session"`
	AuthTime        time.Time `json:"auth_time"`
	ACR             string    `json:"acr,omitempty"`
	AMR             []string  `json:"amr,omitempty"`
	SessionID       string    `json:"sid,omitempty"`
	Nonce           string    `json:"nonce,omitempty"`
	RedirectURI     string    `json:"redirect_uri,omitempty"`
	CodeChallenge   string    `json:"code_challenge,omitempty"`
	ChallengeMethod string    `json:"code_challenge_method,omitempty"`
	IssuedAt        time.Time `json:"iat"`
	ExpiresAt       time.Time `json:"exp"`
	// JWT marks an access token issued as a JWT.
	JWT bool `json:"jwt,omitempty"`
	// Device grants: the device code's state and the flow that handles it.
	DeviceState    string              `json:"device_state,omitempty"`
	DeviceFlowID   string              `json:"device_flow_id,omitempty"`
	DeviceLastPoll time.Time           `json:"device_last_poll"`
	DeviceError    *RequestDeniedError `json:"device_error,omitempty"`
}

func (g *Grant) scopeString() string { return strings.Join(g.Scope, " ") }

// TokenRecord is one stored token.
type TokenRecord struct {
	Signature   string
	Kind        int
	RequestID   string
	ClientID    string
	Subject     string
	Active      bool
	UsedAt      time.Time
	Data        string
	RequestedAt time.Time
	ExpiresAt   time.Time
}

// FlowRecord is one stored flow.
type FlowRecord struct {
	ID             string
	Kind           int
	State          int
	ClientID       string
	Subject        string
	LoginSessionID string
	RememberUntil  time.Time // zero: not remembered
	Data           string
	RequestedAt    time.Time
	ExpiresAt      time.Time
}
