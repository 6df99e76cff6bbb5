package courier_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/warden-iam/warden/internal/courier"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
	"github.com/warden-iam/warden/internal/storage/sqltest"
)

// fakeSender records emails and answers with fail (nil: success).
type fakeSender struct {
	mu   sync.Mutex
	sent []courier.Email
	fail error
	// block, when set, holds every Send until it is closed.
	block chan struct{}
	// entered receives a value as each Send starts.
	entered chan struct{}
}

func (f *fakeSender) Send(ctx context.Context, e courier.Email) error {
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, e)
	return f.fail
}

func (f *fakeSender) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func dispatch(t *testing.T, s *courier.Service) int {
	t.Helper()
	n, err := s.DispatchBatch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEnqueueValidates(t *testing.T) {
	s := newService(t, sqltest.SQLite(t), &fakeSender{}, courier.Options{})
	ctx := context.Background()
	for name, m := range map[string]courier.Message{
		"display name":     {Recipient: "Ann <ann@example.com>", Body: "x"},
		"header injection": {Recipient: "ann@example.com\r\nBcc: eve@example.com", Body: "x"},
		"not an address":   {Recipient: "ann", Body: "x"},
		"sms":              {Type: courier.TypeSMS, Recipient: "+15550100", Body: "x"},
		"no body":          {Recipient: "ann@example.com"},
	} {
		var fe *courier.FieldError
		if _, err := s.Enqueue(ctx, m); !errors.As(err, &fe) || !errors.Is(err, courier.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	m, err := s.Enqueue(ctx, courier.Message{Recipient: "ann@example.com", Subject: "two\nlines", Body: "x"})
	if err != nil || m.Subject != "two lines" || m.Status != courier.StatusQueued || m.ID == "" {
		t.Fatalf("%+v %v", m, err)
	}
	if _, err := s.EnqueueTemplate(ctx, "stub", "ann@example.com", courier.TemplateData{}); !errors.Is(err, courier.ErrInvalid) {
		t.Fatalf("unknown template: %v", err)
	}
}

// TestRetryBackoffDoubles: failed attempts are retried after 1x, 2x, 4x
// the back-off, and not before.
func TestRetryBackoffDoubles(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		c := &clock{t: sqldb.Now()}
		f := &fakeSender{fail: errors.New("connection refused")}
		s := newService(t, db, f, courier.Options{Now: c.Now, RetryBackoff: time.Minute, Retries: 3})
		m, err := s.Enqueue(context.Background(), courier.Message{Recipient: "ann@example.com", Body: "x"})
		if err != nil {
			t.Fatal(err)
		}
		for attempt, wait := range []time.Duration{0, time.Minute, 2 * time.Minute, 4 * time.Minute} {
			if wait > 0 {
				c.Add(wait - time.Microsecond)
				if n := dispatch(t, s); n != 0 {
					t.Fatalf("attempt %d came early", attempt+1)
				}
				c.Add(time.Microsecond)
			}
			if n := dispatch(t, s); n != 1 {
				t.Fatalf("attempt %d did not happen", attempt+1)
			}
		}
		got, err := s.Get(context.Background(), m.ID)
		if err != nil || got.Status != courier.StatusAbandoned || got.SendCount != 4 || len(got.Dispatches) != 4 || f.count() != 4 {
			t.Fatalf("%+v %v (sent %d)", got, err, f.count())
		}
		c.Add(time.Hour)
		if n := dispatch(t, s); n != 0 {
			t.Fatal("an abandoned message was tried again")
		}
	})
}

// TestNoRetry: Retries < 0 abandons after the first failure.
func TestNoRetry(t *testing.T) {
	db := sqltest.SQLite(t)
	s := newService(t, db, &fakeSender{fail: errors.New("nope")}, courier.Options{Retries: -1})
	m, _ := s.Enqueue(context.Background(), courier.Message{Recipient: "ann@example.com", Body: "x"})
	dispatch(t, s)
	if got, _ := s.Get(context.Background(), m.ID); got.Status != courier.StatusAbandoned || got.SendCount != 1 {
		t.Fatalf("%+v", got)
	}
}

// TestStuckProcessingIsRecovered: a message claimed by a worker that died
// is delivered once its lease ends; one whose unfinished attempts used up
// the retries is abandoned without another attempt.
func TestStuckProcessingIsRecovered(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		c := &clock{t: sqldb.Now()}
		f := &fakeSender{}
		s := newService(t, db, f, courier.Options{Now: c.Now, Lease: 2 * time.Minute, SendTimeout: time.Second, Retries: 1})
		st := sqlstore.New(db).Courier()
		a, _ := s.Enqueue(ctx, courier.Message{Recipient: "ann@example.com", Body: "x"})
		// A worker elsewhere claims it and dies.
		if cs, err := st.ClaimMessages(ctx, c.Now(), c.Now().Add(2*time.Minute), 10); err != nil || len(cs) != 1 {
			t.Fatal(cs, err)
		}
		if n := dispatch(t, s); n != 0 {
			t.Fatal("claimed during another worker's lease")
		}
		c.Add(2 * time.Minute)
		if n := dispatch(t, s); n != 1 || f.count() != 1 {
			t.Fatalf("not recovered: %d claimed, %d sent", n, f.count())
		}
		got, _ := s.Get(ctx, a.ID)
		if got.Status != courier.StatusSent || got.SendCount != 2 || len(got.Dispatches) != 1 {
			t.Fatalf("%+v", got)
		}

		// One retry allowed: after two attempts that never ended, a third
		// start is one too many.
		b, _ := s.Enqueue(ctx, courier.Message{Recipient: "bob@example.com", Body: "x"})
		for range 2 {
			if cs, err := st.ClaimMessages(ctx, c.Now(), c.Now().Add(time.Minute), 10); err != nil || len(cs) != 1 {
				t.Fatal(cs, err)
			}
			c.Add(time.Minute)
		}
		dispatch(t, s)
		got, _ = s.Get(ctx, b.ID)
		if got.Status != courier.StatusAbandoned || got.SendCount != 2 || len(got.Dispatches) != 0 || f.count() != 1 {
			t.Fatalf("%+v (sent %d)", got, f.count())
		}
		if o := outcomes(t, s); o["abandoned"] != 1 || o["sent"] != 1 {
			t.Fatalf("metrics %v", o)
		}
	})
}

// TestStopHandsBackUntriedClaims: stopping the worker lets the delivery in
// progress finish and returns the rest of the batch to the queue as it was.
func TestStopHandsBackUntriedClaims(t *testing.T) {
	db := sqltest.SQLite(t)
	f := &fakeSender{block: make(chan struct{}), entered: make(chan struct{}, 10)}
	s := newService(t, db, f, courier.Options{PullCount: 3})
	ctx := context.Background()
	var ids []string
	for _, r := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		m, err := s.Enqueue(ctx, courier.Message{Recipient: r, Body: "x"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); s.Run(wctx) }()
	<-f.entered
	cancel()
	close(f.block)
	<-done
	var sent, queued int
	for _, id := range ids {
		m, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case m.Status == courier.StatusSent && m.SendCount == 1:
			sent++
		case m.Status == courier.StatusQueued && m.SendCount == 0 && len(m.Dispatches) == 0:
			queued++
		default:
			t.Fatalf("after stop: %+v", m)
		}
	}
	if sent != 1 || queued != 2 {
		t.Fatalf("%d sent, %d handed back", sent, queued)
	}
}
