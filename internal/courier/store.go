package courier

import (
	"context"
	"errors"
	"time"
)

// ErrClaimLost means a worker's claim on a message ended before it recorded
// the outcome: its lease ran out and another worker claimed the message.
var ErrClaimLost = errors.New("courier: the claim on the message was lost")

// Claim is a message a worker claimed: Token identifies the claim, and only
// the holder of the current token may record the outcome.
type Claim struct {
	Message
	Token string
}

// Outcome is what a worker records after handling a claimed message: the
// message's new status, its attempt count, when a queued message is due
// again, and the dispatch of the attempt (nil when no attempt was made).
type Outcome struct {
	Status        Status
	SendCount     int
	NextAttemptAt time.Time
	Dispatch      *Dispatch
	At            time.Time // updated_at
}

// Query selects a page of messages, newest first: those older than the
// cursor (BeforeCreatedAt, BeforeID) when it is set, filtered by exact
// Status and Recipient when these are set, at most Limit.
type Query struct {
	Status          Status
	Recipient       string
	BeforeCreatedAt time.Time
	BeforeID        string
	Limit           int
}

// Store is what the courier needs from storage. A missing message is
// storage.ErrNotFound.
type Store interface {
	// InsertMessage stores m (status queued, with the rendered bodies),
	// due at m.CreatedAt.
	InsertMessage(ctx context.Context, m Message) error
	// GetMessage returns a message with its dispatches, oldest first.
	GetMessage(ctx context.Context, id string) (Message, error)
	// ListMessages returns messages without their dispatches.
	ListMessages(ctx context.Context, q Query) ([]Message, error)
	// ClaimMessages claims up to limit due messages, oldest due first: queued
	// ones whose next attempt is due at now, and processing ones whose lease
	// ended. Each claimed message turns processing until leaseUntil, its
	// send_count grows by one and it gets a fresh claim token. Concurrent
	// callers, in this process or another, never claim the same message.
	ClaimMessages(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Claim, error)
	// FinishClaim records the outcome of a claim: it inserts o.Dispatch (if
	// any) and, while c.Token is still the message's claim, sets the status,
	// send count and next attempt. A claim that was lost is ErrClaimLost
	// (the dispatch is still recorded: the attempt happened).
	FinishClaim(ctx context.Context, c Claim, o Outcome) error
}
