// Package client manages OAuth2 clients: their registration through the
// admin API on Hydra's paths (/admin/clients...), their validation, and the
// authentication of clients by their secret.
//
// Invariants:
//   - A client secret is never stored, logged or shown again after the
//     answer that created it. Stored are hashes, and the scheme is part of
//     each hash: secrets the server generates (256 random bits) are hashed
//     with HMAC-SHA256 under a key derived from the system secret, which
//     keeps client authentication cheap; secrets an operator chose, which
//     may be guessable, with argon2id.
//   - Authenticate answers unknown clients and wrong secrets with the same
//     error, and compares secrets in constant time.
//   - Every stored client passed validation: redirect URIs are absolute,
//     without fragment, https, or http on loopback, or a custom scheme for
//     native applications; grant and response types are supported ones;
//     clients using token_endpoint_auth_method none have no secret; and
//     private_key_jwt clients name their public keys (jwks or jwks_uri, not
//     both).
//   - The client_id never changes after creation.
package client
