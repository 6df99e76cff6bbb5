package provider

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestPKCEVectorOfRFC7636(t *testing.T) {
	raw, err := os.ReadFile("../../../../shared/testdata/otp-pkce-vectors.json")
	if err != nil { // outside the workspace: the same vector, from RFC 7636 appendix B
		raw = []byte(`{"pkce_rfc7636_appendix_b":{"code_verifier":"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
			"code_challenge_method":"S256","code_challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}}`)
	}
	var v struct {
		PKCE struct {
			Verifier  string `json:"code_verifier"`
			Method    string `json:"code_challenge_method"`
			Challenge string `json:"code_challenge"`
		} `json:"pkce_rfc7636_appendix_b"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	g := &Grant{CodeChallenge: v.PKCE.Challenge, ChallengeMethod: v.PKCE.Method}
	if err := checkPKCE(g, v.PKCE.Verifier); err != nil {
		t.Fatalf("the RFC's verifier is refused: %v", err)
	}
	for _, bad := range []string{"", v.PKCE.Verifier[:42], v.PKCE.Verifier + "x", strings.Repeat("a", 43), v.PKCE.Verifier[:42] + "!"} {
		if checkPKCE(g, bad) == nil {
			t.Errorf("verifier %q accepted", bad)
		}
	}
	if checkPKCE(&Grant{}, v.PKCE.Verifier) == nil {
		t.Error("a verifier without a challenge was accepted")
	}
	if checkPKCE(&Grant{CodeChallenge: v.PKCE.Verifier, ChallengeMethod: "plain"}, v.PKCE.Verifier) != nil {
		t.Error("plain PKCE refused")
	}
}

func testKeys(t testing.TB, secrets ...string) macKeys {
	k, err := deriveKeys(secrets, "test")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestOpaqueTokensAndRotation(t *testing.T) {
	old := testKeys(t, "first-secret-0123456789abcdef")
	tok, sig := old.newOpaque(prefixAccess)
	if !strings.HasPrefix(tok, prefixAccess) || len(tok) != len(prefixAccess)+43+1+43 {
		t.Fatalf("token shape %q", tok)
	}
	if got, ok := old.openOpaque(prefixAccess, tok); !ok || got != sig {
		t.Fatal("own token refused")
	}
	if _, ok := old.openOpaque(prefixRefresh, tok); ok {
		t.Fatal("an access token opened as a refresh token")
	}
	// After rotation the old secret still verifies; a new token uses the new one.
	rotated := testKeys(t, "second-secret-0123456789abcdef", "first-secret-0123456789abcdef")
	if got, ok := rotated.openOpaque(prefixAccess, tok); !ok || got != sig {
		t.Fatal("token made before the rotation refused")
	}
	fresh, _ := rotated.newOpaque(prefixAccess)
	if _, ok := old.openOpaque(prefixAccess, fresh); ok {
		t.Fatal("a token of the new secret verified under the old one only")
	}
	// Tampering with any character is caught.
	for i := len(prefixAccess); i < len(tok); i++ {
		b := []byte(tok)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		if _, ok := old.openOpaque(prefixAccess, string(b)); ok {
			t.Fatalf("tampered token accepted at %d", i)
		}
	}
}

func TestChallengesArePurposeBound(t *testing.T) {
	k := testKeys(t, "system-secret-0123456789abcdef")
	ch := k.sign("login_challenge", "flow123")
	if id, ok := k.open("login_challenge", ch); !ok || id != "flow123" {
		t.Fatal("challenge refused")
	}
	for _, p := range []string{"login_verifier", "consent_challenge", "consent_verifier", "logout_challenge"} {
		if _, ok := k.open(p, ch); ok {
			t.Fatalf("a login challenge opened as %s", p)
		}
	}
	if _, ok := k.open("login_challenge", "flow124"+ch[len("flow123"):]); ok {
		t.Fatal("a challenge with another flow id accepted")
	}
}

func TestHalfHashOfOIDCCore(t *testing.T) {
	// at_hash of "jHkWEdUXMU1BwAsC4vtUsZwnNNbZ5wuYGewRQ9VW9Em" is not in the spec;
	// check the construction instead: left half of SHA-256, base64url.
	if got := halfHash("RS256", "abc"); got != "ungWv48Bz-pBQUDeXa4iIw" {
		t.Fatalf("RS256 half hash %q", got)
	}
	if len(halfHash("ES512", "abc")) != 43 || len(halfHash("ES384", "abc")) != 32 {
		t.Fatal("SHA-384/512 half hash lengths")
	}
}

func FuzzOpenOpaque(f *testing.F) {
	k := testKeys(f, "fuzz-secret-0123456789abcdefgh")
	tok, _ := k.newOpaque(prefixRefresh)
	for _, c := range []string{"A", "B", "C"} { // a real token with the last character of its MAC changed
		if c != tok[len(tok)-1:] {
			f.Add(tok[:len(tok)-1] + c)
		}
	}
	f.Add("ory_rt_.")
	f.Add("ory_rt_" + strings.Repeat("A", 43) + "." + strings.Repeat("A", 43))
	f.Fuzz(func(t *testing.T, s string) {
		// Nothing the fuzzer makes carries a valid MAC.
		if _, ok := k.openOpaque(prefixRefresh, s); ok {
			t.Fatalf("forged token accepted: %q", s)
		}
		if _, ok := k.open("login_challenge", s); ok {
			t.Fatalf("forged challenge accepted: %q", s)
		}
		_ = normalizeUserCode(s)
	})
}

func FuzzRequestObjectAndAssertionParsing(f *testing.F) {
	f.Add("eyJhbGciOiJub25lIn0.eyJzdGF0ZSI6IngifQ.")
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseJWS(s, signatureAlgs)
		var m map[string]any
		_ = jsonUnmarshalNumber([]byte(s), &m)
		_ = audClaim(m)
		_, _ = numClaim(m, "exp")
	})
}
