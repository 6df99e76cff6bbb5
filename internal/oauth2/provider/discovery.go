package provider

import (
	"net/http"
)

// Discovery is the OpenID Provider metadata (OIDC Discovery 3, RFC 8414).
type Discovery struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	JWKSURI                                    string   `json:"jwks_uri"`
	UserinfoEndpoint                           string   `json:"userinfo_endpoint"`
	RevocationEndpoint                         string   `json:"revocation_endpoint"`
	EndSessionEndpoint                         string   `json:"end_session_endpoint"`
	DeviceAuthorizationEndpoint                string   `json:"device_authorization_endpoint"`
	RegistrationEndpoint                       string   `json:"registration_endpoint,omitempty"`
	SubjectTypesSupported                      []string `json:"subject_types_supported"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	ResponseModesSupported                     []string `json:"response_modes_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	ScopesSupported                            []string `json:"scopes_supported"`
	ClaimsSupported                            []string `json:"claims_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgValuesSupported []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	IDTokenSigningAlgValuesSupported           []string `json:"id_token_signing_alg_values_supported"`
	IDTokenSignedResponseAlg                   []string `json:"id_token_signed_response_alg"`
	UserinfoSigningAlgValuesSupported          []string `json:"userinfo_signing_alg_values_supported"`
	UserinfoSignedResponseAlg                  []string `json:"userinfo_signed_response_alg"`
	RequestObjectSigningAlgValuesSupported     []string `json:"request_object_signing_alg_values_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	RequestParameterSupported                  bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported               bool     `json:"request_uri_parameter_supported"`
	RequireRequestURIRegistration              bool     `json:"require_request_uri_registration"`
	ClaimsParameterSupported                   bool     `json:"claims_parameter_supported"`
	FrontchannelLogoutSupported                bool     `json:"frontchannel_logout_supported"`
	FrontchannelLogoutSessionSupported         bool     `json:"frontchannel_logout_session_supported"`
	BackchannelLogoutSupported                 bool     `json:"backchannel_logout_supported"`
	BackchannelLogoutSessionSupported          bool     `json:"backchannel_logout_session_supported"`
	AuthorizationResponseIssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
}

// signing algorithms this server signs with and accepts.
var advertisedAlgs = []string{"RS256", "ES256", "ES384", "ES512", "PS256", "EdDSA"}

// discovery builds the metadata document.
func (s *Service) discovery(registration bool) Discovery {
	d := Discovery{
		Issuer:                      s.issuer(),
		AuthorizationEndpoint:       s.endpoint("oauth2/auth"),
		TokenEndpoint:               s.endpoint("oauth2/token"),
		JWKSURI:                     s.endpoint(".well-known/jwks.json"),
		UserinfoEndpoint:            s.endpoint("userinfo"),
		RevocationEndpoint:          s.endpoint("oauth2/revoke"),
		EndSessionEndpoint:          s.endpoint("oauth2/sessions/logout"),
		DeviceAuthorizationEndpoint: s.endpoint("oauth2/device/auth"),
		SubjectTypesSupported:       s.opts.SubjectTypes,
		ResponseTypesSupported: []string{"code", "code id_token", "id_token", "token id_token", "token",
			"token id_token code", "code token"},
		ResponseModesSupported: []string{"query", "fragment", "form_post"},
		GrantTypesSupported: []string{"authorization_code", "implicit", "client_credentials", "refresh_token",
			jwtBearerGrant, deviceGrant},
		ScopesSupported:                            []string{"offline_access", "offline", "openid"},
		ClaimsSupported:                            []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "at_hash", "c_hash"},
		TokenEndpointAuthMethodsSupported:          []string{"client_secret_post", "client_secret_basic", "private_key_jwt", "none"},
		TokenEndpointAuthSigningAlgValuesSupported: advertisedAlgs,
		RevocationEndpointAuthMethodsSupported:     []string{"client_secret_post", "client_secret_basic", "private_key_jwt", "none"},
		IDTokenSigningAlgValuesSupported:           advertisedAlgs,
		IDTokenSignedResponseAlg:                   []string{s.opts.IDTokenAlg},
		UserinfoSigningAlgValuesSupported:          append([]string{"none"}, advertisedAlgs...),
		UserinfoSignedResponseAlg:                  []string{s.opts.IDTokenAlg},
		RequestObjectSigningAlgValuesSupported:     append([]string{"none"}, advertisedAlgs...),
		CodeChallengeMethodsSupported:              []string{"S256", "plain"},
		RequestParameterSupported:                  true,
		RequestURIParameterSupported:               true,
		RequireRequestURIRegistration:              true,
		FrontchannelLogoutSupported:                true,
		FrontchannelLogoutSessionSupported:         true,
		BackchannelLogoutSupported:                 true,
		BackchannelLogoutSessionSupported:          true,
		AuthorizationResponseIssParameterSupported: true,
	}
	if registration {
		d.RegistrationEndpoint = s.endpoint("oauth2/register")
	}
	return d
}

func (s *Service) discoveryHandler(registration bool) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		writeJSON(w, http.StatusOK, s.discovery(registration))
		return nil
	}
}
