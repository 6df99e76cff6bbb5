package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/warden-iam/warden/internal/oauth2/client"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// Clients is the store of OAuth2 clients.
type Clients struct{ db *sqldb.DB }

// Clients returns the OAuth2 client store.
func (s *Store) Clients() *Clients { return &Clients{db: s.DB} }

var _ client.Store = (*Clients)(nil)

const clientCols = `id, client_name, owner, client_data, secret_hash, rotated_secret_hashes, registration_token_hash, created_at`

// InsertClient implements client.Store.
func (c *Clients) InsertClient(ctx context.Context, r client.Record) error {
	_, err := c.db.Exec(ctx, `INSERT INTO oauth2_clients (`+clientCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Name, r.Owner, string(r.Data), r.SecretHash, strings.Join(r.RotatedSecretHashes, " "), r.RegistrationTokenHash, r.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert client %s: %w", r.ID, err)
	}
	return nil
}

func scanClient(sc interface{ Scan(...any) error }) (client.Record, error) {
	var (
		r             client.Record
		data, rotated string
		at            sqldb.Time
	)
	err := sc.Scan(&r.ID, &r.Name, &r.Owner, &data, &r.SecretHash, &rotated, &r.RegistrationTokenHash, &at)
	r.Data, r.RotatedSecretHashes, r.CreatedAt = []byte(data), strings.Fields(rotated), at.Time
	return r, err
}

// GetClient implements client.Store.
func (c *Clients) GetClient(ctx context.Context, id string) (client.Record, error) {
	r, err := scanClient(c.db.QueryRow(ctx, `SELECT `+clientCols+` FROM oauth2_clients WHERE id = ?`, id))
	if err != nil {
		return client.Record{}, fmt.Errorf("client %s: %w", id, err)
	}
	return r, nil
}

// UpdateClient implements client.Store.
func (c *Clients) UpdateClient(ctx context.Context, r client.Record) error {
	res, err := c.db.Exec(ctx, `UPDATE oauth2_clients SET client_name = ?, owner = ?, client_data = ?, secret_hash = ?,
		rotated_secret_hashes = ?, registration_token_hash = ? WHERE id = ?`,
		r.Name, r.Owner, string(r.Data), r.SecretHash, strings.Join(r.RotatedSecretHashes, " "), r.RegistrationTokenHash, r.ID)
	if err != nil {
		return fmt.Errorf("update client %s: %w", r.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update client %s: %w", r.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("update client %s: %w", r.ID, storage.ErrNotFound)
	}
	return nil
}

// DeleteClient implements client.Store.
func (c *Clients) DeleteClient(ctx context.Context, id string) error {
	res, err := c.db.Exec(ctx, `DELETE FROM oauth2_clients WHERE id = ?`, id)
	return deleted(res, err, "client "+id)
}

// ListClients implements client.Store.
func (c *Clients) ListClients(ctx context.Context, q client.Query) ([]client.Record, error) {
	var (
		where []string
		args  []any
	)
	if q.Name != "" {
		where, args = append(where, "client_name = ?"), append(args, q.Name)
	}
	if q.Owner != "" {
		where, args = append(where, "owner = ?"), append(args, q.Owner)
	}
	if q.After != "" {
		where, args = append(where, "id > ?"), append(args, q.After)
	}
	query := `SELECT ` + clientCols + ` FROM oauth2_clients`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY id LIMIT ?`
	args = append(args, q.Limit)
	rows, err := c.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	defer rows.Close()
	var out []client.Record
	for rows.Next() {
		r, err := scanClient(rows)
		if err != nil {
			return nil, fmt.Errorf("list clients: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return out, nil
}
