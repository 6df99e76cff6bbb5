package courier_test

import (
	"bytes"
	"context"
	"mime"
	"net/mail"
	"strings"
	"testing"

	"github.com/warden-iam/warden/internal/courier"
)

func send(t *testing.T, connURI string) error {
	t.Helper()
	s := newSMTPSender(t, courier.SMTPOptions{ConnectionURI: connURI, FromAddress: "noreply@example.org"})
	return s.Send(context.Background(), courier.Email{To: "ann@example.com", Subject: "Hi", Plaintext: "hello\n", HTML: "<p>hello</p>"})
}

// TestSTARTTLS: smtp:// upgrades with STARTTLS and authenticates over TLS;
// a self-signed certificate is refused unless skip_ssl_verify is set;
// server_name is the name sent and checked.
func TestSTARTTLS(t *testing.T) {
	srv := startSMTP(t, serverOptions{TLS: true, Users: map[string]string{"ann": "p@ss word"}})
	base := "smtp://ann:p%40ss%20word@" + srv.Addr + "/"

	err := send(t, base)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("self-signed certificate accepted: %v", err)
	}
	if err := send(t, base+"?skip_ssl_verify=true&server_name=mail.test"); err != nil {
		t.Fatal(err)
	}
	got := srv.next(t)
	if !got.TLS || got.User != "ann" || got.SNI != "mail.test" {
		t.Fatalf("received %+v", got)
	}
	if err := send(t, "smtp://ann:wrong@"+srv.Addr+"/?skip_ssl_verify=true"); err == nil || !strings.Contains(err.Error(), "AUTH") || courier.ReplyCode(err) == 0 {
		t.Fatalf("wrong password: %v (code %d)", err, courier.ReplyCode(err))
	}
}

// TestImplicitTLS: smtps:// speaks TLS from the first byte.
func TestImplicitTLS(t *testing.T) {
	srv := startSMTP(t, serverOptions{Implicit: true, Users: map[string]string{"ann": "secret"}})
	if err := send(t, "smtps://ann:secret@"+srv.Addr+"/"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("self-signed certificate accepted: %v", err)
	}
	if err := send(t, "smtps://ann:secret@"+srv.Addr+"/?skip_ssl_verify=true"); err != nil {
		t.Fatal(err)
	}
	if got := srv.next(t); !got.TLS || got.User != "ann" || got.SNI != "127.0.0.1" && got.SNI != "" {
		t.Fatalf("received %+v", got)
	}
}

// TestCleartext: without STARTTLS on offer smtp:// fails unless the operator
// disabled STARTTLS; credentials go in clear text only then.
func TestCleartext(t *testing.T) {
	srv := startSMTP(t, serverOptions{InsecureAuth: true, Users: map[string]string{"ann": "secret"}})
	err := send(t, "smtp://ann:secret@"+srv.Addr+"/")
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("sent without TLS: %v", err)
	}
	if err := send(t, "smtp://ann:secret@"+srv.Addr+"/?disable_starttls=true"); err != nil {
		t.Fatal(err)
	}
	if got := srv.next(t); got.TLS || got.User != "ann" {
		t.Fatalf("received %+v", got)
	}
}

func TestSMTPOptionsRefused(t *testing.T) {
	for name, o := range map[string]courier.SMTPOptions{
		"scheme":             {ConnectionURI: "http://mail.example.org/"},
		"no host":            {ConnectionURI: "smtp:///"},
		"port":               {ConnectionURI: "smtp://mail.example.org:99999/"},
		"bool":               {ConnectionURI: "smtp://mail.example.org/?disable_starttls=yes please"},
		"from address":       {ConnectionURI: "smtp://mail.example.org/", FromAddress: "Ann <ann@example.org>"},
		"from name":          {ConnectionURI: "smtp://mail.example.org/", FromName: "Ann\r\nBcc: eve@example.org"},
		"structural header":  {ConnectionURI: "smtp://mail.example.org/", Headers: map[string]string{"subject": "x"}},
		"header name":        {ConnectionURI: "smtp://mail.example.org/", Headers: map[string]string{"X Bad": "x"}},
		"header value":       {ConnectionURI: "smtp://mail.example.org/", Headers: map[string]string{"X-Ok": "a\r\nBcc: eve@example.org"}},
		"local name":         {ConnectionURI: "smtp://mail.example.org/", LocalName: "a b"},
		"missing client key": {ConnectionURI: "smtp://mail.example.org/", ClientCertPath: "/nonexistent.pem"},
	} {
		if _, err := courier.NewSMTPSender(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestLongUnicodeSubject: a long non-ASCII subject is encoded and folded
// into lines of at most 78 characters, and decodes back unchanged; a
// message without HTML is a single plain-text part.
func TestLongUnicodeSubject(t *testing.T) {
	srv := startSMTP(t, serverOptions{})
	s := newSMTPSender(t, courier.SMTPOptions{ConnectionURI: "smtp://" + srv.Addr + "/?disable_starttls=true"})
	subject := strings.Repeat("Grüße aus Köln, ", 8) + "und tschüss"
	if err := s.Send(context.Background(), courier.Email{To: "ann@example.com", Subject: subject, Plaintext: "nur Text: ä\n"}); err != nil {
		t.Fatal(err)
	}
	got := srv.next(t)
	head, body, _ := strings.Cut(string(got.Data), "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		if len(line) > 78 {
			t.Fatalf("header line of %d characters: %q", len(line), line)
		}
	}
	if !strings.Contains(head, "Content-Type: text/plain; charset=utf-8\r\n") || !strings.Contains(head, "Content-Transfer-Encoding: quoted-printable") {
		t.Fatalf("headers:\n%s", head)
	}
	if body != "nur Text: =C3=A4\r\n" {
		t.Fatalf("body %q", body)
	}
	e, err := parseHeaderSubject(got.Data)
	if err != nil || e != subject {
		t.Fatalf("subject %q: %v", e, err)
	}
}

func parseHeaderSubject(data []byte) (string, error) {
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return "", err
	}
	return new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
}
