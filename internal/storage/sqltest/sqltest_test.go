package sqltest_test

import (
	"context"
	"os"
	"testing"

	"github.com/warden-iam/warden/internal/storage/migrations"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqltest"
)

func TestEach(t *testing.T) {
	var ran []sqldb.Dialect
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ran = append(ran, db.Dialect())
		if err := migrations.Check(context.Background(), db); err != nil {
			t.Fatalf("%s database is not migrated: %v", db.Dialect(), err)
		}
	})
	want := 1
	if os.Getenv(sqltest.EnvURL) != "" {
		want = 2
	}
	if len(ran) != want || ran[0] != sqldb.SQLite {
		t.Fatalf("Each ran %v", ran)
	}
}

func TestMemory(t *testing.T) {
	db := sqltest.Memory(t)
	if err := migrations.Check(context.Background(), db); err != nil {
		t.Fatal(err)
	}
}
