package sqldb

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strconv"
	"time"
)

// sqliteTimeLayout is how timestamps are stored in SQLite: TEXT, always UTC,
// always six fractional digits, so that the text sorts and compares in time
// order and the driver parses it back for columns declared TIMESTAMP.
// The "+00:00" suffix is appended literally.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000"

// Now returns the current time in UTC truncated to microseconds, the
// precision both dialects store, so a value written and read back compares
// Equal to the one written.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// normTime returns t in UTC truncated to microseconds, without a monotonic
// clock reading.
func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// formatSQLiteTime renders t in the stored SQLite form.
func formatSQLiteTime(t time.Time) string {
	return normTime(t).Format(sqliteTimeLayout) + "+00:00"
}

// Time scans a timestamp from either dialect, including values SQLite hands
// back as text (aggregates such as MAX(created_at) lose the column's declared
// type), and always yields UTC. A NULL scans as the zero Time, and the zero
// Time is written as NULL, so Time also serves nullable columns.
type Time struct{ time.Time }

// Scan implements sql.Scanner.
func (t *Time) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		t.Time = time.Time{}
	case time.Time:
		t.Time = v.UTC()
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	case int64:
		t.Time = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("sqldb.Time: cannot scan %T", src)
	}
	return nil
}

var textTimeLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 -0700 MST",
}

func (t *Time) parse(s string) error {
	for _, l := range textTimeLayouts {
		if v, err := time.Parse(l, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		t.Time = time.UnixMicro(n).UTC()
		return nil
	}
	return fmt.Errorf("sqldb.Time: cannot parse %q as a time", s)
}

// Value implements driver.Valuer: the zero Time is NULL, anything else is
// the UTC time truncated to microseconds.
func (t Time) Value() (driver.Value, error) {
	if t.IsZero() {
		return nil, nil
	}
	return normTime(t.Time), nil
}

// convertArgs normalises time arguments for the dialect: every time is made
// UTC and truncated to microseconds, and for SQLite rendered in the stored
// text form, including values of other types whose driver.Valuer yields a
// time.Time. It returns args itself when nothing needs converting.
func convertArgs(d Dialect, args []any) []any {
	var out []any
	for i, a := range args {
		v, ok := convertArg(d, a)
		if !ok {
			continue
		}
		if out == nil {
			out = make([]any, len(args))
			copy(out, args)
		}
		out[i] = v
	}
	if out == nil {
		return args
	}
	return out
}

func convertArg(d Dialect, a any) (any, bool) {
	var t time.Time
	switch v := a.(type) {
	case time.Time:
		t = v
	case *time.Time:
		if v == nil {
			return nil, true
		}
		t = *v
	case Time:
		if v.IsZero() {
			return nil, true
		}
		t = v.Time
	case *Time:
		if v == nil || v.IsZero() {
			return nil, true
		}
		t = v.Time
	case sql.NullTime:
		if !v.Valid {
			return nil, true
		}
		t = v.Time
	case driver.Valuer:
		// Another type stored as a time would reach the SQLite driver as a
		// time.Time and be written in the driver's own format, which does
		// not sort; catch it here.
		if d != SQLite {
			return nil, false
		}
		val, err := v.Value()
		tv, ok := val.(time.Time)
		if err != nil || !ok {
			return nil, false
		}
		t = tv
	default:
		return nil, false
	}
	if d == SQLite {
		return formatSQLiteTime(t), true
	}
	return normTime(t), true
}
