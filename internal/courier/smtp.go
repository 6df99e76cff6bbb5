package courier

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Email is one email to deliver.
type Email struct {
	To        string // a bare address
	Subject   string
	Plaintext string
	HTML      string // empty: a plain-text email
}

// Sender delivers emails. Send returns once the server accepted the email
// or refused it; an error from the server's reply wraps a
// *textproto.Error carrying its code.
type Sender interface {
	Send(ctx context.Context, e Email) error
}

// SMTPOptions configure an SMTP sender, with Kratos's courier.smtp keys.
//
// ConnectionURI is smtp://[user:password@]host[:port]/ (port 25 by default),
// which requires STARTTLS unless ?disable_starttls=true, or
// smtps://[user:password@]host[:port]/ (port 465 by default) for implicit
// TLS. ?skip_ssl_verify=true accepts any server certificate;
// ?server_name=NAME checks the certificate against NAME instead of the host.
type SMTPOptions struct {
	ConnectionURI  string
	FromAddress    string // default no-reply@localhost
	FromName       string
	Headers        map[string]string // added to every email
	LocalName      string            // for EHLO; default localhost
	ClientCertPath string            // client certificate (PEM), with ClientKeyPath
	ClientKeyPath  string
	// Timeout bounds one delivery, connection included; default 30s.
	Timeout time.Duration
}

// SMTPSender delivers email to one SMTP server.
type SMTPSender struct {
	addr         string
	implicitTLS  bool
	startTLS     bool
	tls          *tls.Config
	user, pass   string
	hasAuth      bool
	localName    string
	from         mail.Address
	fromDomain   string
	extraHeaders [][2]string
	timeout      time.Duration
}

// structuralHeaders are set by the sender and may not be configured.
var structuralHeaders = []string{"From", "To", "Subject", "Date", "Message-Id", "Mime-Version",
	"Content-Type", "Content-Transfer-Encoding", "Cc", "Bcc"}

// NewSMTPSender checks o and returns the sender. Nothing is dialled yet.
func NewSMTPSender(o SMTPOptions) (*SMTPSender, error) {
	u, err := url.Parse(o.ConnectionURI)
	if err != nil || u.Host == "" {
		return nil, errors.New("smtp.connection_uri: must be smtp://host:port/ or smtps://host:port/")
	}
	s := &SMTPSender{timeout: o.Timeout, localName: o.LocalName}
	if s.timeout <= 0 {
		s.timeout = 30 * time.Second
	}
	if s.localName == "" {
		s.localName = "localhost"
	}
	if strings.ContainsAny(s.localName, "\r\n ") {
		return nil, errors.New("smtp.local_name: must be one word")
	}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		if port == "" {
			port = "25"
		}
	case "smtps":
		s.implicitTLS = true
		if port == "" {
			port = "465"
		}
	default:
		return nil, fmt.Errorf("smtp.connection_uri: the scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("smtp.connection_uri: %q is not a port", port)
	}
	host := u.Hostname()
	s.addr = net.JoinHostPort(host, port)
	q := u.Query()
	flag := func(name string) (bool, error) {
		v := q.Get(name)
		if v == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("smtp.connection_uri: %s must be true or false, not %q", name, v)
		}
		return b, nil
	}
	disableStartTLS, err := flag("disable_starttls")
	if err != nil {
		return nil, err
	}
	skipVerify, err := flag("skip_ssl_verify")
	if err != nil {
		return nil, err
	}
	s.startTLS = !s.implicitTLS && !disableStartTLS
	serverName := host
	if n := q.Get("server_name"); n != "" {
		serverName = n
	}
	// InsecureSkipVerify only when the operator asked for it (skip_ssl_verify).
	s.tls = &tls.Config{ServerName: serverName, InsecureSkipVerify: skipVerify, MinVersion: tls.VersionTLS12}
	if o.ClientCertPath != "" || o.ClientKeyPath != "" {
		cert, err := tls.LoadX509KeyPair(o.ClientCertPath, o.ClientKeyPath)
		if err != nil {
			return nil, fmt.Errorf("smtp.client_cert_path, smtp.client_key_path: %w", err)
		}
		s.tls.Certificates = []tls.Certificate{cert}
	}
	if u.User != nil {
		s.hasAuth = true
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}

	from := o.FromAddress
	if from == "" {
		from = "no-reply@localhost"
	}
	a, err := mail.ParseAddress(from)
	if err != nil || a.Name != "" || a.Address != from {
		return nil, fmt.Errorf("smtp.from_address: %q is not an email address", from)
	}
	if strings.ContainsAny(o.FromName, "\r\n") {
		return nil, errors.New("smtp.from_name: must be one line")
	}
	s.from = mail.Address{Name: o.FromName, Address: a.Address}
	s.fromDomain = a.Address[strings.LastIndexByte(a.Address, '@')+1:]

	names := make([]string, 0, len(o.Headers))
	for k := range o.Headers {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		v := o.Headers[k]
		if !validHeaderName(k) {
			return nil, fmt.Errorf("smtp.headers: %q is not a header name", k)
		}
		if slices.Contains(structuralHeaders, textproto.CanonicalMIMEHeaderKey(k)) {
			return nil, fmt.Errorf("smtp.headers: %s is set by the courier itself", k)
		}
		if strings.ContainsAny(v, "\r\n") {
			return nil, fmt.Errorf("smtp.headers: the value of %s must be one line", k)
		}
		s.extraHeaders = append(s.extraHeaders, [2]string{k, v})
	}
	return s, nil
}

// validHeaderName reports whether k is a field name (RFC 5322 section
// 3.6.8): printable ASCII without the colon.
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

// Send delivers e: it connects, says EHLO, secures the connection (implicit
// TLS or STARTTLS, unless disabled), authenticates when the URI has a user,
// and transfers the email.
func (s *SMTPSender) Send(ctx context.Context, e Email) error {
	msg, err := s.compose(e, time.Now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	conn, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The net/smtp client has no context: the deadline bounds every read and
	// write, and cancelling closes the connection.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	err = s.transfer(conn, e.To, msg)
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("smtp %s: %w (%w)", s.addr, ctx.Err(), err)
	}
	return err
}

func (s *SMTPSender) dial(ctx context.Context) (net.Conn, error) {
	d := &net.Dialer{}
	if s.implicitTLS {
		td := &tls.Dialer{NetDialer: d, Config: s.tls}
		conn, err := td.DialContext(ctx, "tcp", s.addr)
		if err != nil {
			return nil, fmt.Errorf("smtp: connect to %s with TLS: %w", s.addr, err)
		}
		return conn, nil
	}
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return nil, fmt.Errorf("smtp: connect to %s: %w", s.addr, err)
	}
	return conn, nil
}

func (s *SMTPSender) transfer(conn net.Conn, to string, msg []byte) error {
	c, err := smtp.NewClient(conn, s.tls.ServerName)
	if err != nil {
		return fmt.Errorf("smtp %s: greeting: %w", s.addr, err)
	}
	defer c.Close()
	if err := c.Hello(s.localName); err != nil {
		return fmt.Errorf("smtp %s: EHLO: %w", s.addr, err)
	}
	if s.startTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("smtp %s: the server does not offer STARTTLS (add ?disable_starttls=true to the connection URI to send in clear text)", s.addr)
		}
		if err := c.StartTLS(s.tls); err != nil {
			return fmt.Errorf("smtp %s: STARTTLS: %w", s.addr, err)
		}
	}
	if s.hasAuth {
		ok, mechs := c.Extension("AUTH")
		if !ok {
			return fmt.Errorf("smtp %s: the connection URI has credentials but the server offers no AUTH", s.addr)
		}
		if err := c.Auth(s.auth(strings.Fields(strings.ToUpper(mechs)))); err != nil {
			return fmt.Errorf("smtp %s: AUTH: %w", s.addr, err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("smtp %s: MAIL FROM: %w", s.addr, err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("smtp %s: RCPT TO: %w", s.addr, err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", s.addr, err)
	}
	if _, err := w.Write(msg); err != nil {
		_ = w.Close()
		return fmt.Errorf("smtp %s: DATA: %w", s.addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", s.addr, err)
	}
	// The server took the email; a failed QUIT does not undo that.
	_ = c.Quit()
	return nil
}

// auth picks PLAIN, else LOGIN, else CRAM-MD5 among the offered mechanisms.
// Credentials travel in clear text only when the operator turned STARTTLS
// off.
func (s *SMTPSender) auth(offered []string) smtp.Auth {
	cleartext := !s.implicitTLS && !s.startTLS
	switch {
	case slices.Contains(offered, "PLAIN"):
		return &plainAuth{user: s.user, pass: s.pass, cleartext: cleartext}
	case slices.Contains(offered, "LOGIN"):
		return &loginAuth{user: s.user, pass: s.pass, cleartext: cleartext}
	case slices.Contains(offered, "CRAM-MD5"):
		return smtp.CRAMMD5Auth(s.user, s.pass)
	}
	return &plainAuth{user: s.user, pass: s.pass, cleartext: cleartext}
}

var errCleartextAuth = errors.New("refusing to send credentials over an unencrypted connection")

// plainAuth is SASL PLAIN (RFC 4616).
type plainAuth struct {
	user, pass string
	cleartext  bool
}

func (a *plainAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !a.cleartext {
		return "", nil, errCleartextAuth
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a *plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge after PLAIN")
	}
	return nil, nil
}

// loginAuth is the LOGIN mechanism some servers offer instead of PLAIN.
type loginAuth struct {
	user, pass string
	cleartext  bool
	step       int
}

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !a.cleartext {
		return "", nil, errCleartextAuth
	}
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(challenge []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	c := strings.ToLower(string(challenge))
	switch {
	case strings.Contains(c, "user"):
		return []byte(a.user), nil
	case strings.Contains(c, "pass"):
		return []byte(a.pass), nil
	case a.step == 1:
		return []byte(a.user), nil
	case a.step == 2:
		return []byte(a.pass), nil
	}
	return nil, errors.New("unexpected server challenge after LOGIN")
}

// ReplyCode returns the SMTP reply code carried by err, or 0.
func ReplyCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}
