package client

import (
	"context"
	"time"
)

// Record is one stored client: Data is the client's JSON without any
// secret; Name, Owner and CreatedAt are copies of its fields for filtering
// and paging. SecretHash is the hash of the current secret (empty for
// clients without one), RotatedSecretHashes those of secrets replaced by a
// rotation, newest first. RegistrationTokenHash is the hash of the
// registration access token of a client registered dynamically (empty for
// clients created through the admin API).
type Record struct {
	ID                    string
	Name                  string
	Owner                 string
	Data                  []byte
	SecretHash            string
	RotatedSecretHashes   []string
	RegistrationTokenHash string
	CreatedAt             time.Time
}

// Query selects a page of clients: those after the id After (empty: from
// the start), ordered by id, at most Limit, filtered by exact Name and
// Owner when these are set.
type Query struct {
	Name, Owner string
	After       string
	Limit       int
}

// Store is what the client service needs from storage. A missing client is
// storage.ErrNotFound, an existing id on insert storage.ErrConflict.
type Store interface {
	InsertClient(ctx context.Context, r Record) error
	GetClient(ctx context.Context, id string) (Record, error)
	// UpdateClient replaces the stored client with r.ID.
	UpdateClient(ctx context.Context, r Record) error
	DeleteClient(ctx context.Context, id string) error
	ListClients(ctx context.Context, q Query) ([]Record, error)
}
