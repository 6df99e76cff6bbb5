package client

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// SecretBytes is the size of generated client secrets: 256 bits.
const SecretBytes = 32

// Argon2id parameters for secrets an operator chose (OWASP's minimum:
// 19 MiB, two passes, one lane).
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Hash scheme prefixes, recorded in every stored hash.
const (
	schemeHMAC   = "$hmac-sha256$"
	schemeArgon2 = "$argon2id$"
)

var b64 = base64.RawStdEncoding

// argonSlots bounds the argon2id hashes computed at once to the number of
// cores: more in parallel would not finish sooner, but each holds its
// memory (19 MiB) while it waits for a core.
var argonSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

func argonKey(secret, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	argonSlots <- struct{}{}
	defer func() { <-argonSlots }()
	return argon2.IDKey(secret, salt, t, m, p, n)
}

// generateSecret returns a new random secret, URL-safe base64 text.
func generateSecret() (string, error) {
	b := make([]byte, SecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate client secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hasher hashes and verifies client secrets.
type hasher struct{ key []byte }

// fast hashes a generated, high-entropy secret: HMAC-SHA256 under the key,
// cheap to verify on every token request and useless without the key.
func (h hasher) fast(secret string) string {
	return schemeHMAC + b64.EncodeToString(h.mac(secret))
}

func (h hasher) mac(secret string) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(secret))
	return m.Sum(nil)
}

// slow hashes a chosen secret, which may be guessable, with argon2id.
func (h hasher) slow(secret string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash client secret: %w", err)
	}
	sum := argonKey([]byte(secret), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("%sv=%d$m=%d,t=%d,p=%d$%s$%s", schemeArgon2, argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(sum)), nil
}

var errBadHash = errors.New("malformed client secret hash")

// verify tells whether secret matches the stored hash, in constant time for
// a given hash.
func (h hasher) verify(hash, secret string) (bool, error) {
	switch {
	case strings.HasPrefix(hash, schemeHMAC):
		want, err := b64.DecodeString(strings.TrimPrefix(hash, schemeHMAC))
		if err != nil {
			return false, errBadHash
		}
		return hmac.Equal(want, h.mac(secret)), nil
	case strings.HasPrefix(hash, schemeArgon2):
		// $argon2id$v=19$m=...,t=...,p=...$salt$sum
		parts := strings.Split(hash, "$")
		if len(parts) != 6 {
			return false, errBadHash
		}
		var v int
		var m, t uint32
		var p uint8
		if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
			return false, errBadHash
		}
		if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 {
			return false, errBadHash
		}
		salt, err1 := b64.DecodeString(parts[4])
		want, err2 := b64.DecodeString(parts[5])
		if err1 != nil || err2 != nil || len(want) == 0 {
			return false, errBadHash
		}
		got := argonKey([]byte(secret), salt, t, m, p, uint32(len(want)))
		return subtle.ConstantTimeCompare(got, want) == 1, nil
	}
	return false, errBadHash
}
