package sqlstore

import (
	"context"
	"fmt"

	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// SystemSecrets returns the stored secrets of kind, in position order; none
// is an empty slice and no error.
func (s *Store) SystemSecrets(ctx context.Context, kind string) ([]string, error) {
	rows, err := s.DB.Query(ctx, `SELECT value FROM system_secrets WHERE kind = ? ORDER BY position`, kind)
	if err != nil {
		return nil, fmt.Errorf("system secrets %q: %w", kind, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("system secrets %q: %w", kind, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("system secrets %q: %w", kind, err)
	}
	return out, nil
}

// EnsureSystemSecrets returns the stored secrets of kind; when there are
// none it calls generate and stores the result as the first secret of that
// kind. When several callers (goroutines or replicas) race, exactly one
// value is stored and every caller gets it back: the insert does nothing if
// another caller's row is already there, and the secrets are read again.
func (s *Store) EnsureSystemSecrets(ctx context.Context, kind string, generate func() (string, error)) ([]string, error) {
	got, err := s.SystemSecrets(ctx, kind)
	if err != nil || len(got) > 0 {
		return got, err
	}
	v, err := generate()
	if err != nil {
		return nil, fmt.Errorf("system secrets %q: generate: %w", kind, err)
	}
	if v == "" {
		return nil, fmt.Errorf("system secrets %q: generate returned an empty secret", kind)
	}
	if _, err := s.DB.Exec(ctx, `INSERT INTO system_secrets (kind, position, value, created_at) VALUES (?, 0, ?, ?)
		ON CONFLICT (kind, position) DO NOTHING`, kind, v, sqldb.Now()); err != nil {
		return nil, fmt.Errorf("system secrets %q: store: %w", kind, err)
	}
	got, err = s.SystemSecrets(ctx, kind)
	if err != nil {
		return nil, err
	}
	if len(got) == 0 {
		return nil, fmt.Errorf("system secrets %q: the stored secret is missing on read back", kind)
	}
	return got, nil
}
