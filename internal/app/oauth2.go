package app

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-iam/warden/internal/cipher"
	"github.com/warden-iam/warden/internal/config"
	"github.com/warden-iam/warden/internal/oauth2/client"
	"github.com/warden-iam/warden/internal/oauth2/jwk"
	"github.com/warden-iam/warden/internal/oauth2/provider"
	"github.com/warden-iam/warden/internal/oauth2/trust"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// clientSecretKeyInfo separates the key hashing generated client secrets
// from every other key derived from the system secret.
const clientSecretKeyInfo = "warden oauth2 client secret hash v1"

// oauth2Config is the part of the oauth2 section (Hydra's keys and Warden's
// own) the provider reads.
type oauth2Config struct {
	URLs struct {
		Self struct {
			Issuer string `json:"issuer"`
			Public string `json:"public"`
		} `json:"self"`
		Login, Registration, Consent, Logout, Error string
		PostLogoutRedirect                          string `json:"post_logout_redirect"`
		Device                                      struct {
			Verification string `json:"verification"`
			Success      string `json:"success"`
		} `json:"device"`
	} `json:"urls"`
	TTL struct {
		LoginConsentRequest   config.Duration `json:"login_consent_request"`
		AuthenticationSession config.Duration `json:"authentication_session"`
		AccessToken           config.Duration `json:"access_token"`
		RefreshToken          config.Duration `json:"refresh_token"`
		IDToken               config.Duration `json:"id_token"`
		AuthCode              config.Duration `json:"auth_code"`
		DeviceUserCode        config.Duration `json:"device_user_code"`
	} `json:"ttl"`
	Strategies struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
		JWT         struct {
			ScopeClaim string `json:"scope_claim"`
		} `json:"jwt"`
	} `json:"strategies"`
	OIDC struct {
		SubjectIdentifiers struct {
			SupportedTypes []string `json:"supported_types"`
			Pairwise       struct {
				Salt string `json:"salt"`
			} `json:"pairwise"`
		} `json:"subject_identifiers"`
		DynamicClientRegistration struct {
			Enabled      bool     `json:"enabled"`
			DefaultScope []string `json:"default_scope"`
		} `json:"dynamic_client_registration"`
	} `json:"oidc"`
	PKCE struct {
		Enforced                 bool  `json:"enforced"`
		EnforcedForPublicClients *bool `json:"enforced_for_public_clients"`
	} `json:"pkce"`
	Grant struct {
		RefreshToken struct {
			RotationGracePeriod     config.Duration `json:"rotation_grace_period"`
			RotationGraceReuseCount int             `json:"rotation_grace_reuse_count"`
		} `json:"refresh_token"`
		JWT struct {
			JTIOptional bool            `json:"jti_optional"`
			IATOptional bool            `json:"iat_optional"`
			MaxTTL      config.Duration `json:"max_ttl"`
		} `json:"jwt"`
	} `json:"grant"`
	ClientCredentials struct {
		DefaultGrantAllowedScope bool `json:"default_grant_allowed_scope"`
	} `json:"client_credentials"`
	DeviceAuthorization struct {
		TokenPollingInterval config.Duration `json:"token_polling_interval"`
	} `json:"device_authorization"`
	TokenHook             json.RawMessage `json:"token_hook"`
	AllowedTopLevelClaims []string        `json:"allowed_top_level_claims"`
	MirrorTopLevelClaims  bool            `json:"mirror_top_level_claims"`
	ExcludeNotBeforeClaim bool            `json:"exclude_not_before_claim"`
	Signing               struct {
		IDTokenAlg     string `json:"id_token_alg"`
		AccessTokenAlg string `json:"access_token_alg"`
	} `json:"signing"`
	ClientCacheTTL *config.Duration `json:"client_cache_ttl"`
	Cleanup        struct {
		Interval  *config.Duration `json:"interval"`
		BatchSize int              `json:"batch_size"`
	} `json:"cleanup"`
}

func (c oauth2Config) tokenHook() (provider.TokenHook, error) {
	var h provider.TokenHook
	if len(c.TokenHook) == 0 || string(c.TokenHook) == "null" {
		return h, nil
	}
	if json.Unmarshal(c.TokenHook, &h.URL) == nil {
		return h, nil
	}
	var cfg struct {
		URL  string `json:"url"`
		Auth struct {
			Type   string `json:"type"`
			Config struct {
				Name  string `json:"name"`
				Value string `json:"value"`
				In    string `json:"in"`
			} `json:"config"`
		} `json:"auth"`
	}
	if err := json.Unmarshal(c.TokenHook, &cfg); err != nil {
		return h, fmt.Errorf("oauth2.token_hook: %w", err)
	}
	h.URL = cfg.URL
	h.APIKeyName, h.APIKey = cfg.Auth.Config.Name, cfg.Auth.Config.Value
	h.APIKeyInHeader = cfg.Auth.Config.In != "cookie"
	return h, nil
}

// buildOAuth2 constructs the OAuth2 service and mounts its APIs: the JSON
// Web Key, client and login/consent admin APIs on the admin listener, the
// authorization server's endpoints on the public one. Key sets are
// generated on first use, not here, so start-up stays fast.
func (a *App) buildOAuth2() error {
	var cfg oauth2Config
	if err := a.Config.OAuth2.Decode(&cfg); err != nil {
		return fmt.Errorf("oauth2: %w", err)
	}
	c, err := cipher.New(a.Secrets.Cipher)
	if err != nil {
		return fmt.Errorf("secrets.cipher: %w", err)
	}
	keys := jwk.NewService(a.Store.JWKs(), c, jwk.Options{})
	h := jwk.NewHandler(keys)
	h.MountAdmin(a.Admin)
	h.MountPublic(a.Public)

	// Generated client secrets are hashed under a key derived from the
	// first system secret: rotating that secret invalidates them.
	if len(a.Secrets.System) == 0 {
		return errors.New("secrets.system: no secret")
	}
	secretKey, err := hkdf.Key(sha256.New, []byte(a.Secrets.System[0]), nil, clientSecretKeyInfo, 32)
	if err != nil {
		return fmt.Errorf("derive the client secret key: %w", err)
	}
	co := client.Options{SecretKey: secretKey}
	if cfg.ClientCacheTTL != nil {
		co.CacheTTL = time.Duration(*cfg.ClientCacheTTL)
		if co.CacheTTL == 0 {
			co.CacheTTL = -1 // 0s: off
		}
	}
	clients, err := client.NewService(a.Store.Clients(), co)
	if err != nil {
		return err
	}
	client.NewHandler(clients).MountAdmin(a.Admin)

	hook, err := cfg.tokenHook()
	if err != nil {
		return err
	}
	public := func() string { return a.Config.Serve.Public.BaseURL }
	if cfg.URLs.Self.Public != "" {
		p := cfg.URLs.Self.Public
		if !strings.HasSuffix(p, "/") {
			p += "/"
		}
		public = func() string { return p }
	}
	issuer := func() string { return strings.TrimSuffix(public(), "/") }
	if cfg.URLs.Self.Issuer != "" {
		iss := cfg.URLs.Self.Issuer
		issuer = func() string { return iss }
	}
	fallback := func(configured, page string) string {
		if configured != "" {
			return configured
		}
		// Resolved per request: with port 0 the public URL is known late.
		return "/oauth2/fallbacks/" + page
	}
	// Without URLs of its own, the provider uses Warden's pages.
	orDefault := func(configured, page string) string {
		if configured != "" {
			return configured
		}
		return page
	}
	enforcePublic := true
	if cfg.PKCE.EnforcedForPublicClients != nil {
		enforcePublic = *cfg.PKCE.EnforcedForPublicClients
	}
	o := provider.Options{
		Issuer:    issuer,
		PublicURL: public,
		URLs: provider.URLs{
			Login:              orDefault(cfg.URLs.Login, "/ui/oauth2/login"),
			Registration:       cfg.URLs.Registration,
			Consent:            orDefault(cfg.URLs.Consent, "/ui/oauth2/consent"),
			Logout:             orDefault(cfg.URLs.Logout, "/ui/oauth2/logout"),
			Error:              cfg.URLs.Error,
			PostLogoutRedirect: orDefault(cfg.URLs.PostLogoutRedirect, "/"),
			DeviceVerification: orDefault(cfg.URLs.Device.Verification, "/ui/device"),
			DeviceSuccess:      fallback(cfg.URLs.Device.Success, "device-done"),
		},
		TTL: provider.TTLs{
			LoginConsentRequest:   time.Duration(cfg.TTL.LoginConsentRequest),
			AuthenticationSession: time.Duration(cfg.TTL.AuthenticationSession),
			AccessToken:           time.Duration(cfg.TTL.AccessToken),
			RefreshToken:          time.Duration(cfg.TTL.RefreshToken),
			IDToken:               time.Duration(cfg.TTL.IDToken),
			AuthCode:              time.Duration(cfg.TTL.AuthCode),
			DeviceUserCode:        time.Duration(cfg.TTL.DeviceUserCode),
		},
		System:                        a.Secrets.System,
		SingleWriter:                  a.DB.Dialect() == sqldb.SQLite,
		AccessTokenStrategy:           cfg.Strategies.AccessToken,
		ScopeStrategy:                 strings.ToLower(cfg.Strategies.Scope),
		JWTScopeClaim:                 cfg.Strategies.JWT.ScopeClaim,
		IDTokenAlg:                    cfg.Signing.IDTokenAlg,
		AccessTokenAlg:                cfg.Signing.AccessTokenAlg,
		PKCEEnforced:                  cfg.PKCE.Enforced,
		PKCEEnforcedForPublic:         enforcePublic,
		RefreshGracePeriod:            time.Duration(cfg.Grant.RefreshToken.RotationGracePeriod),
		RefreshGraceReuse:             cfg.Grant.RefreshToken.RotationGraceReuseCount,
		SubjectTypes:                  cfg.OIDC.SubjectIdentifiers.SupportedTypes,
		PairwiseSalt:                  cfg.OIDC.SubjectIdentifiers.Pairwise.Salt,
		ClientCredentialsDefaultScope: cfg.ClientCredentials.DefaultGrantAllowedScope,
		AllowedTopLevelClaims:         cfg.AllowedTopLevelClaims,
		MirrorTopLevelClaims:          cfg.MirrorTopLevelClaims,
		ExcludeNotBefore:              cfg.ExcludeNotBeforeClaim,
		JWTBearerJTIOptional:          cfg.Grant.JWT.JTIOptional,
		JWTBearerIATOptional:          cfg.Grant.JWT.IATOptional,
		JWTBearerMaxTTL:               time.Duration(cfg.Grant.JWT.MaxTTL),
		DeviceInterval:                time.Duration(cfg.DeviceAuthorization.TokenPollingInterval),
		TokenHook:                     hook,
		SecureCookies:                 !a.Config.Dev,
		DynamicClientRegistration:     cfg.OIDC.DynamicClientRegistration.Enabled,
		Logger:                        a.Log,
	}
	grants := trust.NewService(a.Store.Trust(), trust.Options{})
	trust.NewHandler(grants).MountAdmin(a.Admin)
	p, err := provider.NewService(a.Store.OAuth2(), clients, keys, trustMatcher{grants}, c, o)
	if err != nil {
		return err
	}
	p.MountPublic(a.Public)
	p.MountAdmin(a.Admin)
	if cfg.OIDC.DynamicClientRegistration.Enabled {
		client.NewRegistrar(clients, client.RegistrationOptions{PublicURL: public,
			DefaultScope: cfg.OIDC.DynamicClientRegistration.DefaultScope,
			SubjectTypes: cfg.OIDC.SubjectIdentifiers.SupportedTypes}).MountPublic(a.Public)
	}
	a.OAuth2 = p
	a.OAuth2Clients = clients
	a.OAuth2Keys = keys

	every := time.Minute
	if cfg.Cleanup.Interval != nil {
		every = time.Duration(*cfg.Cleanup.Interval)
	}
	batch := cfg.Cleanup.BatchSize
	if batch <= 0 {
		batch = 1000
	}
	if every > 0 {
		removed := prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_oauth2_cleanup_removed_total",
			Help: "Expired OAuth2 rows removed by the background cleanup, by kind.",
		}, []string{"kind"})
		if err := a.Metrics.Registry.Register(removed); err != nil {
			return fmt.Errorf("register cleanup metrics: %w", err)
		}
		a.background = append(a.background, func(ctx context.Context) {
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				n, err := p.Cleanup(ctx, batch)
				for k, v := range n {
					removed.WithLabelValues(k).Add(float64(v))
				}
				if err != nil && ctx.Err() == nil {
					a.Log.Warn("oauth2 cleanup failed", "error", err)
				}
			}
		})
	}
	return nil
}

// trustMatcher gives the provider the JWT-bearer trust relationships.
type trustMatcher struct{ s *trust.Service }

func (m trustMatcher) Match(ctx context.Context, iss, sub, kid string) (provider.TrustedIssuer, error) {
	is, err := m.s.Match(ctx, iss, sub, kid)
	if err != nil {
		return provider.TrustedIssuer{}, err
	}
	return provider.TrustedIssuer{Scope: is.Scope, Key: is.Key, ExpiresAt: is.ExpiresAt}, nil
}
