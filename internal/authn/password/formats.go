package password

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"math/bits"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/md4" // deprecated, but needed to verify imported $hmac-md4$ hashes
	"golang.org/x/crypto/scrypt"
)

// verifier is a parsed stored hash.
type verifier interface {
	// cost reports whether a verification is expensive enough to run in
	// the hashing pool, and the working memory in bytes it needs.
	cost() (pooled bool, memory uint64)
	// verify reports whether password matches, in time independent of
	// where the computed and stored values differ.
	verify(password []byte) bool
}

// parseHash parses a stored hash. passwordLen is the length of the password
// it will be compared with (0 when only the format matters), needed to bound
// the schemes whose cost grows with it. Errors wrap ErrUnknownHashFormat,
// ErrMalformedHash or ErrCostLimit.
func parseHash(encoded string, passwordLen int, lim *limits) (verifier, error) {
	if len(encoded) > lim.maxHash {
		return nil, malformed("hash", "longer than %d bytes", lim.maxHash)
	}
	for i := 0; i < len(encoded); i++ {
		if c := encoded[i]; c <= ' ' || c >= 0x7f {
			return nil, malformed("hash", "contains a space, control or non-ASCII byte")
		}
	}
	if strings.HasPrefix(encoded, "{") {
		return parseSSHA(encoded, lim)
	}
	if !strings.HasPrefix(encoded, "$") {
		return nil, ErrUnknownHashFormat
	}
	id, body, ok := strings.Cut(encoded[1:], "$")
	if !ok {
		return nil, ErrUnknownHashFormat
	}
	switch id {
	case "2a", "2b", "2y":
		return parseBcrypt(encoded, lim)
	case "argon2id", "argon2i":
		return parseArgon2(id, body, lim)
	case "pbkdf2-sha1", "pbkdf2-sha224", "pbkdf2-sha256", "pbkdf2-sha384", "pbkdf2-sha512":
		return parsePBKDF2(id, body, lim)
	case "scrypt":
		return parseScrypt(body, lim)
	case "firescrypt":
		return parseFirescrypt(body, lim)
	case "md5", "sha1", "sha256", "sha512":
		return parseDigest(id, body, lim)
	case "md5-crypt", "1":
		return parseMD5Crypt(body)
	case "sha256-crypt", "5":
		return parseSHACrypt(false, body, passwordLen, lim)
	case "sha512-crypt", "6":
		return parseSHACrypt(true, body, passwordLen, lim)
	case "hmac-md4", "hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512":
		return parseHMAC(id, body, lim)
	}
	return nil, ErrUnknownHashFormat
}

func malformed(scheme, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformedHash, scheme, fmt.Sprintf(format, args...))
}

func tooCostly(scheme, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrCostLimit, scheme, fmt.Sprintf(format, args...))
}

// decodeBase64 decodes standard base64 with or without padding. It refuses
// non-canonical input (bits set after the last encoded byte), so that each
// stored value has exactly one accepted spelling.
func decodeBase64(s string, lim *limits) ([]byte, error) {
	if len(s) > lim.maxSaltKey*4/3+4 {
		return nil, fmt.Errorf("value longer than %d bytes", lim.maxSaltKey)
	}
	if strings.HasSuffix(s, "=") || len(s)%4 == 0 {
		return base64.StdEncoding.Strict().DecodeString(s)
	}
	return base64.RawStdEncoding.Strict().DecodeString(s)
}

// parseParams parses "k1=v1,k2=v2,..." with exactly the given keys in that
// order and unsigned decimal values.
func parseParams(s string, keys ...string) ([]uint64, bool) {
	parts := strings.Split(s, ",")
	if len(parts) != len(keys) {
		return nil, false
	}
	vals := make([]uint64, len(keys))
	for i, part := range parts {
		k, v, ok := strings.Cut(part, "=")
		if !ok || k != keys[i] {
			return nil, false
		}
		n, ok := parseDecimal(v)
		if !ok {
			return nil, false
		}
		vals[i] = n
	}
	return vals, true
}

// parseDecimal accepts 1 to 10 ASCII digits.
func parseDecimal(s string) (uint64, bool) {
	if len(s) == 0 || len(s) > 10 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

func equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// --- bcrypt: $2a$, $2b$, $2y$ ---

type bcryptHash struct {
	encoded []byte
	bcost   int
}

func parseBcrypt(encoded string, lim *limits) (verifier, error) {
	// $2x$cc$ then 22 characters of salt and 31 of hash.
	if len(encoded) != 60 || encoded[3] != '$' || encoded[6] != '$' {
		return nil, malformed("bcrypt", "not $2?$cost$ followed by 53 characters")
	}
	cost, ok := parseDecimal(encoded[4:6])
	if !ok || cost < uint64(bcrypt.MinCost) || cost > uint64(bcrypt.MaxCost) {
		return nil, malformed("bcrypt", "cost %q is not 04..31", encoded[4:6])
	}
	for i := 7; i < len(encoded); i++ {
		if strings.IndexByte(cryptAlphabet, encoded[i]) < 0 {
			return nil, malformed("bcrypt", "character %q outside its alphabet", encoded[i])
		}
	}
	if int(cost) > lim.bcryptCost {
		return nil, tooCostly("bcrypt", "cost %d above %d", cost, lim.bcryptCost)
	}
	return &bcryptHash{encoded: []byte(encoded), bcost: int(cost)}, nil
}

func (h *bcryptHash) cost() (bool, uint64) { return true, 4 * kib }

func (h *bcryptHash) verify(password []byte) bool {
	// The library compares the recomputed encoding with the stored one in
	// constant time. Like every bcrypt, it uses only the first 72 bytes.
	return bcrypt.CompareHashAndPassword(h.encoded, password) == nil
}

// --- argon2: $argon2id$v=19$m=KiB,t=passes,p=lanes$salt$key ---

type argon2Hash struct {
	variant     string
	memoryKiB   uint32
	iterations  uint32
	parallelism uint8
	salt, key   []byte
}

func parseArgon2(id, body string, lim *limits) (verifier, error) {
	parts := strings.Split(body, "$")
	if len(parts) != 4 {
		return nil, malformed(id, "not v=19$m=..,t=..,p=..$salt$hash")
	}
	if parts[0] != "v=19" {
		return nil, malformed(id, "version %q is not v=19", parts[0])
	}
	p, ok := parseParams(parts[1], "m", "t", "p")
	if !ok {
		return nil, malformed(id, "parameters %q are not m=..,t=..,p=..", parts[1])
	}
	m, t, lanes := p[0], p[1], p[2]
	if t < 1 || lanes < 1 || lanes > 255 || m < 8*lanes || m > 1<<32-1 {
		return nil, malformed(id, "parameters m=%d,t=%d,p=%d out of range", m, t, lanes)
	}
	salt, err := decodeBase64(parts[2], lim)
	if err != nil {
		return nil, malformed(id, "salt: %v", err)
	}
	key, err := decodeBase64(parts[3], lim)
	if err != nil {
		return nil, malformed(id, "hash: %v", err)
	}
	if len(key) < 4 {
		return nil, malformed(id, "hash shorter than 4 bytes")
	}
	if m > uint64(lim.argon2MemoryKiB) {
		return nil, tooCostly(id, "memory %d KiB above %d", m, lim.argon2MemoryKiB)
	}
	if hi, lo := bits.Mul64(m, t); hi != 0 || lo > lim.argon2Work {
		return nil, tooCostly(id, "memory times iterations above %d KiB", lim.argon2Work)
	}
	return &argon2Hash{variant: id, memoryKiB: uint32(m), iterations: uint32(t), parallelism: uint8(lanes), salt: salt, key: key}, nil
}

func (h *argon2Hash) cost() (bool, uint64) { return true, uint64(h.memoryKiB) * kib }

func (h *argon2Hash) verify(password []byte) bool {
	var got []byte
	if h.variant == "argon2i" {
		got = argon2.Key(password, h.salt, h.iterations, h.memoryKiB, h.parallelism, uint32(len(h.key)))
	} else {
		got = argon2.IDKey(password, h.salt, h.iterations, h.memoryKiB, h.parallelism, uint32(len(h.key)))
	}
	return equal(got, h.key)
}

// --- PBKDF2: $pbkdf2-sha256$i=iterations,l=keylen$salt$key ---

type pbkdf2Hash struct {
	newHash    func() hash.Hash
	iterations int
	salt, key  []byte
}

// pbkdf2Digest returns the PRF digest of a PBKDF2 scheme. The -sha224 and
// -sha384 schemes use SHA3-224 and SHA3-384, as the hashes Ory Kratos
// writes and accepts under those names do; -sha1, -sha256 and -sha512 use
// SHA-1 and SHA-2.
// The second result is the digest size, the third the weight of one
// iteration in the work limit.
func pbkdf2Digest(id string) (func() hash.Hash, int, uint64) {
	switch id {
	case "pbkdf2-sha1":
		return sha1.New, sha1.Size, 1
	case "pbkdf2-sha224":
		return func() hash.Hash { return sha3.New224() }, 28, 4
	case "pbkdf2-sha256":
		return sha256.New, sha256.Size, 1
	case "pbkdf2-sha384":
		return func() hash.Hash { return sha3.New384() }, 48, 4
	default:
		return sha512.New, sha512.Size, 4
	}
}

func parsePBKDF2(id, body string, lim *limits) (verifier, error) {
	parts := strings.Split(body, "$")
	if len(parts) != 3 {
		return nil, malformed(id, "not i=..,l=..$salt$hash")
	}
	p, ok := parseParams(parts[0], "i", "l")
	if !ok {
		return nil, malformed(id, "parameters %q are not i=..,l=..", parts[0])
	}
	iter, keyLen := p[0], p[1]
	salt, err := decodeBase64(parts[1], lim)
	if err != nil {
		return nil, malformed(id, "salt: %v", err)
	}
	key, err := decodeBase64(parts[2], lim)
	if err != nil {
		return nil, malformed(id, "hash: %v", err)
	}
	if iter < 1 || keyLen < 1 || uint64(len(key)) != keyLen {
		return nil, malformed(id, "i=%d,l=%d with a %d-byte hash", iter, keyLen, len(key))
	}
	newHash, size, weight := pbkdf2Digest(id)
	blocks := (keyLen + uint64(size) - 1) / uint64(size)
	if hi, lo := bits.Mul64(iter, blocks*weight); hi != 0 || lo > lim.pbkdf2Work {
		return nil, tooCostly(id, "%d iterations of %d blocks above %d", iter, blocks, lim.pbkdf2Work)
	}
	return &pbkdf2Hash{newHash: newHash, iterations: int(iter), salt: salt, key: key}, nil
}

func (h *pbkdf2Hash) cost() (bool, uint64) { return true, 4 * kib }

func (h *pbkdf2Hash) verify(password []byte) bool {
	got, err := pbkdf2.Key(h.newHash, string(password), h.salt, h.iterations, len(h.key))
	return err == nil && equal(got, h.key)
}

// --- scrypt: $scrypt$ln=N,r=..,p=..$salt$key (ln holds N itself) ---

type scryptHash struct {
	n, r, p   int
	salt, key []byte
}

// checkScrypt validates N, r and p and bounds their memory and work.
func checkScrypt(scheme string, n, r, p uint64, lim *limits) error {
	if n < 2 || n&(n-1) != 0 || r < 1 || p < 1 || r > 1<<20 || p > 1<<20 || r*p >= 1<<30 {
		return malformed(scheme, "parameters N=%d,r=%d,p=%d out of range", n, r, p)
	}
	hi, mem := bits.Mul64(128*r, n)
	if hi != 0 || mem > lim.scryptMemory {
		return tooCostly(scheme, "memory of N=%d,r=%d above %d bytes", n, r, lim.scryptMemory)
	}
	if hi, work := bits.Mul64(mem, p); hi != 0 || work > lim.scryptWork {
		return tooCostly(scheme, "work of N=%d,r=%d,p=%d above %d", n, r, p, lim.scryptWork)
	}
	return nil
}

func parseScrypt(body string, lim *limits) (verifier, error) {
	parts := strings.Split(body, "$")
	if len(parts) != 3 {
		return nil, malformed("scrypt", "not ln=..,r=..,p=..$salt$hash")
	}
	p, ok := parseParams(parts[0], "ln", "r", "p")
	if !ok {
		return nil, malformed("scrypt", "parameters %q are not ln=..,r=..,p=..", parts[0])
	}
	if err := checkScrypt("scrypt", p[0], p[1], p[2], lim); err != nil {
		return nil, err
	}
	salt, err := decodeBase64(parts[1], lim)
	if err != nil {
		return nil, malformed("scrypt", "salt: %v", err)
	}
	key, err := decodeBase64(parts[2], lim)
	if err != nil || len(key) == 0 {
		return nil, malformed("scrypt", "hash: %v", err)
	}
	return &scryptHash{n: int(p[0]), r: int(p[1]), p: int(p[2]), salt: salt, key: key}, nil
}

func (h *scryptHash) cost() (bool, uint64) { return true, 128 * uint64(h.n) * uint64(h.r) }

func (h *scryptHash) verify(password []byte) bool {
	got, err := scrypt.Key(password, h.salt, h.n, h.r, h.p, len(h.key))
	return err == nil && equal(got, h.key)
}

// --- Firebase scrypt:
// $firescrypt$ln=log2(N),r=..,p=..$salt$hash$salt separator$signer key ---

type firescryptHash struct {
	scryptHash        // key holds the stored hash
	signer     []byte // the project's signer key
}

func parseFirescrypt(body string, lim *limits) (verifier, error) {
	const scheme = "firescrypt"
	parts := strings.Split(body, "$")
	if len(parts) != 5 {
		return nil, malformed(scheme, "not ln=..,r=..,p=..$salt$hash$separator$signer")
	}
	p, ok := parseParams(parts[0], "ln", "r", "p")
	if !ok || p[0] < 1 || p[0] > 40 {
		return nil, malformed(scheme, "parameters %q are not ln=1..40,r=..,p=..", parts[0])
	}
	n := uint64(1) << p[0]
	if err := checkScrypt(scheme, n, p[1], p[2], lim); err != nil {
		return nil, err
	}
	var vals [4][]byte
	for i, name := range []string{"salt", "hash", "salt separator", "signer key"} {
		v, err := decodeBase64(parts[1+i], lim)
		if err != nil {
			return nil, malformed(scheme, "%s: %v", name, err)
		}
		vals[i] = v
	}
	salt, stored, sep, signer := vals[0], vals[1], vals[2], vals[3]
	if len(signer) == 0 || len(stored) != len(signer) {
		return nil, malformed(scheme, "hash and signer key differ in length or are empty")
	}
	return &firescryptHash{
		scryptHash: scryptHash{n: int(n), r: int(p[1]), p: int(p[2]), salt: append(salt, sep...), key: stored},
		signer:     signer,
	}, nil
}

func (h *firescryptHash) verify(password []byte) bool {
	// The hash is the signer key encrypted with AES-256-CTR (zero IV) under
	// the first 32 bytes of scrypt(password, salt || separator).
	k, err := scrypt.Key(password, h.salt, h.n, h.r, h.p, 32)
	if err != nil {
		return false
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return false
	}
	got := make([]byte, len(h.signer))
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(got, h.signer)
	return equal(got, h.key)
}

// --- {SSHA}, {SSHA256}, {SSHA512}: base64(digest(password || salt) || salt) ---

type sshaHash struct {
	newHash      func() hash.Hash
	digest, salt []byte
}

func parseSSHA(encoded string, lim *limits) (verifier, error) {
	var newHash func() hash.Hash
	var size int
	var rest string
	switch {
	case strings.HasPrefix(encoded, "{SSHA}"):
		newHash, size, rest = sha1.New, sha1.Size, encoded[len("{SSHA}"):]
	case strings.HasPrefix(encoded, "{SSHA256}"):
		newHash, size, rest = sha256.New, sha256.Size, encoded[len("{SSHA256}"):]
	case strings.HasPrefix(encoded, "{SSHA512}"):
		newHash, size, rest = sha512.New, sha512.Size, encoded[len("{SSHA512}"):]
	default:
		return nil, ErrUnknownHashFormat
	}
	raw, err := decodeBase64(rest, lim)
	if err != nil {
		return nil, malformed("ssha", "%v", err)
	}
	if len(raw) <= size {
		return nil, malformed("ssha", "%d bytes leave no salt after a %d-byte digest", len(raw), size)
	}
	return &sshaHash{newHash: newHash, digest: raw[:size], salt: raw[size:]}, nil
}

func (h *sshaHash) cost() (bool, uint64) { return false, 0 }

func (h *sshaHash) verify(password []byte) bool {
	d := h.newHash()
	d.Write(password)
	d.Write(h.salt)
	return equal(d.Sum(nil), h.digest)
}

// --- $md5$, $sha1$, $sha256$, $sha512$: a single digest, unsalted as
// $md5$digest, or salted as $sha256$pf=format$salt$digest where the format
// (base64) names where the salt and password go: "{SALT}{PASSWORD}". ---

type digestHash struct {
	newHash func() hash.Hash
	format  string
	salt    []byte
	digest  []byte
}

func parseDigest(id, body string, lim *limits) (verifier, error) {
	var newHash func() hash.Hash
	var size int
	switch id {
	case "md5":
		newHash, size = md5.New, md5.Size
	case "sha1":
		newHash, size = sha1.New, sha1.Size
	case "sha256":
		newHash, size = sha256.New, sha256.Size
	default:
		newHash, size = sha512.New, sha512.Size
	}
	parts := strings.Split(body, "$")
	h := &digestHash{newHash: newHash, format: "{PASSWORD}"}
	var digest string
	switch {
	case len(parts) == 1:
		digest = parts[0]
	case len(parts) == 3 && strings.HasPrefix(parts[0], "pf="):
		format, err := decodeBase64(parts[0][len("pf="):], lim)
		if err != nil {
			return nil, malformed(id, "format: %v", err)
		}
		if !bytes.Contains(format, []byte("{PASSWORD}")) {
			return nil, malformed(id, "format %q has no {PASSWORD}", format)
		}
		h.format = string(format)
		if h.salt, err = decodeBase64(parts[1], lim); err != nil {
			return nil, malformed(id, "salt: %v", err)
		}
		digest = parts[2]
	default:
		return nil, malformed(id, "not $digest or pf=format$salt$digest")
	}
	var err error
	if h.digest, err = decodeBase64(digest, lim); err != nil {
		return nil, malformed(id, "digest: %v", err)
	}
	if len(h.digest) != size {
		return nil, malformed(id, "digest of %d bytes, want %d", len(h.digest), size)
	}
	return h, nil
}

func (h *digestHash) cost() (bool, uint64) { return false, 0 }

func (h *digestHash) verify(password []byte) bool {
	d := h.newHash()
	// One pass over the format, so a salt or password that itself contains
	// a placeholder is written literally.
	f := h.format
	for len(f) > 0 {
		switch {
		case strings.HasPrefix(f, "{PASSWORD}"):
			d.Write(password)
			f = f[len("{PASSWORD}"):]
		case strings.HasPrefix(f, "{SALT}"):
			d.Write(h.salt)
			f = f[len("{SALT}"):]
		default:
			next := strings.IndexByte(f[1:], '{') + 1
			if next == 0 {
				next = len(f)
			}
			d.Write([]byte(f[:next]))
			f = f[next:]
		}
	}
	return equal(d.Sum(nil), h.digest)
}

// --- crypt(3) MD5 and SHA schemes, under their Ory names ($md5-crypt$,
// $sha256-crypt$, $sha512-crypt$) and their crypt(3) ones ($1$, $5$, $6$) ---

type cryptHash struct {
	sha, sha512 bool
	rounds      int
	salt        []byte
	encoded     []byte
}

func parseMD5Crypt(body string) (verifier, error) {
	salt, enc, ok := strings.Cut(body, "$")
	if !ok || strings.Contains(enc, "$") {
		return nil, malformed("md5-crypt", "not salt$hash")
	}
	if len(salt) > md5CryptSaltMax {
		return nil, malformed("md5-crypt", "salt longer than %d characters", md5CryptSaltMax)
	}
	if !isCryptEncoding(enc, md5CryptEncoded) {
		return nil, malformed("md5-crypt", "hash is not %d characters of the crypt alphabet", md5CryptEncoded)
	}
	return &cryptHash{salt: []byte(salt), encoded: []byte(enc)}, nil
}

func parseSHACrypt(sha512Variant bool, body string, passwordLen int, lim *limits) (verifier, error) {
	scheme, size, encLen := "sha256-crypt", sha256.Size, sha256CryptEncLen
	if sha512Variant {
		scheme, size, encLen = "sha512-crypt", sha512.Size, sha512CryptEncLen
	}
	parts := strings.Split(body, "$")
	rounds := uint64(shaCryptDefRounds)
	if len(parts) == 3 && strings.HasPrefix(parts[0], "rounds=") {
		n, ok := parseDecimal(parts[0][len("rounds="):])
		if !ok {
			return nil, malformed(scheme, "rounds %q is not a number", parts[0])
		}
		// The specification clamps rather than refuses.
		rounds = min(max(n, shaCryptMinRounds), shaCryptMaxRounds)
		parts = parts[1:]
	}
	if len(parts) != 2 {
		return nil, malformed(scheme, "not [rounds=N$]salt$hash")
	}
	salt, enc := parts[0], parts[1]
	if len(salt) > shaCryptSaltMax {
		return nil, malformed(scheme, "salt longer than %d characters", shaCryptSaltMax)
	}
	if !isCryptEncoding(enc, encLen) {
		return nil, malformed(scheme, "hash is not %d characters of the crypt alphabet", encLen)
	}
	perRound := uint64(2*passwordLen + len(salt) + size)
	if hi, work := bits.Mul64(rounds, perRound); hi != 0 || work > lim.shaCryptWork {
		return nil, tooCostly(scheme, "%d rounds with a %d-byte password", rounds, passwordLen)
	}
	return &cryptHash{sha: true, sha512: sha512Variant, rounds: int(rounds), salt: []byte(salt), encoded: []byte(enc)}, nil
}

func isCryptEncoding(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(cryptAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

func (h *cryptHash) cost() (bool, uint64) { return h.sha, 0 }

func (h *cryptHash) verify(password []byte) bool {
	if h.sha {
		return equal(shaCrypt(h.sha512, password, h.salt, h.rounds), h.encoded)
	}
	return equal(md5Crypt(password, h.salt), h.encoded)
}

// --- $hmac-<digest>$base64(hex(HMAC(key, password)))$base64(key) ---

type hmacHash struct {
	newHash func() hash.Hash
	mac     []byte
	key     []byte
}

func parseHMAC(id, body string, lim *limits) (verifier, error) {
	var newHash func() hash.Hash
	switch id {
	case "hmac-md4":
		newHash = md4.New
	case "hmac-md5":
		newHash = md5.New
	case "hmac-sha1":
		newHash = sha1.New
	case "hmac-sha224":
		newHash = sha256.New224
	case "hmac-sha256":
		newHash = sha256.New
	case "hmac-sha384":
		newHash = sha512.New384
	default:
		newHash = sha512.New
	}
	macB64, keyB64, ok := strings.Cut(body, "$")
	if !ok || strings.Contains(keyB64, "$") {
		return nil, malformed(id, "not mac$key")
	}
	macHex, err := decodeBase64(macB64, lim)
	if err != nil {
		return nil, malformed(id, "mac: %v", err)
	}
	mac := make([]byte, hex.DecodedLen(len(macHex)))
	if _, err := hex.Decode(mac, macHex); err != nil {
		return nil, malformed(id, "mac is not hexadecimal: %v", err)
	}
	if len(mac) != newHash().Size() {
		return nil, malformed(id, "mac of %d bytes, want %d", len(mac), newHash().Size())
	}
	key, err := decodeBase64(keyB64, lim)
	if err != nil {
		return nil, malformed(id, "key: %v", err)
	}
	return &hmacHash{newHash: newHash, mac: mac, key: key}, nil
}

func (h *hmacHash) cost() (bool, uint64) { return false, 0 }

func (h *hmacHash) verify(password []byte) bool {
	m := hmac.New(h.newHash, h.key)
	m.Write(password)
	return equal(m.Sum(nil), h.mac)
}
