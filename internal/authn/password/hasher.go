package password

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

var (
	// ErrUnknownHashFormat is returned by Compare for a hash of no
	// supported scheme.
	ErrUnknownHashFormat = errors.New("password: unknown hash format")
	// ErrMalformedHash is returned by Compare for a hash of a supported
	// scheme that does not parse (wrong field count, bad base64, parameters
	// out of range, digest of the wrong length).
	ErrMalformedHash = errors.New("password: malformed hash")
	// ErrCostLimit is returned by Compare for a well-formed hash whose
	// parameters demand more memory or time than this package will spend
	// on one verification.
	ErrCostLimit = errors.New("password: hash parameters exceed the cost limit")
	// ErrOverloaded is returned by Hash and Compare when too many
	// computations already wait for the hashing pool. Callers should
	// answer "try again later" (HTTP 503) rather than retry at once.
	ErrOverloaded = errors.New("password: too many password hashing requests waiting")
	// ErrPasswordTooLong is returned by Hash and Compare for a password
	// longer than MaxPasswordLength.
	ErrPasswordTooLong = errors.New("password: password too long")
)

// Hasher hashes new passwords with the configured algorithm and verifies
// passwords against hashes of every supported scheme. Expensive work runs in
// a bounded pool; a Hasher is safe for concurrent use.
type Hasher struct {
	cfg        Config
	lim        limits
	pool       *pool
	slotMemory uint64
}

// NewHasher validates cfg (zero fields take the defaults) and builds a
// Hasher. Every problem of cfg is reported at once.
func NewHasher(cfg Config) (*Hasher, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(productionLimits); err != nil {
		return nil, err
	}
	slots, slotMemory := cfg.poolShape()
	queue := cfg.MaxQueue
	if queue == 0 {
		queue = DefaultQueueFactor * int(slots)
	}
	switch {
	case cfg.MaxWait == 0:
		cfg.MaxWait = DefaultMaxWait
	case cfg.MaxWait < 0:
		cfg.MaxWait = 0
	}
	return &Hasher{
		cfg:        cfg,
		lim:        productionLimits,
		pool:       &pool{size: slots, maxWaiters: queue, maxWait: cfg.MaxWait},
		slotMemory: slotMemory,
	}, nil
}

// Config returns the configuration in force, defaults filled in.
func (h *Hasher) Config() Config { return h.cfg }

// MaxPasswordLength is the longest password, in bytes, that Hash accepts:
// 72 with bcrypt (the most bcrypt reads), 4096 otherwise.
func (h *Hasher) MaxPasswordLength() int {
	if h.cfg.Algorithm == AlgorithmBcrypt {
		return 72
	}
	return h.lim.maxPassword
}

// PoolStats reports the hashing pool's slots in use, its capacity and the
// number of computations waiting for a slot.
func (h *Hasher) PoolStats() (inUse, capacity, waiting int) {
	u, s, w := h.pool.stats()
	return int(u), int(s), w
}

// weight is the number of pool slots a computation with the given working
// memory holds: its memory in slot shares, at least one and at most all.
func (h *Hasher) weight(memory uint64) int64 {
	n := int64((memory + h.slotMemory - 1) / h.slotMemory)
	return min(max(n, 1), h.pool.size)
}

// run executes fn holding enough pool slots for memory bytes.
func (h *Hasher) run(ctx context.Context, memory uint64, fn func()) error {
	w := h.weight(memory)
	if err := h.pool.acquire(ctx, w); err != nil {
		return err
	}
	defer h.pool.release(w)
	start := time.Now()
	fn()
	h.pool.observe(time.Since(start))
	return nil
}

// Hash returns a new encoded hash of password: with argon2,
// "$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<key>" (base64
// without padding); with bcrypt, "$2a$<cost>$<salt and hash>". It fails with
// ErrPasswordTooLong past MaxPasswordLength, and with ErrOverloaded or the
// context's error while waiting for the pool.
func (h *Hasher) Hash(ctx context.Context, password []byte) (string, error) {
	if len(password) > h.MaxPasswordLength() {
		return "", ErrPasswordTooLong
	}
	if h.cfg.Algorithm == AlgorithmBcrypt {
		var out []byte
		var err error
		if perr := h.run(ctx, 4*kib, func() { out, err = bcrypt.GenerateFromPassword(password, h.cfg.Bcrypt.Cost) }); perr != nil {
			return "", perr
		}
		if err != nil {
			return "", fmt.Errorf("password: bcrypt: %w", err)
		}
		return string(out), nil
	}

	a := h.cfg.Argon2
	salt := make([]byte, a.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: reading a salt: %w", err)
	}
	memKiB := uint32(a.Memory / kib)
	var key []byte
	if err := h.run(ctx, a.Memory, func() {
		key = argon2.IDKey(password, salt, a.Iterations, memKiB, a.Parallelism, a.KeyLength)
	}); err != nil {
		return "", err
	}
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, memKiB, a.Iterations, a.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Compare reports whether password matches the encoded hash, which may be of
// any supported scheme (see the package documentation). A mismatch is
// (false, nil). Errors: ErrUnknownHashFormat, ErrMalformedHash and
// ErrCostLimit (wrapped, with details) for hashes it will not verify,
// ErrPasswordTooLong, ErrOverloaded and the context's error. Values are
// compared in constant time; the time spent depends only on the scheme and
// its parameters.
func (h *Hasher) Compare(ctx context.Context, password []byte, hash string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if len(password) > h.lim.maxPassword {
		return false, ErrPasswordTooLong
	}
	v, err := parseHash(hash, len(password), &h.lim)
	if err != nil {
		return false, err
	}
	pooled, memory := v.cost()
	if !pooled {
		return v.verify(password), nil
	}
	var ok bool
	if err := h.run(ctx, memory, func() { ok = v.verify(password) }); err != nil {
		return false, err
	}
	return ok, nil
}

// SimulateCompare spends the time of comparing password with a hash made
// with the configured parameters and discards the result. Call it when the
// account being signed in to does not exist, so that response times do not
// reveal which accounts do. It returns only pool and context errors.
func (h *Hasher) SimulateCompare(ctx context.Context, password []byte) error {
	password = password[:min(len(password), h.MaxPasswordLength())]
	_, err := h.Hash(ctx, password)
	return err
}

// NeedsRehash reports whether hash should be replaced by a new Hash of the
// password at the next successful sign-in: true when it is of another
// scheme or has other parameters (including salt and key lengths) than the
// configuration, or does not parse.
func (h *Hasher) NeedsRehash(hash string) bool {
	v, err := parseHash(hash, 0, &h.lim)
	if err != nil {
		return true
	}
	switch v := v.(type) {
	case *argon2Hash:
		a := h.cfg.Argon2
		return h.cfg.Algorithm != AlgorithmArgon2 ||
			v.variant != "argon2id" ||
			v.memoryKiB != uint32(a.Memory/kib) ||
			v.iterations != a.Iterations ||
			v.parallelism != a.Parallelism ||
			uint32(len(v.salt)) != a.SaltLength ||
			uint32(len(v.key)) != a.KeyLength
	case *bcryptHash:
		return h.cfg.Algorithm != AlgorithmBcrypt ||
			v.bcost != h.cfg.Bcrypt.Cost
	}
	return true
}

// Known reports whether hash is a stored hash Compare can check — a
// supported format, well formed and within the work limits — without
// checking any password against it (imports use it to refuse what could
// never sign in).
func (h *Hasher) Known(hash string) bool {
	_, err := parseHash(hash, 0, &h.lim)
	return err == nil
}
