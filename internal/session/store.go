package session

import (
	"context"
	"time"
)

// ListQuery selects sessions ordered by creation, newest first: of one
// identity when IdentityID is set, only active (or only inactive) ones when
// Active is set, after the session After, at most Limit.
type ListQuery struct {
	IdentityID string
	Active     *bool
	After      string
	Limit      int
	// WithIdentity reads each session's identity too.
	WithIdentity bool
	Now          time.Time
}

// Store is what the session service needs from storage. A missing session
// is storage.ErrNotFound.
type Store interface {
	InsertSession(ctx context.Context, s *Session, tokenHash string) error
	// SessionByToken reads the session whose secret hashes to tokenHash,
	// with its identity (without credentials), in one query.
	SessionByToken(ctx context.Context, tokenHash string) (*Session, error)
	GetSession(ctx context.Context, id string, withIdentity bool) (*Session, error)
	// SessionStamp reads what tells whether the session with the secret
	// hashing to tokenHash, or its identity, changed.
	SessionStamp(ctx context.Context, tokenHash string) (Stamp, error)
	ListSessions(ctx context.Context, q ListQuery) ([]*Session, error)
	// UpdateSession stores s's active flag, expiry, authentication and
	// devices.
	UpdateSession(ctx context.Context, s *Session) error
	// DeactivateSessions ends the active sessions of an identity, except
	// keep (may be empty), and returns how many.
	DeactivateSessions(ctx context.Context, identityID, keep string) (int, error)
	// DeleteSessionsOf deletes the sessions of an identity and returns how many.
	DeleteSessionsOf(ctx context.Context, identityID string) (int, error)
	// DeleteExpiredSessions removes up to limit sessions that ended before
	// the time given, and returns how many.
	DeleteExpiredSessions(ctx context.Context, before time.Time, limit int) (int, error)
}

// Stamp is the state of a session and its identity that whoami's cache
// compares: any change to either shows in it.
type Stamp struct {
	SessionID, Via, AAL, IdentityID, IdentityState string
	Active                                         bool
	AuthenticatedAt, ExpiresAt                     time.Time
	SessionUpdatedAt, IdentityUpdatedAt            time.Time
}
