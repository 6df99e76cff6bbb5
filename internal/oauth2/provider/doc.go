// Package provider is the OAuth 2.0 authorization server and OpenID Provider:
// the authorization, token, revocation, user info, device and logout
// endpoints, discovery, and the admin API through which a login and consent
// app handles authorization requests (Hydra's login/consent/logout/device
// challenge API), plus introspection.
//
// Invariants:
//   - A pending request lives in one flow row whose state only advances by a
//     conditional update: every challenge and verifier is handled at most
//     once, a second attempt sees 410 (admin API) or an error (endpoints).
//   - Challenges, verifiers and opaque tokens are "<random or id>.<MAC>"
//     under keys derived from the system secrets; a value with a wrong MAC
//     is refused before storage is read, and only a hash of the MAC part of
//     a token is stored.
//   - Every grant's tokens share a request id: using an authorization code
//     twice, or a rotated refresh token outside the grace period, revokes
//     everything the grant issued.
//   - Redirects go only to a redirect URI registered for the client, matched
//     exactly; before the client and its redirect URI are known to be good,
//     errors are shown, never redirected.
package provider
