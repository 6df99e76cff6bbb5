package courier_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-iam/warden/internal/courier"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
	"github.com/warden-iam/warden/internal/storage/sqltest"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newService(t *testing.T, db *sqldb.DB, sender courier.Sender, o courier.Options) *courier.Service {
	t.Helper()
	if o.Logger == nil {
		o.Logger = quietLogger()
	}
	s, err := courier.NewService(sqlstore.New(db).Courier(), sender, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newSMTPSender(t *testing.T, o courier.SMTPOptions) *courier.SMTPSender {
	t.Helper()
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	s, err := courier.NewSMTPSender(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runWorker runs s's worker until the test ends.
func runWorker(t *testing.T, s *courier.Service) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitStatus polls until the message has the status.
func waitStatus(t *testing.T, s *courier.Service, id string, want courier.Status) courier.Message {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m, err := s.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status == want {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s is %s (%d dispatches), want %s", id, m.Status, len(m.Dispatches), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// outcomes reads the delivery counter by result.
func outcomes(t *testing.T, s *courier.Service) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "warden_courier_deliveries_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" {
					out[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// parsed is a received email taken apart.
type parsed struct {
	Header    mail.Header
	Subject   string
	Plaintext string
	HTML      string
}

func parseEmail(t *testing.T, data []byte) parsed {
	t.Helper()
	if bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatal("a line ends without CR")
	}
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	p := parsed{Header: m.Header}
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	for i := 0; ; i++ {
		part, err := r.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		switch ct := part.Header.Get("Content-Type"); {
		case i == 0 && ct == "text/plain; charset=utf-8":
			p.Plaintext = string(b)
		case i == 1 && ct == "text/html; charset=utf-8":
			p.HTML = string(b)
		default:
			t.Fatalf("part %d has Content-Type %q", i, ct)
		}
	}
	return p
}

// TestDeliversTemplatedEmail: a queued template message reaches a real
// SMTP server with the rendered subject, both parts and every header, and
// is then sent with one successful dispatch.
func TestDeliversTemplatedEmail(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		srv := startSMTP(t, serverOptions{})
		sender := newSMTPSender(t, courier.SMTPOptions{
			ConnectionURI: "smtp://" + srv.Addr + "/?disable_starttls=true",
			FromAddress:   "accounts@example.org",
			FromName:      "Exämple Accounts",
			Headers:       map[string]string{"X-SES-SOURCE-ARN": "arn:aws:ses:eu-west-1:1:identity/example.org", "Reply-To": "help@example.org"},
			LocalName:     "warden.example.org",
		})
		// A long poll interval: only Enqueue's wake-up can make this quick.
		s := newService(t, db, sender, courier.Options{PullWait: time.Hour})
		runWorker(t, s)
		time.Sleep(20 * time.Millisecond) // the worker's first, empty, poll

		start := time.Now()
		m, err := s.EnqueueTemplate(context.Background(), courier.TemplateRecoveryCodeValid, "ann@example.com", courier.TemplateData{
			RecoveryCode: "493021", ExpiresInMinutes: 15,
		})
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != courier.StatusQueued || m.TemplateType != "recovery_code_valid" || m.Channel != "email" || m.Type != courier.TypeEmail {
			t.Fatalf("queued %+v", m)
		}
		got := srv.next(t)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("delivery took %s: Enqueue did not wake the worker", d)
		}
		if got.Hello != "warden.example.org" || got.From != "accounts@example.org" || len(got.To) != 1 || got.To[0] != "ann@example.com" || got.TLS {
			t.Fatalf("envelope %+v", got)
		}
		e := parseEmail(t, got.Data)
		from, err := mail.ParseAddress(e.Header.Get("From"))
		if err != nil || from.Name != "Exämple Accounts" || from.Address != "accounts@example.org" {
			t.Fatalf("From %q: %v", e.Header.Get("From"), err)
		}
		if to := e.Header.Get("To"); to != "<ann@example.com>" {
			t.Fatalf("To %q", to)
		}
		if e.Subject != "Your account recovery code" || e.Subject != m.Subject {
			t.Fatalf("Subject %q", e.Subject)
		}
		if date, err := e.Header.Date(); err != nil || time.Since(date) > time.Minute {
			t.Fatalf("Date %q: %v", e.Header.Get("Date"), err)
		}
		if id := e.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.org>") {
			t.Fatalf("Message-ID %q", id)
		}
		if e.Header.Get("MIME-Version") != "1.0" || e.Header.Get("X-SES-SOURCE-ARN") != "arn:aws:ses:eu-west-1:1:identity/example.org" ||
			e.Header.Get("Reply-To") != "help@example.org" {
			t.Fatalf("headers %v", e.Header)
		}
		for _, body := range []string{e.Plaintext, e.HTML} {
			if !strings.Contains(body, "493021") || !strings.Contains(body, "15 minutes") || !strings.Contains(body, "ann@example.com") {
				t.Fatalf("body without the code, lifetime or address:\n%s", body)
			}
		}
		if e.Plaintext != strings.ReplaceAll(m.Body, "\n", "\r\n") {
			t.Fatalf("plain-text part differs from the stored body:\n%q\n%q", e.Plaintext, m.Body)
		}
		if !strings.Contains(e.HTML, "<html>") || strings.Contains(e.Plaintext, "<p>") {
			t.Fatal("parts mixed up")
		}

		sent := waitStatus(t, s, m.ID, courier.StatusSent)
		if sent.SendCount != 1 || len(sent.Dispatches) != 1 || sent.Dispatches[0].Status != courier.DispatchSuccess || sent.Dispatches[0].Error != nil {
			t.Fatalf("sent %+v", sent)
		}
		if o := outcomes(t, s); o["sent"] != 1 || o["failed"] != 0 || o["abandoned"] != 0 {
			t.Fatalf("metrics %v", o)
		}
	})
}

// TestRejectingServerRetriesThenAbandons: every refusal is a failed
// dispatch with the server's code; after the retries the message is
// abandoned, and a server that recovers in time gets the message.
func TestRejectingServerRetriesThenAbandons(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		for _, tc := range []struct {
			name  string
			stage string
			code  int
		}{{"451 at RCPT", "rcpt", 451}, {"550 after DATA", "data", 550}} {
			t.Run(tc.name, func(t *testing.T) {
				srv := startSMTP(t, serverOptions{Reject: func(stage string, _ int) error {
					if stage != tc.stage {
						return nil
					}
					return &smtp.SMTPError{Code: tc.code, EnhancedCode: smtp.EnhancedCode{tc.code / 100, 0, 0}, Message: "not now"}
				}})
				sender := newSMTPSender(t, courier.SMTPOptions{ConnectionURI: "smtp://" + srv.Addr + "/?disable_starttls=true"})
				s := newService(t, db, sender, courier.Options{Retries: 2, RetryBackoff: 5 * time.Millisecond, PullWait: 5 * time.Millisecond})
				runWorker(t, s)
				m, err := s.Enqueue(context.Background(), courier.Message{Recipient: "bob@example.com", Subject: "Hi", Body: "hello"})
				if err != nil {
					t.Fatal(err)
				}
				got := waitStatus(t, s, m.ID, courier.StatusAbandoned)
				if got.SendCount != 3 || len(got.Dispatches) != 3 {
					t.Fatalf("abandoned after %d attempts, %d dispatches", got.SendCount, len(got.Dispatches))
				}
				for _, d := range got.Dispatches {
					var e struct {
						Message string `json:"message"`
						Code    int    `json:"code"`
					}
					if err := json.Unmarshal(d.Error, &e); err != nil || d.Status != courier.DispatchFailed || e.Code != tc.code || !strings.Contains(e.Message, "not now") {
						t.Fatalf("dispatch %+v (%s): %v", d, d.Error, err)
					}
				}
				if o := outcomes(t, s); o["failed"] != 3 || o["abandoned"] != 1 || o["sent"] != 0 {
					t.Fatalf("metrics %v", o)
				}
			})
		}
		t.Run("recovers", func(t *testing.T) {
			srv := startSMTP(t, serverOptions{Reject: func(stage string, n int) error {
				if stage == "rcpt" && n <= 2 {
					return &smtp.SMTPError{Code: 421, Message: "busy"}
				}
				return nil
			}})
			sender := newSMTPSender(t, courier.SMTPOptions{ConnectionURI: "smtp://" + srv.Addr + "/?disable_starttls=true"})
			s := newService(t, db, sender, courier.Options{Retries: 5, RetryBackoff: 5 * time.Millisecond, PullWait: 5 * time.Millisecond})
			runWorker(t, s)
			m, err := s.Enqueue(context.Background(), courier.Message{Recipient: "cy@example.com", Subject: "Hi", Body: "hello"})
			if err != nil {
				t.Fatal(err)
			}
			srv.next(t)
			got := waitStatus(t, s, m.ID, courier.StatusSent)
			if got.SendCount != 3 || len(got.Dispatches) != 3 || got.Dispatches[2].Status != courier.DispatchSuccess {
				t.Fatalf("sent %+v", got)
			}
			if o := outcomes(t, s); o["failed"] != 2 || o["sent"] != 1 {
				t.Fatalf("metrics %v", o)
			}
		})
	})
}
