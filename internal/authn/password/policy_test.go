package password

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPolicyLengths(t *testing.T) {
	p := DefaultPolicy()
	ctx := context.Background()

	err := p.Validate(ctx, "", "short")
	var pe *PolicyError
	if !errors.As(err, &pe) || pe.ID != MessageTooShort {
		t.Fatalf("short password: %v", err)
	}
	if pe.Text != "The password must be at least 8 characters long, but got 5." {
		t.Errorf("text %q", pe.Text)
	}
	if pe.Context["min_length"] != 8 || pe.Context["actual_length"] != 5 {
		t.Errorf("context %v", pe.Context)
	}
	// Characters, not bytes: eight two-byte characters are enough.
	if err := p.Validate(ctx, "", "ääääääää"); err != nil {
		t.Errorf("8 characters of 16 bytes: %v", err)
	}
	if err := p.Validate(ctx, "", "äääääää"); err == nil {
		t.Error("7 characters of 14 bytes accepted")
	}

	err = p.Validate(ctx, "", strings.Repeat("x", DefaultMaxLength+1))
	if !errors.As(err, &pe) || pe.ID != MessageTooLong {
		t.Fatalf("long password: %v", err)
	}
	if pe.Text != "The password must be at most 1024 characters long, but got 1025." ||
		pe.Context["max_length"] != 1024 || pe.Context["actual_length"] != 1025 {
		t.Errorf("too long: %q %v", pe.Text, pe.Context)
	}
	if err := p.Validate(ctx, "", strings.Repeat("x", DefaultMaxLength)); err != nil {
		t.Errorf("password of the maximum length: %v", err)
	}

	custom := Policy{MinLength: 12, MaxLength: 16}
	if err := custom.Validate(ctx, "", "elevenchars"); !errors.As(err, &pe) || pe.ID != MessageTooShort {
		t.Errorf("custom minimum: %v", err)
	}
	if err := custom.Validate(ctx, "", "seventeen chars!!"); !errors.As(err, &pe) || pe.ID != MessageTooLong {
		t.Errorf("custom maximum: %v", err)
	}
	// The zero value uses the default lengths.
	if err := (Policy{}).Validate(ctx, "", "1234567"); !errors.As(err, &pe) || pe.ID != MessageTooShort {
		t.Errorf("zero policy: %v", err)
	}
}

func TestPolicySimilarity(t *testing.T) {
	tests := []struct {
		identifier, password string
		similar              bool
	}{
		{"alice@example.com", "alice@example.com", true},
		{"alice@example.com", "alice@example.com1", true},
		{"alice@example.com", "ALICE@EXAMPLE.COM!", true}, // case-insensitive
		{"alice@example.com", "example1", true},           // the password is mostly the identifier
		{"alice@example.com", "ample.co", true},           // the password lies inside the identifier
		{"ＡＬＩＣＥ＿ｂｏｂ", "alice_bob99", true},                // NFKC folds full-width forms
		{"straße", "STRASSE12", true},                     // case folding maps ß to ss
		{"alice@example.com", "alice-likes-long-walks", false},
		{"alice@example.com", "correct horse battery", false},
		{"bob", "bob-correct-horse", false}, // a short identifier inside a long password
		{"", "anything at all", false},
		{"jo", "jojojojo", false},
		{"12345678", "x12345678", true},
		{"abcdefgh", "abcd1234", true},  // exactly half
		{"abcdefgh", "abc12345", false}, // under half
	}
	for _, tt := range tests {
		if got := TooSimilar(tt.identifier, tt.password); got != tt.similar {
			t.Errorf("TooSimilar(%q, %q) = %v, want %v", tt.identifier, tt.password, got, tt.similar)
		}
	}

	ctx := context.Background()
	p := DefaultPolicy()
	var pe *PolicyError
	err := p.Validate(ctx, "alice@example.com", "alice@example.com1")
	if !errors.As(err, &pe) || pe.ID != MessageTooSimilar ||
		pe.Text != "The password can not be used because it is too similar to the identifier." {
		t.Fatalf("similar: %v", err)
	}
	p.IdentifierSimilarity = false
	if err := p.Validate(ctx, "alice@example.com", "alice@example.com1"); err != nil {
		t.Fatalf("similarity off: %v", err)
	}
	// A huge identifier is cut, not compared in full.
	start := time.Now()
	TooSimilar(strings.Repeat("ab", 100000), strings.Repeat("x", 4096))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("similarity of huge inputs took %v", d)
	}
}

// rangeServer is a fake k-anonymity range API holding a few passwords.
type rangeServer struct {
	*httptest.Server
	requests atomic.Int64
	mu       sync.Mutex
	fail     bool
	status   int
	body     string // replaces the answer when set
}

func newRangeServer(t *testing.T, counts map[string]int) *rangeServer {
	t.Helper()
	ranges := map[string][]string{}
	for pw, n := range counts {
		sum := sha1.Sum([]byte(pw))
		h := strings.ToUpper(hex.EncodeToString(sum[:]))
		ranges[h[:5]] = append(ranges[h[:5]], fmt.Sprintf("%s:%d", h[5:], n))
	}
	rs := &rangeServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.requests.Add(1)
		rs.mu.Lock()
		fail, status, body := rs.fail, rs.status, rs.body
		rs.mu.Unlock()
		if fail {
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
			return
		}
		if status != 0 {
			w.WriteHeader(status)
			return
		}
		if r.Header.Get("Add-Padding") != "true" || r.Header.Get("User-Agent") == "" {
			t.Errorf("request headers %v", r.Header)
		}
		prefix, ok := strings.CutPrefix(r.URL.Path, "/range/")
		if !ok || len(prefix) != 5 || strings.ToUpper(prefix) != prefix {
			t.Errorf("request path %q", r.URL.Path)
		}
		if body != "" {
			fmt.Fprint(w, body)
			return
		}
		// Unrelated suffixes and zero-count padding around the real ones.
		fmt.Fprint(w, "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n")
		fmt.Fprint(w, "00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0\r\n")
		for _, line := range ranges[prefix] {
			fmt.Fprintf(w, "%s\r\n", line)
		}
		fmt.Fprint(w, "FFFFF6E8FA6EECAD2A3AA415EEC418D38EC:0")
	}))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *rangeServer) set(fail bool, status int, body string) {
	rs.mu.Lock()
	rs.fail, rs.status, rs.body = fail, status, body
	rs.mu.Unlock()
}

func TestBreachChecker(t *testing.T) {
	rs := newRangeServer(t, map[string]int{"password123": 251682, "once-leaked-pw": 1})
	b, err := NewBreachChecker(BreachConfig{Host: rs.URL + "/", Client: rs.Client()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for pw, want := range map[string]int64{"password123": 251682, "once-leaked-pw": 1, "never-seen-before-xyz": 0} {
		got, err := b.Count(ctx, pw)
		if err != nil || got != want {
			t.Errorf("Count(%q) = %d, %v; want %d", pw, got, err, want)
		}
	}

	// A second lookup of the same prefix is served from the cache.
	before := rs.requests.Load()
	if n, _ := b.Count(ctx, "password123"); n != 251682 {
		t.Fatal("cached count differs")
	}
	if rs.requests.Load() != before {
		t.Fatal("cached range fetched again")
	}
	// After the TTL it is fetched again.
	now := time.Now()
	b.now = func() time.Time { return now.Add(2 * DefaultBreachTTL) }
	if _, err := b.Count(ctx, "password123"); err != nil {
		t.Fatal(err)
	}
	if rs.requests.Load() != before+1 {
		t.Fatal("expired range not fetched again")
	}
}

func TestBreachCheckerCacheBound(t *testing.T) {
	rs := newRangeServer(t, nil)
	b, err := NewBreachChecker(BreachConfig{Host: rs.URL, Client: rs.Client(), CacheSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := b.Count(context.Background(), fmt.Sprintf("pw-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := b.cacheLen(); n != 3 {
		t.Fatalf("cache holds %d ranges, want 3", n)
	}
}

func TestBreachCheckerFailures(t *testing.T) {
	rs := newRangeServer(t, map[string]int{"password123": 5})
	ctx := context.Background()
	newChecker := func(cfg BreachConfig) *BreachChecker {
		t.Helper()
		cfg.Host, cfg.CacheTTL = rs.URL, -1
		if cfg.Client == nil {
			cfg.Client = rs.Client()
		}
		b, err := NewBreachChecker(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b := newChecker(BreachConfig{})
	for name, set := range map[string]func(){
		"connection reset": func() { rs.set(true, 0, "") },
		"status 503":       func() { rs.set(false, 503, "") },
		"not a range":      func() { rs.set(false, 0, "<html>rate limited</html>") },
		"bad count":        func() { rs.set(false, 0, "0018A45C4D1DEF81644B54AB7F969B88D65:many") },
		"bad hex":          func() { rs.set(false, 0, "ZZ18A45C4D1DEF81644B54AB7F969B88D65:1") },
	} {
		set()
		if _, err := b.Count(ctx, "password123"); !errors.Is(err, ErrBreachCheckFailed) {
			t.Errorf("%s: err = %v, want ErrBreachCheckFailed", name, err)
		}
	}
	rs.set(false, 0, "")

	// A server that does not answer in time.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	sb, _ := NewBreachChecker(BreachConfig{Host: slow.URL, Client: slow.Client(), Timeout: 50 * time.Millisecond})
	start := time.Now()
	if _, err := sb.Count(ctx, "password123"); !errors.Is(err, ErrBreachCheckFailed) {
		t.Errorf("timeout: err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("timeout took %v", d)
	}

	if _, err := NewBreachChecker(BreachConfig{Host: "ftp://example"}); err == nil {
		t.Error("ftp host accepted")
	}
}

func TestPolicyBreaches(t *testing.T) {
	rs := newRangeServer(t, map[string]int{"password123": 251682, "rarely-leaked-pw": 2})
	b, err := NewBreachChecker(BreachConfig{Host: rs.URL, Client: rs.Client(), CacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := DefaultPolicy()
	p.Breaches = b

	var pe *PolicyError
	err = p.Validate(ctx, "someone", "password123")
	if !errors.As(err, &pe) || pe.ID != MessageBreached ||
		pe.Text != "The password has been found in data breaches and must no longer be used." ||
		pe.Context["breaches"] != int64(251682) {
		t.Fatalf("breached password: %v (%+v)", err, pe)
	}
	if err := p.Validate(ctx, "someone", "rarely-leaked-pw"); !errors.As(err, &pe) || pe.ID != MessageBreached {
		t.Fatalf("MaxBreaches 0 accepts a breached password: %v", err)
	}
	p.MaxBreaches = 2
	if err := p.Validate(ctx, "someone", "rarely-leaked-pw"); err != nil {
		t.Fatalf("2 breaches with MaxBreaches 2: %v", err)
	}
	if err := p.Validate(ctx, "someone", "unbreached-and-long"); err != nil {
		t.Fatalf("clean password: %v", err)
	}

	// Network failure: ignored by default, reported when configured.
	rs.set(true, 0, "")
	if err := p.Validate(ctx, "someone", "password123"); err != nil {
		t.Fatalf("network error not ignored: %v", err)
	}
	p.IgnoreNetworkErrors = false
	if err := p.Validate(ctx, "someone", "password123"); !errors.Is(err, ErrBreachCheckFailed) {
		t.Fatalf("network error: err = %v, want ErrBreachCheckFailed", err)
	}
	var asPolicy *PolicyError
	if errors.As(p.Validate(ctx, "someone", "password123"), &asPolicy) {
		t.Fatal("a network error is reported as a policy violation")
	}

	// An unreachable host (a closed port on 127.0.0.1).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	down, _ := NewBreachChecker(BreachConfig{Host: "http://" + addr})
	p2 := DefaultPolicy()
	p2.Breaches = down
	if err := p2.Validate(ctx, "someone", "password123"); err != nil {
		t.Fatalf("unreachable host not ignored: %v", err)
	}

	// The caller's context ending is never ignored.
	rs.set(false, 0, "")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	p.IgnoreNetworkErrors = true
	if err := p.Validate(cctx, "someone", "password123"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: err = %v", err)
	}
	// Length and similarity are decided before any request.
	before := rs.requests.Load()
	_ = p.Validate(ctx, "someone", "short")
	_ = p.Validate(ctx, "someone@example.com", "someone@example.com")
	if rs.requests.Load() != before {
		t.Fatal("breach check ran for a password refused earlier")
	}
}

func TestBreachCheckerSingleFlight(t *testing.T) {
	gate := make(chan struct{})
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		<-gate
		fmt.Fprint(w, "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n")
	}))
	defer srv.Close()
	b, _ := NewBreachChecker(BreachConfig{Host: srv.URL, Client: srv.Client()})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := b.Count(context.Background(), "same password"); err != nil {
				t.Error(err)
			}
		}()
	}
	waitFor(t, func() bool { return requests.Load() >= 1 })
	time.Sleep(20 * time.Millisecond)
	close(gate)
	wg.Wait()
	if n := requests.Load(); n != 1 {
		t.Fatalf("%d requests for one prefix, want 1", n)
	}
}
