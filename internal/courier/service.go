package courier

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Options, as Kratos has them where Kratos has the setting.
const (
	DefaultRetries         = 5
	DefaultPullCount       = 10
	DefaultPullWait        = time.Second
	DefaultSendTimeout     = 30 * time.Second
	DefaultRetryBackoff    = time.Minute
	DefaultMaxRetryBackoff = time.Hour
)

// Paging limits of List.
const (
	DefaultPageSize = 250
	MaxPageSize     = 1000
)

// maxRecipientLength is the longest address RFC 5321 allows in a path.
const maxRecipientLength = 254

// shutdownGrace is how long a delivery in progress may go on once the
// worker is asked to stop.
const shutdownGrace = 5 * time.Second

// Options are the courier's settings.
type Options struct {
	// Templates render EnqueueTemplate's messages; nil: the built-in texts.
	Templates *Templates
	// Retries is how many times a failed delivery is tried again before the
	// message is abandoned (courier.message_retries). Zero is
	// DefaultRetries; negative means no retry (one attempt only).
	Retries int
	// PullCount is how many messages a worker claims at once
	// (courier.worker.pull_count); default DefaultPullCount.
	PullCount int
	// PullWait is how long an idle worker waits before looking for due
	// messages again (courier.worker.pull_wait); default DefaultPullWait.
	// Enqueue wakes the worker of this process at once.
	PullWait time.Duration
	// SendTimeout bounds one delivery; default DefaultSendTimeout.
	SendTimeout time.Duration
	// Lease is how long a claimed message stays with its worker before it
	// is due again (the worker is presumed dead); default the longer of
	// five minutes and a whole batch's worth of SendTimeout plus a minute.
	Lease time.Duration
	// RetryBackoff is the wait before the first retry; each further retry
	// waits twice as long, up to MaxRetryBackoff. Defaults
	// DefaultRetryBackoff and DefaultMaxRetryBackoff.
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// Logger receives delivery failures; default slog.Default().
	Logger *slog.Logger
}

// Service queues messages and delivers them.
type Service struct {
	store    Store
	sender   Sender
	tmpl     *Templates
	o        Options
	wake     chan struct{}
	outcomes *prometheus.CounterVec
}

// NewService returns the courier over store, delivering with sender.
func NewService(store Store, sender Sender, o Options) (*Service, error) {
	if store == nil || sender == nil {
		return nil, errors.New("courier: a store and a sender are required")
	}
	if o.Templates == nil {
		t, err := LoadTemplates(TemplateOptions{})
		if err != nil {
			return nil, err
		}
		o.Templates = t
	}
	switch {
	case o.Retries == 0:
		o.Retries = DefaultRetries
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.PullCount <= 0 {
		o.PullCount = DefaultPullCount
	}
	if o.PullWait <= 0 {
		o.PullWait = DefaultPullWait
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = DefaultSendTimeout
	}
	if o.Lease <= 0 {
		o.Lease = max(5*time.Minute, time.Duration(o.PullCount)*o.SendTimeout+time.Minute)
	}
	if o.Lease <= o.SendTimeout {
		return nil, fmt.Errorf("courier: the lease (%s) must be longer than the send timeout (%s)", o.Lease, o.SendTimeout)
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = DefaultRetryBackoff
	}
	if o.MaxRetryBackoff <= 0 {
		o.MaxRetryBackoff = DefaultMaxRetryBackoff
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Service{store: store, sender: sender, tmpl: o.Templates, o: o, wake: make(chan struct{}, 1),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_courier_deliveries_total",
			Help: "Courier delivery outcomes: sent and abandoned count messages, failed counts failed attempts.",
		}, []string{"result"})}
	for _, r := range []string{"sent", "failed", "abandoned"} {
		s.outcomes.WithLabelValues(r)
	}
	return s, nil
}

// Collector is the Prometheus counter of delivery outcomes, labelled
// result="sent|failed|abandoned", for the caller to register.
func (s *Service) Collector() prometheus.Collector { return s.outcomes }

func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Microsecond) }

// Enqueue validates m and queues it for delivery: an email to m.Recipient
// (a bare address) with m.Subject, the plain-text m.Body and, when set, the
// HTML alternative m.HTMLBody. It returns the stored message. The worker
// of this process is woken at once.
func (s *Service) Enqueue(ctx context.Context, m Message) (Message, error) {
	if m.Type == "" {
		m.Type = TypeEmail
	}
	if m.Type != TypeEmail {
		return Message{}, invalid("type", "Only email messages can be delivered, not %q.", m.Type)
	}
	a, err := mail.ParseAddress(m.Recipient)
	if err != nil || a.Name != "" || a.Address != m.Recipient || len(m.Recipient) > maxRecipientLength {
		return Message{}, invalid("recipient", "%q is not an email address.", m.Recipient)
	}
	if m.Body == "" && m.HTMLBody == "" {
		return Message{}, invalid("body", "The message has no body.")
	}
	now := s.now()
	m = Message{
		ID:           uuid.NewString(),
		Status:       StatusQueued,
		Type:         m.Type,
		Recipient:    m.Recipient,
		Subject:      oneLine(m.Subject),
		Body:         m.Body,
		HTMLBody:     m.HTMLBody,
		TemplateType: m.TemplateType,
		Channel:      "email",
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	if err := s.store.InsertMessage(ctx, m); err != nil {
		return Message{}, err
	}
	s.Wake()
	return m, nil
}

// EnqueueTemplate renders the template t for recipient with data (data.To
// defaults to recipient) and queues the result as Enqueue does.
func (s *Service) EnqueueTemplate(ctx context.Context, t TemplateType, recipient string, data TemplateData) (Message, error) {
	if data.To == "" {
		data.To = recipient
	}
	r, err := s.tmpl.Render(t, data)
	if err != nil {
		return Message{}, err
	}
	return s.Enqueue(ctx, Message{Recipient: recipient, Subject: r.Subject, Body: r.Plaintext, HTMLBody: r.HTML, TemplateType: string(t)})
}

// Wake makes the worker of this process look for due messages now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Get returns the message id with its dispatches. A malformed id is
// ErrInvalid, an unknown one storage.ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (Message, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return Message{}, invalid("id", "%q is not a message id (a UUID).", id)
	}
	return s.store.GetMessage(ctx, u.String())
}

// ListQuery selects a page of messages, newest first. Status and Recipient
// filter when set; PageToken is the previous page's NextToken.
type ListQuery struct {
	Status    Status
	Recipient string
	PageSize  int
	PageToken string
}

// Page is one page of messages; NextToken is empty on the last page.
type Page struct {
	Messages  []Message
	NextToken string
}

// List returns a page of messages, without their dispatches.
func (s *Service) List(ctx context.Context, q ListQuery) (Page, error) {
	if q.Status != "" && !q.Status.Valid() {
		return Page{}, invalid("status", "status must be queued, processing, sent or abandoned, not %q.", q.Status)
	}
	n := q.PageSize
	switch {
	case n == 0:
		n = DefaultPageSize
	case n < 0:
		return Page{}, invalid("page_size", "page_size must be at least 1.")
	case n > MaxPageSize:
		n = MaxPageSize
	}
	sq := Query{Status: q.Status, Recipient: q.Recipient, Limit: n + 1}
	if q.PageToken != "" {
		var ok bool
		if sq.BeforeCreatedAt, sq.BeforeID, ok = decodePageToken(q.PageToken); !ok {
			return Page{}, invalid("page_token", "page_token is not a token this server issued.")
		}
	}
	msgs, err := s.store.ListMessages(ctx, sq)
	if err != nil {
		return Page{}, err
	}
	p := Page{Messages: msgs}
	if len(msgs) > n {
		p.Messages = msgs[:n]
		last := msgs[n-1]
		p.NextToken = encodePageToken(last.CreatedAt, last.ID)
	}
	if p.Messages == nil {
		p.Messages = []Message{}
	}
	return p, nil
}

// A page token is the creation time (Unix microseconds) and id of the last
// message of the page before, base64url encoded.
func encodePageToken(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + "/" + id))
}

func decodePageToken(tok string) (time.Time, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return time.Time{}, "", false
	}
	micros, id, ok := strings.Cut(string(b), "/")
	n, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || n < 0 {
		return time.Time{}, "", false
	}
	if _, err := uuid.Parse(id); err != nil {
		return time.Time{}, "", false
	}
	return time.UnixMicro(n).UTC(), id, true
}

// Run delivers due messages until ctx ends: it claims a batch, delivers it,
// and waits PullWait (or until Wake) when there was less than a full batch.
// A delivery in progress when ctx ends gets a few more seconds; messages
// claimed but not yet tried are handed back.
func (s *Service) Run(ctx context.Context) {
	for {
		n, err := s.DispatchBatch(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.o.Logger.Warn("courier: claiming messages failed", "error", err)
		}
		if err == nil && n >= s.o.PullCount {
			continue // a full batch: more may be due
		}
		t := time.NewTimer(s.o.PullWait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// DispatchBatch claims up to PullCount due messages and tries to deliver
// each once. It returns how many it claimed.
func (s *Service) DispatchBatch(ctx context.Context) (int, error) {
	now := s.now()
	leaseUntil := now.Add(s.o.Lease)
	// On an error, the messages claimed before it are still handled.
	claims, err := s.store.ClaimMessages(ctx, now, leaseUntil, s.o.PullCount)
	for i, c := range claims {
		// Hand back what is left when stopping, and what could no longer
		// be delivered before the lease ends.
		if ctx.Err() != nil || s.now().Add(s.o.SendTimeout).After(leaseUntil) {
			for _, r := range claims[i:] {
				s.release(ctx, r)
			}
			break
		}
		s.deliver(ctx, c)
	}
	return len(claims), err
}

// release hands a claimed message back untried.
func (s *Service) release(ctx context.Context, c Claim) {
	now := s.now()
	s.finish(ctx, c, Outcome{Status: StatusQueued, SendCount: c.SendCount - 1, NextAttemptAt: now, At: now})
}

func (s *Service) deliver(ctx context.Context, c Claim) {
	if c.SendCount > s.o.Retries+1 {
		// Earlier attempts began but never ended (their workers died).
		now := s.now()
		s.o.Logger.Warn("courier: message abandoned after unfinished attempts", "message_id", c.ID, "attempts", c.SendCount-1)
		if s.finish(ctx, c, Outcome{Status: StatusAbandoned, SendCount: c.SendCount - 1, At: now}) {
			s.outcomes.WithLabelValues("abandoned").Inc()
		}
		return
	}
	var err error
	if c.Type != TypeEmail {
		err = fmt.Errorf("courier: messages of type %q cannot be delivered", c.Type)
	} else {
		err = s.send(ctx, c)
	}
	now := s.now()
	d := &Dispatch{ID: uuid.NewString(), MessageID: c.ID, Status: DispatchSuccess, CreatedAt: now, UpdatedAt: now}
	o := Outcome{Status: StatusSent, SendCount: c.SendCount, Dispatch: d, At: now}
	if err != nil {
		d.Status, d.Error = DispatchFailed, errorJSON(err)
		if c.SendCount > s.o.Retries {
			o.Status = StatusAbandoned
		} else {
			o.Status, o.NextAttemptAt = StatusQueued, now.Add(s.backoff(c.SendCount))
		}
		s.o.Logger.Warn("courier: delivery failed", "message_id", c.ID, "attempt", c.SendCount,
			"status", o.Status, "error", err)
	}
	if !s.finish(ctx, c, o) {
		return
	}
	switch {
	case err == nil:
		s.outcomes.WithLabelValues("sent").Inc()
	case o.Status == StatusAbandoned:
		s.outcomes.WithLabelValues("failed").Inc()
		s.outcomes.WithLabelValues("abandoned").Inc()
	default:
		s.outcomes.WithLabelValues("failed").Inc()
	}
}

// send delivers one message. Stopping the worker leaves it shutdownGrace
// to finish: cutting it off mid-transfer could deliver it twice.
func (s *Service) send(ctx context.Context, c Claim) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.o.SendTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(shutdownGrace, cancel)
		context.AfterFunc(sctx, func() { t.Stop() })
	})
	defer stop()
	return s.sender.Send(sctx, Email{To: c.Recipient, Subject: c.Subject, Plaintext: c.Body, HTML: c.HTMLBody})
}

// finish records an outcome, even while stopping, and reports whether the
// claim still held.
func (s *Service) finish(ctx context.Context, c Claim, o Outcome) bool {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.store.FinishClaim(fctx, c, o); err != nil {
		s.o.Logger.Warn("courier: recording the delivery outcome failed", "message_id", c.ID, "error", err)
		return false
	}
	return true
}

// backoff is the wait after the attempt-th failed attempt.
func (s *Service) backoff(attempt int) time.Duration {
	d := s.o.RetryBackoff
	for i := 1; i < attempt && d < s.o.MaxRetryBackoff; i++ {
		d *= 2
	}
	return min(d, s.o.MaxRetryBackoff)
}

// errorJSON describes a failed attempt for its dispatch.
func errorJSON(err error) json.RawMessage {
	v := struct {
		Message string `json:"message"`
		Code    int    `json:"code,omitempty"`
	}{Message: err.Error(), Code: ReplyCode(err)}
	b, _ := json.Marshal(v)
	return b
}
