package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/warden-iam/warden/internal/oauth2/provider"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// OAuth2 is the store of authorization flows, login sessions and tokens.
type OAuth2 struct{ db *sqldb.DB }

// OAuth2 returns the OAuth2 provider store.
func (s *Store) OAuth2() *OAuth2 { return &OAuth2{db: s.DB} }

var _ provider.Store = (*OAuth2)(nil)

const flowCols = `id, kind, state, client_id, subject, login_session_id, remember_until, flow_data, requested_at, expires_at`

func flowArgs(f provider.FlowRecord) []any {
	return []any{f.ID, f.Kind, f.State, f.ClientID, f.Subject, f.LoginSessionID, sqldb.Time{Time: f.RememberUntil},
		f.Data, f.RequestedAt, f.ExpiresAt}
}

func scanFlow(sc interface{ Scan(...any) error }) (provider.FlowRecord, error) {
	var (
		f                 provider.FlowRecord
		rem, req, expires sqldb.Time
	)
	err := sc.Scan(&f.ID, &f.Kind, &f.State, &f.ClientID, &f.Subject, &f.LoginSessionID, &rem, &f.Data, &req, &expires)
	f.RememberUntil, f.RequestedAt, f.ExpiresAt = rem.Time, req.Time, expires.Time
	return f, err
}

// InsertFlow implements provider.Store.
func (o *OAuth2) InsertFlow(ctx context.Context, f provider.FlowRecord) error {
	_, err := o.db.Exec(ctx, `INSERT INTO oauth2_flows (`+flowCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, flowArgs(f)...)
	if err != nil {
		return fmt.Errorf("insert flow: %w", err)
	}
	return nil
}

// GetFlow implements provider.Store.
func (o *OAuth2) GetFlow(ctx context.Context, id string) (provider.FlowRecord, error) {
	f, err := scanFlow(o.db.QueryRow(ctx, `SELECT `+flowCols+` FROM oauth2_flows WHERE id = ?`, id))
	if err != nil {
		return f, fmt.Errorf("flow: %w", err)
	}
	return f, nil
}

// AdvanceFlow implements provider.Store.
func (o *OAuth2) AdvanceFlow(ctx context.Context, f provider.FlowRecord, from int) (bool, error) {
	res, err := o.db.Exec(ctx, `UPDATE oauth2_flows SET state = ?, subject = ?, login_session_id = ?, remember_until = ?,
		flow_data = ?, expires_at = ? WHERE id = ? AND state = ?`,
		f.State, f.Subject, f.LoginSessionID, sqldb.Time{Time: f.RememberUntil}, f.Data, f.ExpiresAt, f.ID, from)
	if err != nil {
		return false, fmt.Errorf("update flow: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (o *OAuth2) flows(ctx context.Context, q string, args ...any) ([]provider.FlowRecord, error) {
	rows, err := o.db.Query(ctx, `SELECT `+flowCols+` FROM oauth2_flows WHERE `+q, args...)
	if err != nil {
		return nil, fmt.Errorf("list flows: %w", err)
	}
	defer rows.Close()
	var out []provider.FlowRecord
	for rows.Next() {
		f, err := scanFlow(rows)
		if err != nil {
			return nil, fmt.Errorf("list flows: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// RememberedConsents implements provider.Store.
func (o *OAuth2) RememberedConsents(ctx context.Context, subject, clientID string, now time.Time) ([]provider.FlowRecord, error) {
	return o.flows(ctx, `subject = ? AND client_id = ? AND kind = ? AND state = ? AND remember_until > ?
		ORDER BY requested_at DESC LIMIT 20`, subject, clientID, provider.KindAuthorize, provider.StateDone, now)
}

// Consents implements provider.Store.
func (o *OAuth2) Consents(ctx context.Context, subject, sid string, offset, limit int) ([]provider.FlowRecord, error) {
	q := `subject = ? AND kind = ? AND state = ?`
	args := []any{subject, provider.KindAuthorize, provider.StateDone}
	if sid != "" {
		q += ` AND login_session_id = ?`
		args = append(args, sid)
	}
	return o.flows(ctx, q+` ORDER BY requested_at DESC, id LIMIT ? OFFSET ?`, append(args, limit, offset)...)
}

// RevokeConsents implements provider.Store.
func (o *OAuth2) RevokeConsents(ctx context.Context, subject, clientID string) error {
	q := `subject = ? AND kind = ? AND state = ?`
	args := []any{subject, provider.KindAuthorize, provider.StateDone}
	if clientID != "" {
		q += ` AND client_id = ?`
		args = append(args, clientID)
	}
	return o.db.Tx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM oauth2_tokens WHERE request_id IN (SELECT id FROM oauth2_flows WHERE `+q+`)`, args...); err != nil {
			return fmt.Errorf("revoke consent tokens: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM oauth2_flows WHERE `+q, args...); err != nil {
			return fmt.Errorf("revoke consents: %w", err)
		}
		return nil
	})
}

// FlowsOfLoginSession implements provider.Store.
func (o *OAuth2) FlowsOfLoginSession(ctx context.Context, sid string) ([]provider.FlowRecord, error) {
	return o.flows(ctx, `login_session_id = ? AND kind = ? AND state = ? ORDER BY requested_at`, sid, provider.KindAuthorize, provider.StateDone)
}

const loginSessionCols = `id, subject, authenticated_at, remember, identity_provider_session_id, expires_at`

// UpsertLoginSession implements provider.Store.
func (o *OAuth2) UpsertLoginSession(ctx context.Context, s provider.LoginSession) error {
	_, err := o.db.Exec(ctx, `INSERT INTO oauth2_login_sessions (`+loginSessionCols+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, authenticated_at = excluded.authenticated_at,
		remember = excluded.remember, identity_provider_session_id = excluded.identity_provider_session_id,
		expires_at = excluded.expires_at`,
		s.ID, s.Subject, s.AuthenticatedAt, s.Remember, s.IdentityProviderSessionID, s.ExpiresAt)
	if err != nil {
		return fmt.Errorf("put login session: %w", err)
	}
	return nil
}

func scanLoginSession(sc interface{ Scan(...any) error }) (provider.LoginSession, error) {
	var (
		s         provider.LoginSession
		auth, exp sqldb.Time
	)
	err := sc.Scan(&s.ID, &s.Subject, &auth, &s.Remember, &s.IdentityProviderSessionID, &exp)
	s.AuthenticatedAt, s.ExpiresAt = auth.Time, exp.Time
	return s, err
}

// GetLoginSession implements provider.Store.
func (o *OAuth2) GetLoginSession(ctx context.Context, id string) (provider.LoginSession, error) {
	s, err := scanLoginSession(o.db.QueryRow(ctx, `SELECT `+loginSessionCols+` FROM oauth2_login_sessions WHERE id = ?`, id))
	if err != nil {
		return s, fmt.Errorf("login session: %w", err)
	}
	return s, nil
}

// DeleteLoginSessions implements provider.Store.
func (o *OAuth2) DeleteLoginSessions(ctx context.Context, subject, sid string) ([]provider.LoginSession, error) {
	var out []provider.LoginSession
	err := o.db.Tx(ctx, func(tx *sqldb.Tx) error {
		out = out[:0]
		q, arg := `subject = ?`, subject
		if sid != "" {
			q, arg = `id = ?`, sid
		}
		rows, err := tx.Query(ctx, `SELECT `+loginSessionCols+` FROM oauth2_login_sessions WHERE `+q, arg)
		if err != nil {
			return err
		}
		for rows.Next() {
			s, err := scanLoginSession(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM oauth2_login_sessions WHERE `+q, arg)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("delete login sessions: %w", err)
	}
	return out, nil
}

const tokenCols = `signature, kind, request_id, client_id, subject, active, used_at, token_data, requested_at, expires_at`

func insertTokens(ctx context.Context, exec func(ctx context.Context, q string, args ...any) error, ts []provider.TokenRecord) error {
	if len(ts) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO oauth2_tokens (` + tokenCols + `) VALUES `)
	args := make([]any, 0, 10*len(ts))
	for i, t := range ts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, t.Signature, t.Kind, t.RequestID, t.ClientID, t.Subject, t.Active, sqldb.Time{Time: t.UsedAt},
			t.Data, t.RequestedAt, t.ExpiresAt)
	}
	return exec(ctx, b.String(), args...)
}

// InsertTokens implements provider.Store.
func (o *OAuth2) InsertTokens(ctx context.Context, ts ...provider.TokenRecord) error {
	// One statement: on SQLite Exec commits it with the other writes
	// queued at the time (group commit); on PostgreSQL it runs on its own,
	// one round trip, where a transaction around it would add two.
	err := insertTokens(ctx, func(ctx context.Context, q string, args ...any) error {
		_, err := o.db.Exec(ctx, q, args...)
		return err
	}, ts)
	if err != nil {
		return fmt.Errorf("insert tokens: %w", err)
	}
	return nil
}

// GetToken implements provider.Store.
func (o *OAuth2) GetToken(ctx context.Context, sig string) (provider.TokenRecord, error) {
	var (
		t             provider.TokenRecord
		used, req, ex sqldb.Time
	)
	err := o.db.QueryRow(ctx, `SELECT `+tokenCols+` FROM oauth2_tokens WHERE signature = ?`, sig).
		Scan(&t.Signature, &t.Kind, &t.RequestID, &t.ClientID, &t.Subject, &t.Active, &used, &t.Data, &req, &ex)
	if err != nil {
		return t, fmt.Errorf("token: %w", err)
	}
	t.UsedAt, t.RequestedAt, t.ExpiresAt = used.Time, req.Time, ex.Time
	return t, nil
}

// UpdateTokenData implements provider.Store.
func (o *OAuth2) UpdateTokenData(ctx context.Context, sig, data string) error {
	res, err := o.db.Exec(ctx, `UPDATE oauth2_tokens SET token_data = ? WHERE signature = ?`, data, sig)
	if err != nil {
		return fmt.Errorf("update token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update token: %w", storage.ErrNotFound)
	}
	return nil
}

// consumeIsolation is READ COMMITTED: the conditional update of the used
// token is what makes a rotation happen once (a second transaction waits
// for the first's row lock, then finds the row inactive and matches
// nothing), and the rest only deletes and inserts rows of that grant.
// SERIALIZABLE added nothing but failures: its predicate locks cover index
// pages, and concurrent rotations of unrelated grants conflicted on them
// (about one retry per twenty rotations, each a whole transaction again).
var consumeIsolation = sqldb.TxOptions{Isolation: sql.LevelReadCommitted}

// ConsumeToken implements provider.Store.
func (o *OAuth2) ConsumeToken(ctx context.Context, sig string, at time.Time, dropKinds []int, add ...provider.TokenRecord) error {
	err := o.db.GroupedWith(ctx, consumeIsolation, func(tx *sqldb.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE oauth2_tokens SET active = ?, used_at = ? WHERE signature = ? AND active = ?`,
			false, at, sig, true)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return sqldb.Unwritten(provider.ErrNotActive) // the update matched nothing
		}
		if len(dropKinds) > 0 {
			q := `DELETE FROM oauth2_tokens WHERE request_id = (SELECT request_id FROM oauth2_tokens WHERE signature = ?) AND kind IN (` +
				strings.TrimSuffix(strings.Repeat("?, ", len(dropKinds)), ", ") + `)`
			args := []any{sig}
			for _, k := range dropKinds {
				args = append(args, k)
			}
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
		}
		return insertTokens(ctx, func(ctx context.Context, q string, args ...any) error {
			_, err := tx.Exec(ctx, q, args...)
			return err
		}, add)
	})
	if errors.Is(err, provider.ErrNotActive) {
		return err
	}
	if err != nil {
		return fmt.Errorf("consume token: %w", err)
	}
	return nil
}

// DeleteToken implements provider.Store.
func (o *OAuth2) DeleteToken(ctx context.Context, sig string) error {
	if _, err := o.db.Exec(ctx, `DELETE FROM oauth2_tokens WHERE signature = ?`, sig); err != nil {
		return fmt.Errorf("delete token: %w", err)
	}
	return nil
}

// RevokeRequest implements provider.Store.
func (o *OAuth2) RevokeRequest(ctx context.Context, requestID string) error {
	if _, err := o.db.Exec(ctx, `DELETE FROM oauth2_tokens WHERE request_id = ?`, requestID); err != nil {
		return fmt.Errorf("revoke grant: %w", err)
	}
	return nil
}

// DeleteClientTokens implements provider.Store.
func (o *OAuth2) DeleteClientTokens(ctx context.Context, clientID string, kind int) error {
	if _, err := o.db.Exec(ctx, `DELETE FROM oauth2_tokens WHERE client_id = ? AND kind = ?`, clientID, kind); err != nil {
		return fmt.Errorf("delete client tokens: %w", err)
	}
	return nil
}

// Cleanup implements provider.Store. Each table loses at most batch rows per
// call, oldest expiry first, so one call never holds the writer for long.
func (o *OAuth2) Cleanup(ctx context.Context, now time.Time, batch int) (map[string]int64, error) {
	out := map[string]int64{}
	for _, t := range []struct{ name, table, key string }{
		{"tokens", "oauth2_tokens", "signature"},
		{"flows", "oauth2_flows", "id"},
		{"login_sessions", "oauth2_login_sessions", "id"},
	} {
		res, err := o.db.Exec(ctx, `DELETE FROM `+t.table+` WHERE `+t.key+` IN (SELECT `+t.key+` FROM `+t.table+
			` WHERE expires_at < ? ORDER BY expires_at LIMIT ?)`, now, batch)
		if err != nil {
			return out, fmt.Errorf("clean up %s: %w", t.name, err)
		}
		n, _ := res.RowsAffected()
		out[t.name] = n
	}
	return out, nil
}
