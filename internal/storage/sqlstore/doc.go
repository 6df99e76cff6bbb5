// Package sqlstore implements the domains' Store interfaces on package
// sqldb, for SQLite and PostgreSQL alike.
//
// Invariants:
//
//   - Every method returns the storage sentinels (storage.ErrNotFound,
//     storage.ErrConflict, storage.ErrUnavailable) for those conditions,
//     never a driver error to compare against.
//   - SQL is written once, with ? placeholders and types both dialects
//     accept; timestamps come from sqldb.Now, never from SQL.
//   - Operations that must be atomic under concurrent replicas say how they
//     are made so in their documentation (see EnsureSystemSecrets).
//   - The behaviour is pinned by the conformance suite in package storetest,
//     run against SQLite always and PostgreSQL when TEST_DATABASE_URL is set.
package sqlstore
