package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	ory "github.com/ory/client-go"
)

type hashVector struct {
	Password string `json:"password"`
	Hash     string `json:"hash"`
	Match    bool   `json:"match"`
	Scheme   string `json:"scheme"`
}

func TestIdentityAdminImportAndManage(t *testing.T) { eachDB(t, testAdminImport) }

// Every password hash vector is imported through the batch API: those
// Kratos accepts sign in with their password (and are then re-hashed with
// argon2id), the others are refused at import or at sign-in.
func testAdminImport(t *testing.T, args ...string) {
	raw, err := os.ReadFile("../../../shared/testdata/kratos-password-hash-import-vectors.json")
	if err != nil {
		t.Skipf("vectors not available: %v", err)
	}
	var file struct {
		Vectors []hashVector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	e := startIdentity(t, args...)
	ctx := context.Background()

	var items []ory.IdentityPatch
	for k, v := range file.Vectors {
		body := ory.NewCreateIdentityBody("default", map[string]any{"email": fmt.Sprintf("v%d@import.test", k)})
		body.Credentials = &ory.IdentityWithCredentials{Password: &ory.IdentityWithCredentialsPassword{
			Config: &ory.IdentityWithCredentialsPasswordConfig{HashedPassword: ory.PtrString(v.Hash)}}}
		items = append(items, ory.IdentityPatch{Create: body, PatchId: ory.PtrString(fmt.Sprint(k))})
	}
	res, _, err := e.admin.BatchPatchIdentities(ctx).PatchIdentitiesBody(ory.PatchIdentitiesBody{Identities: items}).Execute()
	if err != nil {
		t.Fatalf("batch import: %v %s", err, bodyOf(err))
	}
	if len(res.Identities) != len(file.Vectors) {
		t.Fatalf("%d results for %d entries", len(res.Identities), len(file.Vectors))
	}
	imported, refused, signedIn := 0, 0, 0
	var rehashID string
	for k, r := range res.Identities {
		v := file.Vectors[k]
		if r.GetPatchId() != fmt.Sprint(k) {
			t.Fatalf("result %d is for patch %s", k, r.GetPatchId())
		}
		if r.GetAction() == "error" {
			refused++
			if v.Match {
				t.Errorf("vector %d (%s) accepted by Kratos was refused at import: %v", k, v.Scheme, r.Error)
			}
			continue
		}
		imported++
		_, err := e.login(ctx, fmt.Sprintf("v%d@import.test", k), v.Password)
		switch {
		case v.Match && err != nil:
			t.Errorf("vector %d (%s): the right password does not sign in: %s", k, v.Scheme, bodyOf(err))
		case !v.Match && err == nil:
			t.Errorf("vector %d (%s): a hash Kratos refuses signed in", k, v.Scheme)
		case v.Match:
			signedIn++
			if strings.HasPrefix(v.Hash, "$2") && rehashID == "" {
				rehashID = r.GetIdentity()
			}
		}
	}
	t.Logf("%d vectors: %d imported (%d signed in), %d refused at import", len(file.Vectors), imported, signedIn, refused)
	if signedIn == 0 || refused == 0 {
		t.Fatal("the vectors did not exercise both outcomes")
	}
	got, _, err := e.admin.GetIdentity(ctx, rehashID).IncludeCredential([]string{"password"}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	cfg := (*got.Credentials)["password"].Config
	if h, _ := cfg["hashed_password"].(string); !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("imported bcrypt hash not replaced after sign-in: %v", cfg)
	}

	// Manage: get, list by identifier, patch, update, sessions, delete.
	list, _, err := e.admin.ListIdentities(ctx).CredentialsIdentifier("v1@import.test").Execute()
	if err != nil || len(list) != 1 {
		t.Fatalf("list by identifier: %d %v", len(list), err)
	}
	id := list[0].Id
	page, resp, err := e.admin.ListIdentities(ctx).PageSize(10).Execute()
	if err != nil || len(page) != 10 || !strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
		t.Fatalf("first page: %d %v %q", len(page), err, resp.Header.Get("Link"))
	}
	p, _, err := e.admin.PatchIdentity(ctx, id).JsonPatch([]ory.JsonPatch{{Op: "replace", Path: "/state", Value: "inactive"},
		{Op: "add", Path: "/metadata_public", Value: map[string]any{"tier": "gold"}}}).Execute()
	if err != nil || p.GetState() != "inactive" || p.MetadataPublic["tier"] != "gold" {
		t.Fatalf("patch: %v %s", err, bodyOf(err))
	}
	if _, err := e.login(ctx, "v1@import.test", file.Vectors[1].Password); err == nil {
		t.Fatal("an inactive identity signed in")
	}
	up, _, err := e.admin.UpdateIdentity(ctx, id).UpdateIdentityBody(ory.UpdateIdentityBody{SchemaId: "default", State: "active",
		Traits: map[string]any{"email": "renamed@import.test"}}).Execute()
	if err != nil || up.GetState() != "active" {
		t.Fatalf("update: %v %s", err, bodyOf(err))
	}
	if _, err := e.login(ctx, "renamed@import.test", file.Vectors[1].Password); err != nil {
		t.Fatalf("sign-in with the new identifier: %s", bodyOf(err))
	}
	ss, _, err := e.admin.ListIdentitySessions(ctx, id).Execute()
	if err != nil || len(ss) == 0 {
		t.Fatalf("identity sessions: %d %v", len(ss), err)
	}
	if _, err := e.admin.DeleteIdentitySessions(ctx, id).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, resp, err := e.admin.GetIdentity(ctx, "00000000-0000-0000-0000-000000000000").Execute(); err == nil || resp.StatusCode != 404 {
		t.Fatalf("unknown identity: %v", resp)
	}
	if _, resp, _ := e.admin.CreateIdentity(ctx).CreateIdentityBody(*ory.NewCreateIdentityBody("default",
		map[string]any{"email": "renamed@IMPORT.test"})).Execute(); resp == nil || resp.StatusCode != 409 {
		t.Fatalf("duplicate identifier: %v", resp)
	}
	if _, err := e.admin.DeleteIdentity(ctx, id).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, resp, _ := e.admin.GetIdentity(ctx, id).Execute(); resp == nil || resp.StatusCode != 404 {
		t.Fatalf("get after delete: %v", resp)
	}
}
