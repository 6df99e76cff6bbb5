package identity_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqltest"
	"github.com/warden-iam/warden/internal/web"
)

// TestListWritesWhatGetShows: a page of identities (written out from the
// stored traits, metadata and addresses without decoding them) shows each
// identity exactly as GET /admin/identities/{id} does (encoding/json over
// the decoded identity), with and without credentials, for identities with
// and without addresses, metadata, an external id, a state change, and
// strings that need escaping.
func TestListWritesWhatGetShows(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := newService(db)
		for _, b := range []string{
			`{"traits":{"email":"plain@x.io"}}`,
			`{"traits":{"email":"Quote\"and\\back<tag>&amp;@x.io","username":"ünïcødé ✓"},"metadata_public":{"a":[1,2,{"b":null}]},
			  "metadata_admin":{"note":"x"},"external_id":"ext-1","state":"inactive",
			  "credentials":{"password":{"config":{"password":"pw-123456"}}}}`,
			`{"traits":{"email":"tab\there@x.io"},"verifiable_addresses":[{"value":"tab\there@x.io","via":"email","verified":true,"status":"completed"}]}`,
		} {
			if _, err := s.Create(ctx, body(t, b)); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
		}
		r := web.NewRouter()
		identity.NewHandler(s).MountAdmin(r)
		get := func(target string) []byte {
			t.Helper()
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("%s: Content-Type %q", target, ct)
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s: not JSON: %s", target, rec.Body)
			}
			return rec.Body.Bytes()
		}
		for _, include := range []string{"", "&include_credential=password"} {
			var page []map[string]any
			if err := json.Unmarshal(get("/admin/identities?page_size=10"+include), &page); err != nil {
				t.Fatal(err)
			}
			if len(page) != 3 {
				t.Fatalf("%d identities listed, want 3", len(page))
			}
			for _, listed := range page {
				id, _ := listed["id"].(string)
				q := ""
				if include != "" {
					q = "?include_credential=password"
				}
				var single map[string]any
				if err := json.Unmarshal(get("/admin/identities/"+id+q), &single); err != nil {
					t.Fatal(err)
				}
				// A page leaves out the credentials unless asked, as Kratos does.
				if include == "" {
					delete(single, "credentials")
				}
				if !reflect.DeepEqual(listed, single) {
					a, _ := json.MarshalIndent(listed, "", " ")
					b, _ := json.MarshalIndent(single, "", " ")
					t.Errorf("identity %s listed as\n%s\nbut shown as\n%s", id, a, b)
				}
				if _, ok := listed["verifiable_addresses"]; !ok {
					t.Errorf("identity %s listed without its addresses", id)
				}
			}
		}
	})
}
