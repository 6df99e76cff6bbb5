package jwk_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/warden-iam/warden/internal/cipher"
	"github.com/warden-iam/warden/internal/oauth2/jwk"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
	"github.com/warden-iam/warden/internal/storage/sqltest"
)

const testSecret = "0123456789abcdef0123456789abcdef"

func newCipher(t testing.TB, secrets ...string) *cipher.Cipher {
	t.Helper()
	if len(secrets) == 0 {
		secrets = []string{testSecret}
	}
	c, err := cipher.New(secrets)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newService(t testing.TB, db *sqldb.DB) *jwk.Service {
	t.Helper()
	return jwk.NewService(sqlstore.New(db).JWKs(), newCipher(t), jwk.Options{})
}

func TestGenerateEveryAlgorithm(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := newService(t, db)
		for _, alg := range jwk.Algorithms {
			k, err := s.Generate(ctx, "all", alg, "k-"+alg, "")
			if err != nil {
				t.Fatalf("%s: %v", alg, err)
			}
			if k.KeyID != "k-"+alg || k.Algorithm != alg || k.Use != "sig" || k.IsPublic() ||
				(!k.Valid() && !strings.HasPrefix(alg, "HS")) {
				t.Fatalf("%s: generated %+v", alg, k)
			}
			got, err := s.Get(ctx, "all", "k-"+alg)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := k.MarshalJSON()
			b, _ := got.MarshalJSON()
			if string(a) != string(b) {
				t.Fatalf("%s: stored key differs:\n%s\n%s", alg, a, b)
			}
		}
		set, err := s.List(ctx, "all")
		if err != nil || len(set.Keys) != len(jwk.Algorithms) {
			t.Fatalf("list: %d keys, %v", len(set.Keys), err)
		}
		pub, err := s.PublicSet(ctx, "all")
		if err != nil {
			t.Fatal(err)
		}
		if len(pub.Keys) != 4 {
			t.Fatalf("public set has %d keys, want the 4 asymmetric ones", len(pub.Keys))
		}
		for _, k := range pub.Keys {
			if !k.IsPublic() || strings.HasPrefix(k.Algorithm, "HS") {
				t.Errorf("public set holds %s (%s) with private parts or a symmetric key", k.KeyID, k.Algorithm)
			}
		}
	})
}

func TestRejects(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := newService(t, db)
		for _, c := range []struct{ alg, use string }{{"RS512", "sig"}, {"none", ""}, {"", ""}, {"ES256", "wrap"}} {
			if _, err := s.Generate(ctx, "x", c.alg, "", c.use); !jwk.IsInvalid(err) {
				t.Errorf("Generate(%q, %q): %v, want invalid", c.alg, c.use, err)
			}
		}
		if _, err := s.Generate(ctx, "x", "ES256", "dup", "sig"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Generate(ctx, "x", "ES256", "dup", "sig"); !errors.Is(err, storage.ErrConflict) {
			t.Errorf("same kid twice: %v, want conflict", err)
		}
		if _, err := s.List(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("unknown set: %v", err)
		}
		if _, err := s.Get(ctx, "x", "nope"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("unknown kid: %v", err)
		}
		if err := s.Delete(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("delete unknown set: %v", err)
		}
		if err := s.DeleteKey(ctx, "x", "nope"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("delete unknown key: %v", err)
		}
		// A key whose material does not fit its alg is refused.
		ec, _ := s.Get(ctx, "x", "dup")
		ec.Algorithm = "RS256"
		if err := s.PutKey(ctx, "x", ec); !jwk.IsInvalid(err) {
			t.Errorf("EC key labelled RS256: %v", err)
		}
		ec.Algorithm, ec.KeyID = "ES256", ""
		if err := s.PutKey(ctx, "x", ec); !jwk.IsInvalid(err) {
			t.Errorf("key without kid: %v", err)
		}
		if err := s.Put(ctx, "x", nil); !jwk.IsInvalid(err) {
			t.Errorf("empty set: %v", err)
		}
	})
}

func TestRotationAndSigner(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := newService(t, db)
		if _, err := s.Signer(ctx, "rot"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("signer of an empty set: %v", err)
		}
		var kids []string
		for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
			k, err := s.Generate(ctx, "rot", alg, "", "sig")
			if err != nil {
				t.Fatal(err)
			}
			kids = append(kids, k.KeyID)
			signer, err := s.Signer(ctx, "rot")
			if err != nil || signer.KeyID != k.KeyID {
				t.Fatalf("after adding %s: signer %q (%v), want the newest %q", alg, signer.KeyID, err, k.KeyID)
			}
		}
		// An encryption key added later does not sign.
		if _, err := s.Generate(ctx, "rot", "RS256", "enc-key", "enc"); err != nil {
			t.Fatal(err)
		}
		if signer, _ := s.Signer(ctx, "rot"); signer.KeyID != kids[2] {
			t.Fatalf("signer %q, want %q", signer.KeyID, kids[2])
		}
		pub, _ := s.PublicSet(ctx, "rot")
		if len(pub.Keys) != 4 {
			t.Fatalf("every key stays published: got %d", len(pub.Keys))
		}
		// Deleting the newest signer falls back to the previous one.
		if err := s.DeleteKey(ctx, "rot", kids[2]); err != nil {
			t.Fatal(err)
		}
		if signer, _ := s.Signer(ctx, "rot"); signer.KeyID != kids[1] {
			t.Fatalf("after delete: signer %q, want %q", signer.KeyID, kids[1])
		}
		// Put replaces the set; its last key is the newest.
		a, _ := s.Get(ctx, "rot", kids[0])
		b, _ := s.Get(ctx, "rot", kids[1])
		if err := s.Put(ctx, "rot", []jose.JSONWebKey{b, a}); err != nil {
			t.Fatal(err)
		}
		set, _ := s.List(ctx, "rot")
		if len(set.Keys) != 2 || set.Keys[1].KeyID != kids[0] {
			t.Fatalf("after put: %d keys", len(set.Keys))
		}
		if signer, _ := s.Signer(ctx, "rot"); signer.KeyID != kids[0] {
			t.Fatalf("after put: signer %q, want %q", signer.KeyID, kids[0])
		}
		// A public key alone cannot sign.
		if err := s.Put(ctx, "pubonly", []jose.JSONWebKey{a.Public()}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Signer(ctx, "pubonly"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("signer of a public-only set: %v", err)
		}
	})
}

func TestKeysSurviveRestartEncrypted(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		k, err := newService(t, db).Generate(ctx, "persist", "RS256", "r1", "sig")
		if err != nil {
			t.Fatal(err)
		}
		var data string
		if err := db.QueryRow(ctx, `SELECT key_data FROM oauth2_jwks WHERE set_id = ? AND kid = ?`, "persist", "r1").Scan(&data); err != nil {
			t.Fatal(err)
		}
		priv, _ := k.MarshalJSON()
		for _, field := range []string{`"d":`, `"p":`, `"kty"`} {
			if strings.Contains(data, field) {
				t.Fatalf("stored key_data contains %s in clear", field)
			}
		}
		var d struct {
			D string `json:"d"`
		}
		_ = jsonUnmarshal(priv, &d)
		if d.D == "" || strings.Contains(data, d.D) {
			t.Fatal("the private exponent is stored in clear")
		}
		// A new service over the same database, with the secret rotated
		// (the old one second), still reads the key.
		again := jwk.NewService(sqlstore.New(db).JWKs(), newCipher(t, "ffffffffffffffffffffffffffffffff", testSecret), jwk.Options{})
		got, err := again.Signer(ctx, "persist")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := got.MarshalJSON()
		if string(b) != string(priv) {
			t.Fatal("the key read after restart differs")
		}
		// Without the secret the key is refused, not served as garbage.
		foreign := jwk.NewService(sqlstore.New(db).JWKs(), newCipher(t, "ffffffffffffffffffffffffffffffff"), jwk.Options{})
		if _, err := foreign.Get(ctx, "persist", "r1"); !errors.Is(err, cipher.ErrUnknownKey) {
			t.Fatalf("foreign secret: %v", err)
		}
	})
}

func TestPublishedCacheInvalidation(t *testing.T) {
	ctx := context.Background()
	s := newService(t, sqltest.SQLite(t))
	p0, err := s.Published(ctx, "c")
	if err != nil || p0.Stored != 0 || string(p0.JSON) != `{"keys":[]}` {
		t.Fatalf("empty set: %+v %v", p0, err)
	}
	if _, err := s.Generate(ctx, "c", "ES256", "a", "sig"); err != nil {
		t.Fatal(err)
	}
	p1, _ := s.Published(ctx, "c")
	if p1.ETag == p0.ETag || p1.Stored != 1 {
		t.Fatalf("a write did not refresh the published set: %+v", p1)
	}
	p2, _ := s.Published(ctx, "c")
	if p2.ETag != p1.ETag {
		t.Fatal("unchanged set got another ETag")
	}
	if err := s.DeleteKey(ctx, "c", "a"); err != nil {
		t.Fatal(err)
	}
	if p3, _ := s.Published(ctx, "c"); p3.Stored != 0 {
		t.Fatal("a delete did not refresh the published set")
	}
}

func TestEnsureGeneratesOnce(t *testing.T) {
	ctx := context.Background()
	s := newService(t, sqltest.SQLite(t))
	done := make(chan error)
	for range 4 {
		go func() { done <- s.Ensure(ctx, jwk.IDTokenSet, "ES256", "RS256") }()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	set, err := s.List(ctx, jwk.IDTokenSet)
	if err != nil || len(set.Keys) != 2 {
		t.Fatalf("%d keys (%v), want 2", len(set.Keys), err)
	}
}
