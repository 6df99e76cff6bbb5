package client_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/warden-iam/warden/internal/oauth2/client"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
	"github.com/warden-iam/warden/internal/storage/sqltest"
)

// Changes made through the service show in Lookup and Authenticate at
// once; changes made by another instance on the same database (a second
// service here) show once the cache entry expires.
func TestClientCache(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		// A clock of the test's own: how long hashing takes on a busy
		// machine must not decide what the cache holds.
		const ttl = 2 * time.Second
		var mu sync.Mutex
		clock := time.Now()
		now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
		pass := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
		mk := func() *client.Service {
			s, err := client.NewService(sqlstore.New(db).Clients(), client.Options{SecretKey: testKey, CacheTTL: ttl, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		a, b := mk(), mk()
		c, err := a.Create(ctx, client.Client{Name: "svc", GrantTypes: []string{"client_credentials"}})
		if err != nil {
			t.Fatal(err)
		}
		old := c.Secret
		if _, err := a.Authenticate(ctx, c.ID, old); err != nil {
			t.Fatalf("authenticate: %v", err)
		}
		if _, err := b.Authenticate(ctx, c.ID, old); err != nil { // b caches the client now
			t.Fatalf("authenticate on b: %v", err)
		}

		// A local change: the old secret stops working at once on a.
		c.Secret = "a-new-secret-chosen-by-the-operator"
		if _, err := a.Set(ctx, c.ID, c); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Authenticate(ctx, c.ID, old); !errors.Is(err, client.ErrAuthentication) {
			t.Fatalf("old secret on the changed instance: %v", err)
		}
		// On b the cached client still has the old secret, until it expires.
		if _, err := b.Authenticate(ctx, c.ID, old); err != nil {
			t.Fatalf("b should still hold the cached client: %v", err)
		}
		pass(ttl + time.Millisecond)
		if _, err := b.Authenticate(ctx, c.ID, old); !errors.Is(err, client.ErrAuthentication) {
			t.Fatalf("old secret on b after the cache expired: %v", err)
		}

		// Deleting through a: gone at once there, on b after expiry.
		if _, err := b.Lookup(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if err := a.Delete(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Lookup(ctx, c.ID); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("lookup after delete: %v", err)
		}
		pass(ttl + time.Millisecond)
		if _, err := b.Lookup(ctx, c.ID); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("lookup on b after expiry: %v", err)
		}

		// Off: every read goes to storage.
		off, err := client.NewService(sqlstore.New(db).Clients(), client.Options{SecretKey: testKey, CacheTTL: -1})
		if err != nil {
			t.Fatal(err)
		}
		d, err := off.Create(ctx, client.Client{Name: "svc2", GrantTypes: []string{"client_credentials"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := off.Lookup(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		if err := a.Delete(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := off.Lookup(ctx, d.ID); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("uncached lookup after a delete elsewhere: %v", err)
		}
	})
}
