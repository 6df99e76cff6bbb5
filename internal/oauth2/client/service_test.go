package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/warden-iam/warden/internal/oauth2/client"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
	"github.com/warden-iam/warden/internal/storage/sqltest"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func newService(t testing.TB, db *sqldb.DB) *client.Service {
	t.Helper()
	s, err := client.NewService(sqlstore.New(db).Clients(), client.Options{SecretKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// storedRows returns every stored row of oauth2_clients as text.
func storedRows(t *testing.T, db *sqldb.DB) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT id, client_name, owner, client_data, secret_hash, rotated_secret_hashes FROM oauth2_clients`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a, b, c, d, e, f string
		if err := rows.Scan(&a, &b, &c, &d, &e, &f); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join([]string{a, b, c, d, e, f}, "|"))
	}
	return out
}

func fieldOf(t *testing.T, err error) string {
	t.Helper()
	var fe *client.FieldError
	if !errors.As(err, &fe) || !client.IsInvalid(err) {
		t.Fatalf("want a field error, got %v", err)
	}
	return fe.Field
}

func TestCreateGetUpdateDelete(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := newService(t, db)
		c, err := s.Create(ctx, client.Client{Name: "app", Owner: "team", RedirectURIs: []string{"https://app.example/cb"},
			GrantTypes: []string{"authorization_code", "refresh_token"}, Scope: "openid offline"})
		if err != nil {
			t.Fatal(err)
		}
		if c.ID == "" || len(c.Secret) < 43 || c.TokenEndpointAuthMethod != client.AuthSecretBasic ||
			c.SubjectType != "public" || c.ResponseTypes[0] != "code" || c.CreatedAt.IsZero() {
			t.Fatalf("created %+v", c)
		}
		got, err := s.Get(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Secret != "" || got.Name != "app" || !got.CreatedAt.Equal(c.CreatedAt) {
			t.Fatalf("get %+v", got)
		}
		for _, row := range storedRows(t, db) {
			if strings.Contains(row, c.Secret) || !strings.Contains(row, "$hmac-sha256$") {
				t.Fatalf("stored row holds the secret or no HMAC hash: %s", row)
			}
		}

		// PUT keeps the secret when none is given, and created_at.
		got.Name = "renamed"
		upd, err := s.Set(ctx, c.ID, got)
		if err != nil || upd.Name != "renamed" || upd.Secret != "" || !upd.CreatedAt.Equal(c.CreatedAt) {
			t.Fatalf("set: %+v %v", upd, err)
		}
		if _, err := s.Authenticate(ctx, c.ID, c.Secret); err != nil {
			t.Fatalf("the secret stopped working after PUT: %v", err)
		}
		if _, err := s.Set(ctx, c.ID, client.Client{ID: "other"}); fieldOf(t, err) != "client_id" {
			t.Fatal("PUT changed client_id")
		}
		if _, err := s.Set(ctx, "nope", client.Client{}); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("set unknown: %v", err)
		}

		// PATCH.
		p, err := s.Patch(ctx, c.ID, []byte(`[{"op":"replace","path":"/client_name","value":"patched"},
			{"op":"add","path":"/redirect_uris/-","value":"http://127.0.0.1:8080/cb"},
			{"op":"test","path":"/owner","value":"team"}]`))
		if err != nil || p.Name != "patched" || len(p.RedirectURIs) != 2 {
			t.Fatalf("patch: %+v %v", p, err)
		}
		if _, err := s.Patch(ctx, c.ID, []byte(`[{"op":"replace","path":"/client_id","value":"x"}]`)); fieldOf(t, err) != "client_id" {
			t.Fatal("PATCH changed client_id")
		}
		if _, err := s.Patch(ctx, c.ID, []byte(`[{"op":"test","path":"/owner","value":"other"}]`)); !client.IsInvalid(err) {
			t.Fatalf("failed test op: %v", err)
		}
		if _, err := s.Patch(ctx, c.ID, []byte(`[{"op":"add","path":"/redirect_uris/-","value":"http://evil.example/cb"}]`)); fieldOf(t, err) != "redirect_uris" {
			t.Fatal("PATCH stored an invalid client")
		}
		if _, err := s.Patch(ctx, "nope", []byte(`[]`)); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("patch unknown: %v", err)
		}
		if got, _ := s.Get(ctx, c.ID); got.Name != "patched" || len(got.RedirectURIs) != 2 {
			t.Fatalf("a refused patch changed the client: %+v", got)
		}

		// Lifespans.
		l, err := s.SetLifespans(ctx, c.ID, client.Lifespans{AuthorizationCodeGrantAccessTokenLifespan: ptr(client.Duration(3600e9))})
		if err != nil || l.AuthorizationCodeGrantAccessTokenLifespan == nil || l.Name != "patched" {
			t.Fatalf("lifespans: %+v %v", l, err)
		}

		if err := s.Delete(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, c.ID); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("get deleted: %v", err)
		}
		if err := s.Delete(ctx, c.ID); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
		if _, err := s.Create(ctx, client.Client{ID: "dup"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Create(ctx, client.Client{ID: "dup"}); !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("duplicate id: %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestListPaging(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := newService(t, db)
		for i := range 7 {
			owner := "a"
			if i%2 == 1 {
				owner = "b"
			}
			if _, err := s.Create(ctx, client.Client{ID: fmt.Sprintf("c%d", i), Name: fmt.Sprintf("n%d", i%3), Owner: owner,
				TokenEndpointAuthMethod: client.AuthNone}); err != nil {
				t.Fatal(err)
			}
		}
		var ids []string
		tok := ""
		for pages := 0; ; pages++ {
			p, err := s.List(ctx, client.ListQuery{PageSize: 3, PageToken: tok})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range p.Clients {
				ids = append(ids, c.ID)
			}
			if tok = p.NextToken; tok == "" {
				if pages != 2 {
					t.Fatalf("%d pages, want 3", pages+1)
				}
				break
			}
		}
		if strings.Join(ids, ",") != "c0,c1,c2,c3,c4,c5,c6" {
			t.Fatalf("paged ids %v", ids)
		}
		p, err := s.List(ctx, client.ListQuery{Owner: "b"})
		if err != nil || len(p.Clients) != 3 || p.NextToken != "" {
			t.Fatalf("owner b: %+v %v", p, err)
		}
		p, err = s.List(ctx, client.ListQuery{Owner: "a", Name: "n0"})
		if err != nil || len(p.Clients) != 2 || p.Clients[0].ID != "c0" || p.Clients[1].ID != "c6" {
			t.Fatalf("owner a, name n0: %+v %v", p, err)
		}
		if _, err := s.List(ctx, client.ListQuery{PageToken: "!!"}); fieldOf(t, err) != "page_token" {
			t.Fatal("bad page token accepted")
		}
	})
}

func TestValidation(t *testing.T) {
	db := sqltest.SQLite(t)
	s := newService(t, db)
	ctx := context.Background()
	jwks := `{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"k1"}]}`
	cases := []struct {
		name, body, field string
	}{
		{"relative redirect", `{"redirect_uris":["/cb"]}`, "redirect_uris"},
		{"fragment", `{"redirect_uris":["https://a.example/cb#x"]}`, "redirect_uris"},
		{"plain http", `{"redirect_uris":["http://a.example/cb"]}`, "redirect_uris"},
		{"javascript", `{"redirect_uris":["javascript:alert(1)"]}`, "redirect_uris"},
		{"post logout", `{"post_logout_redirect_uris":["http://a.example/"]}`, "post_logout_redirect_uris"},
		{"grant type", `{"grant_types":["password"]}`, "grant_types"},
		{"response type", `{"response_types":["code nonsense"]}`, "response_types"},
		{"auth method", `{"token_endpoint_auth_method":"tls_client_auth"}`, "token_endpoint_auth_method"},
		{"none with secret", `{"token_endpoint_auth_method":"none","client_secret":"a long secret"}`, "client_secret"},
		{"none with client_credentials", `{"token_endpoint_auth_method":"none","grant_types":["client_credentials"]}`, "grant_types"},
		{"private_key_jwt without keys", `{"token_endpoint_auth_method":"private_key_jwt"}`, "jwks"},
		{"jwks and jwks_uri", `{"token_endpoint_auth_method":"private_key_jwt","jwks_uri":"https://a.example/jwks","jwks":` + jwks + `}`, "jwks"},
		{"short secret", `{"client_secret":"short"}`, "client_secret"},
		{"client id", `{"client_id":"a/b"}`, "client_id"},
		{"scope", `{"scope":"a\"b"}`, "scope"},
		{"cors", `{"allowed_cors_origins":["https://a.example/path"]}`, "allowed_cors_origins"},
		{"subject type", `{"subject_type":"odd"}`, "subject_type"},
		{"strategy", `{"access_token_strategy":"odd"}`, "access_token_strategy"},
		{"lifespan", `{"implicit_grant_id_token_lifespan":"0s"}`, "implicit_grant_id_token_lifespan"},
		{"lifespan text", `{"jwt_bearer_grant_access_token_lifespan":"soon"}`, "jwt_bearer_grant_access_token_lifespan"},
		{"lifespan number", `{"refresh_token_grant_id_token_lifespan":60}`, "refresh_token_grant_id_token_lifespan"},
		{"metadata", `{"metadata":[1]}`, "metadata"},
		{"logo", `{"logo_uri":"ftp://a.example/x.png"}`, "logo_uri"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var c client.Client
			if err := jsonUnmarshal([]byte(tc.body), &c); err != nil {
				t.Fatal(err)
			}
			_, err := s.Create(ctx, c)
			if f := fieldOf(t, err); f != tc.field {
				t.Fatalf("field %q, want %q (%v)", f, tc.field, err)
			}
		})
	}
	if rows := storedRows(t, db); len(rows) != 0 {
		t.Fatalf("refused clients were stored: %v", rows)
	}
	// Accepted: loopback http, custom schemes, private_key_jwt with jwks.
	for _, body := range []string{
		`{"redirect_uris":["http://localhost:3000/cb","http://127.0.0.1/cb","http://[::1]:8/cb","com.example.app:/oauth2redirect"]}`,
		`{"token_endpoint_auth_method":"private_key_jwt","jwks":` + jwks + `}`,
		`{"token_endpoint_auth_method":"private_key_jwt","jwks_uri":"https://a.example/jwks"}`,
		`{"response_types":["code id_token","none"],"grant_types":["implicit","authorization_code"]}`,
	} {
		var c client.Client
		if err := jsonUnmarshal([]byte(body), &c); err != nil {
			t.Fatal(err)
		}
		got, err := s.Create(ctx, c)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if got.TokenEndpointAuthMethod == client.AuthPrivateKeyJWT && got.Secret != "" {
			t.Fatalf("%s: a private_key_jwt client got a secret", body)
		}
	}
}

func TestSecrets(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := newService(t, db)

		gen, err := s.Create(ctx, client.Client{ID: "gen"})
		if err != nil {
			t.Fatal(err)
		}
		if c, err := s.Authenticate(ctx, "gen", gen.Secret); err != nil || c.ID != "gen" || c.Secret != "" {
			t.Fatalf("generated secret: %+v %v", c, err)
		}
		for _, wrong := range []string{"", "x", gen.Secret + "x", strings.ToUpper(gen.Secret)} {
			if _, err := s.Authenticate(ctx, "gen", wrong); !errors.Is(err, client.ErrAuthentication) {
				t.Fatalf("wrong secret %q: %v", wrong, err)
			}
		}
		_, unknown := s.Authenticate(ctx, "nobody", gen.Secret)
		_, wrong := s.Authenticate(ctx, "gen", "wrong")
		if unknown == nil || wrong == nil || unknown.Error() != wrong.Error() {
			t.Fatalf("unknown client %v and wrong secret %v differ", unknown, wrong)
		}

		const chosen = "correct horse battery"
		ch, err := s.Create(ctx, client.Client{ID: "chosen", Secret: chosen, TokenEndpointAuthMethod: client.AuthSecretPost})
		if err != nil || ch.Secret != chosen {
			t.Fatalf("chosen: %+v %v", ch, err)
		}
		if _, err := s.Authenticate(ctx, "chosen", chosen); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "chosen", chosen+"!"); !errors.Is(err, client.ErrAuthentication) {
			t.Fatal(err)
		}

		pub, err := s.Create(ctx, client.Client{ID: "public", TokenEndpointAuthMethod: client.AuthNone})
		if err != nil || pub.Secret != "" {
			t.Fatalf("public client: %+v %v", pub, err)
		}
		if _, err := s.Authenticate(ctx, "public", ""); !errors.Is(err, client.ErrAuthentication) {
			t.Fatal("a public client authenticated with a secret")
		}

		rows := storedRows(t, db)
		for _, row := range rows {
			for _, secret := range []string{gen.Secret, chosen} {
				if strings.Contains(row, secret) {
					t.Fatalf("a stored row holds a secret in clear: %s", row)
				}
			}
			switch {
			case strings.HasPrefix(row, "chosen|"):
				if !strings.Contains(row, "|$argon2id$v=19$m=19456,t=2,p=1$") {
					t.Fatalf("chosen secret not stored as argon2id: %s", row)
				}
			case strings.HasPrefix(row, "gen|"):
				if !strings.Contains(row, "|$hmac-sha256$") {
					t.Fatalf("generated secret not stored as HMAC: %s", row)
				}
			case strings.HasPrefix(row, "public|"):
				if strings.Contains(row, "$") {
					t.Fatalf("public client has a hash: %s", row)
				}
			}
		}

		// Rotation: new secret works, old one too until rotated ones are
		// deleted.
		rot, err := s.RotateSecret(ctx, "gen")
		if err != nil || rot.Secret == "" || rot.Secret == gen.Secret {
			t.Fatalf("rotate: %+v %v", rot, err)
		}
		for _, sec := range []string{gen.Secret, rot.Secret} {
			if _, err := s.Authenticate(ctx, "gen", sec); err != nil {
				t.Fatalf("after rotation: %v", err)
			}
		}
		if _, err := s.DeleteRotatedSecrets(ctx, "gen"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "gen", gen.Secret); !errors.Is(err, client.ErrAuthentication) {
			t.Fatal("a deleted rotated secret still authenticates")
		}
		if _, err := s.Authenticate(ctx, "gen", rot.Secret); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RotateSecret(ctx, "public"); !client.IsInvalid(err) {
			t.Fatalf("rotate a public client: %v", err)
		}

		// Switching a public client to client_secret_basic generates a secret,
		// shown once; switching back drops it.
		pub.TokenEndpointAuthMethod = client.AuthSecretBasic
		sw, err := s.Set(ctx, "public", pub)
		if err != nil || sw.Secret == "" {
			t.Fatalf("switch to a secret: %+v %v", sw, err)
		}
		if _, err := s.Authenticate(ctx, "public", sw.Secret); err != nil {
			t.Fatal(err)
		}
		swSecret := sw.Secret
		sw.Secret, sw.TokenEndpointAuthMethod = "", client.AuthNone
		if _, err := s.Set(ctx, "public", sw); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "public", swSecret); !errors.Is(err, client.ErrAuthentication) {
			t.Fatal("a public client kept its secret")
		}

		// A key other than the one that hashed the secrets verifies none.
		other, err := client.NewService(sqlstore.New(db).Clients(), client.Options{SecretKey: []byte(strings.Repeat("k", 32))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Authenticate(ctx, "gen", rot.Secret); !errors.Is(err, client.ErrAuthentication) {
			t.Fatal("a generated secret verified under another key")
		}
	})
}

func TestNewServiceNeedsAKey(t *testing.T) {
	if _, err := client.NewService(nil, client.Options{SecretKey: []byte("short")}); err == nil {
		t.Fatal("a short key was accepted")
	}
}
