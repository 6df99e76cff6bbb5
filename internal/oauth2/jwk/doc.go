// Package jwk manages the JSON Web Key sets of the OAuth2 service: the keys
// that sign ID tokens and access tokens, and any set an operator keeps here,
// served on the admin API (/admin/keys/...) and, public parts only, at
// /.well-known/jwks.json.
//
// Invariants:
//   - A set is a named list of keys; a key is identified by (set, kid).
//     Generating into an existing set adds a key (rotation): every key of a
//     set stays served for verification until it is deleted, and Signer
//     picks the newest signing key.
//   - Private keys are stored encrypted through Encrypter; the store never
//     sees them in clear.
//   - Only public parts of asymmetric keys are ever published; symmetric
//     keys (HS256, HS512) are never published.
//   - RSA keys are 2048 bits. 4096-bit keys would make every signature about
//     seven times slower (one per issued token) for a security margin that
//     2048 bits already gives well beyond the keys' lifetime; operators who
//     want larger keys can import them with PUT.
//   - The well-known set (IDTokenSet) is generated on first need, not at
//     start-up, so start-up stays fast.
package jwk
