package password

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// Hashing algorithms a Hasher can be configured to produce.
const (
	AlgorithmArgon2 = "argon2" // argon2id, the default
	AlgorithmBcrypt = "bcrypt"
)

const (
	kib = 1024
	mib = 1024 * kib
	gib = 1024 * mib
)

// Defaults applied by NewHasher to zero fields of Config.
const (
	DefaultArgon2Memory      = 19 * mib // bytes
	DefaultArgon2Iterations  = 2
	DefaultArgon2Parallelism = 1
	DefaultArgon2SaltLength  = 16
	DefaultArgon2KeyLength   = 32
	DefaultBcryptCost        = 12
	DefaultDedicatedMemory   = 256 * mib // bytes
	// DefaultQueueFactor times the number of pool slots is the default
	// bound of the wait queue.
	DefaultQueueFactor = 64
)

// Minimums enforced outside Dev mode.
const (
	minBcryptCost   = 10
	minArgon2Memory = 7 * mib
	minArgon2Salt   = 16
	minArgon2Key    = 16
)

// Config configures a Hasher. Zero fields take the defaults above.
type Config struct {
	// Algorithm is AlgorithmArgon2 (default) or AlgorithmBcrypt: the
	// algorithm of new hashes. Compare accepts every supported format
	// whatever this is.
	Algorithm string
	Argon2    Argon2Config
	Bcrypt    BcryptConfig
	// DedicatedMemory (bytes) is how much memory concurrent hash
	// computations may use together. It bounds the number of argon2
	// computations running at once to DedicatedMemory / Argon2.Memory.
	DedicatedMemory uint64
	// MaxConcurrent bounds the computations running at once; 0 means
	// runtime.GOMAXPROCS(0) at construction.
	MaxConcurrent int
	// MaxQueue bounds the computations waiting for a slot; when the queue
	// is full Hash and Compare return ErrOverloaded at once. 0 means
	// DefaultQueueFactor times the number of slots.
	MaxQueue int
	// MaxWait bounds the expected wait for a slot, judged from recent
	// computations: past it Hash and Compare return ErrOverloaded at once
	// (default DefaultMaxWait; negative: no bound but MaxQueue).
	MaxWait time.Duration
	// Dev relaxes the minimums (bcrypt cost 10, argon2 memory 7 MiB, salt
	// and key 16 bytes) so that tests can hash quickly.
	Dev bool
}

// Argon2Config holds the argon2id parameters of new hashes.
type Argon2Config struct {
	// Memory is in bytes (rounded down to whole KiB, the unit of the m=
	// parameter in the encoded hash).
	Memory      uint64
	Iterations  uint32
	Parallelism uint8
	SaltLength  uint32 // bytes
	KeyLength   uint32 // bytes
}

// BcryptConfig holds the bcrypt parameters of new hashes.
type BcryptConfig struct {
	Cost int
}

// withDefaults returns c with zero fields filled in.
func (c Config) withDefaults() Config {
	if c.Algorithm == "" {
		c.Algorithm = AlgorithmArgon2
	}
	if c.Argon2.Memory == 0 {
		c.Argon2.Memory = DefaultArgon2Memory
	}
	if c.Argon2.Iterations == 0 {
		c.Argon2.Iterations = DefaultArgon2Iterations
	}
	if c.Argon2.Parallelism == 0 {
		c.Argon2.Parallelism = DefaultArgon2Parallelism
	}
	if c.Argon2.SaltLength == 0 {
		c.Argon2.SaltLength = DefaultArgon2SaltLength
	}
	if c.Argon2.KeyLength == 0 {
		c.Argon2.KeyLength = DefaultArgon2KeyLength
	}
	if c.Bcrypt.Cost == 0 {
		c.Bcrypt.Cost = DefaultBcryptCost
	}
	if c.DedicatedMemory == 0 {
		c.DedicatedMemory = DefaultDedicatedMemory
	}
	return c
}

// validate reports every problem of a defaulted Config at once. Parameters
// must stay within lim so that Compare accepts every hash Hash produces.
func (c Config) validate(lim limits) error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("password hasher: "+format, args...))
	}
	switch c.Algorithm {
	case AlgorithmArgon2, AlgorithmBcrypt:
	default:
		bad("algorithm %q is not %q or %q", c.Algorithm, AlgorithmArgon2, AlgorithmBcrypt)
	}
	if c.MaxConcurrent < 0 {
		bad("max concurrent %d is negative", c.MaxConcurrent)
	}
	if c.MaxQueue < 0 {
		bad("max queue %d is negative", c.MaxQueue)
	}

	if c.Algorithm == AlgorithmBcrypt {
		minCost := minBcryptCost
		if c.Dev {
			minCost = 4
		}
		if c.Bcrypt.Cost < minCost || c.Bcrypt.Cost > lim.bcryptCost {
			bad("bcrypt cost %d is outside %d..%d", c.Bcrypt.Cost, minCost, lim.bcryptCost)
		}
	}

	if c.Algorithm == AlgorithmArgon2 {
		a := c.Argon2
		memKiB := a.Memory / kib
		if memKiB < 8*uint64(a.Parallelism) {
			bad("argon2 memory %d bytes is below 8 KiB per lane (%d lanes)", a.Memory, a.Parallelism)
		}
		if !c.Dev && a.Memory < minArgon2Memory {
			bad("argon2 memory %d bytes is below the minimum %d", a.Memory, minArgon2Memory)
		}
		if memKiB > uint64(lim.argon2MemoryKiB) {
			bad("argon2 memory %d bytes is above the maximum %d", a.Memory, uint64(lim.argon2MemoryKiB)*kib)
		}
		if a.Memory > c.DedicatedMemory {
			bad("argon2 memory %d bytes is above the dedicated memory %d", a.Memory, c.DedicatedMemory)
		}
		if memKiB*uint64(a.Iterations) > lim.argon2Work {
			bad("argon2 memory times iterations is above the maximum %d KiB", lim.argon2Work)
		}
		minSalt, minKey := uint32(8), uint32(4)
		if !c.Dev {
			minSalt, minKey = minArgon2Salt, minArgon2Key
		}
		if a.SaltLength < minSalt || a.SaltLength > uint32(lim.maxSaltKey) {
			bad("argon2 salt length %d is outside %d..%d", a.SaltLength, minSalt, lim.maxSaltKey)
		}
		if a.KeyLength < minKey || a.KeyLength > uint32(lim.maxSaltKey) {
			bad("argon2 key length %d is outside %d..%d", a.KeyLength, minKey, lim.maxSaltKey)
		}
	}
	return errors.Join(errs...)
}

// poolShape returns the number of slots of the hashing pool and the memory
// share of one slot. With argon2 the slots are bounded by both the CPU
// bound and DedicatedMemory / Argon2.Memory; with bcrypt by the CPU bound.
func (c Config) poolShape() (slots int64, slotMemory uint64) {
	cpu := int64(c.MaxConcurrent)
	if cpu == 0 {
		cpu = int64(runtime.GOMAXPROCS(0))
	}
	slots = cpu
	if c.Algorithm == AlgorithmArgon2 {
		byMemory := int64(c.DedicatedMemory / max(c.Argon2.Memory, 1))
		slots = min(slots, byMemory)
	}
	slots = max(slots, 1)
	return slots, max(c.DedicatedMemory/uint64(slots), 1)
}
