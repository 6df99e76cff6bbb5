package migrations

import (
	"context"
	"fmt"

	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// UpList is Up with a given list of migrations instead of the embedded ones.
func UpList(ctx context.Context, db *sqldb.DB, list []Migration, progress func(m Migration, i, n int)) (int, error) {
	return up(ctx, db, list, progress)
}

// StatusList is Status with a given list of migrations.
func StatusList(ctx context.Context, db *sqldb.DB, list []Migration) ([]Migration, error) {
	return status(ctx, db, list)
}

// NewForTest builds a migration from SQL text.
func NewForTest(version int64, name, sql string) Migration {
	return newMigration(version, name, fmt.Sprintf("%04d_%s.sql", version, name), sql)
}
