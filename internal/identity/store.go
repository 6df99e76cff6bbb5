package identity

import "context"

// ListQuery selects a page of identities ordered by id: those after the id
// After, at most Limit, restricted to IDs when set and to the identity
// owning CredentialsIdentifier (any credential type) when set.
type ListQuery struct {
	After                 string
	Limit                 int
	IDs                   []string
	CredentialsIdentifier string
	WithCredentials       bool
	// StoredAddresses asks for Identity.Stored in place of decoded addresses.
	StoredAddresses bool
}

// Store is what the identity service needs from storage. A missing
// identity is storage.ErrNotFound. An identifier or address another
// identity holds, or a taken id or external id, is storage.ErrConflict.
type Store interface {
	// InsertIdentity stores i with its credentials, identifiers and
	// addresses, all or nothing.
	InsertIdentity(ctx context.Context, i *Identity) error
	// GetIdentity reads an identity; its credentials only when asked.
	GetIdentity(ctx context.Context, id string, withCredentials bool) (*Identity, error)
	// GetIdentityByExternalID reads the identity with that external id.
	GetIdentityByExternalID(ctx context.Context, externalID string, withCredentials bool) (*Identity, error)
	// FindByIdentifier reads the identity whose credential of type typ
	// has the identifier, with its credentials.
	FindByIdentifier(ctx context.Context, typ, identifier string) (*Identity, error)
	// FindByAddress reads the identity with the address (kind
	// "verifiable" or "recovery"), with its credentials.
	FindByAddress(ctx context.Context, kind, via, value string) (*Identity, error)
	// UpdateIdentity replaces the stored identity i.ID with i: its row,
	// identifiers and addresses, and its credentials (all of them: i
	// carries the full set), all or nothing.
	UpdateIdentity(ctx context.Context, i *Identity) error
	// DeleteIdentity deletes an identity and everything that is its.
	DeleteIdentity(ctx context.Context, id string) error
	// ListIdentities returns a page of identities.
	ListIdentities(ctx context.Context, q ListQuery) ([]*Identity, error)
}
