package flow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/session"
	"github.com/warden-iam/warden/internal/storage"
)

// Passwords is what the flows need of password hashing and policy.
type Passwords interface {
	Hash(ctx context.Context, password []byte) (string, error)
	// Compare checks a password against a stored hash of any supported
	// format; NeedsRehash tells when a matching hash should be replaced.
	Compare(ctx context.Context, password []byte, hash string) (bool, error)
	NeedsRehash(hash string) bool
	// SimulateCompare costs what Compare against a configured hash costs,
	// so an unknown identifier takes as long as a wrong password.
	SimulateCompare(ctx context.Context, password []byte) error
	// Check applies the password policy; a refusal is a *PolicyError-like
	// error that Refusal turns into a message.
	Check(ctx context.Context, identifier, password string) error
	Refusal(err error) (Text, bool)
	// IsOverload tells a refusal to hash because too many hashes run.
	IsOverload(err error) bool
}

// OAuth2Login accepts an OAuth2 login request for the identity that just
// signed in and returns where the browser goes next.
type OAuth2Login interface {
	AcceptLogin(ctx context.Context, challenge, subject string, amr []string) (string, error)
}

// Field is a traits input the identity schema declares.
type Field struct {
	Name         string // traits.email
	Type         string // input type
	Title        string
	Required     bool
	Autocomplete string
	Pattern      string
	MaxLength    int
}

// Schemas is what the flows need of identity schemas.
type Schemas interface {
	DefaultID() string
	Fields(schemaID string) ([]Field, error)
	// FieldErrors turns a traits validation error into node messages by
	// node name, and messages for the whole form.
	FieldErrors(err error) (map[string][]Text, []Text, bool)
	// NormalizeIdentifier is how an identifier typed at login is matched.
	NormalizeIdentifier(s string) string
}

// Courier sends templated messages.
type Courier interface {
	Send(ctx context.Context, template, to string, data map[string]any) error
}

// Options are the flows' settings.
type Options struct {
	PublicURL func() string // with a trailing slash
	// UI URLs of each flow and of the error page; DefaultReturn is where a
	// browser goes after success without return_to.
	LoginUI, RegistrationUI, SettingsUI, RecoveryUI, VerificationUI, ErrorUI string
	DefaultReturn                                                            string
	// AllowedReturnURLs are the return_to targets besides the public URL's
	// own origin and DefaultReturn's.
	AllowedReturnURLs []string
	// Lifespan of a flow (default 1h), PrivilegedMaxAge: how recent an
	// authentication must be to change a password (default 15m).
	Lifespan, PrivilegedMaxAge time.Duration
	// SessionAfterRegistration signs a new identity in at once.
	SessionAfterRegistration bool
	// RecoveryEnabled, VerificationEnabled; RecoveryUse and VerificationUse
	// are "code" (default) or "link".
	RecoveryEnabled, VerificationEnabled bool
	RecoveryUse, VerificationUse         string
	// CodeLifespan of recovery and verification codes and links (default 1h).
	CodeLifespan time.Duration
	// MaxCodeAttempts before a flow's code stops working (default 5).
	MaxCodeAttempts int
	SecureCookies   bool
	// Secret keys logout tokens (at least 32 bytes).
	Secret []byte
	// Hooks are the web hooks of each hook point; HookClient sends them
	// (it should refuse private addresses; see web.NewOutboundClient).
	Hooks      map[string][]WebHook
	HookClient *http.Client
	Logger     *slog.Logger
	// OAuth2 accepts the OAuth2 login request a browser login or
	// registration was started for (login_challenge); nil: none.
	OAuth2 OAuth2Login
	// MaxSubmitting bounds the login, registration and settings submissions
	// in progress at once (default 32 per GOMAXPROCS: at the default
	// argon2id cost, about the second of waiting the hashing pool allows);
	// past it a submission is refused at once with 503.
	MaxSubmitting int
	Now           func() time.Time
}

// Service runs the self-service flows.
type Service struct {
	o          Options
	store      Store
	identities *identity.Service
	sessions   *session.Service
	passwords  Passwords
	schemas    Schemas
	courier    Courier
	limiter    *limiter
	// submitting counts the credential submissions in progress (see
	// Options.MaxSubmitting).
	submitting atomic.Int64
}

// NewService returns the flow service.
func NewService(o Options, store Store, identities *identity.Service, sessions *session.Service, passwords Passwords,
	schemas Schemas, courier Courier) *Service {
	if o.Lifespan <= 0 {
		o.Lifespan = time.Hour
	}
	if o.PrivilegedMaxAge <= 0 {
		o.PrivilegedMaxAge = 15 * time.Minute
	}
	if o.CodeLifespan <= 0 {
		o.CodeLifespan = time.Hour
	}
	if o.MaxCodeAttempts <= 0 {
		o.MaxCodeAttempts = 5
	}
	if o.RecoveryUse == "" {
		o.RecoveryUse = "code"
	}
	if o.VerificationUse == "" {
		o.VerificationUse = "code"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxSubmitting <= 0 {
		o.MaxSubmitting = 32 * runtime.GOMAXPROCS(0)
	}
	return &Service{o: o, store: store, identities: identities, sessions: sessions, passwords: passwords, schemas: schemas,
		courier: courier, limiter: newLimiter()}
}

// admit counts a credential submission in, or refuses it when
// MaxSubmitting are in progress. The hashing pool bounds the wait for a
// hash, but not the work before it (loading the flow and the identity):
// when sign-ins arrive faster than they can be hashed and that work waits
// for a database connection, the queue would form there, unbounded. Done
// must be called when the submission ends.
func (s *Service) admit() (done func(), ok bool) {
	if s.submitting.Add(1) > int64(s.o.MaxSubmitting) {
		s.submitting.Add(-1)
		return nil, false
	}
	return func() { s.submitting.Add(-1) }, true
}

func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) public(path string) string {
	return strings.TrimSuffix(s.o.PublicURL(), "/") + path
}

// uiURL is the UI of a flow kind.
func (s *Service) uiURL(kind string) string {
	u := map[string]string{KindLogin: s.o.LoginUI, KindRegistration: s.o.RegistrationUI, KindSettings: s.o.SettingsUI,
		KindRecovery: s.o.RecoveryUI, KindVerification: s.o.VerificationUI}[kind]
	return s.absolute(u)
}

func (s *Service) absolute(u string) string {
	if strings.HasPrefix(u, "/") {
		return s.public(u)
	}
	return u
}

func withQuery(base, k, v string) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + url.QueryEscape(k) + "=" + url.QueryEscape(v)
}

// ErrReturnTo refuses a return_to that is not allowed.
var ErrReturnTo = errors.New("return_to not allowed")

// checkReturnTo accepts return_to URLs on the public URL's origin, on
// DefaultReturn's, or under an allowed URL (same scheme and host, path
// prefix).
func (s *Service) checkReturnTo(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", ErrReturnTo
	}
	allowed := append([]string{s.o.PublicURL(), s.absolute(s.o.DefaultReturn)}, s.o.AllowedReturnURLs...)
	for _, a := range allowed {
		au, err := url.Parse(a)
		if err != nil || au.Host == "" {
			continue
		}
		if strings.EqualFold(au.Scheme, u.Scheme) && strings.EqualFold(au.Host, u.Host) &&
			strings.HasPrefix(u.Path, strings.TrimSuffix(au.Path, "/")) {
			return raw, nil
		}
	}
	return "", ErrReturnTo
}

// newFlow makes a flow of a kind and type.
func (s *Service) newFlow(kind, typ, requestURL, returnTo string) *Flow {
	now := s.now()
	id := uuid.NewString()
	return &Flow{ID: id, Kind: kind, Type: typ, IssuedAt: now, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(s.o.Lifespan),
		RequestURL: requestURL, ReturnTo: returnTo, State: StateChooseMethod,
		UI: Container{Action: s.public("/self-service/" + kind + "?flow=" + id), Method: "POST", Nodes: []Node{}}}
}

func (s *Service) insert(ctx context.Context, f *Flow) error {
	data, err := encode(f)
	if err != nil {
		return err
	}
	return s.store.InsertFlow(ctx, Record{ID: f.ID, Kind: f.Kind, Data: data, ExpiresAt: f.ExpiresAt, CreatedAt: f.CreatedAt})
}

// load reads a flow of the given kind; a flow of another kind is not found.
func (s *Service) load(ctx context.Context, kind, id string) (*Flow, string, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, "", fmt.Errorf("flow %q: %w", id, storage.ErrNotFound)
	}
	r, err := s.store.GetFlow(ctx, id)
	if err != nil {
		return nil, "", err
	}
	if r.Kind != kind {
		return nil, "", fmt.Errorf("flow %s: %w", id, storage.ErrNotFound)
	}
	f, err := decode(r)
	if err != nil {
		return nil, "", fmt.Errorf("flow %s: %w", id, err)
	}
	return f, r.Data, nil
}

// save stores f over the version prev read; a concurrent change wins and
// this one is storage.ErrConflict.
func (s *Service) save(ctx context.Context, f *Flow, prev string) (string, error) {
	f.UpdatedAt = s.now()
	data, err := encode(f)
	if err != nil {
		return "", err
	}
	return data, s.store.UpdateFlow(ctx, f.ID, prev, data)
}

func (s *Service) expired(f *Flow) bool { return !s.now().Before(f.ExpiresAt) }

// csrfNode is the hidden csrf_token input (empty for API flows).
func csrfNode(token string) Node {
	return Input(GroupDefault, "csrf_token", "hidden", token, nil)
}

func boolPtr(b bool) *bool { return &b }

// traitNodes are the inputs of the schema's traits, in group.
func (s *Service) traitNodes(schemaID, group string, values map[string]any) ([]Node, error) {
	fields, err := s.schemas.Fields(schemaID)
	if err != nil {
		return nil, err
	}
	var out []Node
	for _, fd := range fields {
		var v any
		if values != nil {
			v = values[fd.Name]
		}
		n := Input(group, fd.Name, fd.Type, v, labelGenerated(fd.Title))
		n.Attributes.Required = fd.Required
		n.Attributes.Autocomplete = fd.Autocomplete
		n.Attributes.Pattern = fd.Pattern
		n.Attributes.MaxLength = fd.MaxLength
		out = append(out, n)
	}
	return out, nil
}

// Cleanup removes flows that expired more than grace ago (and old error
// records), batch rows at a time, and returns how many flows went.
func (s *Service) Cleanup(ctx context.Context, grace time.Duration, batch int) (int, error) {
	total := 0
	for {
		n, err := s.store.DeleteExpiredFlows(ctx, s.now().Add(-grace), batch)
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
}
