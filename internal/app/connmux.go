package app

import (
	"bufio"
	"errors"
	"net"
	"sync"
	"time"
)

// connMux splits one listener by the first bytes of each connection: HTTP/2
// with prior knowledge (the preface "PRI * HTTP/2.0", which is how gRPC
// clients without TLS connect) goes to the native gRPC server, everything else
// to the HTTP server. Deciding per connection keeps gRPC on its own fast
// transport instead of tunnelling it through net/http.
type connMux struct {
	ln         net.Listener
	http, grpc *subListener
	closeOnce  sync.Once
}

func newConnMux(ln net.Listener) *connMux {
	m := &connMux{ln: ln}
	m.http = &subListener{parent: m, conns: make(chan net.Conn), done: make(chan struct{})}
	m.grpc = &subListener{parent: m, conns: make(chan net.Conn), done: make(chan struct{})}
	return m
}

// peekTimeout bounds how long a new connection may stay silent before it is
// dropped (it would otherwise hold a goroutine).
const peekTimeout = 10 * time.Second

// run accepts connections until the listener closes.
func (m *connMux) run() {
	for {
		c, err := m.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			m.Close()
			return
		}
		go m.route(c)
	}
}

func (m *connMux) route(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(peekTimeout))
	br := bufio.NewReader(c)
	// Three bytes tell "PRI" (the HTTP/2 preface) from every HTTP/1 method.
	head, err := br.Peek(3)
	_ = c.SetReadDeadline(time.Time{})
	if err != nil {
		c.Close()
		return
	}
	target := m.http
	if string(head) == "PRI" {
		target = m.grpc
	}
	target.deliver(&peekedConn{Conn: c, r: br})
}

// Close stops accepting and closes both sides.
func (m *connMux) Close() error {
	var err error
	m.closeOnce.Do(func() {
		err = m.ln.Close()
		close(m.http.done)
		close(m.grpc.done)
	})
	return err
}

// subListener is one side of the split, a net.Listener fed by the mux.
type subListener struct {
	parent *connMux
	conns  chan net.Conn
	done   chan struct{}
}

func (l *subListener) deliver(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *subListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close closes the whole mux: the HTTP and gRPC servers each close their
// listener on shutdown, and either means the port is going away.
func (l *subListener) Close() error   { return l.parent.Close() }
func (l *subListener) Addr() net.Addr { return l.parent.ln.Addr() }

// peekedConn replays the bytes the mux peeked at.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
