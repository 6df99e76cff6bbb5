// Package sqldb is the database layer under every store: it opens SQLite or
// PostgreSQL from one DSN, runs queries written once for both, retries
// transactions that lose a race, and turns driver errors into the storage
// sentinels.
//
// Invariants:
//
//   - Queries use ? placeholders. On PostgreSQL they are rewritten to $1..$n
//     (Rebind), once per distinct query text; a ? inside a literal, quoted
//     identifier or comment is left alone. PostgreSQL's jsonb ? operators
//     cannot be used; call jsonb_exists and friends instead. A query run
//     without arguments is sent unchanged, so migration files and DDL may
//     hold several statements.
//   - Every error returned has been through MapError: sql.ErrNoRows is
//     storage.ErrNotFound, unique and foreign-key violations are
//     storage.ErrConflict, refused or closed connections are
//     storage.ErrUnavailable. The driver's error stays reachable with
//     errors.As (see Error).
//   - SQLite runs in WAL mode with busy_timeout, foreign_keys=ON,
//     synchronous=NORMAL and double-quoted strings disabled, on every
//     connection. Writes go to one writer connection (transactions begin
//     IMMEDIATE), reads to a pool of read-only connections, so reads never
//     queue behind the writer. The private "memory" database has the same
//     two pools on an in-memory file but no WAL: there a write waits for open
//     reads (including ReadTx) to finish.
//   - Write transactions are serializable on both dialects (SQLite's single
//     writer; SERIALIZABLE on PostgreSQL, as CockroachDB always is). Tx and
//     Exec run again, with jittered backoff and a bounded number of
//     attempts, when they fail with SQLITE_BUSY/SQLITE_LOCKED or PostgreSQL
//     40001/40P01; a Tx function must therefore be safe to repeat.
//   - On SQLite, Exec and Grouped commit the writes that queued for the
//     writer together, in one transaction (group commit, group.go): each
//     caller returns after the commit holding its write, and a failing write
//     fails alone (its group is rolled back and each write runs again by
//     itself). A Grouped function follows the rules of a Tx function.
//   - Inside a Tx or Grouped function use only the Tx: the SQLite writer is
//     held by the transaction, so db.Exec or a nested db.Tx would wait for
//     ever.
//   - Times are UTC with microsecond precision. Arguments of type time.Time,
//     *time.Time, sql.NullTime and Time are converted on the way in: on
//     PostgreSQL to UTC truncated to microseconds (TIMESTAMPTZ columns), on
//     SQLite to TEXT "2006-01-02T15:04:05.000000+00:00" (columns declared
//     TIMESTAMP), which sorts and compares in time order and which the
//     driver parses back into time.Time. A time written and read back is
//     Equal to the written one truncated to microseconds (Now is already
//     truncated). SQL never computes timestamps (no now() or
//     CURRENT_TIMESTAMP): the application passes them, so both dialects
//     store the same thing. Scan aggregates such as max(created_at), which
//     SQLite returns as text, into a Time.
//   - DSNs and errors never show a password (see Redact).
package sqldb
