// Package session keeps the sessions of signed-in identities and answers
// "who is this?" (/sessions/whoami) with the JSON of Ory Kratos.
//
// A session has a 256-bit secret of which only the SHA-256 is stored. A
// browser holds it in the session cookie, a native app as a session token
// (X-Session-Token or Authorization: Bearer); each session answers only
// through the carrier it was issued for, so a cookie's value is no token
// and a token is no cookie. whoami reads the session and its identity in
// one query.
package session
