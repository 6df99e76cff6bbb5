package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/storage"
)

// TokenPrefix starts every session token.
const TokenPrefix = "ory_st_"

// DefaultCookieName is the session cookie's name.
const DefaultCookieName = "ory_kratos_session"

// Options are the service's settings.
type Options struct {
	// Lifespan of a new session (default 24h).
	Lifespan time.Duration
	// EarliestPossibleExtend: a session may be extended only when it ends
	// within this (0: always).
	EarliestPossibleExtend time.Duration
	// Cookie settings.
	CookieName     string // default ory_kratos_session
	CookieDomain   string
	CookiePath     string // default /
	CookieSameSite http.SameSite
	// CookieNotPersistent makes the cookie a browser-session cookie.
	CookieNotPersistent bool
	SecureCookies       bool
	// SchemaURL gives an identity's schema_url.
	SchemaURL func(schemaID string) string
	// Now is the clock (tests).
	Now func() time.Time
}

// ErrNoSession means the request carries no valid session: none at all, an
// unknown, ended or expired one, or one of a disabled identity.
var ErrNoSession = errors.New("no active session")

// Service manages sessions.
type Service struct {
	store  Store
	o      Options
	whoami whoamiCache
}

// NewService returns the session service.
func NewService(store Store, o Options) *Service {
	if o.Lifespan <= 0 {
		o.Lifespan = 24 * time.Hour
	}
	if o.CookieName == "" {
		o.CookieName = DefaultCookieName
	}
	if o.CookiePath == "" {
		o.CookiePath = "/"
	}
	if o.CookieSameSite == 0 {
		o.CookieSameSite = http.SameSiteLaxMode
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SchemaURL == nil {
		o.SchemaURL = func(string) string { return "" }
	}
	return &Service{store: store, o: o}
}

func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Microsecond) }

// CookieName is the session cookie's name.
func (s *Service) CookieName() string { return s.o.CookieName }

func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("session token: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// DeviceOf describes where r comes from.
func DeviceOf(r *http.Request) Device {
	ip := r.RemoteAddr
	if h, _, err := net.SplitHostPort(ip); err == nil {
		ip = h
	}
	ua := r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	return Device{ID: uuid.NewString(), IPAddress: ip, UserAgent: ua}
}

// Issue starts a session for an identity that just authenticated with
// methods, to be carried via (ViaCookie or ViaToken). It returns the
// session and its secret.
func (s *Service) Issue(ctx context.Context, i *identity.Identity, via string, methods []AuthenticationMethod, dev Device) (*Session, string, error) {
	if i.State != identity.StateActive {
		return nil, "", ErrIdentityDisabled
	}
	tok, err := newToken()
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	se := &Session{ID: uuid.NewString(), Active: true, ExpiresAt: now.Add(s.o.Lifespan), AuthenticatedAt: now, IssuedAt: now,
		AAL: aalOf(methods), AuthenticationMethods: methods, Devices: []Device{dev}, IdentityID: i.ID, Via: via}
	if err := s.store.InsertSession(ctx, se, hashToken(tok)); err != nil {
		return nil, "", err
	}
	se.Identity = s.present(i)
	return se, tok, nil
}

// ErrIdentityDisabled refuses a session to an inactive identity.
var ErrIdentityDisabled = errors.New("identity disabled")

func aalOf(methods []AuthenticationMethod) string {
	aal := AAL0
	for _, m := range methods {
		if m.AAL > aal {
			aal = m.AAL
		}
	}
	return aal
}

func (s *Service) present(i *identity.Identity) *identity.Identity {
	if i == nil {
		return nil
	}
	out := *i
	out.Credentials = nil
	out.SchemaURL = s.o.SchemaURL(i.SchemaID)
	return &out
}

// tokenOf returns the secret r carries and how: a session token header
// first, then the cookie.
func (s *Service) tokenOf(r *http.Request) (string, string) {
	if t := r.Header.Get("X-Session-Token"); t != "" {
		return t, ViaToken
	}
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), ViaToken
	}
	if c, err := r.Cookie(s.o.CookieName); err == nil && c.Value != "" {
		return c.Value, ViaCookie
	}
	return "", ""
}

// FromRequest returns the active session r carries, with its identity.
func (s *Service) FromRequest(r *http.Request) (*Session, error) {
	tok, via := s.tokenOf(r)
	if tok == "" {
		return nil, ErrNoSession
	}
	return s.ByToken(r.Context(), tok, via)
}

// ByToken returns the active session with the secret tok carried via.
func (s *Service) ByToken(ctx context.Context, tok, via string) (*Session, error) {
	if !strings.HasPrefix(tok, TokenPrefix) || len(tok) > 128 {
		return nil, ErrNoSession
	}
	se, err := s.store.SessionByToken(ctx, hashToken(tok))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	if se.Via != via || !se.Active || !s.now().Before(se.ExpiresAt) {
		return nil, ErrNoSession
	}
	if se.Identity == nil || se.Identity.State != identity.StateActive {
		return nil, ErrNoSession
	}
	se.Identity = s.present(se.Identity)
	return se, nil
}

// Get returns a session by id.
func (s *Service) Get(ctx context.Context, id string, withIdentity bool) (*Session, error) {
	se, err := s.store.GetSession(ctx, id, withIdentity)
	if err != nil {
		return nil, err
	}
	s.settle(se)
	return se, nil
}

// settle shows an expired session as inactive and fills its identity.
func (s *Service) settle(se *Session) {
	if se.Active && !s.now().Before(se.ExpiresAt) {
		se.Active = false
	}
	se.Identity = s.present(se.Identity)
}

// List returns sessions.
func (s *Service) List(ctx context.Context, q ListQuery) ([]*Session, error) {
	q.Now = s.now()
	out, err := s.store.ListSessions(ctx, q)
	if err != nil {
		return nil, err
	}
	for _, se := range out {
		s.settle(se)
	}
	return out, nil
}

// Disable ends a session.
func (s *Service) Disable(ctx context.Context, id string) error {
	se, err := s.store.GetSession(ctx, id, false)
	if err != nil {
		return err
	}
	if !se.Active {
		return nil
	}
	se.Active = false
	return s.store.UpdateSession(ctx, se)
}

// DisableByToken ends the session with the secret tok carried via; a
// session that has ended already is no error, an unknown token is
// ErrNoSession.
func (s *Service) DisableByToken(ctx context.Context, tok, via string) error {
	if !strings.HasPrefix(tok, TokenPrefix) || len(tok) > 128 {
		return ErrNoSession
	}
	se, err := s.store.SessionByToken(ctx, hashToken(tok))
	if errors.Is(err, storage.ErrNotFound) || (err == nil && se.Via != via) {
		return ErrNoSession
	}
	if err != nil {
		return err
	}
	if !se.Active {
		return nil
	}
	se.Active = false
	return s.store.UpdateSession(ctx, se)
}

// DeleteOf deletes every session of an identity and returns how many.
func (s *Service) DeleteOf(ctx context.Context, identityID string) (int, error) {
	return s.store.DeleteSessionsOf(ctx, identityID)
}

// DisableOthers ends every active session of the identity but keep and
// returns how many.
func (s *Service) DisableOthers(ctx context.Context, identityID, keep string) (int, error) {
	return s.store.DeactivateSessions(ctx, identityID, keep)
}

// Extend renews a session's lifespan from now. Before the session is
// within EarliestPossibleExtend of its end, it is returned unchanged.
func (s *Service) Extend(ctx context.Context, id string) (*Session, error) {
	se, err := s.store.GetSession(ctx, id, true)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !se.Active || !now.Before(se.ExpiresAt) {
		return nil, fmt.Errorf("session %s has ended: %w", id, storage.ErrNotFound)
	}
	if s.o.EarliestPossibleExtend <= 0 || se.ExpiresAt.Sub(now) <= s.o.EarliestPossibleExtend {
		se.ExpiresAt = now.Add(s.o.Lifespan)
		if err := s.store.UpdateSession(ctx, se); err != nil {
			return nil, err
		}
	}
	s.settle(se)
	return se, nil
}

// Reauthenticate records a fresh authentication in an existing session
// (a login with refresh=true or a second factor).
func (s *Service) Reauthenticate(ctx context.Context, se *Session, methods []AuthenticationMethod, dev Device) error {
	now := s.now()
	se.AuthenticatedAt = now
	se.AuthenticationMethods = append(se.AuthenticationMethods, methods...)
	se.AAL = aalOf(se.AuthenticationMethods)
	se.Devices = append(se.Devices, dev)
	if len(se.Devices) > 16 {
		se.Devices = se.Devices[len(se.Devices)-16:]
	}
	return s.store.UpdateSession(ctx, se)
}

// SetCookie writes the session cookie for a browser session.
func (s *Service) SetCookie(w http.ResponseWriter, se *Session, tok string) {
	c := &http.Cookie{Name: s.o.CookieName, Value: tok, Path: s.o.CookiePath, Domain: s.o.CookieDomain,
		HttpOnly: true, Secure: s.o.SecureCookies, SameSite: s.o.CookieSameSite}
	if !s.o.CookieNotPersistent {
		c.Expires = se.ExpiresAt
		c.MaxAge = int(time.Until(se.ExpiresAt).Seconds())
	}
	http.SetCookie(w, c)
}

// ClearCookie removes the session cookie.
func (s *Service) ClearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.o.CookieName, Value: "", Path: s.o.CookiePath, Domain: s.o.CookieDomain,
		HttpOnly: true, Secure: s.o.SecureCookies, SameSite: s.o.CookieSameSite, MaxAge: -1})
}

// Cleanup removes sessions that ended more than grace ago, in batches.
func (s *Service) Cleanup(ctx context.Context, grace time.Duration, batch int) (int, error) {
	total := 0
	for {
		n, err := s.store.DeleteExpiredSessions(ctx, s.now().Add(-grace), batch)
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
}
