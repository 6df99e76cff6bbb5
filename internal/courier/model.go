package courier

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Status is where a message is in its life: queued (waiting for an
// attempt), processing (claimed by a worker), sent, or abandoned (every
// attempt failed).
type Status string

// The message statuses, as Kratos names them.
const (
	StatusQueued     Status = "queued"
	StatusProcessing Status = "processing"
	StatusSent       Status = "sent"
	StatusAbandoned  Status = "abandoned"
)

// Valid reports whether s is one of the four statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusQueued, StatusProcessing, StatusSent, StatusAbandoned:
		return true
	}
	return false
}

// Type is the kind of address a message goes to.
type Type string

// The message types, as Kratos names them. Only email is delivered.
const (
	TypeEmail Type = "email"
	TypeSMS   Type = "sms"
)

// DispatchStatus is the outcome of one delivery attempt.
type DispatchStatus string

// The dispatch statuses, as Kratos names them.
const (
	DispatchFailed  DispatchStatus = "failed"
	DispatchSuccess DispatchStatus = "success"
)

// Message is one outgoing message, in Kratos's JSON shape. Body is the
// plain-text body; HTMLBody, the HTML alternative, is stored and sent but
// not shown by the API (Kratos does not show it either).
type Message struct {
	ID           string     `json:"id"`
	Status       Status     `json:"status"`
	Type         Type       `json:"type"`
	Recipient    string     `json:"recipient"`
	Subject      string     `json:"subject"`
	Body         string     `json:"body"`
	HTMLBody     string     `json:"-"`
	TemplateType string     `json:"template_type"`
	Channel      string     `json:"channel,omitempty"`
	SendCount    int        `json:"send_count"`
	Dispatches   []Dispatch `json:"dispatches,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Dispatch is one delivery attempt of a message. Error is a JSON object
// describing a failure (absent on success): {"message": "...", "code": 451}
// where code is the SMTP reply code, when the server gave one.
type Dispatch struct {
	ID        string          `json:"id"`
	MessageID string          `json:"message_id"`
	Status    DispatchStatus  `json:"status"`
	Error     json.RawMessage `json:"error,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// ErrInvalid means a message or a query was refused; errors.As with
// *FieldError names the field.
var ErrInvalid = errors.New("invalid courier request")

// FieldError is a refused field of a message or a query.
type FieldError struct {
	Field  string // JSON or query parameter name, e.g. "recipient"
	Reason string // a sentence saying why
}

func (e *FieldError) Error() string { return e.Reason }

// Is makes FieldError match ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
