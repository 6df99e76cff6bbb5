// Package sqltest opens throwaway databases for tests: SQLite in a fresh
// temporary file, the private in-memory SQLite, and PostgreSQL in a fresh
// uniquely named database on the server at $TEST_DATABASE_URL (scripts/pg.sh
// starts one).
//
// Invariants: every database is private to the test that asked for it, is
// migrated unless opened with Open or PostgresURL, and is closed (and on
// PostgreSQL dropped) when the test ends. PostgreSQL tests skip, never fail,
// when $TEST_DATABASE_URL is unset.
package sqltest
