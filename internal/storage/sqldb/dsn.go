package sqldb

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// dsn is a parsed data source name.
type dsn struct {
	dialect Dialect
	// memory is true for the private in-memory SQLite database.
	memory bool
	// path is the SQLite file path (relative or absolute), unescaped.
	path string
	// query holds the SQLite query parameters given in the DSN.
	query url.Values
	// url is the PostgreSQL connection URL, as given.
	url string
	// password is the PostgreSQL password, kept only to scrub it from errors.
	password string
	// pool holds the pool settings given in a PostgreSQL DSN (removed from
	// url): max_conns, max_idle_conns, max_conn_lifetime, max_conn_idle_time.
	pool poolSettings
}

// poolSettings are connection pool settings a PostgreSQL DSN may carry, by
// the names other tools of this kind use; zero means "not given".
type poolSettings struct {
	maxConns, maxIdle     int
	lifetime, maxIdleTime time.Duration
}

// sqliteReserved are SQLite DSN parameters that would break this package's
// invariants (one writer with BEGIN IMMEDIATE, private memory databases,
// timestamps always written in one format) and so are refused.
var sqliteReserved = map[string]bool{
	"_txlock":              true,
	"mode":                 true,
	"cache":                true,
	"vfs":                  true,
	"_time_format":         true,
	"_time_integer_format": true,
	"_inttotime":           true,
	"_texttotime":          true,
	"_timezone":            true,
	"_query_only":          true,
}

// parseDSN parses the DSN forms Open accepts. Its errors never contain a
// password from the input.
func parseDSN(s string) (*dsn, error) {
	if s == "" {
		return nil, errors.New("empty database DSN: use memory, sqlite://PATH or postgres://...")
	}
	if s == "memory" {
		return &dsn{dialect: SQLite, memory: true, query: url.Values{}}, nil
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return nil, errors.New("database DSN has no scheme: use memory, sqlite://PATH or postgres://...")
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		return parseSQLite(rest)
	case "postgres", "postgresql":
		return parsePostgres(s)
	default:
		return nil, fmt.Errorf("database DSN has unknown scheme %q: use memory, sqlite://PATH or postgres://...", clip(scheme, 32))
	}
}

func parseSQLite(rest string) (*dsn, error) {
	rawPath, rawQuery, _ := strings.Cut(rest, "?")
	if i := strings.IndexByte(rawPath, '#'); i >= 0 {
		return nil, errors.New("sqlite DSN: '#' is not allowed in the path; percent-encode it as %23")
	}
	path, err := url.PathUnescape(rawPath)
	if err != nil {
		return nil, errors.New("sqlite DSN: the path has an invalid percent-escape")
	}
	if path == "" {
		return nil, errors.New("sqlite DSN has an empty path: use sqlite://RELATIVE/FILE.db or sqlite:///ABSOLUTE/FILE.db")
	}
	if strings.HasSuffix(path, "/") {
		return nil, fmt.Errorf("sqlite DSN path %q names a directory, not a file", clip(path, 200))
	}
	if strings.ContainsRune(path, 0) {
		return nil, errors.New("sqlite DSN path contains a NUL byte")
	}
	path = filepath.Clean(path)
	if path == "." || path == ".." || path == "/" {
		return nil, fmt.Errorf("sqlite DSN path %q names a directory, not a file", path)
	}
	if path == ":memory:" {
		return nil, errors.New("sqlite DSN: use the DSN memory for an in-memory database")
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, errors.New("sqlite DSN has a malformed query string")
	}
	for k := range q {
		if sqliteReserved[k] {
			return nil, fmt.Errorf("sqlite DSN parameter %q is managed by warden and cannot be set", clip(k, 40))
		}
	}
	return &dsn{dialect: SQLite, path: path, query: q}, nil
}

func parsePostgres(s string) (*dsn, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url.Parse errors quote the whole input, password included, so
		// only say where to look.
		return nil, errors.New("postgres DSN is not a valid URL (percent-encode special characters in the user name and password)")
	}
	d := &dsn{dialect: Postgres, url: s}
	if u.User != nil {
		d.password, _ = u.User.Password()
	}
	if u.Opaque != "" {
		return nil, errors.New("postgres DSN must have the form postgres://USER:PASSWORD@HOST:PORT/DATABASE")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("postgres DSN %s has a malformed query string", d.redacted())
	}
	if err := d.pool.take(q); err != nil {
		return nil, fmt.Errorf("postgres DSN %s: %w", d.redacted(), err)
	}
	u.RawQuery = q.Encode()
	d.url = u.String()
	return d, nil
}

// take reads and removes the pool settings from q (the driver would send
// unknown ones to the server as run-time parameters, which it refuses).
func (p *poolSettings) take(q url.Values) error {
	count := func(key string, dst *int) error {
		if !q.Has(key) {
			return nil
		}
		v := q.Get(key)
		q.Del(key)
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10_000 {
			return fmt.Errorf("%s must be a whole number from 1 to 10000, not %q", key, clip(v, 32))
		}
		*dst = n
		return nil
	}
	duration := func(key string, dst *time.Duration) error {
		if !q.Has(key) {
			return nil
		}
		v := q.Get(key)
		q.Del(key)
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("%s must be a positive duration such as 30m, not %q", key, clip(v, 32))
		}
		*dst = d
		return nil
	}
	return errors.Join(count("max_conns", &p.maxConns), count("max_idle_conns", &p.maxIdle),
		duration("max_conn_lifetime", &p.lifetime), duration("max_conn_idle_time", &p.maxIdleTime))
}

// redacted returns the DSN with any password replaced.
func (d *dsn) redacted() string {
	switch {
	case d.memory:
		return "memory"
	case d.dialect == SQLite:
		return "sqlite://" + d.path
	}
	return Redact(d.url)
}

// scrub removes the password from an error message produced by a driver.
func (d *dsn) scrub(msg string) string {
	if d.password == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, d.password, "xxxxx")
	if esc := url.QueryEscape(d.password); esc != d.password {
		msg = strings.ReplaceAll(msg, esc, "xxxxx")
	}
	if esc := url.PathEscape(d.password); esc != d.password {
		msg = strings.ReplaceAll(msg, esc, "xxxxx")
	}
	return msg
}

// Redact returns a DSN safe to log: the password in a URL's user info and in
// password= query parameters is replaced by xxxxx. A DSN that does not parse
// as a URL loses everything between "://" and its last '@'.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		scheme, rest, ok := strings.Cut(s, "://")
		if !ok {
			return "(unparsable DSN)"
		}
		prefix := scheme + "://"
		if i := strings.LastIndexByte(rest, '@'); i >= 0 {
			prefix += "xxxxx@"
			rest = rest[i+1:]
		}
		if i := strings.IndexByte(rest, '?'); i >= 0 {
			rest = rest[:i] + "?xxxxx"
		}
		return prefix + rest
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if q := u.Query(); q.Has("password") || q.Has("sslpassword") {
		for _, k := range []string{"password", "sslpassword"} {
			if q.Has(k) {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// clip shortens s for use in an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// sqliteURI builds the modernc.org/sqlite DSN for a file path with the given
// query parameters. The path is escaped so that '?', '#' and '%' in file
// names survive SQLite's URI parsing.
func sqliteURI(path string, q url.Values) string {
	var b strings.Builder
	b.WriteString("file:")
	for i := 0; i < len(path); i++ {
		switch c := path[i]; c {
		case '?', '#', '%':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	if len(q) > 0 {
		b.WriteByte('?')
		b.WriteString(q.Encode())
	}
	return b.String()
}

// SQLiteDSN returns the DSN Open accepts for the SQLite file at path,
// escaping the characters the DSN syntax reserves.
func SQLiteDSN(path string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23")
	return "sqlite://" + r.Replace(path)
}
