package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/warden-iam/warden/internal/oauth2/jwk"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// JWKs is the store of the OAuth2 service's JSON Web Keys.
type JWKs struct{ db *sqldb.DB }

// JWKs returns the JSON Web Key store.
func (s *Store) JWKs() *JWKs { return &JWKs{db: s.DB} }

var _ jwk.Store = (*JWKs)(nil)

const jwkCols = `set_id, kid, alg, key_use, key_data, created_at`

func insertJWK(ctx context.Context, tx *sqldb.Tx, k jwk.Record) error {
	_, err := tx.Exec(ctx, `INSERT INTO oauth2_jwks (`+jwkCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		k.Set, k.KID, k.Alg, k.Use, k.Data, k.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert key %s/%s: %w", k.Set, k.KID, err)
	}
	return nil
}

// InsertKeys implements jwk.Store.
func (j *JWKs) InsertKeys(ctx context.Context, keys []jwk.Record) error {
	return j.db.Tx(ctx, func(tx *sqldb.Tx) error {
		for _, k := range keys {
			if err := insertJWK(ctx, tx, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// ReplaceSet implements jwk.Store.
func (j *JWKs) ReplaceSet(ctx context.Context, set string, keys []jwk.Record) error {
	return j.db.Tx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM oauth2_jwks WHERE set_id = ?`, set); err != nil {
			return fmt.Errorf("replace key set %s: %w", set, err)
		}
		for _, k := range keys {
			if err := insertJWK(ctx, tx, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// UpsertKey implements jwk.Store.
func (j *JWKs) UpsertKey(ctx context.Context, k jwk.Record) error {
	_, err := j.db.Exec(ctx, `INSERT INTO oauth2_jwks (`+jwkCols+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (set_id, kid) DO UPDATE SET alg = excluded.alg, key_use = excluded.key_use,
		key_data = excluded.key_data, created_at = excluded.created_at`,
		k.Set, k.KID, k.Alg, k.Use, k.Data, k.CreatedAt)
	if err != nil {
		return fmt.Errorf("put key %s/%s: %w", k.Set, k.KID, err)
	}
	return nil
}

func scanJWK(sc interface{ Scan(...any) error }) (jwk.Record, error) {
	var (
		k  jwk.Record
		at sqldb.Time
	)
	err := sc.Scan(&k.Set, &k.KID, &k.Alg, &k.Use, &k.Data, &at)
	k.CreatedAt = at.Time
	return k, err
}

// ListKeys implements jwk.Store.
func (j *JWKs) ListKeys(ctx context.Context, set string) ([]jwk.Record, error) {
	rows, err := j.db.Query(ctx, `SELECT `+jwkCols+` FROM oauth2_jwks WHERE set_id = ? ORDER BY created_at, kid`, set)
	if err != nil {
		return nil, fmt.Errorf("list key set %s: %w", set, err)
	}
	defer rows.Close()
	var out []jwk.Record
	for rows.Next() {
		k, err := scanJWK(rows)
		if err != nil {
			return nil, fmt.Errorf("list key set %s: %w", set, err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list key set %s: %w", set, err)
	}
	return out, nil
}

// GetKey implements jwk.Store.
func (j *JWKs) GetKey(ctx context.Context, set, kid string) (jwk.Record, error) {
	k, err := scanJWK(j.db.QueryRow(ctx, `SELECT `+jwkCols+` FROM oauth2_jwks WHERE set_id = ? AND kid = ?`, set, kid))
	if err != nil {
		return jwk.Record{}, fmt.Errorf("key %s/%s: %w", set, kid, err)
	}
	return k, nil
}

// DeleteSet implements jwk.Store.
func (j *JWKs) DeleteSet(ctx context.Context, set string) error {
	res, err := j.db.Exec(ctx, `DELETE FROM oauth2_jwks WHERE set_id = ?`, set)
	return deleted(res, err, "key set "+set)
}

// DeleteKey implements jwk.Store.
func (j *JWKs) DeleteKey(ctx context.Context, set, kid string) error {
	res, err := j.db.Exec(ctx, `DELETE FROM oauth2_jwks WHERE set_id = ? AND kid = ?`, set, kid)
	return deleted(res, err, "key "+set+"/"+kid)
}

// deleted turns a delete's outcome into nil, storage.ErrNotFound (no row
// deleted) or the error, naming what.
func deleted(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("delete %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("delete %s: %w", what, storage.ErrNotFound)
	}
	return nil
}
