package app

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-iam/warden/internal/authn/password"
	"github.com/warden-iam/warden/internal/config"
	"github.com/warden-iam/warden/internal/courier"
	"github.com/warden-iam/warden/internal/flow"
	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/identity/schema"
	"github.com/warden-iam/warden/internal/session"
	"github.com/warden-iam/warden/internal/ui"
	"github.com/warden-iam/warden/internal/web"
)

// identityConfig is the identity section: Ory Kratos's configuration keys.
// identity.schemas and identity.default_schema_id may sit at the top of
// the section or, as in a Kratos file, under identity.identity.
type identityConfig struct {
	DefaultSchemaID string         `json:"default_schema_id"`
	Schemas         []schema.Entry `json:"schemas"`
	Identity        struct {
		DefaultSchemaID string         `json:"default_schema_id"`
		Schemas         []schema.Entry `json:"schemas"`
	} `json:"identity"`
	SelfService struct {
		DefaultBrowserReturnURL string   `json:"default_browser_return_url"`
		AllowedReturnURLs       []string `json:"allowed_return_urls"`
		Flows                   struct {
			Login        flowConfig `json:"login"`
			Registration flowConfig `json:"registration"`
			Settings     struct {
				flowConfig
				PrivilegedSessionMaxAge *config.Duration `json:"privileged_session_max_age"`
			} `json:"settings"`
			Recovery     flowConfig `json:"recovery"`
			Verification flowConfig `json:"verification"`
			Error        flowConfig `json:"error"`
		} `json:"flows"`
		Methods struct {
			Password struct {
				Config struct {
					MinPasswordLength                int    `json:"min_password_length"`
					IdentifierSimilarityCheckEnabled *bool  `json:"identifier_similarity_check_enabled"`
					HaveIBeenPwnedEnabled            *bool  `json:"haveibeenpwned_enabled"`
					HaveIBeenPwnedHost               string `json:"haveibeenpwned_host"`
					MaxBreaches                      int64  `json:"max_breaches"`
					IgnoreNetworkErrors              *bool  `json:"ignore_network_errors"`
				} `json:"config"`
			} `json:"password"`
			Code struct {
				Config struct {
					Lifespan *config.Duration `json:"lifespan"`
				} `json:"config"`
			} `json:"code"`
		} `json:"methods"`
	} `json:"selfservice"`
	Clients struct {
		HTTP struct {
			DisallowPrivateIPRanges  *bool    `json:"disallow_private_ip_ranges"`
			PrivateIPExceptionRanges []string `json:"private_ip_exception_ranges"`
		} `json:"http"`
	} `json:"clients"`
	Session struct {
		Lifespan               *config.Duration `json:"lifespan"`
		EarliestPossibleExtend *config.Duration `json:"earliest_possible_extend"`
		Cookie                 struct {
			Name       string `json:"name"`
			Domain     string `json:"domain"`
			Path       string `json:"path"`
			Persistent *bool  `json:"persistent"`
			SameSite   string `json:"same_site"`
		} `json:"cookie"`
	} `json:"session"`
	Hashers struct {
		Algorithm string `json:"algorithm"`
		Argon2    struct {
			Memory      string `json:"memory"`
			Iterations  uint32 `json:"iterations"`
			Parallelism uint8  `json:"parallelism"`
			SaltLength  uint32 `json:"salt_length"`
			KeyLength   uint32 `json:"key_length"`
		} `json:"argon2"`
		Bcrypt struct {
			Cost int `json:"cost"`
		} `json:"bcrypt"`
	} `json:"hashers"`
}

type flowConfig struct {
	UIURL    string           `json:"ui_url"`
	Lifespan *config.Duration `json:"lifespan"`
	Enabled  *bool            `json:"enabled"`
	Use      string           `json:"use"`
	Before   struct {
		Hooks []hookConfig `json:"hooks"`
	} `json:"before"`
	After struct {
		Hooks    []hookConfig `json:"hooks"`
		Password struct {
			Hooks []hookConfig `json:"hooks"`
		} `json:"password"`
		Profile struct {
			Hooks []hookConfig `json:"hooks"`
		} `json:"profile"`
	} `json:"after"`
}

// hookConfig is one entry of a hooks list (Kratos's shape).
type hookConfig struct {
	Hook   string `json:"hook"`
	Config struct {
		URL     string            `json:"url"`
		Method  string            `json:"method"`
		Body    string            `json:"body"`
		Headers map[string]string `json:"headers"`
		Auth    struct {
			Type   string `json:"type"`
			Config struct {
				Name     string `json:"name"`
				Value    string `json:"value"`
				In       string `json:"in"`
				User     string `json:"user"`
				Password string `json:"password"`
			} `json:"config"`
		} `json:"auth"`
		Response struct {
			Ignore bool `json:"ignore"`
			Parse  bool `json:"parse"`
		} `json:"response"`
		CanInterrupt bool `json:"can_interrupt"`
	} `json:"config"`
}

// webHooks turns the web_hook entries of lists into the flows' hooks,
// reading their Jsonnet bodies (file:// or base64:// URLs).
func webHooks(key string, lists ...[]hookConfig) ([]flow.WebHook, error) {
	var out []flow.WebHook
	for _, l := range lists {
		for k, h := range l {
			if h.Hook != "web_hook" {
				continue
			}
			c := h.Config
			if c.URL == "" {
				return nil, fmt.Errorf("%s.hooks[%d]: web_hook needs config.url", key, k)
			}
			body := ""
			if c.Body != "" {
				b, err := schema.Read(context.Background(), c.Body, schema.Options{})
				if err != nil {
					return nil, fmt.Errorf("%s.hooks[%d].config.body: %w", key, k, err)
				}
				body = string(b)
			}
			out = append(out, flow.WebHook{URL: c.URL, Method: c.Method, Body: body, Headers: c.Headers,
				AuthType: c.Auth.Type, AuthName: c.Auth.Config.Name, AuthValue: c.Auth.Config.Value, AuthIn: c.Auth.Config.In,
				AuthUser: c.Auth.Config.User, AuthPassword: c.Auth.Config.Password,
				Parse: c.Response.Parse, Ignore: c.Response.Ignore, CanInterrupt: c.CanInterrupt})
		}
	}
	return out, nil
}

func dur(d *config.Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return time.Duration(*d)
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// parseBytes reads "128MB", "19MiB", "64KB" or a plain number of bytes.
func parseBytes(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   uint64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			var v uint64
			if _, err := fmt.Sscan(strings.TrimSpace(n), &v); err != nil {
				return 0, fmt.Errorf("%q is not a size", s)
			}
			return v * u.mult, nil
		}
	}
	var v uint64
	if _, err := fmt.Sscan(s, &v); err != nil {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	return v, nil
}

// identityKeyInfo derives the key of logout tokens from the system secret.
const identityKeyInfo = "warden identity logout tokens v1"

// buildIdentity constructs identities, sessions, the courier and the
// self-service flows, and mounts their APIs.
func (a *App) buildIdentity(ctx context.Context) error {
	var cfg identityConfig
	if err := a.Config.Identity.Decode(&cfg); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	public := func() string {
		u := a.Config.Serve.Public.BaseURL
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		return u
	}

	// Schemas.
	entries, def := cfg.Schemas, cfg.DefaultSchemaID
	if len(entries) == 0 {
		entries = cfg.Identity.Schemas
	}
	if def == "" {
		def = cfg.Identity.DefaultSchemaID
	}
	reg, err := schema.NewRegistry(ctx, entries, def, schema.Options{})
	if err != nil {
		return fmt.Errorf("identity.schemas: %w", err)
	}
	schemas := &schemaAdapter{reg: reg, public: public}

	// Password hashing and policy.
	hc := password.Config{Algorithm: cfg.Hashers.Algorithm, Dev: a.Config.Dev}
	if hc.Algorithm == "argon2" {
		hc.Algorithm = password.AlgorithmArgon2
	}
	if m := cfg.Hashers.Argon2.Memory; m != "" {
		if hc.Argon2.Memory, err = parseBytes(m); err != nil {
			return fmt.Errorf("identity.hashers.argon2.memory: %w", err)
		}
	}
	hc.Argon2.Iterations, hc.Argon2.Parallelism = cfg.Hashers.Argon2.Iterations, cfg.Hashers.Argon2.Parallelism
	hc.Argon2.SaltLength, hc.Argon2.KeyLength = cfg.Hashers.Argon2.SaltLength, cfg.Hashers.Argon2.KeyLength
	hc.Bcrypt.Cost = cfg.Hashers.Bcrypt.Cost
	hasher, err := password.NewHasher(hc)
	if err != nil {
		return fmt.Errorf("identity.hashers: %w", err)
	}
	pc := cfg.SelfService.Methods.Password.Config
	policy := password.DefaultPolicy()
	if pc.MinPasswordLength > 0 {
		policy.MinLength = pc.MinPasswordLength
	}
	policy.IdentifierSimilarity = boolOr(pc.IdentifierSimilarityCheckEnabled, true)
	policy.MaxBreaches = pc.MaxBreaches
	policy.IgnoreNetworkErrors = boolOr(pc.IgnoreNetworkErrors, true)
	if boolOr(pc.HaveIBeenPwnedEnabled, false) {
		host := pc.HaveIBeenPwnedHost
		if host == "" {
			host = "https://api.pwnedpasswords.com"
		} else if !strings.Contains(host, "://") {
			host = "https://" + host
		}
		if policy.Breaches, err = password.NewBreachChecker(password.BreachConfig{Host: host}); err != nil {
			return fmt.Errorf("identity.selfservice.methods.password.config: %w", err)
		}
	}
	pw := &passwordAdapter{h: hasher, policy: policy}

	// Identities and sessions.
	identities := identity.NewService(a.Store.Identities(), schemas, pw)
	identity.NewHandler(identities).MountAdmin(a.Admin)
	so := session.Options{Lifespan: dur(cfg.Session.Lifespan, 24*time.Hour), EarliestPossibleExtend: dur(cfg.Session.EarliestPossibleExtend, 0),
		CookieName: cfg.Session.Cookie.Name, CookieDomain: cfg.Session.Cookie.Domain, CookiePath: cfg.Session.Cookie.Path,
		CookieNotPersistent: !boolOr(cfg.Session.Cookie.Persistent, true), SecureCookies: !a.Config.Dev, SchemaURL: schemas.URL}
	switch strings.ToLower(cfg.Session.Cookie.SameSite) {
	case "", "lax":
		so.CookieSameSite = http.SameSiteLaxMode
	case "strict":
		so.CookieSameSite = http.SameSiteStrictMode
	case "none":
		so.CookieSameSite = http.SameSiteNoneMode
	default:
		return fmt.Errorf("identity.session.cookie.same_site: %q is not Lax, Strict or None", cfg.Session.Cookie.SameSite)
	}
	sessions := session.NewService(a.Store.Sessions(), so)
	sh := session.NewHandler(sessions)
	sh.MountPublic(a.Public)
	sh.MountAdmin(a.Admin)
	a.Public.Handle("GET /schemas", schemas.list)
	a.Public.Handle("GET /schemas/{id}", schemas.get)

	// Courier.
	cour, err := a.buildCourier(a.Config.Identity)
	if err != nil {
		return err
	}

	// Self-service flows.
	if len(a.Secrets.System) == 0 {
		return errors.New("secrets.system: no secret")
	}
	key, err := hkdf.Key(sha256.New, []byte(a.Secrets.System[0]), nil, identityKeyInfo, 32)
	if err != nil {
		return err
	}
	fl := cfg.SelfService.Flows
	uiURL := func(c flowConfig, page string) string {
		if c.UIURL != "" {
			return c.UIURL
		}
		return "/ui/" + page
	}
	afterReg := fl.Registration.After.Password.Hooks
	if len(afterReg) == 0 {
		afterReg = fl.Registration.After.Hooks
	}
	sessionAfterReg := len(afterReg) == 0 // default: sign in at once
	for _, h := range afterReg {
		sessionAfterReg = sessionAfterReg || h.Hook == "session"
	}
	defReturn := cfg.SelfService.DefaultBrowserReturnURL
	if defReturn == "" {
		defReturn = "/"
	}
	fo := flow.Options{PublicURL: public, LoginUI: uiURL(fl.Login, "login"), RegistrationUI: uiURL(fl.Registration, "registration"),
		SettingsUI: uiURL(fl.Settings.flowConfig, "settings"), RecoveryUI: uiURL(fl.Recovery, "recovery"),
		VerificationUI: uiURL(fl.Verification, "verification"), ErrorUI: uiURL(fl.Error, "error"), DefaultReturn: defReturn,
		AllowedReturnURLs: cfg.SelfService.AllowedReturnURLs, Lifespan: dur(fl.Login.Lifespan, time.Hour),
		PrivilegedMaxAge: dur(fl.Settings.PrivilegedSessionMaxAge, 15*time.Minute), SessionAfterRegistration: sessionAfterReg,
		RecoveryEnabled: boolOr(fl.Recovery.Enabled, true), VerificationEnabled: boolOr(fl.Verification.Enabled, true),
		RecoveryUse: fl.Recovery.Use, VerificationUse: fl.Verification.Use,
		CodeLifespan: dur(cfg.SelfService.Methods.Code.Config.Lifespan, time.Hour), SecureCookies: !a.Config.Dev, Secret: key}
	fo.Hooks = map[string][]flow.WebHook{}
	for point, lists := range map[string][][]hookConfig{
		flow.HookRegistrationBefore: {fl.Registration.Before.Hooks},
		flow.HookRegistrationAfter:  {fl.Registration.After.Hooks, fl.Registration.After.Password.Hooks},
		flow.HookLoginAfter:         {fl.Login.After.Hooks, fl.Login.After.Password.Hooks},
		flow.HookSettingsAfter:      {fl.Settings.After.Hooks, fl.Settings.After.Password.Hooks, fl.Settings.After.Profile.Hooks},
		flow.HookRecoveryAfter:      {fl.Recovery.After.Hooks},
		flow.HookVerificationAfter:  {fl.Verification.After.Hooks},
	} {
		hs, err := webHooks("identity.selfservice.flows."+point, lists...)
		if err != nil {
			return err
		}
		fo.Hooks[point] = hs
	}
	oo := web.OutboundOptions{AllowPrivate: !boolOr(cfg.Clients.HTTP.DisallowPrivateIPRanges, true)}
	for _, r := range cfg.Clients.HTTP.PrivateIPExceptionRanges {
		p, err := netip.ParsePrefix(r)
		if err != nil {
			return fmt.Errorf("identity.clients.http.private_ip_exception_ranges: %q is not a network such as 10.0.0.0/8", r)
		}
		oo.Allowed = append(oo.Allowed, p)
	}
	fo.HookClient, fo.Logger = web.NewOutboundClient(oo), a.Log
	acceptor := &loginAcceptor{}
	fo.OAuth2 = acceptor
	flows := flow.NewService(fo, a.Store.Flows(), identities, sessions, pw, schemas, courierAdapter{cour})
	flows.MountPublic(a.Public)

	// Warden's own pages, also the OAuth2 login and consent app.
	var uc struct {
		ProductName  string `json:"product_name"`
		LogoURL      string `json:"logo_url"`
		PrimaryColor string `json:"primary_color"`
	}
	if err := a.Config.UI.Decode(&uc); err != nil {
		return fmt.Errorf("ui: %w", err)
	}
	pages, err := ui.New(ui.Options{PublicURL: public, ProductName: uc.ProductName, LogoURL: uc.LogoURL, PrimaryColor: uc.PrimaryColor,
		SecureCookies: !a.Config.Dev}, flows, identities, sessions, a.Admin)
	if err != nil {
		return err
	}
	pages.Mount(a.Public)
	acceptor.a = pages.Acceptor()
	flows.MountAdmin(a.Admin)

	a.Identities, a.Sessions, a.Flows = identities, sessions, flows
	return a.identityCleanup(flows, sessions)
}

// identityCleanup removes, in the background, flows and sessions that
// ended more than a day ago (ended sessions stay visible for that long in
// the session lists), in batches; the metric counts what went.
func (a *App) identityCleanup(flows *flow.Service, sessions *session.Service) error {
	removed := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "warden_identity_cleanup_removed_total",
		Help: "Expired self-service flows and sessions removed by the background cleanup, by kind.",
	}, []string{"kind"})
	if err := a.Metrics.Registry.Register(removed); err != nil {
		return fmt.Errorf("register identity cleanup metrics: %w", err)
	}
	const grace, batch = 24 * time.Hour, 1000
	a.background = append(a.background, func(ctx context.Context) {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			n, err := flows.Cleanup(ctx, grace, batch)
			removed.WithLabelValues("flow").Add(float64(n))
			if err == nil {
				n, err = sessions.Cleanup(ctx, grace, batch)
				removed.WithLabelValues("session").Add(float64(n))
			}
			if err != nil && ctx.Err() == nil {
				a.Log.Warn("identity cleanup failed", "error", err)
			}
		}
	})
	return nil
}

// loginAcceptor hands the flows the pages' OAuth2 login acceptance (the
// pages are built after the flows they read).
type loginAcceptor struct{ a ui.LoginAcceptor }

func (l *loginAcceptor) AcceptLogin(ctx context.Context, challenge, subject string, amr []string) (string, error) {
	return l.a.AcceptLogin(ctx, challenge, subject, amr)
}

// schemaAdapter gives the identity and flow services the schemas.
type schemaAdapter struct {
	reg    *schema.Registry
	public func() string
}

func (s *schemaAdapter) DefaultID() string { return s.reg.Default().ID }

// URL is where a schema is served; the id is base64url-encoded, as Kratos
// does, so any id fits in a path.
func (s *schemaAdapter) URL(id string) string {
	return s.public() + "schemas/" + base64.RawURLEncoding.EncodeToString([]byte(id))
}

func (s *schemaAdapter) Validate(_ context.Context, id string, traits json.RawMessage) error {
	sc, err := s.reg.Get(id)
	if err != nil {
		return &identity.InvalidError{Reason: fmt.Sprintf("The identity schema %q does not exist.", id), Err: err}
	}
	if err := sc.Validate(traits); err != nil {
		var ve *schema.ValidationError
		if errors.As(err, &ve) {
			return &identity.InvalidError{Reason: "The traits do not match the identity schema: " + ve.Error(), Details: ve, Err: err}
		}
		return &identity.InvalidError{Reason: err.Error(), Err: err}
	}
	return nil
}

func addrs(in []schema.Address) []identity.Address {
	out := make([]identity.Address, len(in))
	for k, a := range in {
		out[k] = identity.Address{Via: a.Via, Value: a.Value}
	}
	return out
}

func (s *schemaAdapter) Derive(id string, traits json.RawMessage) (identity.Derived, error) {
	sc, err := s.reg.Get(id)
	if err != nil {
		return identity.Derived{}, &identity.InvalidError{Reason: fmt.Sprintf("The identity schema %q does not exist.", id), Err: err}
	}
	x, err := sc.Extract(traits)
	if err != nil {
		return identity.Derived{}, &identity.InvalidError{Reason: err.Error(), Err: err}
	}
	return identity.Derived{PasswordIdentifiers: x.PasswordIdentifiers, WebAuthnIdentifiers: x.WebAuthnIdentifiers,
		CodeIdentifiers: addrs(x.CodeIdentifiers), Verifiable: addrs(x.VerifiableAddresses), Recovery: addrs(x.RecoveryAddresses)}, nil
}

func (s *schemaAdapter) Fields(id string) ([]flow.Field, error) {
	sc, err := s.reg.Get(id)
	if err != nil {
		return nil, err
	}
	var out []flow.Field
	for _, f := range sc.Fields() {
		out = append(out, flow.Field{Name: f.Name, Type: f.Type, Title: f.Title, Required: f.Required,
			Autocomplete: f.Autocomplete, Pattern: f.Pattern, MaxLength: f.MaxLength})
	}
	return out, nil
}

func toText(m schema.Message) flow.Text {
	return flow.Text{ID: m.ID, Text: m.Text, Type: m.Type, Context: m.Context}
}

func (s *schemaAdapter) FieldErrors(err error) (map[string][]flow.Text, []flow.Text, bool) {
	var ve *schema.ValidationError
	if !errors.As(err, &ve) {
		return nil, nil, false
	}
	nodes := map[string][]flow.Text{}
	for _, f := range ve.Fields {
		for _, m := range f.Messages {
			nodes[f.Name] = append(nodes[f.Name], toText(m))
		}
	}
	var global []flow.Text
	for _, m := range ve.Global {
		global = append(global, toText(m))
	}
	return nodes, global, true
}

func (s *schemaAdapter) NormalizeIdentifier(v string) string { return schema.NormalizeIdentifier(v) }

type schemaContainer struct {
	ID     string          `json:"id"`
	Schema json.RawMessage `json:"schema"`
}

func (s *schemaAdapter) list(w http.ResponseWriter, r *http.Request) error {
	out := []schemaContainer{}
	for _, sc := range s.reg.List() {
		out = append(out, schemaContainer{ID: sc.ID, Schema: sc.Raw})
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *schemaAdapter) get(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	sc, err := s.reg.Get(id)
	if err != nil {
		if b, derr := base64.RawURLEncoding.DecodeString(strings.TrimRight(id, "=")); derr == nil {
			sc, err = s.reg.Get(string(b))
		}
	}
	if err != nil {
		return web.NotFound("The identity schema %q does not exist.", id)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(sc.Raw)
	return nil
}

// passwordAdapter gives the identity and flow services password hashing
// and policy.
type passwordAdapter struct {
	h      *password.Hasher
	policy password.Policy
}

func (p *passwordAdapter) Hash(ctx context.Context, pw []byte) (string, error) {
	return p.h.Hash(ctx, pw)
}
func (p *passwordAdapter) Compare(ctx context.Context, pw []byte, hash string) (bool, error) {
	return p.h.Compare(ctx, pw, hash)
}
func (p *passwordAdapter) NeedsRehash(hash string) bool { return p.h.NeedsRehash(hash) }
func (p *passwordAdapter) SimulateCompare(ctx context.Context, pw []byte) error {
	return p.h.SimulateCompare(ctx, pw)
}
func (p *passwordAdapter) KnownHash(hash string) bool { return p.h.Known(hash) }
func (p *passwordAdapter) Check(ctx context.Context, identifier, pw string) error {
	return p.policy.Validate(ctx, identifier, pw)
}
func (p *passwordAdapter) Refusal(err error) (flow.Text, bool) {
	var pe *password.PolicyError
	if !errors.As(err, &pe) {
		return flow.Text{}, false
	}
	return flow.Text{ID: pe.ID, Text: pe.Text, Type: flow.TypeError, Context: pe.Context}, true
}
func (p *passwordAdapter) IsOverload(err error) bool { return errors.Is(err, password.ErrOverloaded) }

// courierAdapter sends the flows' messages through the courier's outbox.
type courierAdapter struct{ c *courier.Service }

func (c courierAdapter) Send(ctx context.Context, template, to string, data map[string]any) error {
	d := courier.TemplateData{To: to}
	d.RecoveryCode, _ = data["RecoveryCode"].(string)
	d.RecoveryURL, _ = data["RecoveryURL"].(string)
	d.VerificationCode, _ = data["VerificationCode"].(string)
	d.VerificationURL, _ = data["VerificationURL"].(string)
	d.Identity, _ = data["Identity"].(map[string]any)
	d.ExpiresInMinutes, _ = data["ExpiresInMinutes"].(int)
	d.RequestURL, _ = data["RequestURL"].(string)
	_, err := c.c.EnqueueTemplate(ctx, courier.TemplateType(template), to, d)
	return err
}
