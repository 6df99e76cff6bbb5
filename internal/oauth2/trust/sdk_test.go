package trust_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	ory "github.com/ory/client-go"

	"github.com/warden-iam/warden/internal/storage/sqltest"
)

// TestOrySDK drives the admin API with Ory's own SDK: what it sends is
// accepted, and what is answered decodes into its models.
func TestOrySDK(t *testing.T) {
	s := newServer(t, sqltest.SQLite(t))
	srv := httptest.NewServer(s.r)
	t.Cleanup(srv.Close)
	cfg := ory.NewConfiguration()
	cfg.Servers = ory.ServerConfigurations{{URL: srv.URL}}
	cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	api := ory.NewAPIClient(cfg).OAuth2API
	ctx := context.Background()

	// The SDK's JsonWebKey from the JSON of a public key.
	var key ory.JsonWebKey
	if err := json.Unmarshal([]byte(jwkJSON(t, pubJWK(t, "RS256", "sdk-key"))), &key); err != nil {
		t.Fatal(err)
	}
	exp := s.clock.Now().Add(time.Hour).Truncate(time.Second)
	body := ory.NewTrustOAuth2JwtGrantIssuer(exp, "https://sdk-idp.example", key, []string{"openid"})
	body.SetSubject("mike@example.com")
	created, _, err := api.TrustOAuth2JwtGrantIssuer(ctx).TrustOAuth2JwtGrantIssuer(*body).Execute()
	if err != nil {
		t.Fatalf("trust: %v", err)
	}
	if created.GetId() == "" || created.GetIssuer() != "https://sdk-idp.example" || created.GetSubject() != "mike@example.com" ||
		created.GetAllowAnySubject() || !created.GetExpiresAt().Equal(exp) || created.GetCreatedAt().IsZero() ||
		created.PublicKey.GetSet() != "https://sdk-idp.example" || created.PublicKey.GetKid() != "sdk-key" ||
		len(created.Scope) != 1 || len(created.AdditionalProperties) != 0 {
		t.Fatalf("created %+v", created)
	}

	s.clock.Add(time.Second)
	anyBody := ory.NewTrustOAuth2JwtGrantIssuer(exp, "https://sdk-idp.example", key, []string{})
	anyBody.SetAllowAnySubject(true)
	if _, _, err := api.TrustOAuth2JwtGrantIssuer(ctx).TrustOAuth2JwtGrantIssuer(*anyBody).Execute(); err != nil {
		t.Fatalf("trust any subject: %v", err)
	}

	got, _, err := api.GetTrustedOAuth2JwtGrantIssuer(ctx, created.GetId()).Execute()
	if err != nil || got.GetId() != created.GetId() {
		t.Fatalf("get: %+v, %v", got, err)
	}
	list, resp, err := api.ListTrustedOAuth2JwtGrantIssuers(ctx).Issuer("https://sdk-idp.example").PageSize(1).Execute()
	if err != nil || len(list) != 1 || list[0].GetId() != created.GetId() || resp.Header.Get("Link") == "" {
		t.Fatalf("list: %+v, %v", list, err)
	}

	// Errors come back as the SDK's GenericOpenAPIError holding Ory's
	// envelope (which, as with Hydra, the SDK's genericError model does not
	// decode: it reads the body instead).
	_, resp, err = api.TrustOAuth2JwtGrantIssuer(ctx).TrustOAuth2JwtGrantIssuer(*body).Execute()
	var oe *ory.GenericOpenAPIError
	if !errors.As(err, &oe) || resp.StatusCode != http.StatusConflict {
		t.Fatalf("duplicate: %v", err)
	}
	var env envelope
	if err := json.Unmarshal(oe.Body(), &env); err != nil || env.Error.Code != http.StatusConflict {
		t.Fatalf("duplicate: body %s", oe.Body())
	}
	if _, err := api.DeleteTrustedOAuth2JwtGrantIssuer(ctx, created.GetId()).Execute(); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, r, err := api.GetTrustedOAuth2JwtGrantIssuer(ctx, created.GetId()).Execute(); err == nil || r.StatusCode != 404 {
		t.Fatalf("get after delete: %v", err)
	}
}
