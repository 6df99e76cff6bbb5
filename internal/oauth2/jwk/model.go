package jwk

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

// IDTokenSet is the set whose public keys /.well-known/jwks.json serves.
const IDTokenSet = "hydra.openid.id-token"

// AccessTokenSet signs JWT access tokens; its public keys are served with
// IDTokenSet's so resource servers find them at the same place.
const AccessTokenSet = "hydra.jwt.access-token"

// RSABits is the size of generated RSA keys (see the package doc).
const RSABits = 2048

// Algorithms are the algorithms keys can be generated or imported for.
var Algorithms = []string{"RS256", "ES256", "ES512", "EdDSA", "HS256", "HS512"}

// Uses are the allowed values of a key's use.
var Uses = []string{"sig", "enc"}

var (
	// ErrInvalid means a request or key was refused; the message says why.
	ErrInvalid = errors.New("invalid JSON Web Key")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

func checkAlg(alg string) error {
	if !slices.Contains(Algorithms, alg) {
		return invalid("alg %q is not supported; use one of %s", alg, strings.Join(Algorithms, ", "))
	}
	return nil
}

func checkUse(use string) error {
	if !slices.Contains(Uses, use) {
		return invalid("use %q is not supported; use one of %s", use, strings.Join(Uses, ", "))
	}
	return nil
}

// symmetric tells whether alg is a shared-secret algorithm (never published).
func symmetric(alg string) bool { return strings.HasPrefix(alg, "HS") }

// generate makes a new private key for alg.
func generate(alg string) (any, error) {
	switch alg {
	case "RS256":
		return rsa.GenerateKey(rand.Reader, RSABits)
	case "ES256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES512":
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "EdDSA":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	case "HS256", "HS512":
		n := 32
		if alg == "HS512" {
			n = 64
		}
		k := make([]byte, n)
		_, err := rand.Read(k)
		return k, err
	}
	return nil, checkAlg(alg)
}

// newKID returns a random key id.
func newKID() string { return uuid.NewString() }

// checkKey verifies an imported key: kid given, alg and use supported and
// the key material fits alg.
func checkKey(k jose.JSONWebKey) error {
	if k.KeyID == "" {
		return invalid("kid is required")
	}
	if k.Algorithm == "" {
		return invalid("alg is required; use one of %s", strings.Join(Algorithms, ", "))
	}
	if err := checkAlg(k.Algorithm); err != nil {
		return err
	}
	if k.Use == "" {
		return invalid("use is required; use one of %s", strings.Join(Uses, ", "))
	}
	if err := checkUse(k.Use); err != nil {
		return err
	}
	if _, shared := k.Key.([]byte); k.Key == nil || (!shared && !k.Valid()) {
		return invalid("key %q holds no valid key material", k.KeyID)
	}
	ok := false
	switch key := k.Key.(type) {
	case *rsa.PrivateKey:
		ok = k.Algorithm == "RS256"
	case *rsa.PublicKey:
		ok = k.Algorithm == "RS256"
	case *ecdsa.PrivateKey:
		ok = curveFits(k.Algorithm, key.Curve)
	case *ecdsa.PublicKey:
		ok = curveFits(k.Algorithm, key.Curve)
	case ed25519.PrivateKey, ed25519.PublicKey:
		ok = k.Algorithm == "EdDSA"
	case []byte:
		ok = symmetric(k.Algorithm) && len(key) >= 32
	}
	if !ok {
		return invalid("key %q: its key material does not fit alg %s", k.KeyID, k.Algorithm)
	}
	return nil
}

func curveFits(alg string, c elliptic.Curve) bool {
	return (alg == "ES256" && c == elliptic.P256()) || (alg == "ES512" && c == elliptic.P521())
}

// public returns the publishable part of k, and false for symmetric keys.
func public(k jose.JSONWebKey) (jose.JSONWebKey, bool) {
	if _, ok := k.Key.([]byte); ok || symmetric(k.Algorithm) {
		return jose.JSONWebKey{}, false
	}
	p := k.Public()
	if !p.Valid() {
		return jose.JSONWebKey{}, false
	}
	return p, true
}
