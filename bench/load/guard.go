package load

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// CheckLoopbackURL parses raw and returns it without a trailing slash when it is
// an http(s) URL whose host is loopback: 127.0.0.0/8, ::1 or "localhost".
func CheckLoopbackURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("base URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("base URL %q: scheme must be http or https", raw)
	}
	if u.User != nil {
		return "", fmt.Errorf("base URL %q: user info is not allowed", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("base URL %q: query and fragment are not allowed", raw)
	}
	if !IsLoopbackHost(u.Hostname()) {
		return "", fmt.Errorf("base URL %q: host %q is not loopback (127.0.0.0/8, ::1, localhost); the harness only loads this machine", raw, u.Hostname())
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// IsLoopbackHost reports whether host (without port) is "localhost" or a
// loopback IP literal.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var errNotLoopback = errors.New("refusing to connect to a non-loopback address")

// loopbackOnly is a net.Dialer Control hook: it runs after name resolution, so a
// "localhost" that resolves elsewhere is refused too.
func loopbackOnly(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", errNotLoopback, address)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: %s", errNotLoopback, address)
	}
	return nil
}
