package provider

import (
	"context"
	"errors"
	"time"
)

// ErrNotActive is returned by Store.ConsumeToken for a token that exists but
// was used or revoked already.
var ErrNotActive = errors.New("token not active")

// Store is what the provider needs from storage. Missing rows are
// storage.ErrNotFound.
type Store interface {
	InsertFlow(ctx context.Context, f FlowRecord) error
	GetFlow(ctx context.Context, id string) (FlowRecord, error)
	// AdvanceFlow replaces the flow f.ID with f if it is still in state
	// from; false when it is not (handled by someone else meanwhile).
	AdvanceFlow(ctx context.Context, f FlowRecord, from int) (bool, error)
	// RememberedConsents are the done flows of subject and client whose
	// consent is remembered past now, newest first.
	RememberedConsents(ctx context.Context, subject, clientID string, now time.Time) ([]FlowRecord, error)
	// Consents lists done authorization flows of subject (and login session
	// when set), newest first, ids after the given one, at most limit.
	Consents(ctx context.Context, subject, loginSessionID string, offset, limit int) ([]FlowRecord, error)
	// RevokeConsents deletes the done flows of subject (of clientID when
	// set) and every token their grants issued.
	RevokeConsents(ctx context.Context, subject, clientID string) error
	// FlowsOfLoginSession are the done authorization flows of a login session.
	FlowsOfLoginSession(ctx context.Context, sid string) ([]FlowRecord, error)

	UpsertLoginSession(ctx context.Context, s LoginSession) error
	GetLoginSession(ctx context.Context, id string) (LoginSession, error)
	// DeleteLoginSessions deletes the session sid, or every session of
	// subject, returning what it deleted.
	DeleteLoginSessions(ctx context.Context, subject, sid string) ([]LoginSession, error)

	InsertTokens(ctx context.Context, ts ...TokenRecord) error
	GetToken(ctx context.Context, signature string) (TokenRecord, error)
	UpdateTokenData(ctx context.Context, signature, data string) error
	// ConsumeToken, in one transaction, marks the active token signature
	// used at at, deletes the tokens of its request whose kinds are listed,
	// and inserts add. A token that is not active is ErrNotActive and
	// nothing is written.
	ConsumeToken(ctx context.Context, signature string, at time.Time, dropKinds []int, add ...TokenRecord) error
	DeleteToken(ctx context.Context, signature string) error
	// RevokeRequest deletes every token of a grant.
	RevokeRequest(ctx context.Context, requestID string) error
	DeleteClientTokens(ctx context.Context, clientID string, kind int) error

	// Cleanup deletes at most batch expired rows of each table, returning
	// how many of each kind ("flows", "tokens", "login_sessions").
	Cleanup(ctx context.Context, now time.Time, batch int) (map[string]int64, error)
}
