package migrations

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/warden-iam/warden/internal/storage/sqldb"
)

func TestEmbeddedMigrations(t *testing.T) {
	lite, err := known(sqldb.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := known(sqldb.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) == 0 || len(lite) != len(pg) {
		t.Fatalf("%d sqlite and %d postgres migrations: each version needs both dialects", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].File != pg[i].File {
			t.Errorf("migration %d: sqlite %s, postgres %s", i, lite[i].File, pg[i].File)
		}
		if lite[i].Version != int64(i+1) {
			t.Errorf("%s: versions must run 1, 2, 3, ... without gaps", lite[i].File)
		}
	}
	if lite[0].File != "0001_core.sql" || lite[0].Name != "core" || len(lite[0].Checksum) != 64 {
		t.Errorf("first migration = %+v", lite[0])
	}
	// Writes and times come from the application; the SQL must not depend
	// on features one of the supported databases lacks.
	for _, m := range pg {
		up := strings.ToUpper(m.sql)
		for _, banned := range []string{"SERIAL", "CREATE TRIGGER", "ADVISORY", "CREATE EXTENSION", "NOW()", "CURRENT_TIMESTAMP"} {
			if strings.Contains(up, banned) {
				t.Errorf("postgres/%s uses %s, which CockroachDB or the time convention rules out", m.File, banned)
			}
		}
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"bad name":     {"d/1-core.sql": {Data: []byte("x")}},
		"upper case":   {"d/0001_Core.sql": {Data: []byte("x")}},
		"zero version": {"d/0000_core.sql": {Data: []byte("x")}},
		"duplicate":    {"d/0001_a.sql": {Data: []byte("x")}, "d/001_b.sql": {Data: []byte("y")}},
		"not sql":      {"d/0001_core.txt": {Data: []byte("x")}},
	} {
		if _, err := load(fsys, "d"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	list, err := load(fstest.MapFS{
		"d/0010_ten.sql": {Data: []byte("b")},
		"d/0002_two.sql": {Data: []byte("a")},
	}, "d")
	if err != nil || len(list) != 2 || list[0].Version != 2 || list[1].Version != 10 {
		t.Fatalf("load = %+v, %v; want versions 2, 10 in order", list, err)
	}
}
