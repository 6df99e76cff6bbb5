// Package password holds the password primitives of the identity service:
// a Hasher that makes new hashes and verifies stored ones (including hashes
// imported from other systems), and a Policy that decides whether a new
// password is acceptable, optionally asking a breach corpus through a
// BreachChecker.
//
// # Hashing
//
// New hashes are argon2id (default) or bcrypt:
//
//	$argon2id$v=19$m=<memory KiB>,t=<passes>,p=<lanes>$<salt>$<key>   (base64 without padding)
//	$2a$<cost>$<22 characters of salt><31 characters of hash>
//
// Compare verifies those and every format Ory Kratos accepts on identity
// import. Base64 below is the standard alphabet, padding optional:
//
//	$2a$ $2b$ $2y$                        bcrypt (only the first 72 bytes of a password count)
//	$argon2id$ $argon2i$                  v=19 only, as above
//	$pbkdf2-<d>$i=<iter>,l=<len>$<salt>$<key>
//	                                      d = sha1, sha256, sha512 (SHA-1/SHA-2), or
//	                                      sha224, sha384, which mean SHA3-224 and SHA3-384
//	                                      as in the hashes Kratos writes under those names
//	$scrypt$ln=<N>,r=<r>,p=<p>$<salt>$<key>
//	                                      ln holds N itself (a power of two), not its logarithm
//	$firescrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>$<salt separator>$<signer key>
//	                                      Firebase's scrypt: the hash is the signer key
//	                                      encrypted with AES-256-CTR (zero IV) under the first
//	                                      32 bytes of scrypt(password, salt || separator)
//	{SSHA} {SSHA256} {SSHA512}<base64 of digest(password || salt) || salt>
//	$md5$ $sha1$ $sha256$ $sha512$<digest>                    unsalted digest of the password
//	$md5$ $sha1$ $sha256$ $sha512$pf=<format>$<salt>$<digest> digest of the format with
//	                                      {SALT} and {PASSWORD} replaced; the format
//	                                      must contain {PASSWORD}
//	$md5-crypt$<salt>$<hash>              crypt(3) "$1$", also accepted as $1$
//	$sha256-crypt$[rounds=<n>$]<salt>$<hash>
//	$sha512-crypt$[rounds=<n>$]<salt>$<hash>
//	                                      crypt(3) "$5$" and "$6$", also accepted as $5$, $6$
//	$hmac-<d>$<base64 of the hex HMAC>$<key>
//	                                      d = md4, md5, sha1, sha224, sha256, sha384, sha512
//
// # Invariants
//
//   - Compare answers (true, nil) only for a verified match and (false, nil)
//     for a mismatch. A hash it will not verify is an error, never a
//     mismatch: ErrUnknownHashFormat (no such scheme), ErrMalformedHash (the
//     scheme's syntax is broken) or ErrCostLimit (see below). Compare never
//     panics, whatever the input (fuzzed).
//   - Every encoded value has one accepted spelling: base64 with stray bits
//     after the last byte, spaces, control characters and parameter lists
//     out of order are malformed, so a stored hash cannot be altered without
//     the change being noticed.
//   - The stored and computed values are compared in constant time; the time
//     Compare takes depends on the scheme and its parameters only.
//   - Work per hash is bounded. A stored hash cannot make Compare run for
//     minutes or exhaust memory: argon2 memory above 1 GiB or memory times
//     passes above 1 GiB, bcrypt cost above 16, scrypt memory or work above
//     1 GiB, PBKDF2 and SHA-crypt work past similar bounds, passwords above
//     4096 bytes and hashes above 4096 characters are refused up front.
//   - Every hash Hash makes is accepted by Compare and reported current by
//     NeedsRehash under the same configuration; NewHasher refuses a
//     configuration beyond the limits.
//   - Expensive computations (argon2, bcrypt, PBKDF2, scrypt, SHA-crypt) run
//     in a pool of min(GOMAXPROCS or MaxConcurrent, DedicatedMemory /
//     argon2 memory) slots; a computation needing more memory than one
//     slot's share of DedicatedMemory holds several, and one needing more
//     than DedicatedMemory runs alone. Waiting honours the context, and when
//     MaxQueue computations already wait, Hash and Compare fail at once with
//     ErrOverloaded so an overloaded server sheds load instead of queueing.
//     Cheap digests do not wait for the pool.
//
// # Policy
//
// Policy.Validate checks, in order, the length in characters (MinLength,
// default 8; MaxLength, default 1024 so that an accepted password never
// exceeds the 4096 bytes Hash accepts), the similarity to the identifier
// (see Validate for the rule) and, when Breaches is set, the number of
// times the password appears in a breach corpus. Violations are
// *PolicyError values carrying Kratos's message ids (MessageTooShort,
// MessageTooLong, MessageTooSimilar, MessageBreached), texts and context
// keys. With bcrypt, a password over 72 bytes passes the policy but Hash
// refuses it with ErrPasswordTooLong; Hasher.MaxPasswordLength tells the
// limit in force.
//
// The BreachChecker sends only the first five hex digits of the password's
// SHA-1 (k-anonymity), asks for padded answers, bounds each request by a
// timeout, makes one request per prefix at a time, and keeps a bounded,
// expiring cache of answers. Whether an unreachable corpus accepts or
// refuses the password is the policy's IgnoreNetworkErrors.
package password
