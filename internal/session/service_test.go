package session_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/session"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
	"github.com/warden-iam/warden/internal/storage/sqltest"
	"github.com/warden-iam/warden/internal/web"
)

func newIdentity(t *testing.T, db *sqldb.DB, state string) *identity.Identity {
	t.Helper()
	now := sqldb.Now()
	i := &identity.Identity{ID: uuid.NewString(), SchemaID: "default", State: state, Traits: json.RawMessage(`{"email":"a@x.io"}`),
		CreatedAt: now, UpdatedAt: now}
	if err := sqlstore.New(db).Identities().InsertIdentity(context.Background(), i); err != nil {
		t.Fatal(err)
	}
	return i
}

var pw = []session.AuthenticationMethod{{Method: "password", AAL: session.AAL1, CompletedAt: time.Now().UTC()}}

func TestSessions(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		clock := time.Now()
		s := session.NewService(sqlstore.New(db).Sessions(), session.Options{Lifespan: time.Hour, Now: func() time.Time { return clock },
			SchemaURL: func(id string) string { return "http://x/schemas/" + id }})
		ada := newIdentity(t, db, identity.StateActive)

		api, tok, err := s.Issue(ctx, ada, session.ViaToken, pw, session.Device{ID: "d1", IPAddress: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		if api.AAL != session.AAL1 || api.Identity.SchemaURL == "" {
			t.Fatalf("issued %+v", api)
		}
		got, err := s.ByToken(ctx, tok, session.ViaToken)
		if err != nil || got.ID != api.ID || got.Identity.ID != ada.ID || len(got.Devices) != 1 {
			t.Fatalf("by token: %+v, %v", got, err)
		}
		// A token is no cookie, and a forged or unknown one finds nothing.
		for name, c := range map[string][2]string{"as cookie": {tok, session.ViaCookie}, "unknown": {session.TokenPrefix + "x", session.ViaToken},
			"no prefix": {"abc", session.ViaToken}} {
			if _, err := s.ByToken(ctx, c[0], c[1]); !errors.Is(err, session.ErrNoSession) {
				t.Errorf("%s: %v", name, err)
			}
		}

		// A browser session answers to the cookie only.
		br, ctok, err := s.Issue(ctx, ada, session.ViaCookie, pw, session.Device{ID: "d2"})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/sessions/whoami", nil)
		req.AddCookie(&http.Cookie{Name: session.DefaultCookieName, Value: ctok})
		if se, err := s.FromRequest(req); err != nil || se.ID != br.ID {
			t.Fatalf("cookie: %v", err)
		}
		req = httptest.NewRequest("GET", "/sessions/whoami", nil)
		req.Header.Set("Authorization", "Bearer "+ctok)
		if _, err := s.FromRequest(req); !errors.Is(err, session.ErrNoSession) {
			t.Fatalf("cookie secret as a bearer token: %v", err)
		}

		// Lists, newest first, paged.
		for range 3 {
			if _, _, err := s.Issue(ctx, ada, session.ViaToken, pw, session.Device{ID: "d"}); err != nil {
				t.Fatal(err)
			}
		}
		active := true
		first, err := s.List(ctx, session.ListQuery{IdentityID: ada.ID, Active: &active, Limit: 3})
		if err != nil || len(first) != 3 {
			t.Fatalf("first page: %d, %v", len(first), err)
		}
		rest, err := s.List(ctx, session.ListQuery{IdentityID: ada.ID, Active: &active, Limit: 10, After: first[2].ID})
		if err != nil || len(rest) != 2 {
			t.Fatalf("second page: %d, %v", len(rest), err)
		}

		// Ending the others keeps the current one.
		n, err := s.DisableOthers(ctx, ada.ID, api.ID)
		if err != nil || n != 4 {
			t.Fatalf("disabled %d, %v", n, err)
		}
		if _, err := s.ByToken(ctx, tok, session.ViaToken); err != nil {
			t.Fatalf("current session ended too: %v", err)
		}
		if _, err := s.ByToken(ctx, ctok, session.ViaCookie); !errors.Is(err, session.ErrNoSession) {
			t.Fatalf("other session still active: %v", err)
		}

		// Extend, then expiry.
		clock = clock.Add(50 * time.Minute)
		ext, err := s.Extend(ctx, api.ID)
		if err != nil || !ext.ExpiresAt.After(api.ExpiresAt) {
			t.Fatalf("extend: %+v, %v", ext, err)
		}
		clock = clock.Add(61 * time.Minute)
		if _, err := s.ByToken(ctx, tok, session.ViaToken); !errors.Is(err, session.ErrNoSession) {
			t.Fatalf("expired session: %v", err)
		}
		if g, _ := s.Get(ctx, api.ID, false); g.Active {
			t.Fatal("an expired session shows as active")
		}
		if _, err := s.Extend(ctx, api.ID); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("extending an ended session: %v", err)
		}

		// A disabled identity gets no session.
		off := newIdentity(t, db, identity.StateInactive)
		if _, _, err := s.Issue(ctx, off, session.ViaToken, pw, session.Device{}); !errors.Is(err, session.ErrIdentityDisabled) {
			t.Fatalf("disabled identity: %v", err)
		}

		// Cleanup removes what ended more than the grace ago: the four
		// sessions that ended an hour ago, not yet the one that ended a minute ago.
		removed, err := s.Cleanup(ctx, 5*time.Minute, 2)
		if err != nil || removed != 4 {
			t.Fatalf("cleanup removed %d, %v", removed, err)
		}
		clock = clock.Add(10 * time.Minute)
		removed, err = s.Cleanup(ctx, 5*time.Minute, 2)
		if err != nil || removed != 1 {
			t.Fatalf("cleanup removed %d, %v", removed, err)
		}
	})
}

// whoami over HTTP: the session JSON and identity header, or 401 in the envelope.
func TestWhoamiHTTP(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		s := session.NewService(sqlstore.New(db).Sessions(), session.Options{})
		r := web.NewRouter()
		session.NewHandler(s).MountPublic(r)
		ada := newIdentity(t, db, identity.StateActive)
		_, tok, err := s.Issue(context.Background(), ada, session.ViaToken, pw, session.Device{ID: "d"})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/sessions/whoami", nil)
		req.Header.Set("X-Session-Token", tok)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		var got struct {
			ID       string `json:"id"`
			Active   bool   `json:"active"`
			AAL      string `json:"authenticator_assurance_level"`
			Identity struct {
				ID          string          `json:"id"`
				Credentials json.RawMessage `json:"credentials"`
			} `json:"identity"`
		}
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &got) != nil || !got.Active || got.Identity.ID != ada.ID ||
			got.AAL != "aal1" || got.Identity.Credentials != nil || rec.Header().Get("X-Kratos-Authenticated-Identity-Id") != ada.ID {
			t.Fatalf("whoami: %d %s", rec.Code, rec.Body)
		}
		req = httptest.NewRequest("GET", "/sessions/whoami", nil)
		rec = httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		var e struct {
			Error struct {
				Code int    `json:"code"`
				ID   string `json:"id"`
			} `json:"error"`
		}
		if rec.Code != 401 || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.ID != "session_inactive" {
			t.Fatalf("no session: %d %s", rec.Code, rec.Body)
		}
	})
}

// whoami's reused answers follow every change: to the identity's traits,
// to the session (ended, extended), and to the identity's state.
func TestWhoamiFollowsChanges(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		st := sqlstore.New(db)
		s := session.NewService(st.Sessions(), session.Options{})
		r := web.NewRouter()
		session.NewHandler(s).MountPublic(r)
		ada := newIdentity(t, db, identity.StateActive)
		se, tok, err := s.Issue(ctx, ada, session.ViaToken, pw, session.Device{ID: "d"})
		if err != nil {
			t.Fatal(err)
		}
		who := func() (int, map[string]any) {
			req := httptest.NewRequest("GET", "/sessions/whoami", nil)
			req.Header.Set("X-Session-Token", tok)
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			var m map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &m)
			return rec.Code, m
		}
		for range 3 {
			if code, m := who(); code != 200 || m["identity"].(map[string]any)["traits"].(map[string]any)["email"] != "a@x.io" {
				t.Fatalf("whoami: %d %v", code, m)
			}
		}
		ada.Traits = json.RawMessage(`{"email":"changed@x.io"}`)
		ada.UpdatedAt = sqldb.Now()
		if err := st.Identities().UpdateIdentity(ctx, ada); err != nil {
			t.Fatal(err)
		}
		if _, m := who(); m["identity"].(map[string]any)["traits"].(map[string]any)["email"] != "changed@x.io" {
			t.Fatalf("traits change not seen: %v", m)
		}
		before, _ := who()
		ext, err := s.Extend(ctx, se.ID)
		if err != nil {
			t.Fatal(err)
		}
		if code, m := who(); code != before || m["expires_at"] == nil || m["expires_at"].(string) != ext.ExpiresAt.Format(time.RFC3339Nano) {
			t.Fatalf("extension not seen: %v want %v", m["expires_at"], ext.ExpiresAt)
		}
		ada.State = identity.StateInactive
		ada.UpdatedAt = sqldb.Now()
		if err := st.Identities().UpdateIdentity(ctx, ada); err != nil {
			t.Fatal(err)
		}
		if code, _ := who(); code != 401 {
			t.Fatalf("disabled identity: %d", code)
		}
		ada.State = identity.StateActive
		ada.UpdatedAt = sqldb.Now()
		_ = st.Identities().UpdateIdentity(ctx, ada)
		if code, _ := who(); code != 200 {
			t.Fatalf("re-enabled identity: %d", code)
		}
		if err := s.Disable(ctx, se.ID); err != nil {
			t.Fatal(err)
		}
		if code, _ := who(); code != 401 {
			t.Fatalf("ended session: %d", code)
		}
	})
}
