package trust_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/warden-iam/warden/internal/oauth2/trust"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
)

// privateKeys are generated once per test binary: RSA generation is slow.
var (
	keysOnce    sync.Once
	privateKeys map[string]any // by alg family: "RSA", "P-256", "P-384", "P-521", "Ed25519"
)

func privateKey(t testing.TB, family string) any {
	t.Helper()
	keysOnce.Do(func() {
		privateKeys = map[string]any{}
		r, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		privateKeys["RSA"] = r
		for name, c := range map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()} {
			k, err := ecdsa.GenerateKey(c, rand.Reader)
			if err != nil {
				panic(err)
			}
			privateKeys[name] = k
		}
		_, ed, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		privateKeys["Ed25519"] = ed
	})
	k, ok := privateKeys[family]
	if !ok {
		t.Fatalf("no test key for %s", family)
	}
	return k
}

// familyOf is the key family an alg needs.
func familyOf(alg string) string {
	switch alg {
	case "ES256":
		return "P-256"
	case "ES384":
		return "P-384"
	case "ES512":
		return "P-521"
	case "EdDSA":
		return "Ed25519"
	}
	return "RSA"
}

// privJWK is the private JWK for alg with kid.
func privJWK(t testing.TB, alg, kid string) jose.JSONWebKey {
	return jose.JSONWebKey{Key: privateKey(t, familyOf(alg)), KeyID: kid, Algorithm: alg, Use: "sig"}
}

// pubJWK is the public JWK for alg with kid.
func pubJWK(t testing.TB, alg, kid string) jose.JSONWebKey {
	k := privJWK(t, alg, kid)
	return k.Public()
}

// jwkJSON renders k.
func jwkJSON(t testing.TB, k jose.JSONWebKey) string {
	t.Helper()
	b, err := k.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newService(db *sqldb.DB, c *clock) *trust.Service {
	return trust.NewService(sqlstore.New(db).Trust(), trust.Options{Now: c.Now})
}

// request is a valid request for subject (any subject when empty), signed
// with alg and kid, expiring a day after c's time.
func request(t testing.TB, c *clock, issuer, subject, alg, kid string) trust.Request {
	return trust.Request{
		Issuer:          issuer,
		Subject:         subject,
		AllowAnySubject: subject == "",
		Scope:           []string{"openid", "offline_access"},
		Key:             pubJWK(t, alg, kid),
		ExpiresAt:       c.Now().Add(24 * time.Hour),
	}
}
