package identity_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
	"github.com/warden-iam/warden/internal/storage/sqltest"
)

// testSchemas knows one schema, "default": traits {email (required),
// username}. email is a password identifier, a code identifier and a
// verifiable and recovery address; username a password identifier.
type testSchemas struct{}

func (testSchemas) DefaultID() string    { return "default" }
func (testSchemas) URL(id string) string { return "http://warden.test/schemas/" + id }
func (testSchemas) traits(b json.RawMessage) (email, username string, err error) {
	var t struct {
		Email    *string `json:"email"`
		Username string  `json:"username"`
	}
	if err := json.Unmarshal(b, &t); err != nil || t.Email == nil || !strings.Contains(*t.Email, "@") {
		return "", "", &identity.InvalidError{Reason: "traits.email is missing or not an email address"}
	}
	return *t.Email, t.Username, nil
}
func (s testSchemas) Validate(_ context.Context, id string, b json.RawMessage) error {
	if id != "default" {
		return &identity.InvalidError{Reason: "unknown schema " + id}
	}
	_, _, err := s.traits(b)
	return err
}
func (s testSchemas) Derive(_ string, b json.RawMessage) (identity.Derived, error) {
	email, user, err := s.traits(b)
	if err != nil {
		return identity.Derived{}, err
	}
	e := strings.ToLower(email)
	d := identity.Derived{PasswordIdentifiers: []string{e}, CodeIdentifiers: []identity.Address{{Via: "email", Value: e}},
		Verifiable: []identity.Address{{Via: "email", Value: email}}, Recovery: []identity.Address{{Via: "email", Value: email}}}
	if user != "" {
		d.PasswordIdentifiers = append(d.PasswordIdentifiers, strings.ToLower(user))
	}
	return d, nil
}

// testHasher "hashes" by prefixing; it knows "$test$" and "$2a$" hashes.
type testHasher struct{}

func (testHasher) Hash(_ context.Context, pw []byte) (string, error) {
	return "$test$" + string(pw), nil
}
func (testHasher) KnownHash(h string) bool {
	return strings.HasPrefix(h, "$test$") || strings.HasPrefix(h, "$2a$")
}

func newService(db *sqldb.DB) *identity.Service {
	return identity.NewService(sqlstore.New(db).Identities(), testSchemas{}, testHasher{})
}

func body(t *testing.T, s string) identity.CreateBody {
	t.Helper()
	var b identity.CreateBody
	if err := json.Unmarshal([]byte(s), &b); err != nil {
		t.Fatal(err)
	}
	return b
}

func count(t *testing.T, db *sqldb.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIdentityLifecycle(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := newService(db)
		i, err := s.Create(ctx, body(t, `{"traits":{"email":"Ada@Example.com","username":"ada"},
			"credentials":{"password":{"config":{"password":"correct horse"}}},
			"verifiable_addresses":[{"value":"ada@example.com","via":"email","verified":true,"status":"completed"}],
			"metadata_public":{"plan":"pro"},"external_id":"crm-1"}`))
		if err != nil {
			t.Fatal(err)
		}
		if i.SchemaID != "default" || i.State != identity.StateActive || i.SchemaURL == "" {
			t.Fatalf("created %+v", i)
		}
		if len(i.VerifiableAddresses) != 1 || i.VerifiableAddresses[0].Value != "ada@example.com" || !i.VerifiableAddresses[0].Verified {
			t.Fatalf("verifiable addresses %+v", i.VerifiableAddresses)
		}
		pw := i.Credentials[identity.CredentialPassword]
		if strings.Join(pw.Identifiers, ",") != "ada@example.com,ada" || pw.Config != nil {
			t.Fatalf("password credential %+v (config must be hidden)", pw)
		}
		if _, ok := i.Credentials[identity.CredentialCode]; !ok {
			t.Fatal("no code credential for the code identifier")
		}

		got, err := s.Get(ctx, i.ID, []string{"password"})
		if err != nil {
			t.Fatal(err)
		}
		var cfg identity.PasswordConfig
		if err := json.Unmarshal(got.Credentials["password"].Config, &cfg); err != nil || cfg.HashedPassword != "$test$correct horse" {
			t.Fatalf("included password config %s, %v", got.Credentials["password"].Config, err)
		}
		if string(got.MetadataPublic) != `{"plan":"pro"}` {
			t.Fatalf("metadata_public %s", got.MetadataPublic)
		}
		if e, err := s.GetByExternalID(ctx, "crm-1", nil); err != nil || e.ID != i.ID {
			t.Fatalf("by external id: %v %v", e, err)
		}
		if f, err := s.FindByIdentifier(ctx, "password", "ada"); err != nil || f.ID != i.ID {
			t.Fatalf("find by identifier: %v", err)
		}

		// The same address in another case is taken; nothing of the refused identity stays.
		before := count(t, db, "identity_credentials")
		_, err = s.Create(ctx, body(t, `{"traits":{"email":"ADA@example.com"},"credentials":{"password":{"config":{"password":"x1234567"}}}}`))
		if !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("duplicate email: %v, want conflict", err)
		}
		if count(t, db, "identities") != 1 || count(t, db, "identity_credentials") != before {
			t.Fatal("a refused identity left rows behind")
		}

		// Update: a new email; the old address goes, the verified state of a kept one stays.
		u, err := s.Update(ctx, i.ID, identity.UpdateBody{State: "inactive", Traits: json.RawMessage(`{"email":"ada@example.com","username":"lovelace"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if u.State != "inactive" || !u.VerifiableAddresses[0].Verified || u.MetadataPublic != nil {
			t.Fatalf("updated %+v", u)
		}
		if _, err := s.FindByIdentifier(ctx, "password", "ada"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("old username still signs in: %v", err)
		}
		if f, err := s.FindByIdentifier(ctx, "password", "lovelace"); err != nil || f.ID != i.ID {
			t.Fatalf("new username: %v", err)
		}

		// Patch.
		p, err := s.Patch(ctx, i.ID, []byte(`[{"op":"replace","path":"/state","value":"active"},{"op":"add","path":"/metadata_admin","value":{"note":1}}]`))
		if err != nil {
			t.Fatal(err)
		}
		if p.State != "active" || string(p.MetadataAdmin) != `{"note":1}` {
			t.Fatalf("patched %+v", p)
		}
		if _, err := s.Patch(ctx, i.ID, []byte(`[{"op":"replace","path":"/id","value":"x"}]`)); !identity.IsInvalid(err) {
			t.Fatalf("patching the id: %v", err)
		}
		if _, err := s.Patch(ctx, i.ID, []byte(`[{"op":"replace","path":"/traits/email","value":"nope"}]`)); !identity.IsInvalid(err) {
			t.Fatalf("patch to invalid traits: %v", err)
		}

		if err := s.Delete(ctx, i.ID); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"identities", "identity_credentials", "identity_credential_identifiers", "identity_addresses"} {
			if n := count(t, db, table); n != 0 {
				t.Fatalf("%s holds %d rows after delete", table, n)
			}
		}
		if _, err := s.Get(ctx, i.ID, nil); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("get after delete: %v", err)
		}
	})
}

func TestIdentityImportAndRefusals(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := newService(db)
		for name, b := range map[string]string{
			"unknown hash":   `{"traits":{"email":"a@x.io"},"credentials":{"password":{"config":{"hashed_password":"plaintext"}}}}`,
			"both":           `{"traits":{"email":"a@x.io"},"credentials":{"password":{"config":{"password":"a","hashed_password":"$test$a"}}}}`,
			"no traits":      `{"schema_id":"default"}`,
			"bad traits":     `{"traits":{"email":"not-an-email"}}`,
			"unknown schema": `{"schema_id":"nope","traits":{"email":"a@x.io"}}`,
			"bad state":      `{"traits":{"email":"a@x.io"},"state":"deleted"}`,
			"unsupported":    `{"traits":{"email":"a@x.io"},"credentials":{"totp":{"config":{"totp_url":"otpauth://x"}}}}`,
		} {
			if _, err := s.Create(ctx, body(t, b)); !identity.IsInvalid(err) {
				t.Errorf("%s: %v, want a refused request", name, err)
			}
		}
		if n := count(t, db, "identities"); n != 0 {
			t.Fatalf("refused requests stored %d identities", n)
		}
		i, err := s.Create(ctx, body(t, `{"traits":{"email":"b@x.io"},"credentials":{"password":{"config":{"hashed_password":"$2a$10$abc"}}}}`))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.Get(ctx, i.ID, []string{"password"})
		if !strings.Contains(string(got.Credentials["password"].Config), `$2a$10$abc`) {
			t.Fatalf("imported hash not kept: %s", got.Credentials["password"].Config)
		}
	})
}

func TestIdentityListAndBatch(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := newService(db)
		var items []identity.BatchItem
		for k := range 7 {
			b := body(t, fmt.Sprintf(`{"traits":{"email":"user%d@x.io"}}`, k))
			items = append(items, identity.BatchItem{Create: &b, PatchID: fmt.Sprint("p", k)})
		}
		dup := body(t, `{"traits":{"email":"USER3@x.io"}}`)
		bad := body(t, `{"traits":{"email":"nope"}}`)
		items = append(items, identity.BatchItem{Create: &dup, PatchID: "dup"}, identity.BatchItem{Create: &bad, PatchID: "bad"},
			identity.BatchItem{PatchID: "empty"})
		res, err := s.Batch(ctx, items)
		if err != nil {
			t.Fatal(err)
		}
		created := 0
		for _, r := range res {
			switch {
			case r.Action == "create" && r.Identity != "":
				created++
			case r.Action == "error" && r.Error != nil:
			default:
				t.Fatalf("result %+v", r)
			}
		}
		if created != 7 || res[7].PatchID != "dup" || !errors.Is(res[7].Error, storage.ErrConflict) || !identity.IsInvalid(res[8].Error) {
			t.Fatalf("batch results %+v", res)
		}

		var all []string
		tok := ""
		for {
			p, err := s.List(ctx, identity.ListRequest{PageSize: 3, PageToken: tok})
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range p.Identities {
				all = append(all, i.ID)
			}
			if p.NextToken == "" {
				break
			}
			tok = p.NextToken
		}
		if len(all) != 7 {
			t.Fatalf("paged through %d identities, want 7", len(all))
		}
		p, err := s.List(ctx, identity.ListRequest{CredentialsIdentifier: "user5@x.io", Include: []string{"code"}})
		if err != nil || len(p.Identities) != 1 || p.Identities[0].Credentials["code"].Config == nil {
			t.Fatalf("by identifier: %+v, %v", p.Identities, err)
		}
		p, err = s.List(ctx, identity.ListRequest{IDs: all[:2]})
		if err != nil || len(p.Identities) != 2 {
			t.Fatalf("by ids: %d, %v", len(p.Identities), err)
		}
		if _, err := s.List(ctx, identity.ListRequest{PageToken: "!!"}); !identity.IsInvalid(err) {
			t.Fatalf("bad page token: %v", err)
		}
	})
}
