package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/warden-iam/warden/internal/courier"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// Courier is the store of the courier's outbox.
//
// Claims are made safe across replicas without row locks (no FOR UPDATE
// SKIP LOCKED): candidates are read, then each is taken by a conditional
// UPDATE that matches only while the row still has the claim token that was
// read and is still due. Every change of a message's state sets a fresh
// token, so the UPDATE is a compare-and-swap: of concurrent claimers exactly
// one changes the row, the others match nothing and move on.
type Courier struct{ db *sqldb.DB }

// Courier returns the courier store.
func (s *Store) Courier() *Courier { return &Courier{db: s.DB} }

var _ courier.Store = (*Courier)(nil)

const courierCols = `id, type, status, channel, recipient, subject, body, html_body, template_type, send_count, created_at, updated_at`

// claimOverscan is how many candidates ClaimMessages reads per message it
// wants, so that losing races to other workers still fills a batch.
const claimOverscan = 3

// InsertMessage implements courier.Store.
func (c *Courier) InsertMessage(ctx context.Context, m courier.Message) error {
	_, err := c.db.Exec(ctx, `INSERT INTO courier_messages (`+courierCols+`, claim_token, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, string(m.Type), string(m.Status), m.Channel, m.Recipient, m.Subject, m.Body, m.HTMLBody, m.TemplateType,
		m.SendCount, m.CreatedAt, m.UpdatedAt, "", m.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert courier message %s: %w", m.ID, err)
	}
	return nil
}

type courierScanner interface{ Scan(...any) error }

func scanMessage(sc courierScanner, extra ...any) (courier.Message, error) {
	var (
		m                  courier.Message
		typ, status        string
		created, updatedAt sqldb.Time
	)
	dest := append([]any{&m.ID, &typ, &status, &m.Channel, &m.Recipient, &m.Subject, &m.Body, &m.HTMLBody,
		&m.TemplateType, &m.SendCount, &created, &updatedAt}, extra...)
	err := sc.Scan(dest...)
	m.Type, m.Status, m.CreatedAt, m.UpdatedAt = courier.Type(typ), courier.Status(status), created.Time, updatedAt.Time
	return m, err
}

// GetMessage implements courier.Store.
func (c *Courier) GetMessage(ctx context.Context, id string) (courier.Message, error) {
	var m courier.Message
	err := c.db.ReadTx(ctx, func(tx *sqldb.Tx) error {
		var err error
		m, err = scanMessage(tx.QueryRow(ctx, `SELECT `+courierCols+` FROM courier_messages WHERE id = ?`, id))
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, message_id, status, error, created_at, updated_at
			FROM courier_message_dispatches WHERE message_id = ? ORDER BY created_at, id`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		m.Dispatches = nil
		for rows.Next() {
			var (
				d                  courier.Dispatch
				status, errJSON    string
				created, updatedAt sqldb.Time
			)
			if err := rows.Scan(&d.ID, &d.MessageID, &status, &errJSON, &created, &updatedAt); err != nil {
				return err
			}
			d.Status, d.CreatedAt, d.UpdatedAt = courier.DispatchStatus(status), created.Time, updatedAt.Time
			if errJSON != "" {
				d.Error = json.RawMessage(errJSON)
			}
			m.Dispatches = append(m.Dispatches, d)
		}
		return rows.Err()
	})
	if err != nil {
		return courier.Message{}, fmt.Errorf("courier message %s: %w", id, err)
	}
	return m, nil
}

// ListMessages implements courier.Store: newest first, by (created_at, id).
func (c *Courier) ListMessages(ctx context.Context, q courier.Query) ([]courier.Message, error) {
	var (
		where []string
		args  []any
	)
	if q.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(q.Status))
	}
	if q.Recipient != "" {
		where, args = append(where, "recipient = ?"), append(args, q.Recipient)
	}
	if q.BeforeID != "" {
		where = append(where, "(created_at < ? OR (created_at = ? AND id < ?))")
		args = append(args, q.BeforeCreatedAt, q.BeforeCreatedAt, q.BeforeID)
	}
	query := `SELECT ` + courierCols + ` FROM courier_messages`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, q.Limit)
	rows, err := c.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list courier messages: %w", err)
	}
	defer rows.Close()
	var out []courier.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("list courier messages: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list courier messages: %w", err)
	}
	return out, nil
}

// ClaimMessages implements courier.Store.
func (c *Courier) ClaimMessages(ctx context.Context, now, leaseUntil time.Time, limit int) ([]courier.Claim, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := c.db.Query(ctx, `SELECT `+courierCols+`, claim_token FROM courier_messages
		WHERE status IN ('queued', 'processing') AND next_attempt_at <= ?
		ORDER BY next_attempt_at, id LIMIT ?`, now, limit*claimOverscan)
	if err != nil {
		return nil, fmt.Errorf("claim courier messages: %w", err)
	}
	var candidates []courier.Claim
	for rows.Next() {
		var cl courier.Claim
		if cl.Message, err = scanMessage(rows, &cl.Token); err != nil {
			rows.Close()
			return nil, fmt.Errorf("claim courier messages: %w", err)
		}
		candidates = append(candidates, cl)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("claim courier messages: %w", err)
	}
	var out []courier.Claim
	for _, cl := range candidates {
		if len(out) == limit {
			break
		}
		token := uuid.NewString()
		res, err := c.db.Exec(ctx, `UPDATE courier_messages
			SET status = 'processing', claim_token = ?, send_count = send_count + 1, next_attempt_at = ?, updated_at = ?
			WHERE id = ? AND claim_token = ? AND status IN ('queued', 'processing') AND next_attempt_at <= ?`,
			token, leaseUntil, now, cl.ID, cl.Token, now)
		if err != nil {
			return out, fmt.Errorf("claim courier message %s: %w", cl.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return out, fmt.Errorf("claim courier message %s: %w", cl.ID, err)
		} else if n == 0 {
			continue // another worker took it, or it changed since it was read
		}
		cl.Token, cl.Status, cl.SendCount, cl.UpdatedAt = token, courier.StatusProcessing, cl.SendCount+1, now
		out = append(out, cl)
	}
	return out, nil
}

// FinishClaim implements courier.Store.
func (c *Courier) FinishClaim(ctx context.Context, cl courier.Claim, o courier.Outcome) error {
	next := o.NextAttemptAt
	if next.IsZero() {
		next = o.At
	}
	lost := false
	err := c.db.Tx(ctx, func(tx *sqldb.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE courier_messages
			SET status = ?, send_count = ?, next_attempt_at = ?, updated_at = ?, claim_token = ?
			WHERE id = ? AND claim_token = ?`,
			string(o.Status), o.SendCount, next, o.At, uuid.NewString(), cl.ID, cl.Token)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		lost = n == 0
		if d := o.Dispatch; d != nil {
			if _, err := tx.Exec(ctx, `INSERT INTO courier_message_dispatches (id, message_id, status, error, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?)`, d.ID, cl.ID, string(d.Status), string(d.Error), d.CreatedAt, d.UpdatedAt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish courier message %s: %w", cl.ID, err)
	}
	if lost {
		return fmt.Errorf("finish courier message %s: %w", cl.ID, courier.ErrClaimLost)
	}
	return nil
}
