package identity_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/storage/sqltest"
	"github.com/warden-iam/warden/internal/web"
)

// BenchmarkListIdentities serves the identity admin API in-process (no
// sockets) from a SQLite file holding 10,000 identities, each created by
// the service with an email, its two addresses and password and code
// credentials:
//
//   - page_250: GET /admin/identities?page_size=250, the K4 workload's
//     request (a full page, decoded and encoded anew);
//   - credentials_identifier: GET /admin/identities?credentials_identifier=
//     of a random identity's email (K4i), exactly one identity;
//   - get: GET /admin/identities/{id} of a random identity (K4g), which
//     shares the fixture.
func BenchmarkListIdentities(b *testing.B) {
	const n = 10_000
	ctx := context.Background()
	s := newService(sqltest.SQLite(b))
	emails, ids := make([]string, n), make([]string, n)
	for k := range n {
		emails[k] = fmt.Sprintf("user%d@bench.test", k)
		var body identity.CreateBody
		raw := fmt.Sprintf(`{"traits":{"email":%q},"credentials":{"password":{"config":{"hashed_password":"$test$pw"}}}}`, emails[k])
		if err := json.Unmarshal([]byte(raw), &body); err != nil {
			b.Fatal(err)
		}
		i, err := s.Create(ctx, body)
		if err != nil {
			b.Fatal(err)
		}
		ids[k] = i.ID
	}
	r := web.NewRouter()
	identity.NewHandler(s).MountAdmin(r)
	get := func(b *testing.B, target string, want int) {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
		}
		if want > 0 {
			var page []json.RawMessage
			if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || len(page) != want {
				b.Fatalf("%s: %d identities, want %d (%v)", target, len(page), want, err)
			}
		}
	}
	get(b, "/admin/identities?page_size=250", 250)
	get(b, "/admin/identities?credentials_identifier="+url.QueryEscape(emails[7]), 1)

	b.Run("page_250", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			get(b, "/admin/identities?page_size=250", 0)
		}
	})
	b.Run("credentials_identifier", func(b *testing.B) {
		b.ReportAllocs()
		k := 0
		for b.Loop() {
			k = (k + 7919) % n
			get(b, "/admin/identities?credentials_identifier="+url.QueryEscape(emails[k]), 0)
		}
	})
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		k := 0
		for b.Loop() {
			k = (k + 7919) % n
			get(b, "/admin/identities/"+ids[k], 0)
		}
	})
}
