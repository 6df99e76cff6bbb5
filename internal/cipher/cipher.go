package cipher

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/chacha20poly1305"
)

// SecretLength is the length in characters of every cipher secret.
const SecretLength = 32

// idLen is the length in bytes of the key identifier in a ciphertext.
const idLen = 4

var (
	// ErrMalformed means the input is not a ciphertext made by this package.
	ErrMalformed = errors.New("cipher: malformed ciphertext")
	// ErrUnknownKey means the ciphertext was made with a secret that
	// secrets.cipher no longer (or never) held.
	ErrUnknownKey = errors.New("cipher: ciphertext was encrypted with a secret that secrets.cipher does not hold")
	// ErrTampered means authentication failed: the ciphertext was changed or
	// was not made with the secret its identifier names.
	ErrTampered = errors.New("cipher: ciphertext failed authentication (tampered with or corrupted)")
)

type key struct {
	id   [idLen]byte
	aead cipher.AEAD
}

// Cipher encrypts with the first secret and decrypts with any.
type Cipher struct {
	keys []key
}

// New returns a Cipher over secrets (secrets.cipher): at least one, each
// exactly 32 characters. The first encrypts; all decrypt.
func New(secrets []string) (*Cipher, error) {
	if len(secrets) == 0 {
		return nil, errors.New("cipher: secrets.cipher holds no secret")
	}
	c := &Cipher{}
	for i, s := range secrets {
		if n := utf8.RuneCountInString(s); n != SecretLength {
			return nil, fmt.Errorf("cipher: secrets.cipher[%d] must be exactly %d characters long, not %d", i, SecretLength, n)
		}
		// Encryption key and identifier are derived separately, so the
		// identifier stored next to every ciphertext tells nothing about
		// the key.
		k := sha256.Sum256([]byte("warden cipher key\x00" + s))
		aead, err := chacha20poly1305.NewX(k[:])
		if err != nil {
			return nil, fmt.Errorf("cipher: %w", err)
		}
		h := sha256.Sum256([]byte("warden cipher key id\x00" + s))
		var kk key
		copy(kk.id[:], h[:idLen])
		kk.aead = aead
		c.keys = append(c.keys, kk)
	}
	return c, nil
}

// Encrypt seals plaintext with the first secret and a random nonce. The
// result is base64url (no padding) of key id || nonce || sealed text; the key
// id is also authenticated.
func (c *Cipher) Encrypt(plaintext []byte) (string, error) {
	k := c.keys[0]
	buf := make([]byte, idLen+chacha20poly1305.NonceSizeX, idLen+chacha20poly1305.NonceSizeX+len(plaintext)+chacha20poly1305.Overhead)
	copy(buf, k.id[:])
	nonce := buf[idLen:]
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("cipher: read random nonce: %w", err)
	}
	out := k.aead.Seal(buf, nonce, plaintext, k.id[:])
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// Decrypt opens a ciphertext made by Encrypt with any of the secrets.
func (c *Cipher) Decrypt(ciphertext string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(ciphertext)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64url", ErrMalformed)
	}
	if len(raw) < idLen+chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead {
		return nil, fmt.Errorf("%w: too short (%d bytes)", ErrMalformed, len(raw))
	}
	id := raw[:idLen]
	nonce := raw[idLen : idLen+chacha20poly1305.NonceSizeX]
	sealed := raw[idLen+chacha20poly1305.NonceSizeX:]
	found := false
	for _, k := range c.keys {
		if string(k.id[:]) != string(id) {
			continue
		}
		// Identifiers are short, so two secrets may share one: try each
		// secret that carries it.
		found = true
		if pt, err := k.aead.Open(nil, nonce, sealed, id); err == nil {
			return pt, nil
		}
	}
	if !found {
		return nil, ErrUnknownKey
	}
	return nil, ErrTampered
}
