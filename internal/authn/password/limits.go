package password

// limits bound the work that verifying one stored hash may take, so that a
// hash with absurd parameters (imported by mistake or planted by someone
// with write access to the store) is refused with ErrCostLimit instead of
// tying up a CPU for minutes or exhausting memory. Each bound is well above
// the parameters in common use (documented beside it) and keeps one
// verification at about four seconds at most on a current x86 core (the
// slowest being bcrypt at cost 16).
type limits struct {
	maxPassword int // bytes of a password given to Hash or Compare
	maxHash     int // bytes of an encoded hash
	maxSaltKey  int // bytes of a decoded salt, key, digest or format

	argon2MemoryKiB uint32 // 1 GiB; OWASP suggests 19-46 MiB, Kratos 128 MB
	argon2Work      uint64 // KiB times passes: 1 GiB-pass (64 MiB t=3 is 192 MiB)
	bcryptCost      int    // 16, 64 times cost 10
	// pbkdf2Work counts iterations times output blocks, each weighted 1
	// for SHA-1 and SHA-256 (hardware-assisted on current x86) and 4 for
	// SHA-512 and SHA-3. OWASP suggests 1.3M (SHA-1), 600k (SHA-256) and
	// 210k (SHA-512) iterations.
	pbkdf2Work   uint64
	scryptMemory uint64 // bytes, 128*N*r: 1 GiB; common N=2^14..2^17, r=8 is 16-128 MiB
	scryptWork   uint64 // bytes times p: 1 GiB
	// shaCryptWork counts rounds times the bytes hashed per round (twice
	// the password, the salt and a digest): about six million SHA-512
	// rounds for a short password, or 656000 (a common setting) for one
	// of up to 340 bytes; glibc's default is 5000 rounds.
	shaCryptWork uint64
}

// productionLimits are the limits of every Hasher built by NewHasher.
var productionLimits = limits{
	maxPassword:     4096,
	maxHash:         4096,
	maxSaltKey:      1024,
	argon2MemoryKiB: 1 << 20,
	argon2Work:      1 << 20,
	bcryptCost:      16,
	pbkdf2Work:      10_000_000,
	scryptMemory:    1 << 30,
	scryptWork:      1 << 30,
	shaCryptWork:    500_000_000,
}
