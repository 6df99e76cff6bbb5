package identity

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/google/uuid"

	"github.com/warden-iam/warden/internal/storage"
)

// Schemas is what the service needs of the identity schemas.
type Schemas interface {
	// DefaultID is the schema of identities created without one.
	DefaultID() string
	// URL is where the schema is served (GET /schemas/{id}).
	URL(schemaID string) string
	// Validate checks traits against the schema. A schema that does not
	// exist or traits it refuses are errors for which IsInvalid holds.
	Validate(ctx context.Context, schemaID string, traits json.RawMessage) error
	// Derive returns the identifiers and addresses the schema marks in
	// traits that passed Validate.
	Derive(schemaID string, traits json.RawMessage) (Derived, error)
}

// Hasher hashes passwords and recognises imported hashes.
type Hasher interface {
	Hash(ctx context.Context, password []byte) (string, error)
	// KnownHash reports whether hash is in a format Compare understands,
	// without the cost of checking a password against it.
	KnownHash(hash string) bool
}

// Paging limits of List.
const (
	DefaultPageSize = 250
	MaxPageSize     = 1000
	// MaxBatch bounds the identities of one batch request.
	MaxBatch = 2000
	// MaxIDs bounds the ids filter of a list request.
	MaxIDs = 500
)

// Service manages identities.
type Service struct {
	store   Store
	schemas Schemas
	hasher  Hasher
	now     func() time.Time
}

// NewService returns the identity service.
func NewService(store Store, schemas Schemas, hasher Hasher) *Service {
	return &Service{store: store, schemas: schemas, hasher: hasher, now: time.Now}
}

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// InvalidError is a request the service refuses; Reason says why in words
// meant for the caller, Details may carry structured validation messages.
type InvalidError struct {
	Reason  string
	Details any
	Err     error
}

func (e *InvalidError) Error() string { return e.Reason }
func (e *InvalidError) Unwrap() error { return e.Err }

func invalid(format string, args ...any) *InvalidError {
	return &InvalidError{Reason: fmt.Sprintf(format, args...)}
}

// IsInvalid tells whether err is a refused request.
func IsInvalid(err error) bool {
	var ie *InvalidError
	return errors.As(err, &ie)
}

// ImportCredentials are the credentials an admin may set on create or
// update (Kratos's identityWithCredentials).
type ImportCredentials struct {
	Password *struct {
		Config struct {
			Password                 string `json:"password"`
			HashedPassword           string `json:"hashed_password"`
			UsePasswordMigrationHook bool   `json:"use_password_migration_hook"`
		} `json:"config"`
	} `json:"password,omitempty"`
	OIDC *struct {
		Config struct {
			Providers []OIDCProvider `json:"providers"`
		} `json:"config"`
	} `json:"oidc,omitempty"`
	Other map[string]json.RawMessage `json:"-"`
}

// OIDCProvider links an identity to an account at a social sign-in provider.
type OIDCProvider struct {
	Provider     string `json:"provider"`
	Subject      string `json:"subject"`
	UseAutoLink  bool   `json:"use_auto_link,omitempty"`
	Organization string `json:"organization,omitempty"`
}

// UnmarshalJSON keeps credential types this service does not import, so
// they can be refused by name.
func (c *ImportCredentials) UnmarshalJSON(b []byte) error {
	type plain ImportCredentials
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	delete(all, CredentialPassword)
	delete(all, CredentialOIDC)
	*c = ImportCredentials(p)
	if len(all) > 0 {
		c.Other = all
	}
	return nil
}

// CreateBody is the admin API's createIdentityBody.
type CreateBody struct {
	SchemaID            string              `json:"schema_id"`
	Traits              json.RawMessage     `json:"traits"`
	State               string              `json:"state"`
	Credentials         *ImportCredentials  `json:"credentials"`
	MetadataPublic      json.RawMessage     `json:"metadata_public"`
	MetadataAdmin       json.RawMessage     `json:"metadata_admin"`
	ExternalID          *string             `json:"external_id"`
	OrganizationID      *string             `json:"organization_id"`
	VerifiableAddresses []VerifiableAddress `json:"verifiable_addresses"`
	RecoveryAddresses   []RecoveryAddress   `json:"recovery_addresses"`
}

// UpdateBody is the admin API's updateIdentityBody (PUT: a full replace of
// what it names; credentials given are imported over the current ones).
type UpdateBody struct {
	SchemaID       string             `json:"schema_id"`
	Traits         json.RawMessage    `json:"traits"`
	State          string             `json:"state"`
	Credentials    *ImportCredentials `json:"credentials"`
	MetadataPublic json.RawMessage    `json:"metadata_public"`
	MetadataAdmin  json.RawMessage    `json:"metadata_admin"`
	ExternalID     *string            `json:"external_id"`
}

func isNull(b json.RawMessage) bool {
	t := bytes.TrimSpace(b)
	return len(t) == 0 || string(t) == "null"
}

func checkState(st string) (string, error) {
	switch st {
	case "":
		return StateActive, nil
	case StateActive, StateInactive:
		return st, nil
	}
	return "", invalid("state must be %q or %q, not %q.", StateActive, StateInactive, st)
}

func metadata(field string, b json.RawMessage) (json.RawMessage, error) {
	if isNull(b) {
		return nil, nil
	}
	if !json.Valid(b) {
		return nil, invalid("%s is not valid JSON.", field)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, invalid("%s is not valid JSON.", field)
	}
	return buf.Bytes(), nil
}

// checkTraits validates traits against the schema and derives what the
// schema marks in them.
func (s *Service) checkTraits(ctx context.Context, schemaID string, traits json.RawMessage) (json.RawMessage, Derived, error) {
	if isNull(traits) {
		return nil, Derived{}, invalid("traits are required.")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, traits); err != nil {
		return nil, Derived{}, invalid("traits are not valid JSON.")
	}
	traits = buf.Bytes()
	if err := s.schemas.Validate(ctx, schemaID, traits); err != nil {
		return nil, Derived{}, err
	}
	d, err := s.schemas.Derive(schemaID, traits)
	if err != nil {
		return nil, Derived{}, err
	}
	return traits, d, nil
}

// Create validates and stores a new identity.
func (s *Service) Create(ctx context.Context, b CreateBody) (*Identity, error) {
	if b.SchemaID == "" {
		b.SchemaID = s.schemas.DefaultID()
	}
	state, err := checkState(b.State)
	if err != nil {
		return nil, err
	}
	traits, d, err := s.checkTraits(ctx, b.SchemaID, b.Traits)
	if err != nil {
		return nil, err
	}
	now := s.stamp()
	i := &Identity{ID: uuid.NewString(), SchemaID: b.SchemaID, State: state, StateChangedAt: &now, Traits: traits,
		OrganizationID: b.OrganizationID, CreatedAt: now, UpdatedAt: now, Credentials: map[string]Credential{}}
	if b.ExternalID != nil {
		i.ExternalID = *b.ExternalID
	}
	if i.MetadataPublic, err = metadata("metadata_public", b.MetadataPublic); err != nil {
		return nil, err
	}
	if i.MetadataAdmin, err = metadata("metadata_admin", b.MetadataAdmin); err != nil {
		return nil, err
	}
	verified := map[Address]VerifiableAddress{}
	for _, a := range b.VerifiableAddresses {
		verified[Address{Via: a.Via, Value: normalizeAddress(a.Via, a.Value)}] = a
	}
	s.syncAddresses(i, d, verified, now)
	if err := s.importCredentials(ctx, i, b.Credentials, now); err != nil {
		return nil, err
	}
	s.deriveCredentials(i, d, now)
	if err := s.store.InsertIdentity(ctx, i); err != nil {
		return nil, err
	}
	return s.present(i, nil), nil
}

// normalizeAddress is how addresses are compared and stored: emails
// case-insensitively.
func normalizeAddress(via, v string) string {
	v = strings.TrimSpace(v)
	if via == ViaEmail {
		v = strings.ToLower(v)
	}
	return v
}

// syncAddresses sets i's addresses to those the schema derived, keeping the
// state of the ones i already had (and, on create, taking the verified
// state an import gave).
func (s *Service) syncAddresses(i *Identity, d Derived, hints map[Address]VerifiableAddress, now time.Time) {
	prevV := map[Address]VerifiableAddress{}
	for _, a := range i.VerifiableAddresses {
		prevV[Address{Via: a.Via, Value: a.Value}] = a
	}
	prevR := map[Address]RecoveryAddress{}
	for _, a := range i.RecoveryAddresses {
		prevR[Address{Via: a.Via, Value: a.Value}] = a
	}
	i.VerifiableAddresses, i.RecoveryAddresses = nil, nil
	seen := map[Address]bool{}
	for _, a := range d.Verifiable {
		a.Value = normalizeAddress(a.Via, a.Value)
		if seen[a] {
			continue
		}
		seen[a] = true
		if p, ok := prevV[a]; ok {
			i.VerifiableAddresses = append(i.VerifiableAddresses, p)
			continue
		}
		v := VerifiableAddress{ID: uuid.NewString(), Value: a.Value, Via: a.Via, Status: AddressPending, CreatedAt: now, UpdatedAt: now}
		if h, ok := hints[a]; ok && h.Verified {
			v.Verified, v.Status = true, AddressCompleted
			at := now
			if h.VerifiedAt != nil {
				at = h.VerifiedAt.UTC().Truncate(time.Microsecond)
			}
			v.VerifiedAt = &at
		}
		i.VerifiableAddresses = append(i.VerifiableAddresses, v)
	}
	seen = map[Address]bool{}
	for _, a := range d.Recovery {
		a.Value = normalizeAddress(a.Via, a.Value)
		if seen[a] {
			continue
		}
		seen[a] = true
		if p, ok := prevR[a]; ok {
			i.RecoveryAddresses = append(i.RecoveryAddresses, p)
			continue
		}
		i.RecoveryAddresses = append(i.RecoveryAddresses, RecoveryAddress{ID: uuid.NewString(), Value: a.Value, Via: a.Via, CreatedAt: now, UpdatedAt: now})
	}
}

// importCredentials turns the credentials of a create or update body into
// stored credentials of i.
func (s *Service) importCredentials(ctx context.Context, i *Identity, c *ImportCredentials, now time.Time) error {
	if c == nil {
		return nil
	}
	for typ := range c.Other {
		return invalid("Importing %s credentials is not supported; import password or oidc credentials.", typ)
	}
	if p := c.Password; p != nil {
		cfg := PasswordConfig{UsePasswordMigrationHook: p.Config.UsePasswordMigrationHook}
		switch {
		case p.Config.Password != "" && p.Config.HashedPassword != "":
			return invalid("Give either credentials.password.config.password or hashed_password, not both.")
		case p.Config.Password != "":
			h, err := s.hasher.Hash(ctx, []byte(p.Config.Password))
			if err != nil {
				return err
			}
			cfg.HashedPassword = h
		case p.Config.HashedPassword != "":
			if !s.hasher.KnownHash(p.Config.HashedPassword) {
				return invalid("credentials.password.config.hashed_password is not a password hash in a supported format.")
			}
			cfg.HashedPassword = p.Config.HashedPassword
		case !cfg.UsePasswordMigrationHook:
			return invalid("credentials.password.config needs a password or a hashed_password.")
		}
		raw, _ := json.Marshal(cfg)
		s.putCredential(i, CredentialPassword, raw, nil, now)
	}
	if o := c.OIDC; o != nil {
		var ids []string
		for _, p := range o.Config.Providers {
			if p.Provider == "" || p.Subject == "" {
				return invalid("Every credentials.oidc.config.providers entry needs a provider and a subject.")
			}
			ids = append(ids, p.Provider+":"+p.Subject)
		}
		raw, _ := json.Marshal(map[string]any{"providers": o.Config.Providers})
		s.putCredential(i, CredentialOIDC, raw, ids, now)
	}
	return nil
}

func (s *Service) putCredential(i *Identity, typ string, config json.RawMessage, ids []string, now time.Time) {
	c, ok := i.Credentials[typ]
	if !ok {
		c = Credential{ID: uuid.NewString(), Type: typ, CreatedAt: now}
	}
	c.Config, c.UpdatedAt = config, now
	if ids != nil {
		c.Identifiers = ids
	}
	i.Credentials[typ] = c
}

// deriveCredentials sets the identifiers of i's credentials from what the
// schema marks in its traits, and adds the code credential the schema asks for.
func (s *Service) deriveCredentials(i *Identity, d Derived, now time.Time) {
	if c, ok := i.Credentials[CredentialPassword]; ok {
		c.Identifiers = uniq(d.PasswordIdentifiers)
		i.Credentials[CredentialPassword] = c
	}
	if c, ok := i.Credentials[CredentialWebAuthn]; ok {
		c.Identifiers = uniq(d.WebAuthnIdentifiers)
		i.Credentials[CredentialWebAuthn] = c
	}
	if len(d.CodeIdentifiers) == 0 {
		delete(i.Credentials, CredentialCode)
		return
	}
	type addr struct {
		Channel string `json:"channel"`
		Address string `json:"address"`
	}
	var ids []string
	var addrs []addr
	for _, a := range d.CodeIdentifiers {
		v := normalizeAddress(a.Via, a.Value)
		if slices.Contains(ids, v) {
			continue
		}
		ids = append(ids, v)
		addrs = append(addrs, addr{Channel: a.Via, Address: v})
	}
	raw, _ := json.Marshal(map[string]any{"addresses": addrs})
	if c, ok := i.Credentials[CredentialCode]; ok && bytes.Equal(c.Config, raw) && slices.Equal(c.Identifiers, ids) {
		return
	}
	s.putCredential(i, CredentialCode, raw, ids, now)
}

func uniq(v []string) []string {
	out := make([]string, 0, len(v))
	for _, s := range v {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// present prepares an identity for the API: the schema URL, and credential
// configs only for the types in include (all identifiers stay).
func (s *Service) present(i *Identity, include []string) *Identity {
	out := *i
	out.SchemaURL = s.schemas.URL(i.SchemaID)
	if len(i.Credentials) > 0 {
		out.Credentials = make(map[string]Credential, len(i.Credentials))
		for t, c := range i.Credentials {
			if !slices.Contains(include, t) {
				c.Config = nil
			}
			if c.Identifiers == nil {
				c.Identifiers = []string{}
			}
			out.Credentials[t] = c
		}
	}
	return &out
}

// Get returns an identity; include names the credential types whose
// config to show.
func (s *Service) Get(ctx context.Context, id string, include []string) (*Identity, error) {
	i, err := s.store.GetIdentity(ctx, id, true)
	if err != nil {
		return nil, err
	}
	return s.present(i, include), nil
}

// GetByExternalID returns the identity with that external id.
func (s *Service) GetByExternalID(ctx context.Context, ext string, include []string) (*Identity, error) {
	i, err := s.store.GetIdentityByExternalID(ctx, ext, true)
	if err != nil {
		return nil, err
	}
	return s.present(i, include), nil
}

// Update replaces an identity's traits, state, schema, metadata and
// external id, and imports the credentials given.
func (s *Service) Update(ctx context.Context, id string, b UpdateBody) (*Identity, error) {
	i, err := s.store.GetIdentity(ctx, id, true)
	if err != nil {
		return nil, err
	}
	if i.Credentials == nil {
		i.Credentials = map[string]Credential{}
	}
	if b.SchemaID != "" {
		i.SchemaID = b.SchemaID
	}
	if b.State == "" {
		b.State = i.State // a PUT without state keeps it
	}
	state, err := checkState(b.State)
	if err != nil {
		return nil, err
	}
	traits, d, err := s.checkTraits(ctx, i.SchemaID, b.Traits)
	if err != nil {
		return nil, err
	}
	now := s.stamp()
	if state != i.State {
		i.State, i.StateChangedAt = state, &now
	}
	i.Traits, i.UpdatedAt = traits, now
	if i.MetadataPublic, err = metadata("metadata_public", b.MetadataPublic); err != nil {
		return nil, err
	}
	if i.MetadataAdmin, err = metadata("metadata_admin", b.MetadataAdmin); err != nil {
		return nil, err
	}
	i.ExternalID = "" // a full replace: external_id goes unless given
	if b.ExternalID != nil {
		i.ExternalID = *b.ExternalID
	}
	s.syncAddresses(i, d, nil, now)
	if err := s.importCredentials(ctx, i, b.Credentials, now); err != nil {
		return nil, err
	}
	s.deriveCredentials(i, d, now)
	if err := s.store.UpdateIdentity(ctx, i); err != nil {
		return nil, err
	}
	return s.present(i, nil), nil
}

// Patch applies an RFC 6902 JSON Patch to the identity's JSON (without
// credentials) and stores the result as Update does. id, schema_url and
// the timestamps cannot be changed.
func (s *Service) Patch(ctx context.Context, id string, patch []byte) (*Identity, error) {
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		return nil, invalid("The JSON Patch is malformed: %v.", err)
	}
	cur, err := s.store.GetIdentity(ctx, id, false)
	if err != nil {
		return nil, err
	}
	view := s.present(cur, nil)
	view.Credentials = nil
	doc, err := json.Marshal(view)
	if err != nil {
		return nil, err
	}
	out, err := p.Apply(doc)
	if err != nil {
		return nil, invalid("The JSON Patch cannot be applied: %v.", err)
	}
	var after struct {
		UpdateBody
		ID string `json:"id"`
	}
	if err := json.Unmarshal(out, &after); err != nil {
		return nil, invalid("The patched identity is not valid: %v.", err)
	}
	if after.ID != id {
		return nil, invalid("id cannot be changed.")
	}
	if after.ExternalID == nil {
		empty := ""
		after.ExternalID = &empty // a removed external_id is cleared
	}
	return s.Update(ctx, id, after.UpdateBody)
}

// Delete deletes an identity with its credentials, addresses and sessions.
func (s *Service) Delete(ctx context.Context, id string) error {
	return s.store.DeleteIdentity(ctx, id)
}

// DeleteCredential removes one credential of an identity (for oidc, only
// the link identifier names when given). First-factor password and code
// credentials cannot be removed this way.
func (s *Service) DeleteCredential(ctx context.Context, id, typ, identifier string) error {
	switch typ {
	case CredentialPassword, CredentialCode:
		return invalid("%s credentials cannot be removed; update the identity instead.", typ)
	case CredentialOIDC, CredentialTOTP, CredentialWebAuthn, CredentialPasskey, CredentialLookup, "saml":
	default:
		return invalid("Unknown credentials type %q.", typ)
	}
	i, err := s.store.GetIdentity(ctx, id, true)
	if err != nil {
		return err
	}
	c, ok := i.Credentials[typ]
	if !ok {
		return fmt.Errorf("identity %s has no %s credentials: %w", id, typ, storage.ErrNotFound)
	}
	now := s.stamp()
	if typ == CredentialOIDC && identifier != "" {
		var cfg struct {
			Providers []OIDCProvider `json:"providers"`
		}
		_ = json.Unmarshal(c.Config, &cfg)
		kept := cfg.Providers[:0]
		for _, p := range cfg.Providers {
			if p.Provider+":"+p.Subject != identifier {
				kept = append(kept, p)
			}
		}
		if len(kept) == len(cfg.Providers) {
			return fmt.Errorf("identity %s has no oidc link %s: %w", id, identifier, storage.ErrNotFound)
		}
		cfg.Providers = kept
		c.Config, _ = json.Marshal(cfg)
		c.Identifiers = slices.DeleteFunc(slices.Clone(c.Identifiers), func(v string) bool { return v == identifier })
		c.UpdatedAt = now
		i.Credentials[typ] = c
		if len(kept) == 0 {
			delete(i.Credentials, typ)
		}
	} else {
		delete(i.Credentials, typ)
	}
	i.UpdatedAt = now
	return s.store.UpdateIdentity(ctx, i)
}

// ListQuery selects identities for List.
type ListRequest struct {
	PageSize              int
	PageToken             string
	IDs                   []string
	CredentialsIdentifier string
	Include               []string
	// StoredAddresses leaves the addresses as stored (Identity.Stored), for
	// a caller that only writes them out: decoding them is most of the cost
	// of a page.
	StoredAddresses bool
}

// Page is one page of identities; NextToken is empty on the last page.
type Page struct {
	Identities []*Identity
	NextToken  string
}

// List returns a page of identities ordered by id.
func (s *Service) List(ctx context.Context, r ListRequest) (Page, error) {
	n := r.PageSize
	switch {
	case n == 0:
		n = DefaultPageSize
	case n < 0:
		return Page{}, invalid("page_size must be at least 1.")
	case n > MaxPageSize:
		n = MaxPageSize
	}
	if len(r.IDs) > MaxIDs {
		return Page{}, invalid("At most %d ids may be listed at once.", MaxIDs)
	}
	var after string
	if r.PageToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(r.PageToken)
		if err != nil || len(b) == 0 {
			return Page{}, invalid("page_token is not a token this server issued.")
		}
		after = string(b)
	}
	ids, err := s.store.ListIdentities(ctx, ListQuery{After: after, Limit: n + 1, IDs: r.IDs,
		CredentialsIdentifier: strings.TrimSpace(r.CredentialsIdentifier), WithCredentials: len(r.Include) > 0,
		StoredAddresses: r.StoredAddresses})
	if err != nil {
		return Page{}, err
	}
	p := Page{Identities: make([]*Identity, 0, min(len(ids), n))}
	for k, i := range ids {
		if k == n {
			p.NextToken = base64.RawURLEncoding.EncodeToString([]byte(ids[n-1].ID))
			break
		}
		p.Identities = append(p.Identities, s.present(i, r.Include))
	}
	return p, nil
}

// BatchItem is one entry of a batch request.
type BatchItem struct {
	Create  *CreateBody `json:"create"`
	PatchID string      `json:"patch_id,omitempty"`
}

// BatchResult is the outcome of one batch entry: action "create" with the
// new identity's id, or "error" with the error.
type BatchResult struct {
	Action   string `json:"action"`
	Identity string `json:"identity,omitempty"`
	PatchID  string `json:"patch_id,omitempty"`
	Error    error  `json:"-"`
}

// Batch creates each identity of items independently: one refused does not
// keep the others from being created.
func (s *Service) Batch(ctx context.Context, items []BatchItem) ([]BatchResult, error) {
	if len(items) > MaxBatch {
		return nil, invalid("A batch may hold at most %d identities, not %d.", MaxBatch, len(items))
	}
	out := make([]BatchResult, len(items))
	for k, it := range items {
		out[k].PatchID = it.PatchID
		if it.Create == nil {
			out[k].Action, out[k].Error = "error", invalid("The entry has nothing to create.")
			continue
		}
		i, err := s.Create(ctx, *it.Create)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			out[k].Action, out[k].Error = "error", err
			continue
		}
		out[k].Action, out[k].Identity = "create", i.ID
	}
	return out, nil
}

// FindByIdentifier returns the identity (with credentials) whose
// credential of type typ has identifier.
func (s *Service) FindByIdentifier(ctx context.Context, typ, identifier string) (*Identity, error) {
	return s.store.FindByIdentifier(ctx, typ, identifier)
}
