package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden/internal/storage"
)

type envelopeT struct {
	Error struct {
		ID      string         `json:"id"`
		Code    int            `json:"code"`
		Status  string         `json:"status"`
		Request string         `json:"request"`
		Reason  string         `json:"reason"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

func newServer(t *testing.T, logs io.Writer) (*httptest.Server, *Metrics) {
	t.Helper()
	r := NewRouter()
	r.Handle("GET /ok", func(w http.ResponseWriter, r *http.Request) error {
		WriteJSON(w, 200, map[string]string{"hello": "world"})
		return nil
	})
	r.Handle("GET /missing", func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("loading thing: %w", storage.ErrNotFound)
	})
	r.Handle("GET /conflict", func(w http.ResponseWriter, r *http.Request) error { return storage.ErrConflict })
	r.Handle("GET /boom", func(w http.ResponseWriter, r *http.Request) error {
		return errors.New("secret internal detail")
	})
	r.Handle("GET /panic", func(w http.ResponseWriter, r *http.Request) error { panic("kaboom") })
	r.Handle("GET /custom", func(w http.ResponseWriter, r *http.Request) error {
		return Forbidden("No way.").WithID("security_csrf_violation")
	})
	r.Handle("POST /echo", func(w http.ResponseWriter, r *http.Request) error {
		var v struct {
			Name string `json:"name"`
			Age  int    `json:"age"`
		}
		if err := DecodeJSON(r, &v); err != nil {
			return err
		}
		WriteJSON(w, 200, v)
		return nil
	})
	m := NewMetrics()
	log := slog.New(slog.NewJSONHandler(logs, nil))
	srv := httptest.NewServer(Wrap(r, Options{Name: "public", Logger: log, Metrics: m, MaxBodyBytes: 1024}))
	t.Cleanup(srv.Close)
	return srv, m
}

func call(t *testing.T, method, url, ctype, body string) (*http.Response, envelopeT) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var e envelopeT
	if res.StatusCode >= 400 {
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("%s %s: body is not the envelope: %s", method, url, b)
		}
	}
	return res, e
}

func TestErrorEnvelope(t *testing.T) {
	var logs bytes.Buffer
	srv, _ := newServer(t, &logs)
	for _, tc := range []struct {
		method, path, ctype, body string
		code                      int
		reason, id                string
	}{
		{"GET", "/missing", "", "", 404, "Unable to locate", ""},
		{"GET", "/nowhere", "", "", 404, "No route matches GET /nowhere", ""},
		{"GET", "/conflict", "", "", 409, "exists already", ""},
		{"GET", "/boom", "", "", 500, "", ""},
		{"GET", "/panic", "", "", 500, "", ""},
		{"GET", "/custom", "", "", 403, "No way.", "security_csrf_violation"},
		{"POST", "/echo", "application/json", `{"name":`, 400, "unexpected end", ""},
		{"POST", "/echo", "application/json", `{"name": 5}`, 400, "Field name must be a string", ""},
		{"POST", "/echo", "application/json", `{"age": "x"}`, 400, "Field age must be an integer", ""},
		{"POST", "/echo", "application/json", `{} {}`, 400, "exactly one JSON value", ""},
		{"POST", "/echo", "application/json", ``, 400, "empty", ""},
		{"POST", "/echo", "text/plain", `{}`, 415, "Content-Type", ""},
		{"POST", "/echo", "application/json", `{"name":"` + strings.Repeat("a", 4096) + `"}`, 413, "exceeds 1024 bytes", ""},
	} {
		t.Run(tc.method+tc.path+tc.body[:min(len(tc.body), 10)], func(t *testing.T) {
			res, e := call(t, tc.method, srv.URL+tc.path, tc.ctype, tc.body)
			if res.StatusCode != tc.code || e.Error.Code != tc.code {
				t.Fatalf("status %d / envelope code %d, want %d (%+v)", res.StatusCode, e.Error.Code, tc.code, e)
			}
			if e.Error.Status != http.StatusText(tc.code) || e.Error.Message == "" {
				t.Fatalf("status text/message: %+v", e.Error)
			}
			if !strings.Contains(e.Error.Reason, tc.reason) || e.Error.ID != tc.id {
				t.Fatalf("reason %q id %q, want %q %q", e.Error.Reason, e.Error.ID, tc.reason, tc.id)
			}
			if e.Error.Request == "" || e.Error.Request != res.Header.Get("X-Request-Id") {
				t.Fatalf("request id %q vs header %q", e.Error.Request, res.Header.Get("X-Request-Id"))
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Fatalf("content type %q", ct)
			}
		})
	}
	if strings.Contains(logs.String(), "secret internal detail") == false {
		t.Fatal("the 500 cause must be logged")
	}
	res, e := call(t, "GET", srv.URL+"/boom", "", "")
	_ = res
	if strings.Contains(e.Error.Reason+e.Error.Message, "secret") {
		t.Fatal("internal detail leaked to the client")
	}
	if !strings.Contains(logs.String(), `"stack"`) || !strings.Contains(logs.String(), "kaboom") {
		t.Fatal("panic must be logged with its stack")
	}
}

func TestSecurityHeadersAndRequestLog(t *testing.T) {
	var logs bytes.Buffer
	srv, _ := newServer(t, &logs)
	res, _ := call(t, "GET", srv.URL+"/ok?token=abc", "", "")
	for h, want := range map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Content-Security-Policy": defaultCSP,
	} {
		if got := res.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(l, `"msg":"request"`) {
			_ = json.Unmarshal([]byte(l), &line)
		}
	}
	if line["route"] != "GET /ok" || line["status"] != float64(200) || line["request_id"] != res.Header.Get("X-Request-Id") {
		t.Fatalf("access log line: %v", line)
	}
	if strings.Contains(logs.String(), "token=abc") {
		t.Fatal("query strings must not be logged")
	}
}

func TestClientRequestIDIsNotTrustedByDefault(t *testing.T) {
	srv, _ := newServer(t, io.Discard)
	req, _ := http.NewRequest("GET", srv.URL+"/ok", nil)
	req.Header.Set("X-Request-Id", "abc")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("X-Request-Id") == "abc" {
		t.Fatal("public listener took a client-chosen request id")
	}
	if sanitizeRequestID("ok-id_1.2") != "ok-id_1.2" || sanitizeRequestID("bad id\n") != "" || sanitizeRequestID(strings.Repeat("a", 65)) != "" {
		t.Fatal("sanitizeRequestID")
	}
}

func TestMetricsCountByRoute(t *testing.T) {
	srv, m := newServer(t, io.Discard)
	for i := 0; i < 3; i++ {
		call(t, "GET", srv.URL+"/ok", "", "")
	}
	call(t, "GET", srv.URL+"/missing", "", "")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`warden_http_requests_total{code="200",listener="public",method="GET",route="GET /ok"} 3`,
		`warden_http_requests_total{code="404",listener="public",method="GET",route="GET /missing"} 1`,
		`warden_http_request_duration_seconds_count{listener="public",method="GET",route="GET /ok"} 3`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"name":"a","age":1}`, `{`, `[]`, `null`, `{"age":1e400}`, "\x00", `{"name":"\ud800"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		var v struct {
			Name string `json:"name"`
			Age  int    `json:"age"`
		}
		err := DecodeJSON(req, &v)
		if err != nil {
			var we *Error
			if !errors.As(err, &we) || we.Code < 400 || we.Code > 499 {
				t.Fatalf("decode error is not a client error: %v", err)
			}
		}
	})
}

func BenchmarkMiddleware(b *testing.B) {
	r := NewRouter()
	r.Handle("GET /health/alive", func(w http.ResponseWriter, r *http.Request) error {
		WriteJSON(w, 200, map[string]string{"status": "ok"})
		return nil
	})
	h := Wrap(r, Options{Name: "public", Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Metrics: NewMetrics()})
	req := httptest.NewRequest("GET", "/health/alive", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
	}
}

func TestOutboundClientRefusesPrivateAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer srv.Close()
	_, err := NewOutboundClient(OutboundOptions{}).Get(srv.URL)
	if !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("loopback reached: %v", err)
	}
	for _, u := range []string{"http://localhost:1/", "http://10.1.2.3:1/", "http://[::1]:1/", "http://169.254.169.254/latest/meta-data"} {
		if _, err := NewOutboundClient(OutboundOptions{Timeout: time.Second}).Get(u); !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("%s: %v", u, err)
		}
	}
	resp, err := NewOutboundClient(OutboundOptions{AllowPrivate: true}).Get(srv.URL)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("allowed private: %v", err)
	}
	resp.Body.Close()
	resp, err = NewOutboundClient(OutboundOptions{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}).Get(srv.URL)
	if err != nil {
		t.Fatalf("allow-listed network: %v", err)
	}
	resp.Body.Close()
	for a, want := range map[string]bool{"8.8.8.8": true, "192.168.1.1": false, "100.64.0.1": false, "::ffff:127.0.0.1": false, "2001:4860::8888": true} {
		if PublicAddress(netip.MustParseAddr(a)) != want {
			t.Errorf("PublicAddress(%s) != %v", a, want)
		}
	}
}

func TestCORS(t *testing.T) {
	h := CORS{AllowedOrigins: []string{"https://app.example.com", "https://*.example.org"}, AllowCredentials: true, MaxAge: 60}.
		Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	do := func(method, origin string, preflight bool) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/sessions/whoami", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if preflight {
			r.Header.Set("Access-Control-Request-Method", "GET")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	for origin, want := range map[string]bool{"https://app.example.com": true, "https://a.b.example.org": true,
		"https://evil.com": false, "http://app.example.com": false, "https://example.org.evil.com": false} {
		got := do("GET", origin, false).Header().Get("Access-Control-Allow-Origin") == origin
		if got != want {
			t.Errorf("%s: allowed %v, want %v", origin, got, want)
		}
	}
	pf := do("OPTIONS", "https://app.example.com", true)
	if pf.Code != 204 || pf.Header().Get("Access-Control-Allow-Methods") == "" || pf.Header().Get("Access-Control-Allow-Credentials") != "true" ||
		pf.Header().Get("Access-Control-Max-Age") != "60" {
		t.Fatalf("preflight: %d %v", pf.Code, pf.Header())
	}
	if pf := do("OPTIONS", "https://evil.com", true); pf.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("preflight of an unknown origin allowed")
	}
	if rec := do("GET", "", false); rec.Header().Get("Access-Control-Allow-Origin") != "" || rec.Code != 200 {
		t.Fatal("a request without Origin got CORS headers")
	}
}

func TestAppendJSON(t *testing.T) {
	b, err := AppendJSON([]byte("x="), map[string]string{"a": "<b>&é"})
	if err != nil || string(b) != `x={"a":"<b>&é"}` {
		t.Errorf("AppendJSON = %q, %v; want x={\"a\":\"<b>&é\"} (no HTML escaping, no newline)", b, err)
	}
	if _, err := AppendJSON(nil, make(chan int)); err == nil {
		t.Error("AppendJSON of a channel: no error")
	}
}
