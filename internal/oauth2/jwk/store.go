package jwk

import (
	"context"
	"time"
)

// Record is one stored key: Data is the encrypted JSON of the key, private
// parts included.
type Record struct {
	Set       string
	KID       string
	Alg       string
	Use       string
	Data      string
	CreatedAt time.Time
}

// Store is what the key service needs from storage. Missing sets or keys
// come back as storage.ErrNotFound, an existing (set, kid) on insert as
// storage.ErrConflict.
type Store interface {
	// InsertKeys adds keys in one transaction (all or none).
	InsertKeys(ctx context.Context, keys []Record) error
	// ReplaceSet deletes every key of set and inserts keys, in one
	// transaction.
	ReplaceSet(ctx context.Context, set string, keys []Record) error
	// UpsertKey inserts the key or replaces the one with its (set, kid).
	UpsertKey(ctx context.Context, key Record) error
	// ListKeys returns the keys of set oldest first (by CreatedAt, then kid);
	// an unknown set is an empty list.
	ListKeys(ctx context.Context, set string) ([]Record, error)
	// GetKey returns one key.
	GetKey(ctx context.Context, set, kid string) (Record, error)
	// DeleteSet deletes every key of set; none is storage.ErrNotFound.
	DeleteSet(ctx context.Context, set string) error
	// DeleteKey deletes one key.
	DeleteKey(ctx context.Context, set, kid string) error
}
