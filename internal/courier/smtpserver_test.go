package courier_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one email an in-process SMTP server accepted.
type received struct {
	Hello string   // the client's EHLO name
	From  string   // MAIL FROM
	To    []string // RCPT TO
	Data  []byte
	TLS   bool   // the transfer ran over TLS
	User  string // the authenticated user, if any
	SNI   string // the TLS server name the client asked for
}

// serverOptions shape an in-process SMTP server (github.com/emersion/go-smtp)
// on 127.0.0.1.
type serverOptions struct {
	// TLS offers STARTTLS with a fresh self-signed certificate; with
	// Implicit the listener speaks TLS from the first byte instead.
	TLS, Implicit bool
	// Users requires AUTH PLAIN with one of these user/password pairs.
	Users map[string]string
	// InsecureAuth offers AUTH without TLS.
	InsecureAuth bool
	// Reject, when set, is asked at "rcpt" and "data" (after the data was
	// read) with the number of the transaction (from 1): a non-nil
	// error is the server's answer.
	Reject func(stage string, transaction int) error
}

type testSMTP struct {
	Addr string
	mail chan received

	mu           sync.Mutex
	transactions int
	sni          string
}

func startSMTP(t *testing.T, o serverOptions) *testSMTP {
	t.Helper()
	ts := &testSMTP{mail: make(chan received, 100)}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &testSession{srv: ts, opts: o, conn: c}, nil
	})
	s := smtp.NewServer(be)
	s.Domain = "mx.test"
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.AllowInsecureAuth = o.InsecureAuth
	s.ErrorLog = log.New(io.Discard, "", 0)
	var cfg *tls.Config
	if o.TLS || o.Implicit {
		cfg = &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
		cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			ts.mu.Lock()
			ts.sni = hello.ServerName
			ts.mu.Unlock()
			return nil, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.Implicit {
		l = tls.NewListener(l, cfg)
	} else if o.TLS {
		s.TLSConfig = cfg
	}
	ts.Addr = l.Addr().String()
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return ts
}

// next waits for the next accepted email.
func (ts *testSMTP) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-ts.mail:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("no email arrived")
	}
	return received{}
}

type testSession struct {
	srv  *testSMTP
	opts serverOptions
	conn *smtp.Conn
	user string
	cur  received
	n    int
}

func (s *testSession) AuthMechanisms() []string {
	if s.opts.Users == nil {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *testSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if want, ok := s.opts.Users[user]; !ok || want != pass {
			return errors.New("invalid credentials")
		}
		s.user = user
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.opts.Users != nil && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.srv.mu.Lock()
	s.srv.transactions++
	s.n = s.srv.transactions
	s.srv.mu.Unlock()
	s.cur = received{From: from, Hello: s.conn.Hostname(), User: s.user}
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.opts.Reject != nil {
		if err := s.opts.Reject("rcpt", s.n); err != nil {
			return err
		}
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.opts.Reject != nil {
		if err := s.opts.Reject("data", s.n); err != nil {
			return err
		}
	}
	s.cur.Data = b
	_, s.cur.TLS = s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	s.cur.SNI = s.srv.sni
	s.srv.mu.Unlock()
	s.srv.mail <- s.cur
	return nil
}

func (s *testSession) Reset()        { s.cur = received{} }
func (s *testSession) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and mail.test that no one
// trusts.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mail.test"},
		DNSNames:     []string{"mail.test"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
