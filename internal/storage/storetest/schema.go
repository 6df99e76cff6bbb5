package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-iam/warden/internal/storage/migrations"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
)

// testTime checks that times come back Equal to what was written (UTC,
// microseconds), that stored times compare in time order in SQL, and that
// aggregates and NULLs scan through sqldb.Time.
func testTime(t *testing.T, db *sqldb.DB) {
	ctx := ctxFor(t)
	scratch(t, db)
	base := time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC)
	cases := []struct {
		id   string
		in   any
		want time.Time
	}{
		{"now", sqldb.Now(), time.Time{}},
		{"zone", time.Date(2024, 3, 1, 1, 2, 3, 456789000, time.FixedZone("MST", -7*3600)), time.Time{}},
		{"nanos", base.Add(123456789), base.Add(123456 * time.Microsecond)},
		{"micro1", base.Add(time.Microsecond), time.Time{}},
		{"micro10", base.Add(10 * time.Microsecond), time.Time{}},
		{"old", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}},
		{"ptr", ptr(base.Add(time.Second)), base.Add(time.Second)},
		{"sqldb.Time", sqldb.Time{Time: base.Add(2 * time.Second)}, base.Add(2 * time.Second)},
	}
	for i := range cases {
		if cases[i].want.IsZero() {
			cases[i].want = cases[i].in.(time.Time)
		}
		if _, err := db.Exec(ctx, `INSERT INTO st_items (id, at) VALUES (?, ?)`, cases[i].id, cases[i].in); err != nil {
			t.Fatalf("%s: insert: %v", cases[i].id, err)
		}
	}
	for _, c := range cases {
		var got time.Time
		var gotT sqldb.Time
		if err := db.QueryRow(ctx, `SELECT at, at FROM st_items WHERE id = ?`, c.id).Scan(&got, &gotT); err != nil {
			t.Fatalf("%s: read: %v", c.id, err)
		}
		if !got.Equal(c.want) || !gotT.Equal(c.want) {
			t.Errorf("%s: read back %s / %s, want %s", c.id, got, gotT.Time, c.want)
		}
		if gotT.Location() != time.UTC {
			t.Errorf("%s: sqldb.Time location %v, want UTC", c.id, gotT.Location())
		}
		// The value read back finds its own row.
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM st_items WHERE at = ?`, got).Scan(&n); err != nil || n != 1 {
			t.Errorf("%s: WHERE at = read-back value matched %d rows, %v", c.id, n, err)
		}
	}
	// Ordering in SQL follows time order, also across fractional digits.
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM st_items WHERE at > ? AND at < ?`,
		base, base.Add(time.Millisecond)).Scan(&n); err != nil || n != 2 {
		t.Errorf("rows strictly between base and base+1ms = %d, %v; want 2 (micro1, micro10)", n, err)
	}
	var ids []string
	rows, err := db.Query(ctx, `SELECT id FROM st_items WHERE at >= ? AND at < ? ORDER BY at`, base, base.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if got := strings.Join(ids, ","); got != "micro1,micro10,nanos,ptr,sqldb.Time" {
		t.Errorf("ORDER BY at = %s", got)
	}
	// An aggregate loses the column type on SQLite; sqldb.Time still scans it.
	var maxAt sqldb.Time
	if err := db.QueryRow(ctx, `SELECT max(at) FROM st_items WHERE id <> 'now'`).Scan(&maxAt); err != nil {
		t.Fatalf("max(at): %v", err)
	}
	if want := cases[1].want; !maxAt.Equal(want) {
		t.Errorf("max(at) = %s, want %s", maxAt.Time, want)
	}
	// NULLs: nil pointers and the zero sqldb.Time write NULL and scan back zero.
	for _, in := range []any{(*time.Time)(nil), sqldb.Time{}} {
		if _, err := db.Exec(ctx, `UPDATE st_items SET at = ? WHERE id = 'old'`, in); err != nil {
			t.Fatalf("write NULL from %T: %v", in, err)
		}
		got := sqldb.Time{Time: time.Now()}
		if err := db.QueryRow(ctx, `SELECT at FROM st_items WHERE id = 'old'`).Scan(&got); err != nil || !got.IsZero() {
			t.Errorf("NULL from %T read back as %v, %v; want zero", in, got.Time, err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func testMigrations(t *testing.T, db *sqldb.DB) {
	ctx := ctxFor(t)
	n, err := migrations.Up(ctx, db, func(m migrations.Migration, i, n int) {
		t.Errorf("progress called for %s on a migrated database", m.File)
	})
	if err != nil || n != 0 {
		t.Fatalf("Up on a migrated database = %d, %v; want 0, nil", n, err)
	}
	list, err := migrations.Status(ctx, db)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if len(list) == 0 {
		t.Fatal("Status lists no migrations")
	}
	for _, m := range list {
		if !m.Applied || m.AppliedAt.IsZero() || m.File != fmt.Sprintf("%04d_%s.sql", m.Version, m.Name) || len(m.Checksum) != 64 {
			t.Errorf("Status entry %+v: want applied, with time, file name and checksum", m)
		}
	}
	if p, err := migrations.Pending(ctx, db); err != nil || p != 0 {
		t.Fatalf("Pending = %d, %v", p, err)
	}
	if err := migrations.Check(ctx, db); err != nil {
		t.Fatalf("Check: %v", err)
	}

	first := list[0]
	if _, err := db.Exec(ctx, `UPDATE migrations SET checksum = ? WHERE version = ?`, strings.Repeat("0", 64), first.Version); err != nil {
		t.Fatal(err)
	}
	_, errStatus := migrations.Status(ctx, db)
	_, errUp := migrations.Up(ctx, db, nil)
	errCheck := migrations.Check(ctx, db)
	for name, err := range map[string]error{"Status": errStatus, "Up": errUp, "Check": errCheck} {
		if !errors.Is(err, migrations.ErrChanged) || !strings.Contains(err.Error(), first.File+" was changed after it was applied") {
			t.Errorf("%s with a tampered checksum: %v; want ErrChanged naming %s", name, err, first.File)
		}
	}
	if _, err := db.Exec(ctx, `UPDATE migrations SET checksum = ? WHERE version = ?`, first.Checksum, first.Version); err != nil {
		t.Fatal(err)
	}

	if _, err := db.Exec(ctx, `INSERT INTO migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`,
		999999, "from_the_future", strings.Repeat("1", 64), sqldb.Now()); err != nil {
		t.Fatal(err)
	}
	_, errStatus = migrations.Status(ctx, db)
	_, errUp = migrations.Up(ctx, db, nil)
	for name, err := range map[string]error{"Status": errStatus, "Up": errUp} {
		if !errors.Is(err, migrations.ErrUnknown) || !strings.Contains(err.Error(), "999999_from_the_future.sql") {
			t.Errorf("%s with an unknown applied migration: %v; want ErrUnknown naming it", name, err)
		}
	}
	if _, err := db.Exec(ctx, `DELETE FROM migrations WHERE version = 999999`); err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.Status(ctx, db); err != nil {
		t.Fatalf("Status after repair: %v", err)
	}
}

func testSystemSecrets(t *testing.T, db *sqldb.DB) {
	ctx := ctxFor(t)
	s := sqlstore.New(db)
	got, err := s.SystemSecrets(ctx, "cookie")
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("SystemSecrets on empty = %#v, %v; want empty slice", got, err)
	}

	const callers = 8
	var wg sync.WaitGroup
	start := make(chan struct{})
	results := make([][]string, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = s.EnsureSystemSecrets(ctx, "cookie", func() (string, error) {
				return fmt.Sprintf("secret-%d", i), nil
			})
		}()
	}
	close(start)
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if len(results[i]) != 1 || results[i][0] != results[0][0] {
			t.Fatalf("caller %d got %v, caller 0 got %v: want one shared secret", i, results[i], results[0])
		}
	}
	stored, err := s.SystemSecrets(ctx, "cookie")
	if err != nil || len(stored) != 1 || stored[0] != results[0][0] {
		t.Fatalf("stored = %v, %v; want %v", stored, err, results[0])
	}

	again, err := s.EnsureSystemSecrets(ctx, "cookie", func() (string, error) {
		t.Error("generate called although a secret exists")
		return "other", nil
	})
	if err != nil || len(again) != 1 || again[0] != stored[0] {
		t.Fatalf("second Ensure = %v, %v", again, err)
	}

	errGen := errors.New("no entropy")
	if _, err := s.EnsureSystemSecrets(ctx, "cipher", func() (string, error) { return "", errGen }); !errors.Is(err, errGen) {
		t.Fatalf("generate error: got %v", err)
	}
	if got, _ := s.SystemSecrets(ctx, "cipher"); len(got) != 0 {
		t.Fatalf("a failed generate stored %v", got)
	}

	// Secrets of a kind come back in position order; kinds do not mix.
	if _, err := db.Exec(ctx, `INSERT INTO system_secrets (kind, position, value, created_at) VALUES (?, ?, ?, ?), (?, ?, ?, ?)`,
		"jwt", 1, "second", sqldb.Now(), "jwt", 0, "first", sqldb.Now()); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SystemSecrets(ctx, "jwt"); err != nil || strings.Join(got, ",") != "first,second" {
		t.Fatalf("jwt secrets = %v, %v", got, err)
	}
}
