package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	ory "github.com/ory/client-go"
)

// sdkClient is a client with most fields set, as Ory's SDK sends it.
func sdkClient() ory.OAuth2Client {
	c := ory.OAuth2Client{
		ClientId:                          ory.PtrString("sdk-web"),
		ClientName:                        ory.PtrString("SDK Web"),
		Owner:                             ory.PtrString("team-sdk"),
		RedirectUris:                      []string{"https://web.example/cb", "http://127.0.0.1:8080/cb"},
		GrantTypes:                        []string{"authorization_code", "refresh_token", "client_credentials"},
		ResponseTypes:                     []string{"code", "code id_token"},
		Scope:                             ory.PtrString("openid offline_access"),
		Audience:                          []string{"https://api.example"},
		AllowedCorsOrigins:                []string{"https://web.example"},
		TokenEndpointAuthMethod:           ory.PtrString("client_secret_post"),
		PostLogoutRedirectUris:            []string{"https://web.example/bye"},
		FrontchannelLogoutUri:             ory.PtrString("https://web.example/fc"),
		FrontchannelLogoutSessionRequired: ory.PtrBool(true),
		BackchannelLogoutUri:              ory.PtrString("https://web.example/bc"),
		BackchannelLogoutSessionRequired:  ory.PtrBool(true),
		ClientUri:                         ory.PtrString("https://web.example"),
		LogoUri:                           ory.PtrString("https://web.example/logo.png"),
		PolicyUri:                         ory.PtrString("https://web.example/policy"),
		TosUri:                            ory.PtrString("https://web.example/tos"),
		Contacts:                          []string{"ops@web.example"},
		Metadata:                          map[string]interface{}{"tier": "gold", "n": float64(3)},
		SubjectType:                       ory.PtrString("public"),
		AccessTokenStrategy:               ory.PtrString("jwt"),
		SkipConsent:                       ory.PtrBool(true),
		SkipLogoutConsent:                 ory.PtrBool(false),
	}
	c.SetAuthorizationCodeGrantAccessTokenLifespan("1h0m0s")
	c.SetRefreshTokenGrantRefreshTokenLifespan("720h0m0s")
	return c
}

// asMap is the JSON object the SDK sends for v.
func asMap(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// sameFields fails unless every field of want has the same JSON value in got.
func sameFields(t *testing.T, what string, want, got any, skip ...string) {
	t.Helper()
	w, g := asMap(t, want), asMap(t, got)
	for k, v := range w {
		if strings.Contains(" "+strings.Join(skip, " ")+" ", " "+k+" ") {
			continue
		}
		if !reflect.DeepEqual(v, g[k]) {
			t.Errorf("%s: %s = %#v, want %#v", what, k, g[k], v)
		}
	}
}

func TestOAuth2ClientsWithOrySDK(t *testing.T) {
	forEachBackend(t, func(t *testing.T, args []string) {
		s := start(t, t.TempDir(), nil, args...)
		api := newSDK(s).write.OAuth2API // the admin URL
		ctx := context.Background()

		// Create: a generated secret comes back once.
		in := sdkClient()
		created, res, err := api.CreateOAuth2Client(ctx).OAuth2Client(in).Execute()
		if err != nil || res.StatusCode != http.StatusCreated {
			t.Fatalf("CreateOAuth2Client: %v %s", err, errBody(err))
		}
		sameFields(t, "create", in, created)
		if len(created.GetClientSecret()) < 43 || created.CreatedAt == nil || time.Since(*created.CreatedAt) > time.Minute {
			t.Fatalf("create: secret %q, created_at %v", created.GetClientSecret(), created.CreatedAt)
		}

		got, _, err := api.GetOAuth2Client(ctx, "sdk-web").Execute()
		if err != nil {
			t.Fatalf("GetOAuth2Client: %v %s", err, errBody(err))
		}
		sameFields(t, "get", in, got, "client_secret")
		if got.ClientSecret != nil {
			t.Fatal("GetOAuth2Client shows the secret")
		}
		if !got.CreatedAt.Equal(*created.CreatedAt) {
			t.Fatalf("created_at %v, then %v", created.CreatedAt, got.CreatedAt)
		}

		// A public client with a chosen id and a private_key_jwt one.
		pub := ory.OAuth2Client{ClientId: ory.PtrString("sdk-spa"), Owner: ory.PtrString("team-sdk"),
			TokenEndpointAuthMethod: ory.PtrString("none"), RedirectUris: []string{"com.example.app:/cb"}}
		if c, _, err := api.CreateOAuth2Client(ctx).OAuth2Client(pub).Execute(); err != nil || c.ClientSecret != nil {
			t.Fatalf("create public client: %+v %v %s", c, err, errBody(err))
		}
		key := ory.JsonWebKey{Kty: "EC", Crv: ory.PtrString("P-256"), Kid: "k1", Use: "sig", Alg: "ES256",
			X: ory.PtrString("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"), Y: ory.PtrString("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0")}
		signed := ory.OAuth2Client{ClientId: ory.PtrString("sdk-signed"), TokenEndpointAuthMethod: ory.PtrString("private_key_jwt"),
			GrantTypes: []string{"client_credentials"}, Jwks: &ory.JsonWebKeySet{Keys: []ory.JsonWebKey{key}}}
		sc, _, err := api.CreateOAuth2Client(ctx).OAuth2Client(signed).Execute()
		if err != nil {
			t.Fatalf("create private_key_jwt client: %v %s", err, errBody(err))
		}
		if sc.Jwks == nil || len(sc.Jwks.Keys) != 1 || sc.Jwks.Keys[0].GetX() != key.GetX() || sc.ClientSecret != nil {
			t.Fatalf("private_key_jwt client: %+v", sc)
		}

		// Validation errors answer 400 in Ory's envelope, naming the field.
		bad := ory.OAuth2Client{RedirectUris: []string{"http://evil.example/cb"}}
		_, res, err = api.CreateOAuth2Client(ctx).OAuth2Client(bad).Execute()
		if err == nil || res.StatusCode != http.StatusBadRequest || !strings.Contains(errBody(err), `"field":"redirect_uris"`) {
			t.Fatalf("invalid redirect URI: %v %s", err, errBody(err))
		}

		// List with paging and filters.
		page, res, err := api.ListOAuth2Clients(ctx).PageSize(2).Execute()
		if err != nil || len(page) != 2 {
			t.Fatalf("ListOAuth2Clients: %d clients, %v %s", len(page), err, errBody(err))
		}
		link := res.Header.Get("Link")
		if !strings.Contains(link, `rel="next"`) || !strings.Contains(link, "page_token=") {
			t.Fatalf("no next link: %q", link)
		}
		token := link[strings.Index(link, "page_token=")+len("page_token=") : strings.Index(link, ">")]
		if i := strings.Index(token, "&"); i >= 0 {
			token = token[:i]
		}
		rest, res, err := api.ListOAuth2Clients(ctx).PageSize(2).PageToken(token).Execute()
		if err != nil || len(rest) != 1 || res.Header.Get("Link") != "" {
			t.Fatalf("second page: %d clients, Link %q, %v", len(rest), res.Header.Get("Link"), err)
		}
		ids := []string{page[0].GetClientId(), page[1].GetClientId(), rest[0].GetClientId()}
		if strings.Join(ids, ",") != "sdk-signed,sdk-spa,sdk-web" {
			t.Fatalf("listed %v", ids)
		}
		owned, _, err := api.ListOAuth2Clients(ctx).Owner("team-sdk").ClientName("SDK Web").Execute()
		if err != nil || len(owned) != 1 {
			t.Fatalf("filtered list: %d, %v", len(owned), err)
		}
		sameFields(t, "list", in, owned[0], "client_secret")

		// Set: what Get returned, changed, round-trips; the secret is kept.
		got.ClientName = ory.PtrString("SDK Web 2")
		got.Contacts = []string{"dev@web.example"}
		set, _, err := api.SetOAuth2Client(ctx, "sdk-web").OAuth2Client(*got).Execute()
		if err != nil {
			t.Fatalf("SetOAuth2Client: %v %s", err, errBody(err))
		}
		sameFields(t, "set", got, set, "updated_at")
		if set.ClientSecret != nil || !set.UpdatedAt.After(*set.CreatedAt) {
			t.Fatalf("set: secret %v, updated_at %v", set.ClientSecret, set.UpdatedAt)
		}

		// Patch.
		patched, _, err := api.PatchOAuth2Client(ctx, "sdk-web").JsonPatch([]ory.JsonPatch{
			{Op: "replace", Path: "/client_name", Value: "SDK Web 3"},
			{Op: "add", Path: "/audience/-", Value: "https://other.example"},
			{Op: "remove", Path: "/logo_uri"},
		}).Execute()
		if err != nil {
			t.Fatalf("PatchOAuth2Client: %v %s", err, errBody(err))
		}
		if patched.GetClientName() != "SDK Web 3" || len(patched.Audience) != 2 || patched.LogoUri != nil ||
			patched.GetOwner() != "team-sdk" {
			t.Fatalf("patched: %+v", patched)
		}
		_, res, err = api.PatchOAuth2Client(ctx, "sdk-web").JsonPatch([]ory.JsonPatch{
			{Op: "replace", Path: "/client_id", Value: "stolen"}}).Execute()
		if err == nil || res.StatusCode != http.StatusBadRequest {
			t.Fatalf("changing client_id: %v", err)
		}
		again, _, err := api.GetOAuth2Client(ctx, "sdk-web").Execute()
		if err != nil {
			t.Fatal(err)
		}
		sameFields(t, "get after patch", patched, again)

		// Delete: 204, then 404.
		res, err = api.DeleteOAuth2Client(ctx, "sdk-web").Execute()
		if err != nil || res.StatusCode != http.StatusNoContent {
			t.Fatalf("DeleteOAuth2Client: %v %s", err, errBody(err))
		}
		_, res, err = api.GetOAuth2Client(ctx, "sdk-web").Execute()
		if err == nil || res.StatusCode != http.StatusNotFound {
			t.Fatalf("get deleted client: %v", err)
		}
		var env oryEnvelope
		if json.Unmarshal([]byte(errBody(err)), &env) != nil || env.Error.Code != http.StatusNotFound {
			t.Fatalf("404 body: %s", errBody(err))
		}
		res, err = api.DeleteOAuth2Client(ctx, "sdk-web").Execute()
		if err == nil || res.StatusCode != http.StatusNotFound {
			t.Fatalf("delete twice: %v", err)
		}
	})
}
