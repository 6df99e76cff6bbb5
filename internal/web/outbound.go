package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Outbound requests to URLs that configuration or API callers supply
// (web hooks, documents fetched by URL) go through a client that refuses to
// connect to private, loopback, link-local and other non-public addresses,
// so such a URL cannot reach the server's own network. The check is made on
// the address actually dialled, after DNS resolution and on every redirect,
// so a name that resolves to a private address is refused too.

// ErrPrivateAddress is the error of a refused connection.
var ErrPrivateAddress = errors.New("refusing to connect to a non-public address")

// OutboundOptions shape NewOutboundClient.
type OutboundOptions struct {
	// AllowPrivate turns the address check off (development, tests, or a
	// deployment whose hooks live on the private network).
	AllowPrivate bool
	// Allowed lists networks reachable even though they are not public.
	Allowed []netip.Prefix
	// Timeout bounds a whole request (default 10s).
	Timeout time.Duration
}

// PublicAddress tells whether a is a public unicast address.
func PublicAddress(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && a.IsGlobalUnicast() && !a.IsPrivate() && !a.IsLoopback() && !a.IsLinkLocalUnicast() &&
		!cgnat.Contains(a) && !a.IsUnspecified() && !a.IsMulticast()
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// NewOutboundClient returns an HTTP client for user-supplied URLs.
func NewOutboundClient(o OutboundOptions) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !o.AllowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrPrivateAddress, address)
			}
			if PublicAddress(ap.Addr()) {
				return nil
			}
			for _, p := range o.Allowed {
				if p.Contains(ap.Addr().Unmap()) {
					return nil
				}
			}
			return fmt.Errorf("%w: %s", ErrPrivateAddress, ap.Addr())
		}
	}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would hide the address dialled
		DialContext:           func(ctx context.Context, n, a string) (net.Conn, error) { return d.DialContext(ctx, n, a) },
		MaxIdleConns:          32,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: o.Timeout,
	}
	return &http.Client{Transport: tr, Timeout: o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("stopped after 5 redirects")
			}
			return nil
		}}
}
