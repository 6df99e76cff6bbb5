package trust

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// ecKey is the public P-256 key of RFC 7515 appendix A.3, with a kid.
const ecKey = `{"kty":"EC","crv":"P-256","kid":"k1","alg":"ES256","use":"sig",` +
	`"x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`

// FuzzCreateBody feeds arbitrary bodies through the decoding and checks of
// POST /admin/trust/grants/jwt-bearer/issuers: nothing panics, every refusal
// names a field, and whatever is accepted keeps the package's invariants.
func FuzzCreateBody(f *testing.F) {
	for _, seed := range []string{
		`{"issuer":"https://idp.example","subject":"alice","scope":["openid"],"jwk":` + ecKey + `,"expires_at":"2031-01-01T00:00:00Z"}`,
		`{"issuer":"https://idp.example","allow_any_subject":true,"scope":[],"jwk":` + ecKey + `,"expires_at":"2031-01-01T00:00:00.123456789+02:00"}`,
		`{"issuer":"i","subject":"s","scope":["a","a"],"jwk":{"kty":"oct","k":"AAAA"},"expires_at":"2031-01-01T00:00:00Z"}`,
		`{"issuer":"i","subject":"s","scope":["a"],"jwk":{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB"},"expires_at":"2031-01-01T00:00:00Z"}`,
		`{"issuer":"i","subject":"s","scope":["a"],"jwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"e","alg":"EdDSA"},"expires_at":"2031-01-01T00:00:00Z"}`,
		`{"jwk":null,"expires_at":null}`,
		`{"jwk":[],"expires_at":5}`,
		`{}`,
		`{"issuer":"i","subject":"s","scope":[],"jwk":` + ecKey + `,"expires_at":"9999-12-31T23:59:59-01:00"}`,
	} {
		f.Add([]byte(seed))
	}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		var b createBody
		if json.Unmarshal(data, &b) != nil {
			return // web.DecodeJSON answers these
		}
		r, err := b.request()
		if err == nil {
			r, err = r.normalize(now)
		}
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" || fe.Reason == "" {
				t.Fatalf("refusal without a field: %v", err)
			}
			return
		}
		if r.Issuer == "" || (r.Subject == "") != r.AllowAnySubject || r.Scope == nil || !r.ExpiresAt.After(now) {
			t.Fatalf("accepted %+v", r)
		}
		for _, s := range r.Scope {
			if s == "" || strings.ContainsAny(s, " \"\\") {
				t.Fatalf("accepted scope %q", s)
			}
		}
		if !r.Key.IsPublic() || !r.Key.Valid() || r.Key.KeyID == "" || r.Key.Algorithm == "" || r.Key.Use != "sig" {
			t.Fatalf("accepted key %+v", r.Key)
		}
		data2, err := encodeKey(r.Key)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range privateMembers {
			if strings.Contains(data2, `"`+m+`":`) {
				t.Fatalf("stored key holds %s: %s", m, data2)
			}
		}
		if _, err := json.Marshal(Issuer{Issuer: r.Issuer, Subject: r.Subject, Scope: r.Scope, ExpiresAt: r.ExpiresAt}); err != nil {
			t.Fatalf("accepted a relationship that cannot be answered: %v", err)
		}
		back, err := decodeKey(data2)
		if err != nil {
			t.Fatalf("stored key does not read back: %v", err)
		}
		if again, _ := encodeKey(back); again != data2 {
			t.Fatalf("stored key changes on a round trip:\n%s\n%s", data2, again)
		}
	})
}

// TestFuzzSeedKeys makes sure the accepting seeds of FuzzCreateBody are
// accepted, so the fuzzer starts on both sides of every check.
func TestFuzzSeedKeys(t *testing.T) {
	for _, s := range []string{ecKey, `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"e","alg":"EdDSA"}`} {
		k, err := ParseKey([]byte(s))
		if err == nil {
			_, err = checkKey(k)
		}
		if err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
}
