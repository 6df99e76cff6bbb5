// Package trust manages the trust relationships of the JWT-bearer grant
// (RFC 7523, section 2.1): which issuer may assert which subject, with which
// public key and for which scopes, until when. They are served on Hydra's
// admin API (/admin/trust/grants/jwt-bearer/issuers...), and the token
// endpoint asks Match before it accepts an assertion.
//
// Invariants:
//   - A relationship names exactly one of a subject and allow_any_subject.
//   - Only public keys are accepted: a JWK carrying private or symmetric
//     material is refused before it is parsed, so such material is never
//     held or stored. A key needs a kid and a signature alg that fits it
//     (RS*, PS* with RSA of at least 2048 bits, ES256/384/512 on their
//     curves, EdDSA with Ed25519); it is stored reduced to its public
//     members, kid, alg and use "sig".
//   - The key's set is the issuer (public_key.set), and within an issuer a
//     kid names one key: a second relationship of the issuer may reuse a
//     kid only with the same key and alg, so every relationship an
//     assertion could match verifies it with the same key.
//   - (issuer, subject, kid) is unique, a relationship for any subject
//     counting as subject "".
//   - expires_at lies in the future when the relationship is created, and
//     Match never returns a relationship at or past it. Expired
//     relationships stay listed until deleted.
//   - Relationships are never changed after creation; they are created and
//     deleted.
package trust
