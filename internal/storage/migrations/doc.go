// Package migrations keeps the database schema in step with the binary.
//
// Migrations are embedded .sql files, one folder per dialect (sqlite/,
// postgres/), named VERSION_name.sql, for example 0001_core.sql. Both
// folders hold the same versions. They only ever move forward: there are no
// down migrations, and a file is never edited once released; a change is a
// new file.
//
// Invariants:
//
//   - The migrations table records version, name, the SHA-256 of the file
//     and when it was applied. A recorded checksum or name that differs from
//     the binary's file is ErrChanged; a recorded version the binary lacks
//     (the database is newer than the binary) is ErrUnknown. Status, Up,
//     Pending and Check all refuse to go on in either case.
//   - Each migration runs in one transaction together with its record, so
//     it is applied completely or not at all.
//   - Concurrent Up calls (several replicas starting at once) apply each
//     migration exactly once: each transaction first updates the single row
//     of migrations_lock, which serialises them on PostgreSQL and
//     CockroachDB without advisory locks, and SQLite's write lock does the
//     same there; the applied set is re-read after taking the lock.
//   - SQL in postgres/ must run on PostgreSQL 15 and CockroachDB alike:
//     TEXT, UUID, BIGINT, INTEGER, BOOLEAN, TIMESTAMPTZ, JSONB; no SERIAL,
//     triggers, extensions or advisory locks; no timestamps computed in SQL.
//     SQLite files declare times TIMESTAMP (see package sqldb).
package migrations
