package identity

import (
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/warden-iam/warden/internal/web"
)

// appendListed appends i as the admin API shows it (the JSON of Identity,
// fields in the same order) without going through encoding/json for what
// is already JSON: the traits, metadata and stored addresses are copied as
// stored (they were checked when written), where encoding/json would scan
// and compact every byte of them again. A page of 250 identities is mostly
// such bytes.
func appendListed(b []byte, i *Identity) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = appendString(b, i.ID)
	b = append(b, `,"schema_id":`...)
	b = appendString(b, i.SchemaID)
	b = append(b, `,"schema_url":`...)
	b = appendString(b, i.SchemaURL)
	b = append(b, `,"state":`...)
	b = appendString(b, i.State)
	if i.StateChangedAt != nil {
		b = append(b, `,"state_changed_at":`...)
		b = appendTime(b, *i.StateChangedAt)
	}
	b = append(b, `,"traits":`...)
	b = appendRaw(b, i.Traits)
	var err error
	if i.Stored != nil {
		if len(i.Stored.Verifiable) > 0 {
			b = append(b, `,"verifiable_addresses":`...)
			b = append(b, i.Stored.Verifiable...)
		}
		if len(i.Stored.Recovery) > 0 {
			b = append(b, `,"recovery_addresses":`...)
			b = append(b, i.Stored.Recovery...)
		}
	} else {
		if len(i.VerifiableAddresses) > 0 {
			b = append(b, `,"verifiable_addresses":`...)
			if b, err = web.AppendJSON(b, i.VerifiableAddresses); err != nil {
				return nil, err
			}
		}
		if len(i.RecoveryAddresses) > 0 {
			b = append(b, `,"recovery_addresses":`...)
			if b, err = web.AppendJSON(b, i.RecoveryAddresses); err != nil {
				return nil, err
			}
		}
	}
	if len(i.MetadataPublic) > 0 {
		b = append(b, `,"metadata_public":`...)
		b = append(b, i.MetadataPublic...)
	}
	if len(i.MetadataAdmin) > 0 {
		b = append(b, `,"metadata_admin":`...)
		b = append(b, i.MetadataAdmin...)
	}
	if len(i.Credentials) > 0 {
		b = append(b, `,"credentials":`...)
		if b, err = web.AppendJSON(b, i.Credentials); err != nil {
			return nil, err
		}
	}
	if i.ExternalID != "" {
		b = append(b, `,"external_id":`...)
		b = appendString(b, i.ExternalID)
	}
	if i.OrganizationID != nil {
		b = append(b, `,"organization_id":`...)
		b = appendString(b, *i.OrganizationID)
	}
	b = append(b, `,"created_at":`...)
	b = appendTime(b, i.CreatedAt)
	b = append(b, `,"updated_at":`...)
	b = appendTime(b, i.UpdatedAt)
	return append(b, '}'), nil
}

func appendRaw(b []byte, raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return append(b, "null"...)
	}
	return append(b, raw...)
}

// appendTime writes t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds, trailing zeros dropped).
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendString writes s as a JSON string. Printable ASCII other than the
// quote and the backslash is copied; anything else is encoded as the rest
// of the API encodes it (web.AppendJSON).
func appendString(b []byte, s string) []byte {
	for k := 0; k < len(s); k++ {
		if c := s[k]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			out, _ := web.AppendJSON(b, s) // a string always encodes
			return out
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
