package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Dialect names the SQL database behind a DB.
type Dialect string

const (
	// SQLite is the embedded database (modernc.org/sqlite).
	SQLite Dialect = "sqlite"
	// Postgres is PostgreSQL, or CockroachDB through its PostgreSQL protocol.
	Postgres Dialect = "postgres"
)

// Options tune Open. The zero value gives the defaults.
type Options struct {
	// MaxConns is the PostgreSQL pool size (default max(16, 4*NumCPU); a
	// max_conns parameter in the DSN wins) and the SQLite read pool size
	// (default max(4, NumCPU)). SQLite always has one writer connection
	// besides. The PostgreSQL pool is not sized to the cores alone: while
	// a core computes a password hash, a query's answer may wait a
	// scheduling slice (up to 10 ms) to be read, and its connection waits
	// with it; with a pool of a few connections the pool, not the bounded
	// hashing queue, became the queue under a burst of sign-ins.
	MaxConns int
	// ConnMaxLifetime closes connections older than this (default 30m).
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime closes connections idle for this long (default 5m).
	ConnMaxIdleTime time.Duration
	// BusyTimeout is how long SQLite waits for a lock before returning
	// SQLITE_BUSY (default 5s).
	BusyTimeout time.Duration
	// MaxAttempts bounds how many times Tx runs its function when it loses a
	// race (busy database, serialization failure, deadlock). Default 10.
	MaxAttempts int
}

func (o Options) withDefaults(d Dialect) Options {
	if o.MaxConns <= 0 {
		if d == Postgres {
			o.MaxConns = max(16, 4*runtime.NumCPU())
		} else {
			o.MaxConns = max(4, runtime.NumCPU())
		}
	}
	if o.ConnMaxLifetime <= 0 {
		o.ConnMaxLifetime = 30 * time.Minute
	}
	if o.ConnMaxIdleTime <= 0 {
		o.ConnMaxIdleTime = 5 * time.Minute
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	return o
}

// DB is a database handle. Writes (Exec, Tx) go to the writer pool, reads
// (Query, QueryRow, ReadTx) to the reader pool. For SQLite these are two
// pools on the same database, the writer holding a single connection; for
// PostgreSQL they are the same pool. A DB is safe for concurrent use.
type DB struct {
	dialect Dialect
	writer  *sql.DB
	reader  *sql.DB // == writer for PostgreSQL
	opts    Options
	name    string // redacted DSN, for messages
	retries atomic.Uint64
	stmts   sync.Map // query text -> *sql.Stmt on the reader pool
	nstmts  atomic.Int64
	wstmts  sync.Map // query text -> *sql.Stmt on the SQLite writer
	nwstmts atomic.Int64
	writes  atomic.Uint64 // write transactions and statements run, for the checkpointer
	ckpt    *checkpointer // SQLite files only
	group   grouper
	groups  atomic.Uint64 // transactions that held more than one Grouped function
	grouped atomic.Uint64 // functions run in those
}

// Open opens the database named by dsn and checks that it answers:
//
//	memory                          a private in-memory SQLite database
//	sqlite://RELATIVE/PATH.db       a SQLite file relative to the working directory
//	sqlite:///ABSOLUTE/PATH.db      a SQLite file by absolute path
//	postgres://USER:PASS@HOST:PORT/DB?sslmode=...   (or postgresql://)
//
// SQLite query parameters are passed to the driver (modernc.org/sqlite),
// and a _pragma=NAME(VALUE) overrides the default of the same name; those that
// would break this package's invariants (_txlock, _time_format, vfs, ...)
// are refused. The parent folder of a SQLite file is created if missing.
// Errors never contain the DSN's password.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	d, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults(d.dialect)
	var db *DB
	if d.dialect == SQLite {
		db, err = openSQLite(d, opts)
	} else {
		db, err = openPostgres(d, opts)
	}
	if err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		cause := err
		var se *Error
		if errors.As(err, &se) {
			cause = se.Err
		}
		wrapped := scrubbed{err: cause, msg: d.scrub(fmt.Sprintf("open %s: %v", d.redacted(), cause))}
		if se != nil {
			return nil, &Error{Kind: se.Kind, Err: wrapped}
		}
		return nil, wrapped
	}
	return db, nil
}

// scrubbed carries a driver error whose message had a password removed.
type scrubbed struct {
	err error
	msg string
}

func (s scrubbed) Error() string { return s.msg }
func (s scrubbed) Unwrap() error { return s.err }

func openSQLite(d *dsn, o Options) (*DB, error) {
	base := url.Values{}
	pragmas := map[string]string{
		"busy_timeout": strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10),
		"foreign_keys": "1",
		"synchronous":  "NORMAL",
		// Passive checkpoints run in the background (checkpoint.go); the
		// writer checkpoints itself only past ~32 MB of log.
		"wal_autocheckpoint": "8000",
		"journal_mode":       "WAL",
	}
	var path string
	if d.memory {
		// memdb lets several connections share one private in-memory
		// database, with ordinary locking; it has no WAL.
		path = "/warden-" + uuid.NewString()
		base.Set("vfs", "memdb")
		pragmas["journal_mode"] = "MEMORY"
	} else {
		path = d.path
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("sqlite: create folder for %s: %w", path, err)
			}
		}
	}
	for k, vs := range d.query {
		if k != "_pragma" {
			base[k] = vs
			continue
		}
		for _, v := range vs {
			name := strings.ToLower(strings.TrimSpace(v))
			if i := strings.IndexAny(name, "(= "); i >= 0 {
				name = name[:i]
			}
			pragmas[name] = "" // the user's form replaces the default
			base.Add("_pragma", v)
		}
	}
	for name, val := range pragmas {
		if val != "" {
			base.Add("_pragma", name+"("+val+")")
		}
	}
	// Double-quoted strings are identifiers only, as in PostgreSQL.
	base.Set("_dqs", "0")

	wq := cloneValues(base)
	wq.Set("_txlock", "immediate")
	writer, err := sql.Open("sqlite", sqliteURI(path, wq))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0) // keep the one writer; in memory it holds the data alive
	writer.SetConnMaxIdleTime(0)

	rq := cloneValues(base)
	rq.Add("_pragma", "query_only(1)")
	reader, err := sql.Open("sqlite", sqliteURI(path, rq))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	reader.SetMaxOpenConns(o.MaxConns)
	reader.SetMaxIdleConns(o.MaxConns)
	reader.SetConnMaxLifetime(o.ConnMaxLifetime)
	reader.SetConnMaxIdleTime(o.ConnMaxIdleTime)
	db := &DB{dialect: SQLite, writer: writer, reader: reader, opts: o, name: d.redacted()}
	if !d.memory {
		ck, err := sql.Open("sqlite", sqliteURI(path, cloneValues(base)))
		if err != nil {
			writer.Close()
			reader.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		db.ckpt = startCheckpointer(db, ck)
	}
	return db, nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v)+1)
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func openPostgres(d *dsn, o Options) (*DB, error) {
	cfg, err := pgx.ParseConfig(d.url)
	if err != nil {
		// The driver's message quotes the DSN; report only the cause.
		var pe *pgconn.ParseConfigError
		cause := "invalid settings"
		if errors.As(err, &pe) && pe.Unwrap() != nil {
			cause = pe.Unwrap().Error()
		}
		return nil, fmt.Errorf("postgres DSN %s: %s", d.redacted(), d.scrub(cause))
	}
	tzSet := false
	for k := range cfg.RuntimeParams {
		tzSet = tzSet || strings.EqualFold(k, "timezone")
	}
	if !tzSet {
		cfg.RuntimeParams["timezone"] = "UTC"
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	// Settings in the DSN win over the defaults.
	if d.pool.maxConns > 0 {
		o.MaxConns = d.pool.maxConns
	}
	if d.pool.lifetime > 0 {
		o.ConnMaxLifetime = d.pool.lifetime
	}
	if d.pool.maxIdleTime > 0 {
		o.ConnMaxIdleTime = d.pool.maxIdleTime
	}
	idle := o.MaxConns
	if d.pool.maxIdle > 0 {
		idle = min(d.pool.maxIdle, o.MaxConns)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(o.MaxConns)
	db.SetMaxIdleConns(idle)
	db.SetConnMaxLifetime(o.ConnMaxLifetime)
	db.SetConnMaxIdleTime(o.ConnMaxIdleTime)
	return &DB{dialect: Postgres, writer: db, reader: db, opts: o, name: d.redacted()}, nil
}

// Dialect reports which database this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// String returns the DSN with any password removed.
func (db *DB) String() string { return db.name }

// Ping checks that both pools can reach the database.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.writer.PingContext(ctx); err != nil {
		return MapError(err)
	}
	if db.reader != db.writer {
		return MapError(db.reader.PingContext(ctx))
	}
	return nil
}

// Close closes both pools.
func (db *DB) Close() error {
	if db.ckpt != nil {
		db.ckpt.stop()
	}
	db.stmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	db.wstmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	var errR error
	if db.reader != db.writer {
		errR = db.reader.Close()
	}
	return errors.Join(db.writer.Close(), errR)
}

// Stats returns the connection pool statistics, writer and readers summed.
func (db *DB) Stats() sql.DBStats {
	s := db.writer.Stats()
	if db.reader == db.writer {
		return s
	}
	r := db.reader.Stats()
	s.MaxOpenConnections += r.MaxOpenConnections
	s.OpenConnections += r.OpenConnections
	s.InUse += r.InUse
	s.Idle += r.Idle
	s.WaitCount += r.WaitCount
	s.WaitDuration += r.WaitDuration
	s.MaxIdleClosed += r.MaxIdleClosed
	s.MaxIdleTimeClosed += r.MaxIdleTimeClosed
	s.MaxLifetimeClosed += r.MaxLifetimeClosed
	return s
}

// Retries returns how many times a transaction or statement was run again
// after losing a race, since Open.
func (db *DB) Retries() uint64 { return db.retries.Load() }

// query returns the text to send to the driver.
func (db *DB) query(q string, nargs int) string {
	if db.dialect == Postgres && nargs > 0 {
		return pgQueries.get(q)
	}
	return q
}

// Exec runs a statement on the writer outside any transaction of the
// caller's. A statement that loses a race (see Retryable) is run again, as
// Tx does. On SQLite it is committed with the writes of other callers that
// queued at the same time (see Grouped).
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if db.dialect == SQLite {
		var res sql.Result
		err := db.Grouped(ctx, func(tx *Tx) error {
			var err error
			res, err = tx.Exec(ctx, query, args...)
			return err
		})
		return res, err
	}
	q, a := db.query(query, len(args)), convertArgs(db.dialect, args)
	var res sql.Result
	err := db.retry(ctx, func() error {
		var err error
		db.writes.Add(1)
		if st := db.preparedWrite(ctx, q); st != nil {
			res, err = st.ExecContext(ctx, a...)
		} else {
			res, err = db.writer.ExecContext(ctx, q, a...)
		}
		return err
	})
	return res, MapError(err)
}

// Query runs a read on the reader pool. On SQLite the reader connections
// are read-only: use Tx for INSERT ... RETURNING.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	q, a := db.query(query, len(args)), convertArgs(db.dialect, args)
	var (
		rows *sql.Rows
		err  error
	)
	if st := db.prepared(ctx, q); st != nil {
		rows, err = st.QueryContext(ctx, a...)
	} else {
		rows, err = db.reader.QueryContext(ctx, q, a...)
	}
	if err != nil {
		return nil, MapError(err)
	}
	return &Rows{rows}, nil
}

// QueryRow runs a read expected to return at most one row on the reader
// pool. Its Scan returns storage.ErrNotFound when there is no row.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *Row {
	q, a := db.query(query, len(args)), convertArgs(db.dialect, args)
	if st := db.prepared(ctx, q); st != nil {
		return &Row{st.QueryRowContext(ctx, a...)}
	}
	return &Row{db.reader.QueryRowContext(ctx, q, a...)}
}

// maxPrepared bounds the read statements kept prepared. Hot paths use a few
// constant statements; anything past the bound simply runs unprepared.
const maxPrepared = 256

// prepared returns the reader pool's prepared statement for q, preparing it
// on first use, or nil when the cache is full or preparing fails (the caller
// then runs q directly and gets the real error, if any).
func (db *DB) prepared(ctx context.Context, q string) *sql.Stmt {
	if v, ok := db.stmts.Load(q); ok {
		return v.(*sql.Stmt)
	}
	if db.nstmts.Load() >= maxPrepared {
		return nil
	}
	st, err := db.reader.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	if v, loaded := db.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return v.(*sql.Stmt)
	}
	db.nstmts.Add(1)
	return st
}

// preparedWrite is prepared for the SQLite writer connection: SQLite
// compiles every statement it is given, and the write paths run the same
// few statements over and over. On PostgreSQL it returns nil (the driver
// caches prepared statements per connection itself).
func (db *DB) preparedWrite(ctx context.Context, q string) *sql.Stmt {
	if db.dialect != SQLite {
		return nil
	}
	if v, ok := db.wstmts.Load(q); ok {
		return v.(*sql.Stmt)
	}
	if db.nwstmts.Load() >= maxPrepared {
		return nil
	}
	st, err := db.writer.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	if v, loaded := db.wstmts.LoadOrStore(q, st); loaded {
		st.Close()
		return v.(*sql.Stmt)
	}
	db.nwstmts.Add(1)
	return st
}

// Rows is the result of a query; its errors are mapped with MapError.
type Rows struct{ *sql.Rows }

// Scan copies the current row into dest.
func (r *Rows) Scan(dest ...any) error { return MapError(r.Rows.Scan(dest...)) }

// Err returns the error, if any, met while iterating.
func (r *Rows) Err() error { return MapError(r.Rows.Err()) }

// Close releases the rows' connection.
func (r *Rows) Close() error { return MapError(r.Rows.Close()) }

// Row is the result of QueryRow.
type Row struct{ row *sql.Row }

// Scan copies the row into dest, or returns storage.ErrNotFound.
func (r *Row) Scan(dest ...any) error { return MapError(r.row.Scan(dest...)) }

// Err returns the query's error without scanning.
func (r *Row) Err() error { return MapError(r.row.Err()) }
