package permission_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/warden-iam/warden/internal/permission"
	"github.com/warden-iam/warden/internal/permission/check"
	"github.com/warden-iam/warden/internal/permission/tuple"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
	"github.com/warden-iam/warden/internal/storage/sqltest"
)

// benchService is a service on a fresh SQLite database with the cache off,
// so every check pays its real queries.
func benchService(b *testing.B, tuples []tuple.Tuple) *permission.Service {
	db := sqltest.SQLite(b)
	svc, err := permission.NewService(context.Background(), sqlstore.New(db).Permissions(), mustModel(b), permission.Options{
		SingleWriter: true, MaxReadDepth: 40, MaxWriteBatch: 10_000,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Chain: check.ChainOptions{CacheEntries: -1}})
	if err != nil {
		b.Fatal(err)
	}
	for len(tuples) > 0 {
		n := min(len(tuples), 5000)
		if _, err := svc.Transact(context.Background(), tuples[:n], nil); err != nil {
			b.Fatal(err)
		}
		tuples = tuples[n:]
	}
	return svc
}

func parse(s string) tuple.Tuple {
	t, err := tuple.Parse(s)
	if err != nil {
		panic(err)
	}
	return t
}

func runChecks(b *testing.B, svc *permission.Service, q string, want bool) {
	t := parse(q)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := svc.Check(context.Background(), t, permission.CheckOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if r.Allowed != want {
			b.Fatalf("%s: allowed=%v, want %v", q, r.Allowed, want)
		}
	}
}

// C2: a document viewable by the top group of a chain 16 groups deep, some
// 100 groups beside each level so the lookups are not trivially small.
func BenchmarkCheckNestedGroups(b *testing.B) {
	var ts []tuple.Tuple
	for i := 0; i < 16; i++ {
		ts = append(ts, parse(fmt.Sprintf("Group:g%d#members@Group:g%d#members", i, i+1)))
		for j := 0; j < 100; j++ {
			ts = append(ts, parse(fmt.Sprintf("Group:side%d_%d#members@User:u%d", i, j, j)))
		}
	}
	ts = append(ts, parse("Group:g16#members@User:deep"), parse("Doc:d#viewers@Group:g0#members"))
	svc := benchService(b, ts)
	b.Run("allowed", func(b *testing.B) { runChecks(b, svc, "Doc:d#view@User:deep", true) })
	b.Run("denied", func(b *testing.B) { runChecks(b, svc, "Doc:d#view@User:u7", false) })
}

// C3: a document in 200 (and 1,000) folders; the subject can view through
// exactly one of them, or through none.
func BenchmarkCheckWideFanOut(b *testing.B) {
	for _, width := range []int{200, 1000} {
		var ts []tuple.Tuple
		for i := 0; i < width; i++ {
			ts = append(ts, parse(fmt.Sprintf("Doc:wide#parents@Folder:f%d", i)))
			ts = append(ts, parse(fmt.Sprintf("Folder:f%d#viewers@User:v%d", i, i%50)))
		}
		ts = append(ts, parse(fmt.Sprintf("Folder:f%d#viewers@User:lucky", width/2)))
		svc := benchService(b, ts)
		b.Run(fmt.Sprintf("%d/allowed", width), func(b *testing.B) { runChecks(b, svc, "Doc:wide#view@User:lucky", true) })
		b.Run(fmt.Sprintf("%d/denied", width), func(b *testing.B) { runChecks(b, svc, "Doc:wide#view@User:nobody", false) })
	}
}
