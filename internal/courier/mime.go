package courier

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// compose writes e as an RFC 5322 message with CRLF line ends: the headers
// (From, To, Subject encoded as RFC 2047 words when it is not plain ASCII,
// Date, Message-ID, MIME-Version, the configured extra headers), then a
// multipart/alternative body with the plain-text and HTML parts, or only a
// plain-text body when there is no HTML. Bodies are quoted-printable UTF-8.
func (s *SMTPSender) compose(e Email, now time.Time) ([]byte, error) {
	to, err := mail.ParseAddress(e.To)
	if err != nil || to.Name != "" {
		return nil, fmt.Errorf("%q is not an email address", e.To)
	}
	var id [16]byte
	_, _ = rand.Read(id[:])
	var b bytes.Buffer
	header := func(k, v string) {
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteString("\r\n")
	}
	header("From", s.from.String())
	header("To", to.String())
	header("Subject", encodeSubject(e.Subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id[:])+"@"+s.fromDomain+">")
	header("MIME-Version", "1.0")
	for _, h := range s.extraHeaders {
		header(h[0], mime.QEncoding.Encode("utf-8", h[1]))
	}
	if e.HTML == "" {
		header("Content-Type", "text/plain; charset=utf-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, e.Plaintext); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	for _, p := range []struct{ typ, text string }{{"text/plain", e.Plaintext}, {"text/html", e.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		var part bytes.Buffer
		if err := writeQP(&part, p.text); err != nil {
			return nil, err
		}
		if _, err := w.Write(part.Bytes()); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	b.Write(body.Bytes())
	return b.Bytes(), nil
}

// writeQP writes text quoted-printable, its line breaks as CRLF.
func writeQP(b *bytes.Buffer, text string) error {
	w := quotedprintable.NewWriter(b)
	if _, err := w.Write([]byte(text)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return nil
}

// encodeSubject returns the subject as a header value: one line, RFC 2047
// encoded when needed, folded so no line grows past 78 characters.
func encodeSubject(s string) string {
	enc := mime.QEncoding.Encode("utf-8", oneLine(s))
	var out strings.Builder
	lineLen := len("Subject: ")
	for i, word := range strings.Split(enc, " ") {
		switch {
		case lineLen+1+len(word) > 78:
			// Fold (before the first word too: "Subject: " then CRLF is
			// folding white space like any other).
			out.WriteString("\r\n ")
			lineLen = 1
		case i > 0:
			out.WriteByte(' ')
			lineLen++
		}
		out.WriteString(word)
		lineLen += len(word)
	}
	return out.String()
}
