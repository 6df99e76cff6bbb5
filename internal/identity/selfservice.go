package identity

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/warden-iam/warden/internal/storage"
)

// What the self-service flows need beyond the admin API.

// Derive validates traits against a schema and returns what it marks in them.
func (s *Service) Derive(ctx context.Context, schemaID string, traits json.RawMessage) (json.RawMessage, Derived, error) {
	if schemaID == "" {
		schemaID = s.schemas.DefaultID()
	}
	return s.checkTraits(ctx, schemaID, traits)
}

// Present prepares an identity read by another service for the API:
// the schema URL, and no credentials (sessions never show them).
func (s *Service) Present(i *Identity) *Identity {
	out := s.present(i, nil)
	out.Credentials = nil
	return out
}

// GetWithCredentials reads an identity with its credentials' configs, for
// the server's own use (never for an answer).
func (s *Service) GetWithCredentials(ctx context.Context, id string) (*Identity, error) {
	return s.store.GetIdentity(ctx, id, true)
}

// SetPassword sets or replaces an identity's password hash; its identifiers
// come from the traits.
func (s *Service) SetPassword(ctx context.Context, id, hash string) error {
	i, err := s.store.GetIdentity(ctx, id, true)
	if err != nil {
		return err
	}
	if i.Credentials == nil {
		i.Credentials = map[string]Credential{}
	}
	_, d, err := s.checkTraits(ctx, i.SchemaID, i.Traits)
	if err != nil {
		return err
	}
	now := s.stamp()
	var cfg PasswordConfig
	if c, ok := i.Credentials[CredentialPassword]; ok {
		_ = json.Unmarshal(c.Config, &cfg)
	}
	cfg.HashedPassword, cfg.UsePasswordMigrationHook = hash, false
	raw, _ := json.Marshal(cfg)
	s.putCredential(i, CredentialPassword, raw, nil, now)
	s.deriveCredentials(i, d, now)
	i.UpdatedAt = now
	return s.store.UpdateIdentity(ctx, i)
}

// UpdateTraits replaces an identity's traits (settings' profile method),
// keeping everything else.
func (s *Service) UpdateTraits(ctx context.Context, id string, traits json.RawMessage) (*Identity, error) {
	i, err := s.store.GetIdentity(ctx, id, true)
	if err != nil {
		return nil, err
	}
	if i.Credentials == nil {
		i.Credentials = map[string]Credential{}
	}
	traits, d, err := s.checkTraits(ctx, i.SchemaID, traits)
	if err != nil {
		return nil, err
	}
	now := s.stamp()
	i.Traits, i.UpdatedAt = traits, now
	s.syncAddresses(i, d, nil, now)
	s.deriveCredentials(i, d, now)
	if err := s.store.UpdateIdentity(ctx, i); err != nil {
		return nil, err
	}
	return s.present(i, nil), nil
}

// FindByAddress returns the identity with a verifiable ("verifiable") or
// recovery ("recovery") address.
func (s *Service) FindByAddress(ctx context.Context, kind, via, value string) (*Identity, error) {
	return s.store.FindByAddress(ctx, kind, via, normalizeAddress(via, value))
}

// MarkVerified records that the identity proved it controls an address.
func (s *Service) MarkVerified(ctx context.Context, id, via, value string) error {
	i, err := s.store.GetIdentity(ctx, id, true)
	if err != nil {
		return err
	}
	value = normalizeAddress(via, value)
	now := s.stamp()
	found := false
	for k, a := range i.VerifiableAddresses {
		if a.Via == via && a.Value == value {
			found = true
			if !a.Verified {
				a.Verified, a.Status, a.VerifiedAt, a.UpdatedAt = true, AddressCompleted, &now, now
				i.VerifiableAddresses[k] = a
			}
		}
	}
	if !found {
		return fmt.Errorf("identity %s has no address %s: %w", id, value, storage.ErrNotFound)
	}
	i.UpdatedAt = now
	return s.store.UpdateIdentity(ctx, i)
}
