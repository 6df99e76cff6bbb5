package migrations

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

var (
	// ErrChanged means an applied migration's file differs from what was
	// applied (its checksum or name changed).
	ErrChanged = errors.New("migration changed after it was applied")
	// ErrUnknown means the database has a migration applied that this binary
	// does not have: the database is newer than the binary.
	ErrUnknown = errors.New("unknown migration applied (the database is newer than this binary)")
)

// Migration is one migration file and, when applied, its record.
type Migration struct {
	Version   int64     // from the file name, 0001_core.sql -> 1
	Name      string    // from the file name, 0001_core.sql -> "core"
	File      string    // the file name, "0001_core.sql"
	Checksum  string    // hex SHA-256 of the file
	Applied   bool      // recorded in the migrations table
	AppliedAt time.Time // when it was applied, UTC; zero when pending
	sql       string
}

var fileName = regexp.MustCompile(`^([0-9]+)_([a-z0-9_]+)\.sql$`)

type loaded struct {
	list []Migration
	err  error
}

var (
	loadOnce  sync.Once
	byDialect map[sqldb.Dialect]loaded
)

// known returns the dialect's migrations in version order.
func known(d sqldb.Dialect) ([]Migration, error) {
	loadOnce.Do(func() {
		byDialect = map[sqldb.Dialect]loaded{}
		for _, d := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
			l, err := load(files, string(d))
			byDialect[d] = loaded{l, err}
		}
	})
	l, ok := byDialect[d]
	if !ok {
		return nil, fmt.Errorf("migrations: no migrations for dialect %q", d)
	}
	return l.list, l.err
}

func load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var list []Migration
	seen := map[int64]string{}
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migrations: %s/%s: file name must be VERSION_name.sql", dir, e.Name())
		}
		v, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migrations: %s/%s: bad version", dir, e.Name())
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations: %s: %s and %s share version %d", dir, other, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		list = append(list, newMigration(v, m[2], e.Name(), string(b)))
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Version < list[j].Version })
	return list, nil
}

func newMigration(version int64, name, file, sql string) Migration {
	sum := sha256.Sum256([]byte(sql))
	return Migration{
		Version:  version,
		Name:     name,
		File:     file,
		Checksum: hex.EncodeToString(sum[:]),
		sql:      sql,
	}
}

// record is a row of the migrations table.
type record struct {
	version   int64
	name      string
	checksum  string
	appliedAt time.Time
}

// querier is what reading the migrations table needs from a DB or a Tx.
type querier interface {
	Query(ctx context.Context, query string, args ...any) (*sqldb.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sqldb.Row
}

func tableExists(ctx context.Context, q querier, d sqldb.Dialect, table string) (bool, error) {
	query := `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`
	if d == sqldb.SQLite {
		query = `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	}
	var n int
	if err := q.QueryRow(ctx, query, table).Scan(&n); err != nil {
		return false, fmt.Errorf("migrations: look for table %s: %w", table, err)
	}
	return n > 0, nil
}

func readApplied(ctx context.Context, q querier) (map[int64]record, error) {
	rows, err := q.Query(ctx, `SELECT version, name, checksum, applied_at FROM migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("migrations: read applied: %w", err)
	}
	defer rows.Close()
	out := map[int64]record{}
	for rows.Next() {
		var r record
		var at sqldb.Time
		if err := rows.Scan(&r.version, &r.name, &r.checksum, &at); err != nil {
			return nil, fmt.Errorf("migrations: read applied: %w", err)
		}
		r.appliedAt = at.Time
		out[r.version] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrations: read applied: %w", err)
	}
	return out, nil
}

// merge checks the applied records against the known migrations and returns
// the known list marked applied or pending.
func merge(list []Migration, applied map[int64]record) ([]Migration, error) {
	out := make([]Migration, len(list))
	byVersion := map[int64]bool{}
	for i, m := range list {
		byVersion[m.Version] = true
		if r, ok := applied[m.Version]; ok {
			if r.checksum != m.Checksum || r.name != m.Name {
				return nil, fmt.Errorf("migration %s was changed after it was applied (recorded %d_%s sha256 %.12s, this binary has sha256 %.12s): %w",
					m.File, r.version, r.name, r.checksum, m.Checksum, ErrChanged)
			}
			m.Applied, m.AppliedAt = true, r.appliedAt
		}
		out[i] = m
	}
	var unknown []int64
	for v := range applied {
		if !byVersion[v] {
			unknown = append(unknown, v)
		}
	}
	if len(unknown) > 0 {
		sort.Slice(unknown, func(i, j int) bool { return unknown[i] < unknown[j] })
		r := applied[unknown[0]]
		return nil, fmt.Errorf("migration %04d_%s.sql is applied in the database but unknown to this binary: %w", r.version, r.name, ErrUnknown)
	}
	return out, nil
}

// Status lists every migration this binary has for db's dialect, each
// marked applied or pending. It does not create the migrations table. It
// fails with ErrChanged or ErrUnknown when the database disagrees with the
// binary.
func Status(ctx context.Context, db *sqldb.DB) ([]Migration, error) {
	list, err := known(db.Dialect())
	if err != nil {
		return nil, err
	}
	return status(ctx, db, list)
}

func status(ctx context.Context, db *sqldb.DB, list []Migration) ([]Migration, error) {
	ok, err := tableExists(ctx, db, db.Dialect(), "migrations")
	if err != nil {
		return nil, err
	}
	applied := map[int64]record{}
	if ok {
		if applied, err = readApplied(ctx, db); err != nil {
			return nil, err
		}
	}
	return merge(list, applied)
}

// Pending returns how many migrations are not applied yet.
func Pending(ctx context.Context, db *sqldb.DB) (int, error) {
	list, err := Status(ctx, db)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range list {
		if !m.Applied {
			n++
		}
	}
	return n, nil
}

// Check returns nil when the schema is exactly what this binary expects,
// an error wrapping storage.ErrBehind when migrations are pending, and the
// Status error otherwise.
func Check(ctx context.Context, db *sqldb.DB) error {
	n, err := Pending(ctx, db)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d migration(s) pending: %w", n, storage.ErrBehind)
	}
	return nil
}
