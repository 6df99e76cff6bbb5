package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-iam/warden/internal/oauth2/provider"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
	"github.com/warden-iam/warden/internal/storage/sqltest"
)

func token(sig, req string, kind int, expires time.Time) provider.TokenRecord {
	return provider.TokenRecord{Signature: sig, Kind: kind, RequestID: req, ClientID: "c", Subject: "s", Active: true,
		Data: "x", RequestedAt: sqldb.Now(), ExpiresAt: expires}
}

// TestOAuth2CleanupRemovesOnlyExpiredRowsInBatches: expired tokens, flows and
// sessions go, a batch at a time; live ones stay.
func TestOAuth2CleanupRemovesOnlyExpiredRowsInBatches(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		st := sqlstore.New(db).OAuth2()
		now := sqldb.Now()
		var recs []provider.TokenRecord
		for i := range 25 {
			recs = append(recs, token(fmt.Sprintf("old-%d", i), "r", provider.TokenAccess, now.Add(-time.Minute)))
		}
		recs = append(recs, token("live", "r", provider.TokenAccess, now.Add(time.Hour)))
		if err := st.InsertTokens(ctx, recs...); err != nil {
			t.Fatal(err)
		}
		for i, exp := range []time.Time{now.Add(-time.Second), now.Add(time.Hour)} {
			if err := st.InsertFlow(ctx, provider.FlowRecord{ID: fmt.Sprint("f", i), Kind: provider.KindAuthorize, State: 1,
				ClientID: "c", Data: "x", RequestedAt: now, ExpiresAt: exp}); err != nil {
				t.Fatal(err)
			}
			if err := st.UpsertLoginSession(ctx, provider.LoginSession{ID: fmt.Sprint("s", i), Subject: "alice",
				AuthenticatedAt: now, ExpiresAt: exp}); err != nil {
				t.Fatal(err)
			}
		}
		n, err := st.Cleanup(ctx, now, 10)
		if err != nil || n["tokens"] != 10 || n["flows"] != 1 || n["login_sessions"] != 1 {
			t.Fatalf("first batch: %v %v", n, err)
		}
		for range 3 {
			if _, err := st.Cleanup(ctx, now, 10); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.GetToken(ctx, "old-0"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("expired token kept: %v", err)
		}
		if _, err := st.GetToken(ctx, "live"); err != nil {
			t.Fatalf("live token removed: %v", err)
		}
		if _, err := st.GetFlow(ctx, "f1"); err != nil {
			t.Fatalf("live flow removed: %v", err)
		}
		if _, err := st.GetLoginSession(ctx, "s0"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("expired session kept: %v", err)
		}
	})
}

// TestOAuth2ConsumeTokenExactlyOnce: of many concurrent uses of one refresh
// token exactly one wins; the losers write nothing.
func TestOAuth2ConsumeTokenExactlyOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		st := sqlstore.New(db).OAuth2()
		exp := sqldb.Now().Add(time.Hour)
		if err := st.InsertTokens(ctx, token("rt", "grant", provider.TokenRefresh, exp), token("at", "grant", provider.TokenAccess, exp)); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, lost := 0, 0
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := st.ConsumeToken(ctx, "rt", sqldb.Now(), []int{provider.TokenAccess},
					token(fmt.Sprint("rt-", i), "grant", provider.TokenRefresh, exp))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, provider.ErrNotActive):
					lost++
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || lost != 15 {
			t.Fatalf("wins %d lost %d", wins, lost)
		}
		stored := 0
		for i := range 16 {
			if _, err := st.GetToken(ctx, fmt.Sprint("rt-", i)); err == nil {
				stored++
			} else if !errors.Is(err, storage.ErrNotFound) {
				t.Fatal(err)
			}
		}
		if stored != 1 {
			t.Fatalf("%d new refresh tokens stored, want the winner's only", stored)
		}
		if _, err := st.GetToken(ctx, "at"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("the grant's access token survived the rotation: %v", err)
		}
		old, err := st.GetToken(ctx, "rt")
		if err != nil || old.Active || old.UsedAt.IsZero() {
			t.Fatalf("used token %+v %v", old, err)
		}
		if err := st.RevokeRequest(ctx, "grant"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.GetToken(ctx, "rt"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatal("revoking the grant kept its tokens")
		}
	})
}

// Remembered consents are found through the index of remembered flows,
// so the lookup does not read a subject's other flows however many there are.
func TestOAuth2RememberedConsentsUseTheirIndex(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		o := sqlstore.New(db).OAuth2()
		now := sqldb.Now()
		flow := func(id string, remember time.Time) provider.FlowRecord {
			return provider.FlowRecord{ID: id, Kind: provider.KindAuthorize, State: provider.StateDone, ClientID: "c",
				Subject: "s", RememberUntil: remember, Data: "x", RequestedAt: now, ExpiresAt: now.Add(time.Hour)}
		}
		for i := range 300 {
			if err := o.InsertFlow(ctx, flow(fmt.Sprint("plain-", i), time.Time{})); err != nil {
				t.Fatal(err)
			}
		}
		for id, until := range map[string]time.Time{"kept": now.Add(time.Hour), "lapsed": now.Add(-time.Minute)} {
			if err := o.InsertFlow(ctx, flow(id, until)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := o.RememberedConsents(ctx, "s", "c", now)
		if err != nil || len(got) != 1 || got[0].ID != "kept" {
			t.Fatalf("remembered = %+v, %v; want only kept", got, err)
		}

		const q = `SELECT id FROM oauth2_flows WHERE subject = ? AND client_id = ? AND kind = ? AND state = ? AND remember_until > ?
			ORDER BY requested_at DESC LIMIT 20`
		args := []any{"s", "c", provider.KindAuthorize, provider.StateDone, now}
		var plan []string
		if db.Dialect() == sqldb.SQLite {
			plan = explain(t, db, `EXPLAIN QUERY PLAN `+q, 3, args...)
		} else {
			if _, err := db.Exec(ctx, `ANALYZE oauth2_flows`); err != nil {
				t.Fatal(err)
			}
			plan = explain(t, db, `EXPLAIN `+q, 0, args...)
		}
		if !strings.Contains(strings.Join(plan, "\n"), "oauth2_flows_remembered_idx") {
			t.Fatalf("plan does not use the remembered-consent index:\n%s", strings.Join(plan, "\n"))
		}
	})
}

// explain returns column col of every row of an EXPLAIN statement.
func explain(t *testing.T, db *sqldb.DB, q string, col int, args ...any) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals[col]))
	}
	return out
}
