package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// Identities is the store of identities and their credentials.
type Identities struct{ db *sqldb.DB }

// Identities returns the identity store.
func (s *Store) Identities() *Identities { return &Identities{db: s.DB} }

var _ identity.Store = (*Identities)(nil)

const identityCols = `id, schema_id, state, state_changed_at, traits, metadata_public, metadata_admin, external_id,
	organization_id, addresses, created_at, updated_at`

// addressesJSON is the stored form of an identity's addresses.
type addressesJSON struct {
	Verifiable []identity.VerifiableAddress `json:"v,omitempty"`
	Recovery   []identity.RecoveryAddress   `json:"r,omitempty"`
}

// splitAddresses returns the two arrays of a stored addressesJSON without
// decoding them: json.Marshal wrote it as {"v":[...],"r":[...]}, either
// member left out when empty. Inside the first array the bytes `],"r":[`
// cannot occur except at its end (every quote inside a string is escaped,
// and no address field is named "r"). Anything else is decoded the slow way.
func splitAddresses(s string) (v, r json.RawMessage, err error) {
	const vKey, rKey, sep = `{"v":[`, `{"r":[`, `],"r":[`
	switch {
	case s == "{}" || s == "":
		return nil, nil, nil
	case strings.HasPrefix(s, vKey) && strings.HasSuffix(s, "]}"):
		body := s[len(vKey)-1 : len(s)-1] // [...] or [...],"r":[...]
		if k := strings.Index(body, sep); k >= 0 {
			return nullIfEmpty(json.RawMessage(body[:k+1])), nullIfEmpty(json.RawMessage(body[k+len(sep)-1:])), nil
		}
		return nullIfEmpty(json.RawMessage(body)), nil, nil
	case strings.HasPrefix(s, rKey) && strings.HasSuffix(s, "]}") && !strings.Contains(s, `],"v":[`):
		return nil, nullIfEmpty(json.RawMessage(s[len(rKey)-1 : len(s)-1])), nil
	}
	var a struct {
		Verifiable json.RawMessage `json:"v"`
		Recovery   json.RawMessage `json:"r"`
	}
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		return nil, nil, err
	}
	return nullIfEmpty(a.Verifiable), nullIfEmpty(a.Recovery), nil
}

// nullIfEmpty is nil for an absent, null or empty array.
func nullIfEmpty(b json.RawMessage) json.RawMessage {
	if t := bytes.TrimSpace(b); len(t) == 0 || string(t) == "null" || string(t) == "[]" {
		return nil
	}
	return b
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

func identityArgs(i *identity.Identity) ([]any, error) {
	addrs, err := json.Marshal(addressesJSON{Verifiable: i.VerifiableAddresses, Recovery: i.RecoveryAddresses})
	if err != nil {
		return nil, err
	}
	var changed sqldb.Time
	if i.StateChangedAt != nil {
		changed.Time = *i.StateChangedAt
	}
	var org any
	if i.OrganizationID != nil {
		org = *i.OrganizationID
	}
	return []any{i.ID, i.SchemaID, i.State, changed, string(i.Traits), nullJSON(i.MetadataPublic), nullJSON(i.MetadataAdmin),
		nullString(i.ExternalID), org, string(addrs), i.CreatedAt, i.UpdatedAt}, nil
}

// identityScan holds the scan targets of identityCols.
type identityScan struct {
	i                     identity.Identity
	changed, created, upd sqldb.Time
	traits, addrs         string
	pub, adm, ext, org    *string
	stored                bool // leave the addresses as stored (identity.Identity.Stored)
}

func (x *identityScan) dest() []any {
	return []any{&x.i.ID, &x.i.SchemaID, &x.i.State, &x.changed, &x.traits, &x.pub, &x.adm, &x.ext, &x.org, &x.addrs, &x.created, &x.upd}
}

func (x *identityScan) identity() (*identity.Identity, error) {
	i := x.i
	i.Traits = json.RawMessage(x.traits)
	if x.pub != nil {
		i.MetadataPublic = json.RawMessage(*x.pub)
	}
	if x.adm != nil {
		i.MetadataAdmin = json.RawMessage(*x.adm)
	}
	if x.ext != nil {
		i.ExternalID = *x.ext
	}
	i.OrganizationID = x.org
	if !x.changed.IsZero() {
		t := x.changed.Time
		i.StateChangedAt = &t
	}
	i.CreatedAt, i.UpdatedAt = x.created.Time, x.upd.Time
	if x.stored {
		v, r, err := splitAddresses(x.addrs)
		if err != nil {
			return nil, fmt.Errorf("identity %s addresses: %w", i.ID, err)
		}
		i.Stored = &identity.StoredAddresses{Verifiable: v, Recovery: r}
		return &i, nil
	}
	var a addressesJSON
	if err := json.Unmarshal([]byte(x.addrs), &a); err != nil {
		return nil, fmt.Errorf("identity %s addresses: %w", i.ID, err)
	}
	i.VerifiableAddresses, i.RecoveryAddresses = a.Verifiable, a.Recovery
	return &i, nil
}

func scanIdentity(sc interface{ Scan(...any) error }) (*identity.Identity, error) {
	var x identityScan
	if err := sc.Scan(x.dest()...); err != nil {
		return nil, err
	}
	return x.identity()
}

// writeChildren stores i's addresses, credentials and identifiers (the
// identity's previous ones must be gone).
func writeChildren(ctx context.Context, tx *sqldb.Tx, i *identity.Identity) error {
	for _, a := range i.VerifiableAddresses {
		if _, err := tx.Exec(ctx, `INSERT INTO identity_addresses (kind, via, value, id, identity_id) VALUES (?, ?, ?, ?, ?)`,
			"verifiable", a.Via, a.Value, a.ID, i.ID); err != nil {
			return fmt.Errorf("verifiable address %s: %w", a.Value, err)
		}
	}
	for _, a := range i.RecoveryAddresses {
		if _, err := tx.Exec(ctx, `INSERT INTO identity_addresses (kind, via, value, id, identity_id) VALUES (?, ?, ?, ?, ?)`,
			"recovery", a.Via, a.Value, a.ID, i.ID); err != nil {
			return fmt.Errorf("recovery address %s: %w", a.Value, err)
		}
	}
	for typ, c := range i.Credentials {
		ids := c.Identifiers
		if ids == nil {
			ids = []string{}
		}
		idj, _ := json.Marshal(ids)
		cfg := string(c.Config)
		if cfg == "" {
			cfg = "{}"
		}
		if _, err := tx.Exec(ctx, `INSERT INTO identity_credentials (id, identity_id, type, config, identifiers, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, i.ID, typ, cfg, string(idj), c.Version, c.CreatedAt, c.UpdatedAt); err != nil {
			return fmt.Errorf("%s credentials: %w", typ, err)
		}
		for _, v := range ids {
			if _, err := tx.Exec(ctx, `INSERT INTO identity_credential_identifiers (type, identifier, identity_id, credential_id) VALUES (?, ?, ?, ?)`,
				typ, v, i.ID, c.ID); err != nil {
				return fmt.Errorf("%s identifier %s: %w", typ, v, err)
			}
		}
	}
	return nil
}

// InsertIdentity implements identity.Store.
func (s *Identities) InsertIdentity(ctx context.Context, i *identity.Identity) error {
	args, err := identityArgs(i)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO identities (`+identityCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...); err != nil {
			return fmt.Errorf("insert identity: %w", err)
		}
		return writeChildren(ctx, tx, i)
	})
}

// UpdateIdentity implements identity.Store.
func (s *Identities) UpdateIdentity(ctx context.Context, i *identity.Identity) error {
	args, err := identityArgs(i)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sqldb.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE identities SET schema_id = ?, state = ?, state_changed_at = ?, traits = ?, metadata_public = ?,
			metadata_admin = ?, external_id = ?, organization_id = ?, addresses = ?, updated_at = ? WHERE id = ?`,
			append(args[1:10:10], i.UpdatedAt, i.ID)...)
		if err != nil {
			return fmt.Errorf("update identity %s: %w", i.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("update identity %s: %w", i.ID, storage.ErrNotFound)
		}
		for _, q := range []string{
			`DELETE FROM identity_credential_identifiers WHERE identity_id = ?`,
			`DELETE FROM identity_credentials WHERE identity_id = ?`,
			`DELETE FROM identity_addresses WHERE identity_id = ?`,
		} {
			if _, err := tx.Exec(ctx, q, i.ID); err != nil {
				return fmt.Errorf("update identity %s: %w", i.ID, err)
			}
		}
		return writeChildren(ctx, tx, i)
	})
}

// DeleteIdentity implements identity.Store.
func (s *Identities) DeleteIdentity(ctx context.Context, id string) error {
	res, err := s.db.Exec(ctx, `DELETE FROM identities WHERE id = ?`, id)
	return deleted(res, err, "identity "+id)
}

// credentialsOf reads the credentials of the identities ids.
func (s *Identities) credentialsOf(ctx context.Context, ids []string) (map[string]map[string]identity.Credential, error) {
	out := map[string]map[string]identity.Credential{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for k, id := range ids {
		args[k] = id
	}
	rows, err := s.db.Query(ctx, `SELECT identity_id, id, type, config, identifiers, version, created_at, updated_at
		FROM identity_credentials WHERE identity_id IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			c            identity.Credential
			owner        string
			cfg, idj     string
			created, upd sqldb.Time
		)
		if err := rows.Scan(&owner, &c.ID, &c.Type, &cfg, &idj, &c.Version, &created, &upd); err != nil {
			return nil, fmt.Errorf("credentials: %w", err)
		}
		c.Config, c.CreatedAt, c.UpdatedAt = json.RawMessage(cfg), created.Time, upd.Time
		if err := json.Unmarshal([]byte(idj), &c.Identifiers); err != nil {
			return nil, fmt.Errorf("credentials of %s: %w", owner, err)
		}
		if out[owner] == nil {
			out[owner] = map[string]identity.Credential{}
		}
		out[owner][c.Type] = c
	}
	return out, rows.Err()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func (s *Identities) getWhere(ctx context.Context, where string, arg any, withCredentials bool) (*identity.Identity, error) {
	i, err := scanIdentity(s.db.QueryRow(ctx, `SELECT `+identityCols+` FROM identities WHERE `+where, arg))
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	if withCredentials {
		cs, err := s.credentialsOf(ctx, []string{i.ID})
		if err != nil {
			return nil, err
		}
		i.Credentials = cs[i.ID]
	}
	return i, nil
}

// GetIdentity implements identity.Store.
func (s *Identities) GetIdentity(ctx context.Context, id string, withCredentials bool) (*identity.Identity, error) {
	return s.getWhere(ctx, `id = ?`, id, withCredentials)
}

// GetIdentityByExternalID implements identity.Store.
func (s *Identities) GetIdentityByExternalID(ctx context.Context, ext string, withCredentials bool) (*identity.Identity, error) {
	return s.getWhere(ctx, `external_id = ?`, ext, withCredentials)
}

// FindByIdentifier implements identity.Store.
func (s *Identities) FindByIdentifier(ctx context.Context, typ, identifier string) (*identity.Identity, error) {
	var id string
	if err := s.db.QueryRow(ctx, `SELECT identity_id FROM identity_credential_identifiers WHERE type = ? AND identifier = ?`,
		typ, identifier).Scan(&id); err != nil {
		return nil, fmt.Errorf("identifier: %w", err)
	}
	return s.GetIdentity(ctx, id, true)
}

// ListIdentities implements identity.Store.
func (s *Identities) ListIdentities(ctx context.Context, q identity.ListQuery) ([]*identity.Identity, error) {
	where := []string{"id > ?"}
	args := []any{q.After}
	if len(q.IDs) > 0 {
		where = append(where, "id IN ("+placeholders(len(q.IDs))+")")
		for _, id := range q.IDs {
			args = append(args, id)
		}
	}
	if q.CredentialsIdentifier != "" {
		where = append(where, "id IN (SELECT identity_id FROM identity_credential_identifiers WHERE identifier = ?)")
		args = append(args, q.CredentialsIdentifier)
	}
	args = append(args, q.Limit)
	rows, err := s.db.Query(ctx, `SELECT `+identityCols+` FROM identities WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list identities: %w", err)
	}
	defer rows.Close()
	var out []*identity.Identity
	for rows.Next() {
		x := identityScan{stored: q.StoredAddresses}
		if err := rows.Scan(x.dest()...); err != nil {
			return nil, fmt.Errorf("list identities: %w", err)
		}
		i, err := x.identity()
		if err != nil {
			return nil, fmt.Errorf("list identities: %w", err)
		}
		out = append(out, i)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list identities: %w", err)
	}
	rows.Close()
	if q.WithCredentials && len(out) > 0 {
		ids := make([]string, len(out))
		for k, i := range out {
			ids[k] = i.ID
		}
		cs, err := s.credentialsOf(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, i := range out {
			i.Credentials = cs[i.ID]
		}
	}
	return out, nil
}

// FindByAddress implements identity.Store.
func (s *Identities) FindByAddress(ctx context.Context, kind, via, value string) (*identity.Identity, error) {
	var id string
	if err := s.db.QueryRow(ctx, `SELECT identity_id FROM identity_addresses WHERE kind = ? AND via = ? AND value = ?`,
		kind, via, value).Scan(&id); err != nil {
		return nil, fmt.Errorf("address: %w", err)
	}
	return s.GetIdentity(ctx, id, true)
}
