// Package identity manages identities — who users are — and their
// credentials — how they sign in — with the JSON shapes of Ory Kratos's
// identity API.
//
// An identity's traits are validated against its identity schema on every
// write, and the schema decides which traits are sign-in identifiers and
// which are verifiable or recovery addresses. Those are derived here from
// the traits, never taken from the client, and stored so that an
// identifier belongs to at most one identity per credential type and an
// address to at most one identity: a second sign-up with the same address
// is refused by the database, whatever races happen between replicas.
//
// Passwords are stored only as hashes. An imported identity may carry a
// hash made elsewhere in any format the hasher understands; it is replaced
// by a hash of the configured algorithm the next time the password is used.
package identity
