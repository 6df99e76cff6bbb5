// Package client manages OAuth2 clients: their registration through the
// admin API on Hydra's paths (/admin/clients...), their validation, and the
// authentication of clients by their secret. Registrar serves OpenID
// Connect Dynamic Client Registration 1.0 (RFC 7591) and its management
// protocol (RFC 7592) on the public paths /oauth2/register[/{id}], when the
// operator enables it.
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
//   - A registration access token (256 random bits) is shown once, in the
//     answer that issued it, and stored as an HMAC-SHA256 under a key of its
//     own; it is compared in constant time. Only clients registered through
//     /oauth2/register have one: clients created through the admin API
//     cannot be managed with a token. A missing or wrong token, an unknown
//     client and an admin-made client all get the same 401 answer.
//   - Dynamically registered clients choose neither their client_id nor
//     their secret, and never set the fields only the admin API sets
//     (owner, metadata, skip_consent, skip_logout_consent,
//     access_token_strategy, token lifespans); an update keeps those.
package client
