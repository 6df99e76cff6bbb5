package sqlstore_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden/internal/oauth2/provider"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
	"github.com/warden-iam/warden/internal/storage/sqltest"
)

func randomSig() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// benchToken is shaped like an access token of the client_credentials
// grant: a random signature, a request id of its own, a few hundred bytes
// of session data.
func benchToken(data string) provider.TokenRecord {
	now := sqldb.Now()
	return provider.TokenRecord{Signature: randomSig(), Kind: provider.TokenAccess, RequestID: orderedID(),
		ClientID: "3b9f3b3e-bench-client", Subject: "3b9f3b3e-bench-client", Active: true, Data: data,
		RequestedAt: now, ExpiresAt: now.Add(time.Hour)}
}

// BenchmarkInsertToken is the write of every token response, from many
// requests at once (run it with -cpu 1 for one core, as the server benchmark
// pins it).
func BenchmarkInsertToken(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			var db *sqldb.DB
			if name == "sqlite" {
				db = sqltest.SQLite(b)
			} else {
				db = sqltest.Postgres(b)
			}
			st := sqlstore.New(db).OAuth2()
			data := `{"scopes":["read","write"],"audience":[],"ext":{},"session":{"subject":"x","claims":{"iss":"http://127.0.0.1:4444/"}},` +
				`"form":"` + strings.Repeat("a", 300) + `"}`
			ctx := context.Background()
			b.SetParallelism(16)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := st.InsertTokens(ctx, benchToken(data)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			if g := db.GroupStats(); g.Transactions > 0 {
				b.ReportMetric(float64(g.Writes)/float64(g.Transactions), "writes/group")
			}
		})
	}
}

// orderedID is shaped like the provider's request ids: time first, so that
// later ids sort later.
func orderedID() string {
	return fmt.Sprintf("%012x", time.Now().UnixMilli()) + randomSig()[:10]
}
