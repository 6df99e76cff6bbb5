package session_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"

	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/session"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
	"github.com/warden-iam/warden/internal/storage/sqltest"
	"github.com/warden-iam/warden/internal/web"
)

// BenchmarkWhoami is GET /sessions/whoami through the public router
// in-process (no sockets), with the session token header, against a SQLite
// file holding one identity (with its addresses, as the default schema
// derives them) and one API session: the per-request cost of the K1
// workload apart from HTTP transport. "parallel" runs GOMAXPROCS callers
// at once on the store's read pool.
func BenchmarkWhoami(b *testing.B) {
	ctx := context.Background()
	db := sqltest.SQLite(b)
	now := sqldb.Now()
	email := "bench@example.org"
	i := &identity.Identity{ID: uuid.NewString(), SchemaID: "default", State: identity.StateActive, StateChangedAt: &now,
		Traits: json.RawMessage(`{"email":"` + email + `"}`), CreatedAt: now, UpdatedAt: now,
		VerifiableAddresses: []identity.VerifiableAddress{{ID: uuid.NewString(), Value: email, Via: identity.ViaEmail,
			Status: identity.AddressPending, CreatedAt: now, UpdatedAt: now}},
		RecoveryAddresses: []identity.RecoveryAddress{{ID: uuid.NewString(), Value: email, Via: identity.ViaEmail, CreatedAt: now, UpdatedAt: now}}}
	store := sqlstore.New(db)
	if err := store.Identities().InsertIdentity(ctx, i); err != nil {
		b.Fatal(err)
	}
	s := session.NewService(store.Sessions(), session.Options{SchemaURL: func(id string) string { return "http://127.0.0.1:4433/schemas/" + id }})
	_, tok, err := s.Issue(ctx, i, session.ViaToken, pw, session.Device{ID: uuid.NewString(), IPAddress: "127.0.0.1", UserAgent: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	r := web.NewRouter()
	session.NewHandler(s).MountPublic(r)
	whoami := func(b *testing.B) {
		req := httptest.NewRequest(http.MethodGet, "/sessions/whoami", nil)
		req.Header.Set("X-Session-Token", tok)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("whoami: %d %s", rec.Code, rec.Body)
		}
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			whoami(b)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				whoami(b)
			}
		})
	})
}
