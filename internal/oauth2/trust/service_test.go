package trust_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/warden-iam/warden/internal/oauth2/trust"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqltest"
)

func thumbprint(t testing.TB, k jose.JSONWebKey) []byte {
	t.Helper()
	b, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCreateEveryAlgorithm(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		c := newClock()
		s := newService(db, c)
		for _, alg := range trust.Algorithms {
			r := request(t, c, "https://idp.example", "alice", alg, "k-"+alg)
			r.Scope = []string{"a", "b", "a"}
			r.Key.Use = "" // use may be left out; it is stored as sig
			r.ExpiresAt = r.ExpiresAt.Add(123456789 * time.Nanosecond).In(time.FixedZone("X", 3600))
			got, err := s.Create(ctx, r)
			if err != nil {
				t.Fatalf("%s: %v", alg, err)
			}
			if got.ID == "" || got.Issuer != r.Issuer || got.Subject != "alice" || got.AllowAnySubject ||
				!slices.Equal(got.Scope, []string{"a", "b"}) ||
				got.PublicKey != (trust.PublicKey{Set: "https://idp.example", KID: "k-" + alg}) ||
				!got.CreatedAt.Equal(c.Now()) || !got.ExpiresAt.Equal(r.ExpiresAt.Truncate(time.Microsecond)) ||
				got.ExpiresAt.Location() != time.UTC {
				t.Fatalf("%s: created %+v", alg, got)
			}
			if !got.Key.IsPublic() || got.Key.KeyID != "k-"+alg || got.Key.Algorithm != alg || got.Key.Use != "sig" ||
				!bytes.Equal(thumbprint(t, got.Key), thumbprint(t, r.Key)) {
				t.Fatalf("%s: key %+v", alg, got.Key)
			}
			again, err := s.Get(ctx, got.ID)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := got.Key.MarshalJSON()
			b, _ := again.Key.MarshalJSON()
			if string(a) != string(b) || !again.ExpiresAt.Equal(got.ExpiresAt) || !again.CreatedAt.Equal(got.CreatedAt) ||
				!slices.Equal(again.Scope, got.Scope) || again.PublicKey != got.PublicKey || again.Subject != got.Subject {
				t.Fatalf("%s: read back %+v, created %+v", alg, again, got)
			}
		}
	})
}

func TestCreateRefuses(t *testing.T) {
	c := newClock()
	s := newService(sqltest.SQLite(t), c)
	ctx := context.Background()
	cases := []struct {
		name  string
		edit  func(r *trust.Request)
		field string
	}{
		{"no issuer", func(r *trust.Request) { r.Issuer = "" }, "issuer"},
		{"long issuer", func(r *trust.Request) { r.Issuer = strings.Repeat("i", trust.MaxLength+1) }, "issuer"},
		{"control in issuer", func(r *trust.Request) { r.Issuer = "https://idp\n.example" }, "issuer"},
		{"bad UTF-8 subject", func(r *trust.Request) { r.Subject = "al\xffice" }, "subject"},
		{"subject and any", func(r *trust.Request) { r.AllowAnySubject = true }, "subject"},
		{"neither subject nor any", func(r *trust.Request) { r.Subject = "" }, "subject"},
		{"no scope", func(r *trust.Request) { r.Scope = nil }, "scope"},
		{"empty scope token", func(r *trust.Request) { r.Scope = []string{"openid", ""} }, "scope"},
		{"scope with space", func(r *trust.Request) { r.Scope = []string{"open id"} }, "scope"},
		{"scope with quote", func(r *trust.Request) { r.Scope = []string{`a"b`} }, "scope"},
		{"no key", func(r *trust.Request) { r.Key = jose.JSONWebKey{} }, "jwk"},
		{"private key", func(r *trust.Request) { r.Key = privJWK(t, "ES256", "k") }, "jwk"},
		{"symmetric key", func(r *trust.Request) {
			r.Key = jose.JSONWebKey{Key: bytes.Repeat([]byte{1}, 32), KeyID: "k", Algorithm: "HS256", Use: "sig"}
		}, "jwk"},
		{"no kid", func(r *trust.Request) { r.Key.KeyID = "" }, "jwk"},
		{"long kid", func(r *trust.Request) { r.Key.KeyID = strings.Repeat("k", trust.MaxLength+1) }, "jwk"},
		{"no alg", func(r *trust.Request) { r.Key.Algorithm = "" }, "jwk"},
		{"alg none", func(r *trust.Request) { r.Key.Algorithm = "none" }, "jwk"},
		{"HS256 on EC", func(r *trust.Request) { r.Key.Algorithm = "HS256" }, "jwk"},
		{"ES384 on P-256", func(r *trust.Request) { r.Key.Algorithm = "ES384" }, "jwk"},
		{"RS256 on EC", func(r *trust.Request) { r.Key.Algorithm = "RS256" }, "jwk"},
		{"EdDSA on EC", func(r *trust.Request) { r.Key.Algorithm = "EdDSA" }, "jwk"},
		{"ES256 on RSA", func(r *trust.Request) { r.Key = pubJWK(t, "RS256", "k"); r.Key.Algorithm = "ES256" }, "jwk"},
		{"use enc", func(r *trust.Request) { r.Key.Use = "enc" }, "jwk"},
		{"no expiry", func(r *trust.Request) { r.ExpiresAt = time.Time{} }, "expires_at"},
		{"expired", func(r *trust.Request) { r.ExpiresAt = c.Now().Add(-time.Second) }, "expires_at"},
		{"expires now", func(r *trust.Request) { r.ExpiresAt = c.Now() }, "expires_at"},
		{"expires within the microsecond", func(r *trust.Request) { r.ExpiresAt = c.Now().Add(999 * time.Nanosecond) }, "expires_at"},
		{"expires after 9999", func(r *trust.Request) {
			r.ExpiresAt = time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("W", -3600*2))
		}, "expires_at"},
	}
	for _, tc := range cases {
		r := request(t, c, "https://idp.example", "alice", "ES256", "k")
		tc.edit(&r)
		_, err := s.Create(ctx, r)
		var fe *trust.FieldError
		if !errors.As(err, &fe) || !trust.IsInvalid(err) || fe.Field != tc.field || fe.Reason == "" {
			t.Errorf("%s: %v, want a refusal of %s", tc.name, err, tc.field)
		}
	}
	// An RSA key below 2048 bits.
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	r := request(t, c, "https://idp.example", "alice", "RS256", "k")
	r.Key.Key = weak.Public()
	if _, err := s.Create(ctx, r); !trust.IsInvalid(err) || !strings.Contains(err.Error(), "2048") {
		t.Errorf("1024-bit RSA key: %v", err)
	}
	// Nothing was stored.
	if p, err := s.List(ctx, trust.ListQuery{}); err != nil || len(p.Issuers) != 0 {
		t.Fatalf("refused requests stored %d relationships (%v)", len(p.Issuers), err)
	}
}

func TestConflicts(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		c := newClock()
		s := newService(db, c)
		const iss = "https://idp.example"
		mustCreate := func(r trust.Request) trust.Issuer {
			t.Helper()
			is, err := s.Create(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			return is
		}
		mustCreate(request(t, c, iss, "alice", "ES256", "k1"))
		mustCreate(request(t, c, iss, "", "ES256", "k1")) // any subject, same key
		mustCreate(request(t, c, iss, "bob", "ES256", "k1"))
		mustCreate(request(t, c, "https://other.example", "alice", "ES384", "k1")) // kids are per issuer

		for _, tc := range []struct {
			name     string
			r        trust.Request
			mismatch bool
		}{
			{"same subject and kid", request(t, c, iss, "alice", "ES256", "k1"), false},
			{"any subject twice", request(t, c, iss, "", "ES256", "k1"), false},
			{"kid of another key", request(t, c, iss, "carol", "ES384", "k1"), true},
			{"kid of another key, any subject", request(t, c, "https://other.example", "", "EdDSA", "k1"), true},
		} {
			_, err := s.Create(ctx, tc.r)
			if !errors.Is(err, storage.ErrConflict) || errors.Is(err, trust.ErrKeyMismatch) != tc.mismatch {
				t.Errorf("%s: %v, want a conflict (key mismatch: %v)", tc.name, err, tc.mismatch)
			}
		}

		// One RSA key under one kid with two algs is two keys: an assertion
		// could match either relationship and be verified with the wrong alg.
		mustCreate(request(t, c, iss, "dave", "RS256", "r1"))
		if _, err := s.Create(ctx, request(t, c, iss, "erin", "PS256", "r1")); !errors.Is(err, trust.ErrKeyMismatch) {
			t.Errorf("same RSA key, other alg: %v", err)
		}
		// The same key sent with other optional members is the same key.
		r := request(t, c, iss, "erin", "RS256", "r1")
		r.Key.Use = ""
		mustCreate(r)
		// Once every relationship using a kid is gone, the kid is free.
		p, err := s.List(ctx, trust.ListQuery{Issuer: iss})
		if err != nil {
			t.Fatal(err)
		}
		for _, is := range p.Issuers {
			if is.PublicKey.KID == "k1" {
				if err := s.Delete(ctx, is.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		mustCreate(request(t, c, iss, "carol", "ES384", "k1"))
	})
}

func TestMatch(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		c := newClock()
		s := newService(db, c)
		const iss = "https://idp.example"
		create := func(subject, kid string, scope string, ttl time.Duration) trust.Issuer {
			t.Helper()
			r := request(t, c, iss, subject, "ES256", kid)
			r.Scope = strings.Fields(scope)
			r.ExpiresAt = c.Now().Add(ttl)
			is, err := s.Create(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			return is
		}
		aliceK1 := create("alice", "k1", "alice-scope", time.Hour)
		anyK1 := create("", "k1", "any-scope", 2*time.Hour)
		bobK2 := create("bob", "k2", "bob-scope", 3*time.Hour)

		cases := []struct {
			issuer, subject, kid string
			want                 string // id, "" for no match
		}{
			{iss, "alice", "k1", aliceK1.ID}, // the relationship naming the subject wins
			{iss, "bob", "k1", anyK1.ID},
			{iss, "mallory", "k1", anyK1.ID},
			{iss, "bob", "k2", bobK2.ID},
			{iss, "alice", "k2", ""}, // k2 is bob's only
			{iss, "bob", "k3", ""},
			{"https://other.example", "alice", "k1", ""},
			{iss, "", "k1", ""}, // no subject: not even the any-subject relationship
			{"", "alice", "k1", ""},
			{iss, "alice", "", ""},
			{iss + "/", "alice", "k1", ""}, // issuers match exactly
			{iss, "Alice", "k1", anyK1.ID},
		}
		check := func(when string) {
			t.Helper()
			for _, tc := range cases {
				got, err := s.Match(ctx, tc.issuer, tc.subject, tc.kid)
				switch {
				case tc.want == "" && !errors.Is(err, storage.ErrNotFound):
					t.Errorf("%s: Match(%q, %q, %q) = %s, %v; want not found", when, tc.issuer, tc.subject, tc.kid, got.ID, err)
				case tc.want != "" && (err != nil || got.ID != tc.want):
					t.Errorf("%s: Match(%q, %q, %q) = %s, %v; want %s", when, tc.issuer, tc.subject, tc.kid, got.ID, err, tc.want)
				case tc.want != "" && (!got.Key.IsPublic() || got.Key.KeyID != tc.kid || got.Key.Algorithm != "ES256"):
					t.Errorf("%s: Match(%q, %q, %q): key %+v", when, tc.issuer, tc.subject, tc.kid, got.Key)
				}
			}
		}
		check("at first")

		// alice's own relationship ends after an hour (at that instant it is
		// over); the any-subject one takes over for her.
		c.Add(time.Hour)
		cases[0].want = anyK1.ID
		check("after an hour")
		c.Add(time.Hour - time.Microsecond)
		check("just before two hours")
		c.Add(time.Microsecond)
		for i := range cases {
			if cases[i].kid == "k1" {
				cases[i].want = ""
			}
		}
		check("after two hours")

		// Expired relationships are still listed and can be read.
		if _, err := s.Get(ctx, aliceK1.ID); err != nil {
			t.Fatal(err)
		}
		if p, err := s.List(ctx, trust.ListQuery{}); err != nil || len(p.Issuers) != 3 {
			t.Fatalf("list after expiry: %d, %v", len(p.Issuers), err)
		}
		// Deleting ends the trust at once.
		if err := s.Delete(ctx, bobK2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Match(ctx, iss, "bob", "k2"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
	})
}

func TestListPages(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		c := newClock()
		s := newService(db, c)
		var want []string
		issuerOf := map[string]string{}
		for i := range 7 {
			iss := "https://a.example"
			if i%3 == 2 {
				iss = "https://b.example"
			}
			// Three share one creation time, so ties are broken by id.
			if i > 2 {
				c.Add(time.Second)
			}
			is, err := s.Create(ctx, request(t, c, iss, fmt.Sprintf("user-%d", i), "EdDSA", "k"))
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, is.ID)
			issuerOf[is.ID] = iss
		}
		slices.Sort(want[:3])
		var wantA []string
		for _, id := range want {
			if issuerOf[id] == "https://a.example" {
				wantA = append(wantA, id)
			}
		}
		walk := func(q trust.ListQuery) []string {
			t.Helper()
			var ids []string
			for range 10 {
				p, err := s.List(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if q.PageSize > 0 && len(p.Issuers) > q.PageSize {
					t.Fatalf("page of %d, asked for %d", len(p.Issuers), q.PageSize)
				}
				for _, is := range p.Issuers {
					ids = append(ids, is.ID)
					if q.Issuer != "" && is.Issuer != q.Issuer {
						t.Fatalf("filter %q listed %q", q.Issuer, is.Issuer)
					}
				}
				if p.NextToken == "" {
					return ids
				}
				q.PageToken = p.NextToken
			}
			t.Fatal("paging does not end")
			return nil
		}
		for _, n := range []int{0, 1, 2, 3, 7, 8, 5000} {
			if got := walk(trust.ListQuery{PageSize: n}); !slices.Equal(got, want) {
				t.Errorf("page size %d: %v, want %v", n, got, want)
			}
			if got := walk(trust.ListQuery{PageSize: n, Issuer: "https://a.example"}); !slices.Equal(got, wantA) {
				t.Errorf("page size %d, issuer a: %v, want %v", n, got, wantA)
			}
		}
		if got := walk(trust.ListQuery{Issuer: "https://nobody.example"}); len(got) != 0 {
			t.Errorf("unknown issuer lists %v", got)
		}
		for _, q := range []trust.ListQuery{{PageSize: -1}, {PageToken: "!!"}, {PageToken: "eA"}, {PageToken: "MTIz"}} {
			if _, err := s.List(ctx, q); !trust.IsInvalid(err) {
				t.Errorf("%+v: %v, want refused", q, err)
			}
		}
	})
}

func TestDelete(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		c := newClock()
		s := newService(db, c)
		is, err := s.Create(ctx, request(t, c, "https://idp.example", "alice", "PS256", "k"))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, is.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, is.ID); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}
		if _, err := s.Get(ctx, is.ID); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("get after delete: %v", err)
		}
		if _, err := s.Get(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("get unknown: %v", err)
		}
	})
}

func TestOnlyPublicKeysAreStored(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		c := newClock()
		s := newService(db, c)
		for _, alg := range []string{"RS256", "ES512", "EdDSA"} {
			r := request(t, c, "https://idp.example", "alice", alg, "k-"+alg)
			if _, err := s.Create(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := db.Query(ctx, `SELECT key_data FROM oauth2_trusted_jwt_issuers`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var data string
			if err := rows.Scan(&data); err != nil {
				t.Fatal(err)
			}
			n++
			for _, m := range []string{`"d"`, `"p"`, `"q"`, `"dp"`, `"dq"`, `"qi"`, `"k"`} {
				if strings.Contains(data, m) {
					t.Errorf("stored key holds %s: %s", m, data)
				}
			}
		}
		if err := rows.Err(); err != nil || n != 3 {
			t.Fatalf("%d keys stored, %v", n, err)
		}
	})
}

// TestKidRace races creates that give one kid of an issuer two different
// keys: whatever lands, every stored relationship of the kid has one key.
func TestKidRace(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		c := newClock()
		s := newService(db, c)
		const n = 8
		errs := make(chan error, n)
		for i := range n {
			go func() {
				alg := []string{"ES256", "EdDSA"}[i%2]
				_, err := s.Create(ctx, request(t, c, "https://idp.example", fmt.Sprintf("user-%d", i), alg, "k"))
				errs <- err
			}()
		}
		created := 0
		for range n {
			switch err := <-errs; {
			case err == nil:
				created++
			case !errors.Is(err, trust.ErrKeyMismatch):
				t.Errorf("create: %v", err)
			}
		}
		var keys int
		if err := db.QueryRow(ctx, `SELECT count(DISTINCT key_data) FROM oauth2_trusted_jwt_issuers`).Scan(&keys); err != nil {
			t.Fatal(err)
		}
		if created < n/2 || keys != 1 {
			t.Fatalf("%d created, %d distinct keys stored under one kid", created, keys)
		}
	})
}
