package sqlstore_test

import (
	"testing"

	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqltest"
	"github.com/warden-iam/warden/internal/storage/storetest"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *sqldb.DB { return sqltest.SQLite(t) })
}

func TestMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *sqldb.DB { return sqltest.Memory(t) })
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *sqldb.DB { return sqltest.Postgres(t) })
}
