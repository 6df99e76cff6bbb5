package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	ory "github.com/ory/client-go"
)

// TestOAuth2PrivateKeyJWTClientAuthentication authenticates a client with
// an ES256 assertion (RFC 7523 2.2) signed by a key only the client holds.
func TestOAuth2PrivateKeyJWTClientAuthentication(t *testing.T) {
	e := startOAuth(t, nil)
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub := jose.JSONWebKey{Key: &priv.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}
	e.createClient(t, ory.OAuth2Client{ClientId: ory.PtrString("pkj"), TokenEndpointAuthMethod: ory.PtrString("private_key_jwt"),
		GrantTypes: []string{"client_credentials"}, Scope: ory.PtrString("read"),
		Jwks: &ory.JsonWebKeySet{Keys: []ory.JsonWebKey{jwkToSDK(t, pub)}}})
	tokenURL := e.srv.public + "/oauth2/token"
	sign := func(key any, kid string, claims jwt.Claims) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := jwt.Signed(s).Claims(claims).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	post := func(assertion string) (int, map[string]any) {
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {"read"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
		res, err := http.Post(tokenURL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	now := time.Now()
	good := jwt.Claims{Issuer: "pkj", Subject: "pkj", Audience: jwt.Audience{tokenURL}, ID: "jti-1",
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute))}
	a := sign(priv, "k1", good)
	if st, out := post(a); st != 200 || out["access_token"] == nil {
		t.Fatalf("assertion refused: %d %v", st, out)
	}
	if st, out := post(a); st != 401 || out["error"] != "invalid_client" {
		t.Fatalf("replayed assertion: %d %v", st, out)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	expired := good
	expired.ID, expired.Expiry = "jti-2", jwt.NewNumericDate(now.Add(-time.Minute))
	wrongAud := good
	wrongAud.ID, wrongAud.Audience = "jti-3", jwt.Audience{"https://elsewhere.example/token"}
	wrongIss := good
	wrongIss.ID, wrongIss.Issuer = "jti-4", "someone-else"
	forged := good
	forged.ID = "jti-5"
	for name, assertion := range map[string]string{
		"expired":     sign(priv, "k1", expired),
		"wrong aud":   sign(priv, "k1", wrongAud),
		"wrong iss":   sign(priv, "k1", wrongIss),
		"foreign key": sign(other, "k1", forged),
		"not a JWT":   "not-a-jwt",
		"unknown kid": sign(priv, "nope", forged),
	} {
		if st, out := post(assertion); st != 401 || out["error"] != "invalid_client" {
			t.Errorf("%s: %d %v", name, st, out)
		}
	}
}

func jwkToSDK(t *testing.T, k jose.JSONWebKey) ory.JsonWebKey {
	b, err := k.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var out ory.JsonWebKey
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOAuth2JWTBearerGrant exchanges an assertion from an issuer trusted
// through Hydra's trust API (RFC 7523 2.1).
func TestOAuth2JWTBearerGrant(t *testing.T) { eachDB(t, testJWTBearer) }

func testJWTBearer(t *testing.T, args ...string) {
	e := startOAuth(t, nil, args...)
	c := e.createClient(t, ory.OAuth2Client{ClientId: ory.PtrString("broker"),
		GrantTypes: []string{"urn:ietf:params:oauth:grant-type:jwt-bearer"}, Scope: ory.PtrString("read write")})
	idp, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub := jose.JSONWebKey{Key: &idp.PublicKey, KeyID: "idp-1", Algorithm: "ES256", Use: "sig"}
	_, _, err := e.admin.OAuth2API.TrustOAuth2JwtGrantIssuer(context.Background()).TrustOAuth2JwtGrantIssuer(ory.TrustOAuth2JwtGrantIssuer{
		Issuer: "https://idp.example", Subject: ory.PtrString("bob"), Scope: []string{"read"},
		Jwk: jwkToSDK(t, pub), ExpiresAt: time.Now().Add(time.Hour)}).Execute()
	if err != nil {
		t.Fatal(sdkErr(err))
	}
	tokenURL := e.srv.public + "/oauth2/token"
	assert := func(sub, jti string, scope string) (int, map[string]any) {
		s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: idp, KeyID: "idp-1"}}, nil)
		now := time.Now()
		raw, _ := jwt.Signed(s).Claims(jwt.Claims{Issuer: "https://idp.example", Subject: sub, Audience: jwt.Audience{tokenURL},
			ID: jti, IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute))}).Serialize()
		form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {raw}, "scope": {scope}}
		req, _ := http.NewRequest("POST", tokenURL, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("broker", c.GetClientSecret())
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	st, out := assert("bob", "a-1", "read")
	if st != 200 {
		t.Fatalf("assertion refused: %d %v", st, out)
	}
	in, _, err := e.admin.OAuth2API.IntrospectOAuth2Token(context.Background()).Token(out["access_token"].(string)).Execute()
	if err != nil || !in.Active || in.GetSub() != "bob" || in.GetClientId() != "broker" {
		t.Fatalf("introspect: %+v %v", in, err)
	}
	for name, tc := range map[string]struct{ sub, jti, scope, code string }{
		"replayed jti":       {"bob", "a-1", "read", "invalid_grant"},
		"untrusted subject":  {"carol", "a-2", "read", "invalid_grant"},
		"scope not in trust": {"bob", "a-3", "write", "invalid_scope"},
	} {
		if st, out := assert(tc.sub, tc.jti, tc.scope); st != 400 || out["error"] != tc.code {
			t.Errorf("%s: %d %v", name, st, out)
		}
	}
}
