package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-iam/warden/internal/flow"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// Flows is the store of self-service flows.
type Flows struct{ db *sqldb.DB }

// Flows returns the self-service flow store.
func (s *Store) Flows() *Flows { return &Flows{db: s.DB} }

var _ flow.Store = (*Flows)(nil)

// InsertFlow implements flow.Store.
func (s *Flows) InsertFlow(ctx context.Context, r flow.Record) error {
	_, err := s.db.Exec(ctx, `INSERT INTO selfservice_flows (id, kind, flow_data, version, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		r.ID, r.Kind, r.Data, 1, r.ExpiresAt, r.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert flow: %w", err)
	}
	return nil
}

// GetFlow implements flow.Store.
func (s *Flows) GetFlow(ctx context.Context, id string) (flow.Record, error) {
	var (
		r           flow.Record
		exp, create sqldb.Time
	)
	err := s.db.QueryRow(ctx, `SELECT id, kind, flow_data, expires_at, created_at FROM selfservice_flows WHERE id = ?`, id).
		Scan(&r.ID, &r.Kind, &r.Data, &exp, &create)
	if err != nil {
		return r, fmt.Errorf("flow %s: %w", id, err)
	}
	r.ExpiresAt, r.CreatedAt = exp.Time, create.Time
	return r, nil
}

// UpdateFlow implements flow.Store: the row changes only if it still holds
// prev.
func (s *Flows) UpdateFlow(ctx context.Context, id, prev, data string) error {
	res, err := s.db.Exec(ctx, `UPDATE selfservice_flows SET flow_data = ?, version = version + 1 WHERE id = ? AND flow_data = ?`,
		data, id, prev)
	if err != nil {
		return fmt.Errorf("update flow %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update flow %s: changed meanwhile: %w", id, storage.ErrConflict)
	}
	return nil
}

// DeleteExpiredFlows implements flow.Store.
func (s *Flows) DeleteExpiredFlows(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := s.db.Exec(ctx, `DELETE FROM selfservice_flows WHERE id IN (SELECT id FROM selfservice_flows WHERE expires_at < ? LIMIT ?)`,
		before, limit)
	if err != nil {
		return 0, fmt.Errorf("delete expired flows: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := s.db.Exec(ctx, `DELETE FROM selfservice_errors WHERE id IN (SELECT id FROM selfservice_errors WHERE created_at < ? LIMIT ?)`,
		before, limit); err != nil {
		return int(n), fmt.Errorf("delete old flow errors: %w", err)
	}
	return int(n), nil
}

// InsertFlowError implements flow.Store.
func (s *Flows) InsertFlowError(ctx context.Context, id, data string, at time.Time) error {
	_, err := s.db.Exec(ctx, `INSERT INTO selfservice_errors (id, error_data, created_at) VALUES (?, ?, ?)`, id, data, at)
	if err != nil {
		return fmt.Errorf("insert flow error: %w", err)
	}
	return nil
}

// GetFlowError implements flow.Store.
func (s *Flows) GetFlowError(ctx context.Context, id string) (string, time.Time, error) {
	var (
		data string
		at   sqldb.Time
	)
	if err := s.db.QueryRow(ctx, `SELECT error_data, created_at FROM selfservice_errors WHERE id = ?`, id).Scan(&data, &at); err != nil {
		return "", time.Time{}, fmt.Errorf("flow error %s: %w", id, err)
	}
	return data, at.Time, nil
}
