package provider

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// b64 is strict: trailing bits must be zero, so no two spellings of one value exist.
var b64 = base64.RawURLEncoding.Strict()

// Token prefixes, as Ory's opaque tokens carry them.
const (
	prefixAccess  = "ory_at_"
	prefixRefresh = "ory_rt_"
	prefixCode    = "ory_ac_"
	prefixDevice  = "ory_dc_"
)

// macKeys are HMAC keys derived from the system secrets for one purpose: the
// first signs, all verify (secret rotation).
type macKeys [][]byte

func deriveKeys(secrets []string, info string) (macKeys, error) {
	if len(secrets) == 0 {
		return nil, errors.New("secrets.system: no secret")
	}
	out := make(macKeys, 0, len(secrets))
	for _, s := range secrets {
		k, err := hkdf.Key(sha256.New, []byte(s), nil, info, 32)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

func (k macKeys) mac(i int, parts ...string) []byte {
	m := hmac.New(sha256.New, k[i])
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// sign returns "<id>.<mac>" for purpose.
func (k macKeys) sign(purpose, id string) string {
	return id + "." + b64.EncodeToString(k.mac(0, purpose, id)[:24])
}

// open checks a value made by sign for purpose and returns its id.
func (k macKeys) open(purpose, value string) (string, bool) {
	id, sig, ok := strings.Cut(value, ".")
	if !ok || id == "" || len(sig) != 32 {
		return "", false
	}
	got, err := b64.DecodeString(sig)
	if err != nil {
		return "", false
	}
	for i := range k {
		if hmac.Equal(got, k.mac(i, purpose, id)[:24]) {
			return id, true
		}
	}
	return "", false
}

// sortable is base64 over an alphabet in ASCII order, so that the encodings
// of equally long byte strings sort as the bytes do.
var sortable = base64.NewEncoding("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz").WithPadding(base64.NoPadding)

// newRequestID returns the id of a new flow or grant: 22 URL-safe
// characters of 16 bytes. With a single writer (see Options.SingleWriter)
// the first six bytes are the time in milliseconds and the rest random (80
// bits), in an alphabet that sorts as ASCII, so ids made later sort later;
// otherwise all 16 bytes are random.
func (s *Service) newRequestID(now time.Time) string {
	if !s.opts.SingleWriter {
		return randomString(16)
	}
	return orderedID(now)
}

func orderedID(now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	_, _ = rand.Read(b[6:])
	return sortable.EncodeToString(b[:])
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b64.EncodeToString(b)
}

// newOpaque returns a new opaque token "<prefix><key>.<mac>" and the value
// stored for it.
func (k macKeys) newOpaque(prefix string) (token, stored string) {
	key := randomString(32)
	sig := b64.EncodeToString(k.mac(0, prefix, key))
	return prefix + key + "." + sig, storedSignature(sig)
}

// openOpaque checks an opaque token of the given prefix and returns the value
// stored for it; false for anything not made by newOpaque.
func (k macKeys) openOpaque(prefix, token string) (string, bool) {
	rest, ok := strings.CutPrefix(token, prefix)
	if !ok {
		return "", false
	}
	key, sig, ok := strings.Cut(rest, ".")
	if !ok || len(key) != 43 || len(sig) != 43 {
		return "", false
	}
	got, err := b64.DecodeString(sig)
	if err != nil {
		return "", false
	}
	for i := range k {
		if hmac.Equal(got, k.mac(i, prefix, key)) {
			return storedSignature(sig), true
		}
	}
	return "", false
}

// storedSignature is what storage keeps of a token signature: its hash.
func storedSignature(sig string) string {
	h := sha256.Sum256([]byte(sig))
	return b64.EncodeToString(h[:])
}

// hashOf is a stored lookup key for values that are not signed tokens (user
// codes, assertion ids), separated by purpose.
func hashOf(purpose, v string) string {
	h := sha256.Sum256([]byte(purpose + "\x00" + v))
	return b64.EncodeToString(h[:])
}
