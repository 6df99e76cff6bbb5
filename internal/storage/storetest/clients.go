package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/warden-iam/warden/internal/oauth2/client"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
)

// testClientRegistrationToken checks that the hash of a registration
// access token is stored with its client: written on insert, read by get
// and list, replaced (or kept) by update, gone with the client; and that
// rows written without it (as before the column existed, or by the admin
// API) read back with an empty hash.
func testClientRegistrationToken(t *testing.T, db *sqldb.DB) {
	ctx := ctxFor(t)
	s := sqlstore.New(db).Clients()
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	reg := client.Record{ID: "dyn", Name: "dyn", Data: []byte(`{"client_id":"dyn"}`), SecretHash: "$hmac-sha256$s",
		RegistrationTokenHash: "$hmac-sha256$first", CreatedAt: at}
	if err := s.InsertClient(ctx, reg); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertClient(ctx, client.Record{ID: "adm", Data: []byte(`{"client_id":"adm"}`), CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	// A row written without the column, as every row was before it existed.
	if _, err := db.Exec(ctx, `INSERT INTO oauth2_clients (id, client_name, owner, client_data, secret_hash, rotated_secret_hashes, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, "old", "", "", `{"client_id":"old"}`, "", "", at); err != nil {
		t.Fatalf("insert without registration_token_hash: %v", err)
	}
	want := map[string]string{"dyn": "$hmac-sha256$first", "adm": "", "old": ""}
	check := func(when string) {
		t.Helper()
		for id, h := range want {
			r, err := s.GetClient(ctx, id)
			if err != nil || r.RegistrationTokenHash != h {
				t.Errorf("%s: get %s: hash %q, %v; want %q", when, id, r.RegistrationTokenHash, err, h)
			}
		}
		list, err := s.ListClients(ctx, client.Query{Limit: 10})
		if err != nil || len(list) != len(want) {
			t.Fatalf("%s: list = %d records, %v", when, len(list), err)
		}
		for _, r := range list {
			if r.RegistrationTokenHash != want[r.ID] {
				t.Errorf("%s: list %s: hash %q, want %q", when, r.ID, r.RegistrationTokenHash, want[r.ID])
			}
		}
	}
	check("after insert")

	reg.RegistrationTokenHash = "$hmac-sha256$second"
	if err := s.UpdateClient(ctx, reg); err != nil {
		t.Fatal(err)
	}
	want["dyn"] = reg.RegistrationTokenHash
	check("after update")

	if err := s.DeleteClient(ctx, "dyn"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetClient(ctx, "dyn"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("get deleted client: %v", err)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM oauth2_clients WHERE registration_token_hash = ?`, reg.RegistrationTokenHash).Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows holding the deleted client's token hash: %d, %v", n, err)
	}
}
