package flow

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func testService() *Service {
	return NewService(Options{PublicURL: func() string { return "http://warden.test/" }, Secret: make([]byte, 32)}, nil, nil, nil, nil, nil, nil)
}

// A form token is accepted only with the cookie it was made from and for a
// flow bound to that cookie; every token differs.
func TestCSRF(t *testing.T) {
	s := testService()
	rec := httptest.NewRecorder()
	secret := s.csrfSecret(rec, httptest.NewRequest("GET", "/", nil))
	cookie := rec.Result().Cookies()[0]
	f := &Flow{Private: Private{CSRF: hashCSRF(secret)}}
	t1, t2 := maskCSRF(secret), maskCSRF(secret)
	if t1 == t2 {
		t.Fatal("two form tokens are equal")
	}
	req := func(c *http.Cookie) *http.Request {
		r := httptest.NewRequest("POST", "/", nil)
		if c != nil {
			r.AddCookie(c)
		}
		return r
	}
	if !s.checkCSRF(req(cookie), f, t1) || !s.checkCSRF(req(cookie), f, t2) {
		t.Fatal("a genuine token was refused")
	}
	other := s.csrfSecret(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	for name, c := range map[string]struct {
		cookie *http.Cookie
		flow   *Flow
		token  string
	}{
		"no cookie":      {nil, f, t1},
		"other cookie":   {&http.Cookie{Name: cookie.Name, Value: b64.EncodeToString(other)}, f, t1},
		"other flow":     {cookie, &Flow{Private: Private{CSRF: hashCSRF(other)}}, t1},
		"unbound flow":   {cookie, &Flow{}, t1},
		"token of other": {cookie, f, maskCSRF(other)},
		"empty":          {cookie, f, ""},
		"garbage":        {cookie, f, "!!!"},
		"raw secret":     {cookie, f, b64.EncodeToString(secret)},
	} {
		if s.checkCSRF(req(c.cookie), c.flow, c.token) {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzCSRFToken(f *testing.F) {
	s := testService()
	secret := make([]byte, csrfBytes)
	for i := range secret {
		secret[i] = byte(i)
	}
	fl := &Flow{Private: Private{CSRF: hashCSRF(secret)}}
	cookie := &http.Cookie{Name: csrfCookieName(s.o.PublicURL()), Value: b64.EncodeToString(secret)}
	f.Add(maskCSRF(secret))
	f.Add("")
	f.Add(strings.Repeat("A", 86))
	f.Fuzz(func(t *testing.T, tok string) {
		r := httptest.NewRequest("POST", "/", nil)
		r.AddCookie(cookie)
		ok := s.checkCSRF(r, fl, tok)
		if ok {
			// Only a token that unmasks to the secret may pass.
			b, err := b64.DecodeString(tok)
			if err != nil || len(b) != 2*csrfBytes {
				t.Fatalf("malformed token %q accepted", tok)
			}
			for i := range csrfBytes {
				if b[i]^b[csrfBytes+i] != secret[i] {
					t.Fatalf("wrong token %q accepted", tok)
				}
			}
		}
	})
}

// readBody turns JSON and forms into the same values, and refuses what it
// cannot read with a client error.
func TestReadBody(t *testing.T) {
	form := httptest.NewRequest("POST", "/", strings.NewReader("method=password&traits.email=a%40b.c&traits.name.first=Ada&csrf_token=x"))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	m, err := readBody(httptest.NewRecorder(), form)
	if err != nil {
		t.Fatal(err)
	}
	traits := m["traits"].(map[string]any)
	if m["method"] != "password" || traits["email"] != "a@b.c" || traits["name"].(map[string]any)["first"] != "Ada" {
		t.Fatalf("form: %v", m)
	}
	for name, c := range map[string][2]string{
		"malformed JSON": {"application/json", `{"method":`},
		"two values":     {"application/json", `{} {}`},
		"not an object":  {"application/json", `[1,2]`},
		"text":           {"text/plain", `method=password`},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(c[1]))
		r.Header.Set("Content-Type", c[0])
		if _, err := readBody(httptest.NewRecorder(), r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	big := httptest.NewRequest("POST", "/", bytes.NewReader(append([]byte(`{"a":"`), bytes.Repeat([]byte("x"), maxBody)...)))
	big.Header.Set("Content-Type", "application/json")
	if _, err := readBody(httptest.NewRecorder(), big); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("oversized body: %v", err)
	}
}

func FuzzReadBody(f *testing.F) {
	f.Add("application/json", `{"method":"password","traits":{"email":"a@b.c"}}`)
	f.Add("application/x-www-form-urlencoded", "traits.a.b.c=1&traits.a=2&method=x")
	f.Add("application/x-www-form-urlencoded", "traits.=1&traits..=2&%zz")
	f.Fuzz(func(t *testing.T, ct, body string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		_, _ = readBody(httptest.NewRecorder(), r) // must not panic
	})
}

func FuzzHookInterrupt(f *testing.F) {
	f.Add(`{"messages":[{"instance_ptr":"#/traits/email","messages":[{"id":1,"text":"x","type":"error"}]}]}`)
	f.Add(`{"messages":[{"messages":[{}]}]}`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, answer string) {
		err := parseInterrupt([]byte(answer))
		fl := &Flow{}
		if !showInterrupt(fl, err) {
			t.Fatal("an interrupt was not shown")
		}
		if len(fl.UI.Messages) == 0 && len(fl.UI.Nodes) == 0 {
			// node messages without a matching node land on the form
			t.Fatal("an interrupt left no message")
		}
	})
}

// The limiter blocks a key after max failures in the window, forgets them
// after the window, and a success resets it.
func TestLimiter(t *testing.T) {
	l := newLimiter()
	now := time.Now()
	for range 3 {
		l.fail("k", now)
	}
	if !l.blocked("k", 3, now) || l.blocked("k", 4, now) || l.blocked("other", 1, now) {
		t.Fatal("counting")
	}
	if l.blocked("k", 3, now.Add(limitWindow+time.Second)) {
		t.Fatal("failures outlived the window")
	}
	l.fail("k", now)
	l.reset("k")
	if l.blocked("k", 1, now) {
		t.Fatal("reset kept failures")
	}
}

func TestCheckReturnTo(t *testing.T) {
	s := NewService(Options{PublicURL: func() string { return "https://auth.example.com/" }, DefaultReturn: "https://app.example.com/home",
		AllowedReturnURLs: []string{"https://shop.example.com/account"}}, nil, nil, nil, nil, nil, nil)
	for u, ok := range map[string]bool{
		"https://auth.example.com/ui/settings": true,
		"https://app.example.com/home/x":       true,
		"https://shop.example.com/account/a":   true,
		"https://shop.example.com/other":       false,
		"https://evil.example.com/":            false,
		"javascript:alert(1)":                  false,
		"https://user@auth.example.com/":       false,
		"//evil.example.com":                   false,
		"https://auth.example.com.evil.com/":   false,
		"http://auth.example.com/ui/settings":  false,
	} {
		_, err := s.checkReturnTo(u)
		if (err == nil) != ok {
			t.Errorf("%s: err %v, want ok=%v", u, err, ok)
		}
	}
}
