// Package storetest is the storage conformance suite: Run checks, against
// any database package sqltest can open, the behaviour every store relies
// on: transactions commit, roll back and retry lost races; errors map to the
// storage sentinels; concurrent writers all land; times round-trip in UTC;
// migrations are idempotent and detect tampering; generated system secrets
// are stored once under concurrent callers; OAuth2 clients keep the hash of
// their registration access token.
//
// Invariants: each subtest gets its own fresh database from the opener and
// creates any scratch tables it needs there; the suite passes identically
// on SQLite (file and memory) and PostgreSQL.
package storetest
