// Package permission is the permission service: relation tuples, the
// permission model written in the Ory Permission Language, and the check,
// expand, list and write operations behind the Keto-compatible REST and gRPC
// APIs.
//
// Consistency: every write transaction bumps a revision and returns it as a
// snaptoken. Reads given a snaptoken are answered at a revision at least that
// new; reads without one use the newest revision this process can see (on
// SQLite, which has a single writer, always the newest committed; on
// PostgreSQL, read from the database per request). So a check after a write
// always sees that write, on any replica, when it carries the write's token.
package permission
