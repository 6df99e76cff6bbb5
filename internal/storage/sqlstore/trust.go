package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/warden-iam/warden/internal/oauth2/trust"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// Trust is the store of the JWT-bearer grant's trust relationships.
type Trust struct{ db *sqldb.DB }

// Trust returns the trust relationship store.
func (s *Store) Trust() *Trust { return &Trust{db: s.DB} }

var _ trust.Store = (*Trust)(nil)

const trustCols = `id, issuer, subject, allow_any_subject, scope, key_id, key_data, expires_at, created_at`

// InsertIssuer implements trust.Store. The key check and the insert run in
// one serializable transaction, so two relationships racing to give one kid
// of an issuer different keys cannot both land.
func (t *Trust) InsertIssuer(ctx context.Context, r trust.Record) error {
	err := t.db.Tx(ctx, func(tx *sqldb.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM oauth2_trusted_jwt_issuers WHERE issuer = ? AND key_id = ? AND key_data <> ?`,
			r.Issuer, r.KeyID, r.KeyData).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return trust.ErrKeyMismatch
		}
		_, err := tx.Exec(ctx, `INSERT INTO oauth2_trusted_jwt_issuers (`+trustCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.Issuer, r.Subject, r.AllowAnySubject, strings.Join(r.Scope, " "), r.KeyID, r.KeyData, r.ExpiresAt, r.CreatedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("insert trust relationship of %s for %q with key %s: %w", r.Issuer, r.Subject, r.KeyID, err)
	}
	return nil
}

func scanTrust(sc interface{ Scan(...any) error }) (trust.Record, error) {
	var (
		r       trust.Record
		scope   string
		exp, at sqldb.Time
	)
	err := sc.Scan(&r.ID, &r.Issuer, &r.Subject, &r.AllowAnySubject, &scope, &r.KeyID, &r.KeyData, &exp, &at)
	r.Scope, r.ExpiresAt, r.CreatedAt = strings.Fields(scope), exp.Time, at.Time
	return r, err
}

func (t *Trust) list(ctx context.Context, what, query string, args ...any) ([]trust.Record, error) {
	rows, err := t.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []trust.Record
	for rows.Next() {
		r, err := scanTrust(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// GetIssuer implements trust.Store.
func (t *Trust) GetIssuer(ctx context.Context, id string) (trust.Record, error) {
	r, err := scanTrust(t.db.QueryRow(ctx, `SELECT `+trustCols+` FROM oauth2_trusted_jwt_issuers WHERE id = ?`, id))
	if err != nil {
		return trust.Record{}, fmt.Errorf("trust relationship %s: %w", id, err)
	}
	return r, nil
}

// ListIssuers implements trust.Store.
func (t *Trust) ListIssuers(ctx context.Context, q trust.Query) ([]trust.Record, error) {
	var (
		where []string
		args  []any
	)
	if q.Issuer != "" {
		where, args = append(where, "issuer = ?"), append(args, q.Issuer)
	}
	if q.After != nil {
		where = append(where, "(created_at > ? OR (created_at = ? AND id > ?))")
		args = append(args, q.After.CreatedAt, q.After.CreatedAt, q.After.ID)
	}
	query := `SELECT ` + trustCols + ` FROM oauth2_trusted_jwt_issuers`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY created_at, id LIMIT ?`
	args = append(args, q.Limit)
	return t.list(ctx, "list trust relationships", query, args...)
}

// DeleteIssuer implements trust.Store.
func (t *Trust) DeleteIssuer(ctx context.Context, id string) error {
	res, err := t.db.Exec(ctx, `DELETE FROM oauth2_trusted_jwt_issuers WHERE id = ?`, id)
	return deleted(res, err, "trust relationship "+id)
}

// MatchIssuers implements trust.Store. A relationship for any subject is
// stored with an empty subject, so both candidates are found on the unique
// index.
func (t *Trust) MatchIssuers(ctx context.Context, issuer, subject, kid string, now time.Time) ([]trust.Record, error) {
	if subject == "" {
		return nil, nil // the empty subject stands for any subject; it is no subject itself
	}
	return t.list(ctx, "match trust relationships of "+issuer,
		`SELECT `+trustCols+` FROM oauth2_trusted_jwt_issuers
		WHERE issuer = ? AND key_id = ? AND subject IN (?, '') AND expires_at > ?`,
		issuer, kid, subject, now)
}
