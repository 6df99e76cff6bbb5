package trust

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/warden-iam/warden/internal/storage"
)

// MaxLength bounds the issuer, the subject and the kid, in bytes.
const MaxLength = 1024

// MinRSABits is the smallest RSA modulus a trusted key may have.
const MinRSABits = 2048

// Algorithms are the signature algorithms a trusted key may be for. A key
// verifies signatures of its own alg only.
var Algorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

var (
	// ErrInvalid means a request was refused; errors.As with *FieldError
	// names the field.
	ErrInvalid = errors.New("invalid trust relationship")
	// ErrKeyMismatch means the issuer already uses the kid for another key
	// (other key material or another alg). It is a storage.ErrConflict.
	ErrKeyMismatch = fmt.Errorf("the issuer's kid names another key: %w", storage.ErrConflict)
)

// FieldError is a refused field of a request.
type FieldError struct {
	Field  string // JSON name, e.g. "expires_at"
	Reason string // a sentence saying why
}

func (e *FieldError) Error() string { return e.Reason }

// Is makes FieldError match ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// PublicKey names the trusted key: Set is the issuer, KID the key's kid.
type PublicKey struct {
	Set string `json:"set"`
	KID string `json:"kid"`
}

// Issuer is a trust relationship as the admin API shows it: Issuer may
// assert Subject (or, with AllowAnySubject, any subject) with JWTs signed
// by the key PublicKey names, for Scope, until ExpiresAt. Key is that
// public key; it is not part of the JSON.
type Issuer struct {
	ID              string          `json:"id"`
	Issuer          string          `json:"issuer"`
	Subject         string          `json:"subject"`
	AllowAnySubject bool            `json:"allow_any_subject"`
	Scope           []string        `json:"scope"`
	PublicKey       PublicKey       `json:"public_key"`
	ExpiresAt       time.Time       `json:"expires_at"`
	CreatedAt       time.Time       `json:"created_at"`
	Key             jose.JSONWebKey `json:"-"`
}

// Request asks to trust Issuer. Exactly one of Subject and AllowAnySubject
// must be set. Scope must not be nil (an empty list grants no scope). Key
// is the issuer's public signing key, with kid and alg.
type Request struct {
	Issuer          string
	Subject         string
	AllowAnySubject bool
	Scope           []string
	Key             jose.JSONWebKey
	ExpiresAt       time.Time
}

// normalize checks r at time now and returns it as it is stored: scope
// without repeats, the key reduced to its public members with use "sig",
// ExpiresAt in UTC with microsecond precision. Problems come back as
// *FieldError, the first one found.
func (r Request) normalize(now time.Time) (Request, error) {
	if r.Issuer == "" {
		return Request{}, invalid("issuer", "issuer is required: the iss of the assertions this relationship trusts.")
	}
	if err := checkText("issuer", "issuer", r.Issuer); err != nil {
		return Request{}, err
	}
	switch {
	case r.Subject != "" && r.AllowAnySubject:
		return Request{}, invalid("subject", "subject and allow_any_subject exclude each other: name one subject, or allow any subject.")
	case r.Subject == "" && !r.AllowAnySubject:
		return Request{}, invalid("subject", "Either subject or allow_any_subject is required: name the subject the issuer may assert, or set allow_any_subject to true.")
	case r.Subject != "":
		if err := checkText("subject", "subject", r.Subject); err != nil {
			return Request{}, err
		}
	}
	scope, err := checkScope(r.Scope)
	if err != nil {
		return Request{}, err
	}
	key, err := checkKey(r.Key)
	if err != nil {
		return Request{}, err
	}
	if r.ExpiresAt.IsZero() {
		return Request{}, invalid("expires_at", "expires_at is required: the time (RFC 3339) the relationship ends.")
	}
	exp := r.ExpiresAt.UTC().Truncate(time.Microsecond)
	if !exp.After(now) {
		return Request{}, invalid("expires_at", "expires_at %s is not in the future.", r.ExpiresAt.Format(time.RFC3339Nano))
	}
	if exp.Year() > 9999 { // RFC 3339 has four-digit years
		return Request{}, invalid("expires_at", "expires_at must lie before the year 10000 (UTC).")
	}
	r.Scope, r.Key, r.ExpiresAt = scope, key, exp
	return r, nil
}

// checkText refuses texts too long or holding invalid UTF-8 or control
// characters; name is the text's name in the reason.
func checkText(field, name, s string) error {
	if len(s) > MaxLength {
		return invalid(field, "%s is longer than %d bytes.", name, MaxLength)
	}
	if !utf8.ValidString(s) {
		return invalid(field, "%s is not valid UTF-8.", name)
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		c, _ := utf8.DecodeRuneInString(s[i:])
		return invalid(field, "%s holds the control character %q at byte %d.", name, c, i)
	}
	return nil
}

// checkScope checks scope tokens (RFC 6749 section 3.3: printable ASCII
// without space, " and \) and drops repeats, keeping the first.
func checkScope(scope []string) ([]string, error) {
	if scope == nil {
		return nil, invalid("scope", "scope is required: the scopes granted to the issuer's assertions, [] for none.")
	}
	out := make([]string, 0, len(scope))
	for i, s := range scope {
		if s == "" {
			return nil, invalid("scope", "scope[%d] is empty.", i)
		}
		for _, c := range s {
			if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
				return nil, invalid("scope", "scope[%d] %q holds %q; a scope is printable ASCII without space, \" or \\.", i, s, c)
			}
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// privateMembers are the JWK members that carry private or symmetric key
// material (RFC 7518 section 6).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// ParseKey reads the JSON of a public JWK. Private or symmetric keys are
// refused before they are parsed, so their material is never held. The
// key is not checked further here (see checkKey).
func ParseKey(b []byte) (jose.JSONWebKey, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil || members == nil {
		return jose.JSONWebKey{}, invalid("jwk", "jwk must be a JSON Web Key object (RFC 7517).")
	}
	for _, m := range privateMembers {
		if _, ok := members[m]; ok {
			if m == "k" {
				return jose.JSONWebKey{}, invalid("jwk", "jwk is a symmetric key; only an asymmetric public key can be trusted.")
			}
			return jose.JSONWebKey{}, invalid("jwk", "jwk holds the private member %q; send the public key only, the private key never leaves the issuer.", m)
		}
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(b); err != nil {
		if errors.Is(err, jose.ErrUnsupportedKeyType) {
			return jose.JSONWebKey{}, invalid("jwk", "jwk has an unsupported kty or crv; use RSA, EC (P-256, P-384, P-521) or OKP (Ed25519).")
		}
		return jose.JSONWebKey{}, invalid("jwk", "jwk is not a valid JSON Web Key: %s.", strings.TrimPrefix(err.Error(), "go-jose/go-jose: "))
	}
	return k, nil
}

// checkKey refuses keys the token endpoint could not verify with safely:
// private or symmetric keys, keys without kid or alg, algs that do not fit
// the key, RSA keys under MinRSABits, and keys not for signatures. It
// returns the key reduced to kid, alg, use "sig" and the public key.
func checkKey(k jose.JSONWebKey) (jose.JSONWebKey, error) {
	if k.Key == nil {
		return jose.JSONWebKey{}, invalid("jwk", "jwk is required: the issuer's public key that signs its assertions.")
	}
	if !k.IsPublic() {
		return jose.JSONWebKey{}, invalid("jwk", "jwk must be an asymmetric public key; private and symmetric keys are refused.")
	}
	if !k.Valid() {
		return jose.JSONWebKey{}, invalid("jwk", "jwk holds no valid key material.")
	}
	if k.KeyID == "" {
		return jose.JSONWebKey{}, invalid("jwk", "jwk needs a kid: assertions name their key by the kid of their header.")
	}
	if err := checkText("jwk", "jwk kid", k.KeyID); err != nil {
		return jose.JSONWebKey{}, err
	}
	if k.Algorithm == "" {
		return jose.JSONWebKey{}, invalid("jwk", "jwk needs an alg; use one of %s.", strings.Join(Algorithms, ", "))
	}
	if !slices.Contains(Algorithms, k.Algorithm) {
		return jose.JSONWebKey{}, invalid("jwk", "jwk alg %q is not supported; use one of %s.", k.Algorithm, strings.Join(Algorithms, ", "))
	}
	if k.Use != "" && k.Use != "sig" {
		return jose.JSONWebKey{}, invalid("jwk", "jwk use %q does not allow signatures; leave it out or use \"sig\".", k.Use)
	}
	ok := false
	switch key := k.Key.(type) {
	case *rsa.PublicKey:
		if key.N.BitLen() < MinRSABits {
			return jose.JSONWebKey{}, invalid("jwk", "jwk is a %d-bit RSA key; at least %d bits are required.", key.N.BitLen(), MinRSABits)
		}
		ok = strings.HasPrefix(k.Algorithm, "RS") || strings.HasPrefix(k.Algorithm, "PS")
	case *ecdsa.PublicKey:
		ok = k.Algorithm == curveAlg(key.Curve)
	case ed25519.PublicKey:
		ok = k.Algorithm == "EdDSA"
	}
	if !ok {
		return jose.JSONWebKey{}, invalid("jwk", "jwk alg %s does not fit its key (kty %s).", k.Algorithm, kty(k))
	}
	return jose.JSONWebKey{Key: k.Key, KeyID: k.KeyID, Algorithm: k.Algorithm, Use: "sig"}, nil
}

// curveAlg is the ECDSA alg of curve c.
func curveAlg(c elliptic.Curve) string {
	switch c {
	case elliptic.P256():
		return "ES256"
	case elliptic.P384():
		return "ES384"
	case elliptic.P521():
		return "ES512"
	}
	return ""
}

// kty names the key type of k as JWK does.
func kty(k jose.JSONWebKey) string {
	switch k.Key.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "EC"
	case ed25519.PublicKey:
		return "OKP"
	}
	return "unknown"
}

// encodeKey renders a normalised key as stored.
func encodeKey(k jose.JSONWebKey) (string, error) {
	b, err := k.MarshalJSON()
	if err != nil {
		return "", invalid("jwk", "jwk cannot be encoded: %v.", err)
	}
	return string(b), nil
}

// decodeKey reads a stored key back, refusing anything but a public key.
func decodeKey(data string) (jose.JSONWebKey, error) {
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON([]byte(data)); err != nil {
		return jose.JSONWebKey{}, err
	}
	if !k.IsPublic() || !k.Valid() {
		return jose.JSONWebKey{}, errors.New("the stored key is not a valid public key")
	}
	return k, nil
}
