package trust

import (
	"context"
	"time"
)

// Record is one stored trust relationship. Subject is empty exactly when
// AllowAnySubject is set. KeyData is the JSON of the issuer's public key
// (never a private or symmetric one), normalised by the service so that
// one key with one alg always encodes to the same text; KeyID is its kid.
type Record struct {
	ID              string
	Issuer          string
	Subject         string
	AllowAnySubject bool
	Scope           []string
	KeyID           string
	KeyData         string
	ExpiresAt       time.Time
	CreatedAt       time.Time
}

// Position is a place in list order: relationships are listed by
// CreatedAt, then ID.
type Position struct {
	CreatedAt time.Time
	ID        string
}

// Query selects a page of relationships in list order: those of Issuer
// (all issuers when empty), starting after After (from the start when
// nil), at most Limit.
type Query struct {
	Issuer string
	After  *Position
	Limit  int
}

// Store is what the trust service needs from storage. A missing
// relationship is storage.ErrNotFound.
type Store interface {
	// InsertIssuer stores a new relationship. A relationship with the
	// same issuer, subject and key id is storage.ErrConflict; so is one of
	// the same issuer whose key id is the same but whose KeyData differs,
	// which is reported as ErrKeyMismatch (a kid names one key of an
	// issuer). The check and the insert are one transaction.
	InsertIssuer(ctx context.Context, r Record) error
	GetIssuer(ctx context.Context, id string) (Record, error)
	ListIssuers(ctx context.Context, q Query) ([]Record, error)
	DeleteIssuer(ctx context.Context, id string) error
	// MatchIssuers returns the relationships of issuer with key id kid
	// that name subject or allow any subject and expire after now: at
	// most two, in no particular order. None is an empty list; an empty
	// subject matches nothing.
	MatchIssuers(ctx context.Context, issuer, subject, kid string, now time.Time) ([]Record, error)
}
