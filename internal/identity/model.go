package identity

import (
	"encoding/json"
	"time"
)

// Identity states.
const (
	StateActive   = "active"
	StateInactive = "inactive"
)

// Credential types.
const (
	CredentialPassword = "password"
	CredentialCode     = "code"
	CredentialOIDC     = "oidc"
	CredentialTOTP     = "totp"
	CredentialWebAuthn = "webauthn"
	CredentialPasskey  = "passkey"
	CredentialLookup   = "lookup_secret"
)

// Address channels and verification states.
const (
	ViaEmail = "email"
	ViaSMS   = "sms"

	AddressPending   = "pending"
	AddressSent      = "sent"
	AddressCompleted = "completed"
)

// Identity is one identity as the admin API shows it.
type Identity struct {
	ID                  string                `json:"id"`
	SchemaID            string                `json:"schema_id"`
	SchemaURL           string                `json:"schema_url"`
	State               string                `json:"state"`
	StateChangedAt      *time.Time            `json:"state_changed_at,omitempty"`
	Traits              json.RawMessage       `json:"traits"`
	VerifiableAddresses []VerifiableAddress   `json:"verifiable_addresses,omitempty"`
	RecoveryAddresses   []RecoveryAddress     `json:"recovery_addresses,omitempty"`
	MetadataPublic      json.RawMessage       `json:"metadata_public,omitempty"`
	MetadataAdmin       json.RawMessage       `json:"metadata_admin,omitempty"`
	Credentials         map[string]Credential `json:"credentials,omitempty"`
	ExternalID          string                `json:"external_id,omitempty"`
	OrganizationID      *string               `json:"organization_id,omitempty"`
	CreatedAt           time.Time             `json:"created_at"`
	UpdatedAt           time.Time             `json:"updated_at"`
	// Stored, when set, holds the addresses as stored, not decoded, in place
	// of VerifiableAddresses and RecoveryAddresses (which are then empty):
	// lists ask for them so (ListRequest.StoredAddresses) and write them out
	// as they are.
	Stored *StoredAddresses `json:"-"`
}

// StoredAddresses are an identity's addresses as stored: the JSON arrays
// the API shows as verifiable_addresses and recovery_addresses, each
// element in the shape of VerifiableAddress and RecoveryAddress.
type StoredAddresses struct {
	Verifiable json.RawMessage
	Recovery   json.RawMessage
}

// Credential is one way of signing in. Config is the type's JSON; the API
// shows it only when asked (include_credential).
type Credential struct {
	ID          string          `json:"-"`
	Type        string          `json:"type"`
	Identifiers []string        `json:"identifiers"`
	Config      json.RawMessage `json:"config,omitempty"`
	Version     int             `json:"version"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// PasswordConfig is the stored config of a password credential.
type PasswordConfig struct {
	HashedPassword           string `json:"hashed_password"`
	UsePasswordMigrationHook bool   `json:"use_password_migration_hook,omitempty"`
}

// VerifiableAddress is an address the identity can prove it controls.
type VerifiableAddress struct {
	ID         string     `json:"id"`
	Value      string     `json:"value"`
	Verified   bool       `json:"verified"`
	Via        string     `json:"via"`
	Status     string     `json:"status"`
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// RecoveryAddress is an address account recovery may use.
type RecoveryAddress struct {
	ID        string    `json:"id"`
	Value     string    `json:"value"`
	Via       string    `json:"via"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Address is a channel and a value, as the identity schema marks them.
type Address struct {
	Via   string
	Value string
}

// Derived is what the identity schema makes of a traits document.
type Derived struct {
	// PasswordIdentifiers sign in with the password method (normalised).
	PasswordIdentifiers []string
	// CodeIdentifiers receive one-time sign-in codes.
	CodeIdentifiers []Address
	// Verifiable and Recovery are the addresses to verify and to recover with.
	Verifiable []Address
	Recovery   []Address
	// WebAuthnIdentifiers sign in with security keys.
	WebAuthnIdentifiers []string
}
