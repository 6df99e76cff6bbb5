package sqlstore

import "github.com/warden-iam/warden/internal/storage/sqldb"

// Store implements the domains' storage interfaces on one database.
type Store struct {
	DB *sqldb.DB
}

// New returns a Store on db. The schema must be migrated (see package
// migrations).
func New(db *sqldb.DB) *Store { return &Store{DB: db} }
