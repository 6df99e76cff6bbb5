package schema

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// Channels an address is reached by.
const (
	ViaEmail = "email"
	ViaSMS   = "sms"
)

// Address is a value and the channel that reaches it.
type Address struct {
	Via   string `json:"via"`
	Value string `json:"value"`
}

// Extracted is what the schema's "ory.sh/kratos" extension marks in a
// traits document. Lists hold no duplicates and follow schema property
// order, then array order.
type Extracted struct {
	// PasswordIdentifiers sign in with a password (trimmed, lower-cased).
	PasswordIdentifiers []string
	// WebAuthnIdentifiers sign in with security keys (trimmed, lower-cased).
	WebAuthnIdentifiers []string
	// CodeIdentifiers receive one-time sign-in codes (trimmed, lower-cased).
	CodeIdentifiers []Address
	// VerifiableAddresses are verified through their channel; email values
	// are trimmed and lower-cased, SMS values trimmed.
	VerifiableAddresses []Address
	// RecoveryAddresses recover the account; normalised as
	// VerifiableAddresses.
	RecoveryAddresses []Address
	// TOTPAccountName names the account in authenticator apps: the first
	// marked value, trimmed.
	TOTPAccountName string
	// PasskeyDisplayName names the user to passkey authenticators: the
	// first marked value, trimmed.
	PasskeyDisplayName string
}

// NormalizeIdentifier is the form identifiers are stored and compared in:
// trimmed and lower-cased, so identifiers are unique whatever their case.
func NormalizeIdentifier(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// normalizeAddress trims an address and lower-cases email addresses.
func normalizeAddress(via, s string) string {
	if via == ViaEmail {
		return NormalizeIdentifier(s)
	}
	return strings.TrimSpace(s)
}

// Extract returns what the schema marks in traits. It parses traits under
// the same bounds as Validate but does not validate them: call Validate
// first. Only string values are taken (also the strings of an array whose
// property carries the extension); empty values are skipped.
func (s *Schema) Extract(traits json.RawMessage) (Extracted, error) {
	doc, verr := decodeTraits(traits)
	if verr != nil {
		return Extracted{}, verr
	}
	var x Extracted
	for _, ep := range s.exts {
		e := ep.ext
		for _, f := range collect(doc, ep.path, ep.arrays, nil) {
			raw := strings.TrimSpace(f.value)
			if raw == "" {
				continue
			}
			id := NormalizeIdentifier(raw)
			if e.Credentials.Password.Identifier {
				x.PasswordIdentifiers = appendUnique(x.PasswordIdentifiers, id)
			}
			if e.Credentials.WebAuthn.Identifier {
				x.WebAuthnIdentifiers = appendUnique(x.WebAuthnIdentifiers, id)
			}
			if e.codeIdentifier() {
				x.CodeIdentifiers = appendUnique(x.CodeIdentifiers, Address{Via: e.Credentials.Code.Via, Value: id})
			}
			if v := e.Verification; v != nil {
				x.VerifiableAddresses = appendUnique(x.VerifiableAddresses, Address{Via: v.Via, Value: normalizeAddress(v.Via, raw)})
			}
			if r := e.Recovery; r != nil {
				x.RecoveryAddresses = appendUnique(x.RecoveryAddresses, Address{Via: r.Via, Value: normalizeAddress(r.Via, raw)})
			}
			if e.Credentials.TOTP.AccountName && x.TOTPAccountName == "" {
				x.TOTPAccountName = raw
			}
			if e.Credentials.Passkey.DisplayName && x.PasskeyDisplayName == "" {
				x.PasskeyDisplayName = raw
			}
		}
	}
	return x, nil
}

func appendUnique[T comparable](list []T, v T) []T {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// found is a string value of the traits and its location in the identity
// document.
type found struct {
	value string
	loc   []string
}

// collect returns the strings at path p of doc: the value itself, or, when
// arrays is set, the strings of an array there. loc prefixes every
// location.
func collect(doc any, p path, arrays bool, loc []string) []found {
	var out []found
	var rec func(v any, i int, loc []string)
	rec = func(v any, i int, loc []string) {
		if i == len(p) {
			switch t := v.(type) {
			case string:
				out = append(out, found{t, loc})
			case []any:
				if !arrays {
					return
				}
				for j, x := range t {
					if s, ok := x.(string); ok {
						out = append(out, found{s, append(slices.Clip(loc), strconv.Itoa(j))})
					}
				}
			}
			return
		}
		if p[i].item {
			arr, _ := v.([]any)
			for j, x := range arr {
				rec(x, i+1, append(slices.Clip(loc), strconv.Itoa(j)))
			}
			return
		}
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		if x, ok := m[p[i].name]; ok {
			rec(x, i+1, append(slices.Clip(loc), p[i].name))
		}
	}
	rec(doc, 0, loc)
	return out
}
