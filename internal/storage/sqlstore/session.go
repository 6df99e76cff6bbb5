package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/warden-iam/warden/internal/session"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// Sessions is the store of sessions.
type Sessions struct{ db *sqldb.DB }

// Sessions returns the session store.
func (s *Store) Sessions() *Sessions { return &Sessions{db: s.DB} }

var _ session.Store = (*Sessions)(nil)

const sessionCols = `s.id, s.via, s.identity_id, s.active, s.aal, s.authenticated_at, s.issued_at, s.expires_at, s.methods, s.devices, s.updated_at`

// identityColsOf is identityCols qualified by the table alias a.
func identityColsOf(a string) string {
	cols := strings.Split(identityCols, ",")
	for k, c := range cols {
		cols[k] = a + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

var (
	sessionWithIdentityCols = sessionCols + ", " + identityColsOf("i")
)

type sessionScan struct {
	s                          session.Session
	auth, issued, expires, upd sqldb.Time
	methods, devices           string
}

func (x *sessionScan) dest() []any {
	return []any{&x.s.ID, &x.s.Via, &x.s.IdentityID, &x.s.Active, &x.s.AAL, &x.auth, &x.issued, &x.expires, &x.methods, &x.devices, &x.upd}
}

func (x *sessionScan) session() (*session.Session, error) {
	se := x.s
	se.AuthenticatedAt, se.IssuedAt, se.ExpiresAt, se.UpdatedAt = x.auth.Time, x.issued.Time, x.expires.Time, x.upd.Time
	if err := json.Unmarshal([]byte(x.methods), &se.AuthenticationMethods); err != nil {
		return nil, fmt.Errorf("session %s: %w", se.ID, err)
	}
	if err := json.Unmarshal([]byte(x.devices), &se.Devices); err != nil {
		return nil, fmt.Errorf("session %s: %w", se.ID, err)
	}
	return &se, nil
}

// scanSession scans sessionCols, and identity columns after them when
// withIdentity.
func scanSession(sc interface{ Scan(...any) error }, withIdentity bool) (*session.Session, error) {
	var (
		x  sessionScan
		ix identityScan
	)
	dest := x.dest()
	if withIdentity {
		dest = append(dest, ix.dest()...)
	}
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	se, err := x.session()
	if err != nil {
		return nil, err
	}
	if withIdentity {
		if se.Identity, err = ix.identity(); err != nil {
			return nil, err
		}
	}
	return se, nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	if string(b) == "null" {
		return "[]"
	}
	return string(b)
}

// InsertSession implements session.Store.
func (s *Sessions) InsertSession(ctx context.Context, se *session.Session, tokenHash string) error {
	_, err := s.db.Exec(ctx, `INSERT INTO sessions (id, token_hash, via, identity_id, active, aal, authenticated_at, issued_at, expires_at,
		methods, devices, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		se.ID, tokenHash, se.Via, se.IdentityID, se.Active, se.AAL, se.AuthenticatedAt, se.IssuedAt, se.ExpiresAt,
		jsonText(se.AuthenticationMethods), jsonText(se.Devices), se.IssuedAt, se.IssuedAt)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// SessionByToken implements session.Store.
func (s *Sessions) SessionByToken(ctx context.Context, tokenHash string) (*session.Session, error) {
	se, err := scanSession(s.db.QueryRow(ctx, `SELECT `+sessionWithIdentityCols+`
		FROM sessions s JOIN identities i ON i.id = s.identity_id WHERE s.token_hash = ?`, tokenHash), true)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return se, nil
}

// GetSession implements session.Store.
func (s *Sessions) GetSession(ctx context.Context, id string, withIdentity bool) (*session.Session, error) {
	q := `SELECT ` + sessionCols + ` FROM sessions s WHERE s.id = ?`
	if withIdentity {
		q = `SELECT ` + sessionWithIdentityCols + ` FROM sessions s JOIN identities i ON i.id = s.identity_id WHERE s.id = ?`
	}
	se, err := scanSession(s.db.QueryRow(ctx, q, id), withIdentity)
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", id, err)
	}
	return se, nil
}

// ListSessions implements session.Store.
func (s *Sessions) ListSessions(ctx context.Context, q session.ListQuery) ([]*session.Session, error) {
	var (
		where []string
		args  []any
	)
	if q.IdentityID != "" {
		where = append(where, "s.identity_id = ?")
		args = append(args, q.IdentityID)
	}
	if q.Active != nil {
		if *q.Active {
			where = append(where, "s.active = ? AND s.expires_at > ?")
			args = append(args, true, q.Now)
		} else {
			where = append(where, "(s.active = ? OR s.expires_at <= ?)")
			args = append(args, false, q.Now)
		}
	}
	if q.After != "" {
		where = append(where, "(s.created_at, s.id) < (SELECT created_at, id FROM sessions WHERE id = ?)")
		args = append(args, q.After)
	}
	cols, from := sessionCols, "sessions s"
	if q.WithIdentity {
		cols, from = sessionWithIdentityCols, "sessions s JOIN identities i ON i.id = s.identity_id"
	}
	query := `SELECT ` + cols + ` FROM ` + from
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY s.created_at DESC, s.id DESC LIMIT ?`
	args = append(args, q.Limit)
	rows, err := s.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var out []*session.Session
	for rows.Next() {
		se, err := scanSession(rows, q.WithIdentity)
		if err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		out = append(out, se)
	}
	return out, rows.Err()
}

// UpdateSession implements session.Store.
func (s *Sessions) UpdateSession(ctx context.Context, se *session.Session) error {
	res, err := s.db.Exec(ctx, `UPDATE sessions SET active = ?, aal = ?, authenticated_at = ?, expires_at = ?, methods = ?, devices = ?,
		updated_at = ? WHERE id = ?`, se.Active, se.AAL, se.AuthenticatedAt, se.ExpiresAt, jsonText(se.AuthenticationMethods),
		jsonText(se.Devices), sqldb.Now(), se.ID)
	if err != nil {
		return fmt.Errorf("update session %s: %w", se.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update session %s: %w", se.ID, storage.ErrNotFound)
	}
	return nil
}

// DeactivateSessions implements session.Store.
func (s *Sessions) DeactivateSessions(ctx context.Context, identityID, keep string) (int, error) {
	res, err := s.db.Exec(ctx, `UPDATE sessions SET active = ?, updated_at = ? WHERE identity_id = ? AND active = ? AND id <> ?`,
		false, sqldb.Now(), identityID, true, keep)
	if err != nil {
		return 0, fmt.Errorf("end sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DeleteExpiredSessions implements session.Store.
func (s *Sessions) DeleteExpiredSessions(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at < ? LIMIT ?)`, before, limit)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DeleteSessionsOf implements session.Store.
func (s *Sessions) DeleteSessionsOf(ctx context.Context, identityID string) (int, error) {
	res, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE identity_id = ?`, identityID)
	if err != nil {
		return 0, fmt.Errorf("delete sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// SessionStamp implements session.Store: the few columns that tell
// whether a session and its identity changed, in one query.
func (s *Sessions) SessionStamp(ctx context.Context, tokenHash string) (session.Stamp, error) {
	var (
		st                        session.Stamp
		expires, auth, supd, iupd sqldb.Time
	)
	err := s.db.QueryRow(ctx, `SELECT s.id, s.via, s.active, s.aal, s.authenticated_at, s.expires_at, s.updated_at, i.id, i.state, i.updated_at
		FROM sessions s JOIN identities i ON i.id = s.identity_id WHERE s.token_hash = ?`, tokenHash).
		Scan(&st.SessionID, &st.Via, &st.Active, &st.AAL, &auth, &expires, &supd, &st.IdentityID, &st.IdentityState, &iupd)
	if err != nil {
		return st, fmt.Errorf("session: %w", err)
	}
	st.AuthenticatedAt, st.ExpiresAt, st.SessionUpdatedAt, st.IdentityUpdatedAt = auth.Time, expires.Time, supd.Time, iupd.Time
	return st, nil
}
