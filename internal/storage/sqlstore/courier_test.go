package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/warden-iam/warden/internal/courier"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
	"github.com/warden-iam/warden/internal/storage/sqltest"
)

func queuedMessage(recipient string, at time.Time) courier.Message {
	return courier.Message{ID: uuid.NewString(), Status: courier.StatusQueued, Type: courier.TypeEmail,
		Recipient: recipient, Subject: "Hello", Body: "plain", HTMLBody: "<p>html</p>", TemplateType: "login_code_valid",
		Channel: "email", CreatedAt: at, UpdatedAt: at}
}

func insertMessages(t *testing.T, st *sqlstore.Courier, n int, at time.Time) []courier.Message {
	t.Helper()
	var out []courier.Message
	for i := range n {
		m := queuedMessage(fmt.Sprintf("user%d@example.com", i), at)
		if err := st.InsertMessage(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// TestCourierClaimsEachMessageExactlyOnce: workers claiming concurrently
// take every due message, and no message twice.
func TestCourierClaimsEachMessageExactlyOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		st := sqlstore.New(db).Courier()
		now := sqldb.Now()
		const total = 60
		insertMessages(t, st, total, now.Add(-time.Second))

		var (
			mu      sync.Mutex
			claimed = map[string]int{}
			wg      sync.WaitGroup
		)
		deadline := time.Now().Add(60 * time.Second)
		errs := make(chan error, 8)
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					mu.Lock()
					done := len(claimed) >= total
					mu.Unlock()
					if done {
						return
					}
					cs, err := st.ClaimMessages(ctx, now, now.Add(time.Minute), 5)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					for _, c := range cs {
						claimed[c.ID]++
						if c.Status != courier.StatusProcessing || c.SendCount != 1 || c.Token == "" {
							errs <- fmt.Errorf("claim %+v", c)
						}
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(claimed) != total {
			t.Fatalf("claimed %d of %d messages", len(claimed), total)
		}
		for id, n := range claimed {
			if n != 1 {
				t.Errorf("message %s claimed %d times", id, n)
			}
		}
		if cs, err := st.ClaimMessages(ctx, now, now.Add(time.Minute), 10); err != nil || len(cs) != 0 {
			t.Fatalf("claimed again while leased: %d %v", len(cs), err)
		}
	})
}

// TestCourierRetrySchedule: a failed attempt is recorded with its dispatch
// and the message is due again only at its next attempt time.
func TestCourierRetrySchedule(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		st := sqlstore.New(db).Courier()
		now := sqldb.Now()
		m := insertMessages(t, st, 1, now)[0]
		if cs, err := st.ClaimMessages(ctx, now.Add(-time.Second), now.Add(time.Minute), 10); err != nil || len(cs) != 0 {
			t.Fatalf("claimed before it was due: %v %v", cs, err)
		}
		cs, err := st.ClaimMessages(ctx, now, now.Add(time.Minute), 10)
		if err != nil || len(cs) != 1 || cs[0].ID != m.ID || cs[0].HTMLBody != m.HTMLBody {
			t.Fatalf("claim: %+v %v", cs, err)
		}
		retryAt := now.Add(30 * time.Second)
		failed := &courier.Dispatch{ID: uuid.NewString(), Status: courier.DispatchFailed,
			Error: []byte(`{"message":"451 try later","code":451}`), CreatedAt: now, UpdatedAt: now}
		if err := st.FinishClaim(ctx, cs[0], courier.Outcome{Status: courier.StatusQueued, SendCount: 1,
			NextAttemptAt: retryAt, Dispatch: failed, At: now}); err != nil {
			t.Fatal(err)
		}
		if cs, err := st.ClaimMessages(ctx, retryAt.Add(-time.Microsecond), retryAt.Add(time.Minute), 10); err != nil || len(cs) != 0 {
			t.Fatalf("claimed before the retry was due: %v %v", cs, err)
		}
		cs, err = st.ClaimMessages(ctx, retryAt, retryAt.Add(time.Minute), 10)
		if err != nil || len(cs) != 1 || cs[0].SendCount != 2 {
			t.Fatalf("retry claim: %+v %v", cs, err)
		}
		ok := &courier.Dispatch{ID: uuid.NewString(), Status: courier.DispatchSuccess, CreatedAt: retryAt, UpdatedAt: retryAt}
		if err := st.FinishClaim(ctx, cs[0], courier.Outcome{Status: courier.StatusSent, SendCount: 2, Dispatch: ok, At: retryAt}); err != nil {
			t.Fatal(err)
		}
		got, err := st.GetMessage(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != courier.StatusSent || got.SendCount != 2 || !got.UpdatedAt.Equal(retryAt) || !got.CreatedAt.Equal(now) {
			t.Fatalf("message %+v", got)
		}
		if len(got.Dispatches) != 2 || got.Dispatches[0].Status != courier.DispatchFailed || got.Dispatches[1].Status != courier.DispatchSuccess ||
			string(got.Dispatches[0].Error) != `{"message":"451 try later","code":451}` || got.Dispatches[1].Error != nil ||
			got.Dispatches[0].MessageID != m.ID {
			t.Fatalf("dispatches %+v", got.Dispatches)
		}
		if cs, err := st.ClaimMessages(ctx, retryAt.Add(time.Hour), retryAt.Add(2*time.Hour), 10); err != nil || len(cs) != 0 {
			t.Fatalf("a sent message was claimed: %v %v", cs, err)
		}
	})
}

// TestCourierAbandonedMessagesStayAbandoned: once abandoned, a message is
// never claimed again.
func TestCourierAbandonedMessagesStayAbandoned(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		st := sqlstore.New(db).Courier()
		now := sqldb.Now()
		m := insertMessages(t, st, 1, now)[0]
		cs, err := st.ClaimMessages(ctx, now, now.Add(time.Minute), 1)
		if err != nil || len(cs) != 1 {
			t.Fatal(cs, err)
		}
		d := &courier.Dispatch{ID: uuid.NewString(), Status: courier.DispatchFailed, Error: []byte(`{"message":"550"}`), CreatedAt: now, UpdatedAt: now}
		if err := st.FinishClaim(ctx, cs[0], courier.Outcome{Status: courier.StatusAbandoned, SendCount: 1, Dispatch: d, At: now}); err != nil {
			t.Fatal(err)
		}
		if cs, err := st.ClaimMessages(ctx, now.Add(24*time.Hour), now.Add(25*time.Hour), 10); err != nil || len(cs) != 0 {
			t.Fatalf("abandoned message claimed: %v %v", cs, err)
		}
		if got, err := st.GetMessage(ctx, m.ID); err != nil || got.Status != courier.StatusAbandoned || len(got.Dispatches) != 1 {
			t.Fatalf("%+v %v", got, err)
		}
	})
}

// TestCourierRecoversStuckProcessing: a claim whose lease ended (its worker
// died) is claimed again with a new token; the old token can no longer
// record an outcome, though its dispatch is kept.
func TestCourierRecoversStuckProcessing(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		st := sqlstore.New(db).Courier()
		now := sqldb.Now()
		m := insertMessages(t, st, 1, now)[0]
		lease := now.Add(time.Minute)
		first, err := st.ClaimMessages(ctx, now, lease, 1)
		if err != nil || len(first) != 1 {
			t.Fatal(first, err)
		}
		if cs, err := st.ClaimMessages(ctx, lease.Add(-time.Microsecond), lease.Add(time.Hour), 1); err != nil || len(cs) != 0 {
			t.Fatalf("claimed during the lease: %v %v", cs, err)
		}
		second, err := st.ClaimMessages(ctx, lease, lease.Add(time.Minute), 1)
		if err != nil || len(second) != 1 || second[0].SendCount != 2 || second[0].Token == first[0].Token {
			t.Fatalf("reclaim: %+v %v", second, err)
		}
		late := &courier.Dispatch{ID: uuid.NewString(), Status: courier.DispatchSuccess, CreatedAt: lease, UpdatedAt: lease}
		err = st.FinishClaim(ctx, first[0], courier.Outcome{Status: courier.StatusSent, SendCount: 1, Dispatch: late, At: lease})
		if !errors.Is(err, courier.ErrClaimLost) {
			t.Fatalf("finishing a lost claim: %v", err)
		}
		got, err := st.GetMessage(ctx, m.ID)
		if err != nil || got.Status != courier.StatusProcessing || got.SendCount != 2 || len(got.Dispatches) != 1 {
			t.Fatalf("after the lost claim: %+v %v", got, err)
		}
		if err := st.FinishClaim(ctx, second[0], courier.Outcome{Status: courier.StatusSent, SendCount: 2, At: lease}); err != nil {
			t.Fatal(err)
		}
		if got, err := st.GetMessage(ctx, m.ID); err != nil || got.Status != courier.StatusSent {
			t.Fatalf("%+v %v", got, err)
		}
		// A token is good for one outcome only.
		if err := st.FinishClaim(ctx, second[0], courier.Outcome{Status: courier.StatusQueued, SendCount: 2, At: lease}); !errors.Is(err, courier.ErrClaimLost) {
			t.Fatalf("second outcome with one token: %v", err)
		}
	})
}

// TestCourierListPagesNewestFirst: keyset pages cover every message once,
// newest first, ties on created_at broken by id, with filters.
func TestCourierListPagesNewestFirst(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		st := sqlstore.New(db).Courier()
		base := sqldb.Now()
		var all []courier.Message
		for i := range 9 {
			at := base.Add(time.Duration(i/3) * time.Second) // three messages per instant
			m := queuedMessage([]string{"ann@example.com", "bob@example.com"}[i%2], at)
			if err := st.InsertMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
			all = append(all, m)
		}
		var (
			seen     []courier.Message
			q        = courier.Query{Limit: 4}
			lastTime time.Time
			lastID   string
		)
		for range 10 {
			page, err := st.ListMessages(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, page...)
			if len(page) < q.Limit {
				break
			}
			last := page[len(page)-1]
			q.BeforeCreatedAt, q.BeforeID = last.CreatedAt, last.ID
		}
		if len(seen) != len(all) {
			t.Fatalf("listed %d of %d", len(seen), len(all))
		}
		ids := map[string]bool{}
		for i, m := range seen {
			if ids[m.ID] {
				t.Fatalf("%s listed twice", m.ID)
			}
			ids[m.ID] = true
			if i > 0 && (m.CreatedAt.After(lastTime) || (m.CreatedAt.Equal(lastTime) && m.ID > lastID)) {
				t.Fatalf("out of order at %d", i)
			}
			lastTime, lastID = m.CreatedAt, m.ID
			if m.Dispatches != nil || m.HTMLBody != "<p>html</p>" || m.Body != "plain" {
				t.Fatalf("listed message %+v", m)
			}
		}
		ann, err := st.ListMessages(ctx, courier.Query{Recipient: "ann@example.com", Limit: 100})
		if err != nil || len(ann) != 5 {
			t.Fatalf("recipient filter: %d %v", len(ann), err)
		}
		cs, err := st.ClaimMessages(ctx, base.Add(time.Hour), base.Add(2*time.Hour), 2)
		if err != nil || len(cs) != 2 {
			t.Fatal(cs, err)
		}
		processing, err := st.ListMessages(ctx, courier.Query{Status: courier.StatusProcessing, Limit: 100})
		if err != nil || len(processing) != 2 {
			t.Fatalf("status filter: %d %v", len(processing), err)
		}
		both, err := st.ListMessages(ctx, courier.Query{Status: courier.StatusQueued, Recipient: "bob@example.com", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range both {
			if m.Status != courier.StatusQueued || m.Recipient != "bob@example.com" {
				t.Fatalf("filtered %+v", m)
			}
		}
	})
}

func TestCourierGetUnknownMessage(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		_, err := sqlstore.New(db).Courier().GetMessage(context.Background(), uuid.NewString())
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("got %v", err)
		}
	})
}
