package session

import (
	"time"

	"github.com/warden-iam/warden/internal/identity"
)

// Authenticator assurance levels.
const (
	AAL0 = "aal0"
	AAL1 = "aal1"
	AAL2 = "aal2"
)

// Carriers of a session's secret.
const (
	ViaCookie = "cookie"
	ViaToken  = "token"
)

// Session is one session as the API shows it.
type Session struct {
	ID                    string                 `json:"id"`
	Active                bool                   `json:"active"`
	ExpiresAt             time.Time              `json:"expires_at"`
	AuthenticatedAt       time.Time              `json:"authenticated_at"`
	IssuedAt              time.Time              `json:"issued_at"`
	AAL                   string                 `json:"authenticator_assurance_level"`
	AuthenticationMethods []AuthenticationMethod `json:"authentication_methods"`
	Devices               []Device               `json:"devices,omitempty"`
	Identity              *identity.Identity     `json:"identity,omitempty"`

	IdentityID string    `json:"-"`
	Via        string    `json:"-"`
	UpdatedAt  time.Time `json:"-"` // of the stored row

}

// AuthenticationMethod is one way the identity proved itself in a session.
type AuthenticationMethod struct {
	Method      string    `json:"method"`
	AAL         string    `json:"aal"`
	CompletedAt time.Time `json:"completed_at"`
	Provider    string    `json:"provider,omitempty"`
}

// Device is where a session was used from.
type Device struct {
	ID        string `json:"id"`
	IPAddress string `json:"ip_address,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
	Location  string `json:"location,omitempty"`
}
