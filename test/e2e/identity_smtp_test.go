package e2e

import (
	"io"
	"log"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// mailbox is an SMTP server on 127.0.0.1 (github.com/emersion/go-smtp)
// that keeps what it is sent, for tests that read codes and links from
// emails.
type mailbox struct {
	addr string
	mu   sync.Mutex
	msgs []mail
	got  chan struct{}
}

type mail struct {
	to   string
	data string
}

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	mb := &mailbox{got: make(chan struct{}, 100)}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{mb: mb}, nil }))
	s.Domain = "mail.test"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = l.Addr().String()
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return mb
}

// uri is the courier's connection_uri for this server.
func (mb *mailbox) uri() string { return "smtp://" + mb.addr + "/?disable_starttls=true" }

// wait returns the first message to `to` whose text matches re (waiting up
// to 15 s) and the first submatch.
func (mb *mailbox) wait(t *testing.T, to string, re *regexp.Regexp) (string, string) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		mb.mu.Lock()
		for _, m := range mb.msgs {
			if strings.EqualFold(m.to, to) {
				if sm := re.FindStringSubmatch(m.data); sm != nil {
					mb.mu.Unlock()
					return m.data, sm[len(sm)-1]
				}
			}
		}
		mb.mu.Unlock()
		select {
		case <-mb.got:
		case <-deadline:
			t.Fatalf("no email to %s matching %s within 15s", to, re)
		}
	}
}

// take removes and returns every message received so far.
func (mb *mailbox) take() []mail {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	out := mb.msgs
	mb.msgs = nil
	return out
}

type mailSession struct {
	mb *mailbox
	to []string
}

func (s *mailSession) AuthPlain(string, string) error            { return nil }
func (s *mailSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }
func (s *mailSession) Reset()                                    { s.to = nil }
func (s *mailSession) Logout() error                             { return nil }
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	for _, to := range s.to {
		s.mb.msgs = append(s.mb.msgs, mail{to: to, data: string(b)})
	}
	s.mb.mu.Unlock()
	s.mb.got <- struct{}{}
	return nil
}
