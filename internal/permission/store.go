package permission

import (
	"context"
	"time"

	"github.com/warden-iam/warden/internal/permission/check"
	"github.com/warden-iam/warden/internal/permission/tuple"
)

// Change is one insert or delete in the change log.
type Change struct {
	Revision uint64      `json:"-"`
	Seq      int         `json:"-"`      // order within the revision
	Action   string      `json:"action"` // "insert" or "delete"
	Tuple    tuple.Tuple `json:"relation_tuple"`
	At       time.Time   `json:"created_at"`
}

// Store is what the permission service needs from storage.
type Store interface {
	check.Reader
	// WriteTuples deletes then inserts in one transaction (all or nothing),
	// logs each effective change and returns the new revision. Inserting an
	// existing tuple or deleting a missing one changes nothing.
	WriteTuples(ctx context.Context, insert, delete []tuple.Tuple) (uint64, error)
	// DeleteTuples deletes every tuple matching q in one transaction.
	DeleteTuples(ctx context.Context, q tuple.Query) (uint64, error)
	// ListTuples returns up to limit tuples matching q in key order, starting
	// after the cursor (nil for the first page).
	ListTuples(ctx context.Context, q tuple.Query, after *tuple.Tuple, limit int) ([]tuple.Tuple, error)
	// Revision is the newest committed revision.
	Revision(ctx context.Context) (uint64, error)
	// Changes returns up to limit changes after position (afterRev,
	// afterSeq), in (revision, seq) order.
	Changes(ctx context.Context, afterRev uint64, afterSeq int, limit int) ([]Change, error)
	// Holders returns namespace, object and relation of up to limit tuples
	// whose subject is subject (reverse edges). With anyRelation, a subject
	// set subject matches tuples pointing at its object through any relation
	// (or none), which is how traversal reaches it.
	Holders(ctx context.Context, subject tuple.Subject, anyRelation bool, limit int) ([]tuple.SubjectSet, error)
}
