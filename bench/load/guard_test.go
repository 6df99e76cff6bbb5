package load

import (
	"errors"
	"net"
	"testing"
	"time"
)

func TestCheckLoopbackURL(t *testing.T) {
	ok := map[string]string{
		"http://127.0.0.1:4433":       "http://127.0.0.1:4433",
		"http://127.0.0.1:4433/":      "http://127.0.0.1:4433",
		"http://127.1.2.3:80/prefix":  "http://127.1.2.3:80/prefix",
		"http://[::1]:4444":           "http://[::1]:4444",
		"https://localhost:8443":      "https://localhost:8443",
		"http://LOCALHOST:1":          "http://LOCALHOST:1",
		"http://[::ffff:127.0.0.1]:1": "http://[::ffff:127.0.0.1]:1",
	}
	for in, want := range ok {
		got, err := CheckLoopbackURL(in)
		if err != nil || got != want {
			t.Errorf("CheckLoopbackURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{
		"http://10.0.0.1:4433",
		"http://192.168.1.10",
		"http://example.com",
		"http://localhost.example.com",
		"http://127.0.0.1.nip.io",
		"http://[::2]:80",
		"http://0.0.0.0:4433",
		"ftp://127.0.0.1",
		"127.0.0.1:4433",
		"http://user:pw@127.0.0.1",
		"http://127.0.0.1/?q=1",
		"http://",
		"://bad",
	}
	for _, in := range bad {
		if got, err := CheckLoopbackURL(in); err == nil {
			t.Errorf("CheckLoopbackURL(%q) = %q, want an error", in, got)
		}
	}
}

func TestDialerRefusesNonLoopback(t *testing.T) {
	d := &net.Dialer{Timeout: time.Second, Control: loopbackOnly}
	// 192.0.2.0/24 is reserved for documentation; the hook refuses before connecting.
	if _, err := d.Dial("tcp", "192.0.2.1:80"); !errors.Is(err, errNotLoopback) {
		t.Fatalf("dial 192.0.2.1: %v, want errNotLoopback", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial loopback: %v", err)
	}
	c.Close()
}
