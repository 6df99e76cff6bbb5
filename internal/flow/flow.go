package flow

import (
	"context"
	"encoding/json"
	"time"

	"github.com/warden-iam/warden/internal/identity"
)

// Flow kinds.
const (
	KindLogin        = "login"
	KindRegistration = "registration"
	KindSettings     = "settings"
	KindRecovery     = "recovery"
	KindVerification = "verification"
)

// Flow types: who drives the flow.
const (
	TypeBrowser = "browser"
	TypeAPI     = "api"
)

// Flow states.
const (
	StateChooseMethod    = "choose_method"
	StateSentEmail       = "sent_email"
	StatePassedChallenge = "passed_challenge"
	StateShowForm        = "show_form"
	StateSuccess         = "success"
)

// Flow is one self-service flow with Kratos's JSON. Fields that belong to
// one kind only are empty (and omitted) for the others.
type Flow struct {
	ID           string             `json:"id"`
	Type         string             `json:"type"`
	ExpiresAt    time.Time          `json:"expires_at"`
	IssuedAt     time.Time          `json:"issued_at"`
	CreatedAt    time.Time          `json:"created_at"`
	UpdatedAt    time.Time          `json:"updated_at"`
	RequestURL   string             `json:"request_url"`
	ReturnTo     string             `json:"return_to,omitempty"`
	Active       string             `json:"active,omitempty"`
	State        string             `json:"state"`
	UI           Container          `json:"ui"`
	Refresh      *bool              `json:"refresh,omitempty"`       // login
	RequestedAAL string             `json:"requested_aal,omitempty"` // login
	Identity     *identity.Identity `json:"identity,omitempty"`      // settings
	ContinueWith []ContinueWith     `json:"continue_with,omitempty"` // settings, recovery, verification
	Challenge    string             `json:"oauth2_login_challenge,omitempty"`

	Kind string `json:"-"`
	// Private is what the flow keeps for itself (never shown).
	Private Private `json:"-"`
}

// Private is a flow's server-side state.
type Private struct {
	// IdentityID: the identity a settings flow belongs to, or the one a
	// recovery or verification code was sent for.
	IdentityID string `json:"identity_id,omitempty"`
	// SessionID: the session a settings flow runs in.
	SessionID string `json:"session_id,omitempty"`
	// CodeHash and CodeAttempts: the one-time code sent (its hash) and how
	// many wrong codes were tried.
	CodeHash     string    `json:"code_hash,omitempty"`
	CodeAttempts int       `json:"code_attempts,omitempty"`
	CodeExpires  time.Time `json:"code_expires"`
	// Address the code or link went to.
	Address string `json:"address,omitempty"`
	// CSRF is the hash of the browser's CSRF secret the flow is bound to.
	CSRF string `json:"csrf,omitempty"`
}

// ContinueWith tells the client what to do next.
type ContinueWith struct {
	Action            string        `json:"action"`
	Flow              *ContinueFlow `json:"flow,omitempty"`
	OrySessionToken   string        `json:"ory_session_token,omitempty"`
	RedirectBrowserTo string        `json:"redirect_browser_to,omitempty"`
}

// ContinueFlow names the flow a continue_with item points at.
type ContinueFlow struct {
	ID                string `json:"id"`
	URL               string `json:"url,omitempty"`
	VerifiableAddress string `json:"verifiable_address,omitempty"`
}

// stored is how a flow is kept: its JSON and its private state.
type stored struct {
	Flow    json.RawMessage `json:"flow"`
	Private Private         `json:"private"`
}

// Record is a stored flow.
type Record struct {
	ID        string
	Kind      string
	Data      string
	ExpiresAt time.Time
	CreatedAt time.Time
}

// Store is what the flows need from storage. A missing flow is
// storage.ErrNotFound.
type Store interface {
	InsertFlow(ctx context.Context, r Record) error
	GetFlow(ctx context.Context, id string) (Record, error)
	// UpdateFlow replaces the flow's data if it still holds prev (so two
	// submissions racing on one flow cannot both succeed); storage.ErrConflict
	// otherwise.
	UpdateFlow(ctx context.Context, id, prev, data string) error
	DeleteExpiredFlows(ctx context.Context, before time.Time, limit int) (int, error)
	InsertFlowError(ctx context.Context, id, data string, at time.Time) error
	GetFlowError(ctx context.Context, id string) (string, time.Time, error)
}

func encode(f *Flow) (string, error) {
	fb, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(stored{Flow: fb, Private: f.Private})
	return string(b), err
}

func decode(r Record) (*Flow, error) {
	var st stored
	if err := json.Unmarshal([]byte(r.Data), &st); err != nil {
		return nil, err
	}
	var f Flow
	if err := json.Unmarshal(st.Flow, &f); err != nil {
		return nil, err
	}
	f.Kind, f.Private = r.Kind, st.Private
	return &f, nil
}
