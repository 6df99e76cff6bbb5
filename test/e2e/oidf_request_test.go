package e2e

import (
	"net/http"
	"net/url"
	"os"
	"slices"
	"testing"
	"time"
)

// requestClaims are the claims of a request object (OIDC Core 6.1) of c
// asking for a code, with a fresh state and nonce.
func (o *oidfEnv) requestClaims(t *testing.T, c oidfClient) map[string]any {
	now := time.Now()
	return map[string]any{"iss": c.ID, "aud": o.issuer(), "client_id": c.ID, "response_type": "code", "scope": "openid",
		"redirect_uri": o.cb(), "state": randomState(t), "nonce": randomState(t), "iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(), "jti": randomState(t)}
}

// requestFlow sends an authorization request whose parameters q come with
// a request object, checks that the state and nonce the object carries
// are the ones honoured (OIDC Core 6.3.3) and redeems the code. An answer
// of unsupported (request_not_supported or request_uri_not_supported),
// when given, is accepted instead and reported as false.
func (o *oidfEnv) requestFlow(t *testing.T, c oidfClient, q url.Values, obj map[string]any, unsupported string) bool {
	t.Helper()
	cb := navigate(t, o.browser(t), o.authURL(t, q))
	got := responseParams(t, cb)
	if unsupported != "" && got.Get("error") == unsupported {
		return false
	}
	if got.Get("error") != "" || got.Get("code") == "" || got.Get("state") != obj["state"] || got.Get("iss") != o.issuer() {
		t.Fatalf("authorization with a request object: %s (state %v)", cb, obj["state"])
	}
	if want := claimString(obj["redirect_uri"]); cb.Scheme+"://"+cb.Host+cb.Path != want {
		t.Fatalf("sent to %s, the request object's redirect_uri is %s", cb, want)
	}
	o.exchange(t, c, got.Get("code"), claimString(obj["nonce"]), url.Values{"redirect_uri": {claimString(obj["redirect_uri"])}})
	return true
}

// requestURIClient registers c with a request_uri it serves the object at.
func (o *oidfEnv) requestURIClient(t *testing.T, signed bool) (oidfClient, *servedDoc) {
	t.Helper()
	doc := serveDoc(t, "application/oauth-authz-req+jwt", nil)
	over := map[string]any{"request_uris": []string{doc.srv.URL + "/request.jwt"}}
	var c oidfClient
	if signed {
		key, kid, jwks := rsaClientKey(t)
		over["jwks"], over["request_object_signing_alg"] = jwks, "RS256"
		c = o.register(t, "rp", over)
		c.Key, c.KID = key, kid
	} else {
		c = o.register(t, "rp", over)
	}
	return c, doc
}

// OIDC Core 6.2: a request object by reference, signed with the client's
// RS256 key.
func TestOIDF_oidcc_request_uri_signed_rs256(t *testing.T) {
	o := newOIDF(t)
	c, doc := o.requestURIClient(t, true)
	obj := o.requestClaims(t, c)
	doc.set([]byte(signJWT(t, c.Key, c.KID, obj)))
	q := url.Values{"client_id": {c.ID}, "response_type": {"code"}, "scope": {"openid"}, "request_uri": {doc.srv.URL + "/request.jwt"}}
	o.requestFlow(t, c, q, obj, "")
	if doc.count() == 0 {
		t.Fatal("the request_uri was never fetched")
	}
}

// An unsigned (alg none) request object by reference: discovery lists
// none, so it must work (OIDC Core 15.2 for dynamic OPs).
func TestOIDF_oidcc_request_uri_unsigned(t *testing.T) {
	o := newOIDF(t)
	if !slices.Contains(claimStrings(o.disc["request_object_signing_alg_values_supported"]), "none") || o.disc["request_uri_parameter_supported"] != true {
		t.Fatal("discovery does not offer unsigned request objects by reference")
	}
	c, doc := o.requestURIClient(t, false)
	obj := o.requestClaims(t, c)
	doc.set([]byte(signJWT(t, nil, "", obj)))
	q := url.Values{"client_id": {c.ID}, "response_type": {"code"}, "scope": {"openid"}, "redirect_uri": {o.cb()},
		"state": {claimString(obj["state"])}, "nonce": {claimString(obj["nonce"])}, "request_uri": {doc.srv.URL + "/request.jwt"}}
	o.requestFlow(t, c, q, obj, "")
}

// As above, with state and nonce only in the object: either they are
// honoured or the request is refused with request_uri_not_supported (not
// acceptable here, as discovery says request_uri is supported).
func TestOIDF_oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported(t *testing.T) {
	o := newOIDF(t)
	c, doc := o.requestURIClient(t, false)
	obj := o.requestClaims(t, c)
	doc.set([]byte(signJWT(t, nil, "", obj)))
	q := url.Values{"client_id": {c.ID}, "response_type": {"code"}, "scope": {"openid"}, "request_uri": {doc.srv.URL + "/request.jwt"}}
	if !o.requestFlow(t, c, q, obj, "request_uri_not_supported") && o.disc["request_uri_parameter_supported"] != false {
		t.Fatal("request_uri_not_supported, yet discovery says request_uri_parameter_supported")
	}
}

// OIDC Core 6.1 by value, unsigned, with state and nonce only in the
// object: they are honoured, or the request is refused with
// request_not_supported (not acceptable here, as discovery offers it).
func TestOIDF_oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	obj := o.requestClaims(t, c)
	q := url.Values{"client_id": {c.ID}, "response_type": {"code"}, "scope": {"openid"}, "request": {signJWT(t, nil, "", obj)}}
	if !o.requestFlow(t, c, q, obj, "request_not_supported") && o.disc["request_parameter_supported"] != false {
		t.Fatal("request_not_supported, yet discovery says request_parameter_supported")
	}
}

// A redirect_uri in the request object and another as a parameter: the
// object's wins (OIDC Core 6.1), or an invalid redirect_uri is shown. The
// browser must never reach the parameter's URI.
func TestOIDF_oidcc_ensure_request_object_with_redirect_uri(t *testing.T) {
	o := newOIDF(t)
	for name, registered := range map[string]bool{"parameter-unregistered": false, "parameter-registered": true} {
		t.Run(name, func(t *testing.T) {
			uris := []string{o.cb()}
			if registered {
				uris = append(uris, o.rp.URL+"/other")
			}
			c := o.register(t, name, map[string]any{"redirect_uris": uris})
			obj := o.requestClaims(t, c)
			q := url.Values{"client_id": {c.ID}, "response_type": {"code"}, "scope": {"openid"}, "redirect_uri": {o.rp.URL + "/other"},
				"request": {signJWT(t, nil, "", obj)}}
			res, body := browse(t, o.browser(t), getRequest(o.authURL(t, q)))
			if _, err := res.Location(); err != nil {
				o.expectShown(t, res, body, "")
				return
			}
			o.requestFlow(t, c, q, obj, "")
		})
	}
}

// RFC 7523 3 and OIDC Core 9: a private_key_jwt assertion whose aud is the
// issuer (rather than the token endpoint) is accepted.
func TestOIDF_oidcc_ensure_client_assertion_with_iss_aud_succeeds(t *testing.T) {
	o := newOIDF(t)
	key, kid, jwks := rsaClientKey(t)
	c := o.register(t, "rp", map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": jwks,
		"token_endpoint_auth_signing_alg": "RS256"})
	c.Key, c.KID = key, kid
	v := o.authParams(t, c, "code")
	code := o.authorize(t, o.browser(t), v).Get("code")
	o.exchange(t, c, code, v.Get("nonce"), url.Values{
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {o.assertion(t, c, o.issuer())}})
}

// A private_key_jwt client rotates the key at its jwks_uri; once the
// server's cache of that document has expired (the module waits 60
// seconds), a refresh authenticated with the new key works. The wait is
// longer than the time allowed to the other tests: set WARDEN_E2E_SLOW=1.
func TestOIDF_oidcc_refresh_token_rp_key_rotation(t *testing.T) {
	if os.Getenv("WARDEN_E2E_SLOW") == "" {
		t.Skip("waits 60 seconds; set WARDEN_E2E_SLOW=1 to run")
	}
	o := newOIDF(t)
	key1, kid1, jwks1 := rsaClientKey(t)
	doc := serveDoc(t, "application/json", []byte(mustJSON(jwks1)))
	c := o.register(t, "rp", map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": doc.srv.URL + "/jwks.json"})
	c.Key, c.KID = key1, kid1
	tk := o.codeFlow(t, o.browser(t), c, url.Values{"scope": {"openid offline_access"}, "prompt": {"consent"}})
	if tk.Refresh == "" {
		t.Fatalf("no refresh token: %v", tk.Resp)
	}
	key2, kid2, jwks2 := rsaClientKey(t)
	doc.set([]byte(mustJSON(jwks2)))
	c.Key, c.KID = key2, kid2
	time.Sleep(61 * time.Second)
	status, out, h := o.refresh(t, c, tk.Refresh)
	if status != http.StatusOK {
		t.Fatalf("refresh with the rotated key: %d %v", status, out)
	}
	o.refreshed(t, c, tk, out, h)
}
