package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// OpenID Connect Discovery 1.0, 3 and 4, and OIDC Core 15.1/15.2 for what
// an OP must support.
func TestOIDF_oidcc_discovery_endpoint_verification(t *testing.T) {
	o := newOIDF(t)
	res, err := http.Get(o.srv.public + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "application/json" && !strings.HasPrefix(ct, "application/json;") {
		t.Fatalf("Content-Type %q", ct)
	}
	d := o.disc
	// 4.3: the issuer is exactly the URL the document was fetched under.
	if o.issuer() != o.srv.public {
		t.Fatalf("issuer %q, fetched from %s", o.issuer(), o.srv.public)
	}
	if u, err := url.Parse(o.issuer()); err != nil || !u.IsAbs() || u.RawQuery != "" || u.Fragment != "" {
		t.Fatalf("issuer %q must be a URL without query or fragment", o.issuer())
	}
	// 3: required (userinfo_endpoint is recommended; Core 5.3 has the
	// endpoint, so it is expected here).
	for _, k := range []string{"authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"} {
		if u, err := url.Parse(claimString(d[k])); err != nil || !u.IsAbs() || u.Fragment != "" {
			t.Errorf("%s %v is not an absolute URL", k, d[k])
		}
	}
	list := func(k string, required bool, want ...string) {
		t.Helper()
		v, ok := d[k].([]any)
		if !ok {
			if _, present := d[k]; required || present {
				t.Errorf("%s %v is not a list", k, d[k])
			}
			return
		}
		for _, w := range want {
			if !slices.Contains(claimStrings(v), w) {
				t.Errorf("%s %v lacks %s", k, v, w)
			}
		}
	}
	list("response_types_supported", true)
	// Response types are sets of words: their order does not matter. Core
	// 15.2: a dynamic OP supports code, id_token and id_token token.
	var rts []string
	for _, rt := range claimStrings(d["response_types_supported"]) {
		rts = append(rts, sortedWords(rt))
	}
	for _, want := range []string{"code", "id_token", "id_token token"} {
		if !slices.Contains(rts, sortedWords(want)) {
			t.Errorf("response_types_supported %v lacks %s", d["response_types_supported"], want)
		}
	}
	list("subject_types_supported", true)
	if len(claimStrings(d["subject_types_supported"])) == 0 {
		t.Error("subject_types_supported is empty")
	}
	for _, st := range claimStrings(d["subject_types_supported"]) {
		if st != "public" && st != "pairwise" {
			t.Errorf("subject type %q", st)
		}
	}
	list("id_token_signing_alg_values_supported", true, "RS256")
	// Optional members: when present, what they must hold.
	list("scopes_supported", false, "openid")
	list("grant_types_supported", false, "authorization_code", "implicit")
	list("response_modes_supported", false, "query", "fragment")
	list("token_endpoint_auth_methods_supported", false)
	for _, m := range claimStrings(d["token_endpoint_auth_methods_supported"]) {
		if !slices.Contains([]string{"client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"}, m) {
			t.Errorf("token endpoint auth method %q", m)
		}
	}
	for _, k := range []string{"claims_supported", "userinfo_signing_alg_values_supported", "request_object_signing_alg_values_supported",
		"token_endpoint_auth_signing_alg_values_supported", "code_challenge_methods_supported"} {
		list(k, false)
	}
	if slices.Contains(claimStrings(d["token_endpoint_auth_signing_alg_values_supported"]), "none") {
		t.Error("token_endpoint_auth_signing_alg_values_supported lists none")
	}
	for _, k := range []string{"claims_parameter_supported", "request_parameter_supported", "request_uri_parameter_supported",
		"require_request_uri_registration"} {
		if _, ok := d[k].(bool); !ok && d[k] != nil {
			t.Errorf("%s %v is not a boolean", k, d[k])
		}
	}
	// The keys: public signing keys with a kid, among them an RS256 one.
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	_, body := get(t, o.endpoint(t, "jwks_uri"))
	if err := json.Unmarshal([]byte(body), &raw); err != nil || len(raw.Keys) == 0 {
		t.Fatalf("jwks_uri: %s", body)
	}
	rs := false
	for _, k := range raw.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := k[private]; ok {
				t.Errorf("key %v publishes its private member %s", k["kid"], private)
			}
		}
		if claimString(k["kid"]) == "" || (k["use"] != nil && k["use"] != "sig") {
			t.Errorf("key kid %v use %v", k["kid"], k["use"])
		}
		rs = rs || k["kty"] == "RSA" && (k["alg"] == nil || k["alg"] == "RS256")
	}
	if !rs {
		t.Error("jwks_uri has no RS256 key")
	}
}

func sortedWords(s string) string {
	w := strings.Fields(s)
	slices.Sort(w)
	return strings.Join(w, " ")
}

// RP-Initiated Logout 1.0, 2.1.
func TestOIDF_oidcc_rp_initiated_logout_discovery_endpoint_verification(t *testing.T) {
	o := newOIDF(t)
	if u, err := url.Parse(claimString(o.disc["end_session_endpoint"])); err != nil || !u.IsAbs() {
		t.Fatalf("end_session_endpoint %v", o.disc["end_session_endpoint"])
	}
}

// Back-Channel Logout 1.0, 2.1 (sid support is what certification needs).
func TestOIDF_oidcc_backchannel_logout_discovery_endpoint_verification(t *testing.T) {
	o := newOIDF(t)
	if o.disc["backchannel_logout_supported"] != true || o.disc["backchannel_logout_session_supported"] != true ||
		claimString(o.disc["end_session_endpoint"]) == "" {
		t.Fatalf("backchannel_logout_supported %v, backchannel_logout_session_supported %v, end_session_endpoint %v",
			o.disc["backchannel_logout_supported"], o.disc["backchannel_logout_session_supported"], o.disc["end_session_endpoint"])
	}
}

// Front-Channel Logout 1.0, 3.
func TestOIDF_oidcc_frontchannel_logout_discovery_endpoint_verification(t *testing.T) {
	o := newOIDF(t)
	if o.disc["frontchannel_logout_supported"] != true || o.disc["frontchannel_logout_session_supported"] != true ||
		claimString(o.disc["end_session_endpoint"]) == "" {
		t.Fatalf("frontchannel_logout_supported %v, frontchannel_logout_session_supported %v, end_session_endpoint %v",
			o.disc["frontchannel_logout_supported"], o.disc["frontchannel_logout_session_supported"], o.disc["end_session_endpoint"])
	}
}

// OIDC Core 10.1.1: after a rotation of the ID token signing key, jwks_uri
// has the new key and still the old one, new ID tokens are signed with the
// new key and those issued before still verify.
func TestOIDF_oidcc_server_rotate_keys(t *testing.T) {
	o := newOIDF(t)
	c := o.register(t, "rp", nil)
	before := o.codeFlow(t, o.browser(t), c, nil)
	var old []string
	for _, k := range o.jwks(t).Keys {
		old = append(old, k.KeyID)
	}
	if !slices.Contains(old, before.IDHeader.KeyID) {
		t.Fatalf("kid %s not in %v", before.IDHeader.KeyID, old)
	}
	status, out := o.adminJSON(t, "POST", "/admin/keys/hydra.openid.id-token", map[string]any{"alg": "RS256", "use": "sig"})
	if status != http.StatusCreated {
		t.Fatalf("rotate: %d %v", status, out)
	}
	var fresh string
	for _, k := range o.jwks(t).Keys {
		if !slices.Contains(old, k.KeyID) {
			fresh = k.KeyID
		}
	}
	after := o.jwks(t)
	for _, kid := range old {
		if len(after.Key(kid)) == 0 {
			t.Fatalf("old key %s dropped at rotation", kid)
		}
	}
	if fresh == "" {
		t.Fatal("jwks_uri has no new key after the rotation")
	}
	o.verifyIDToken(t, before.RawID, c.ID, before.ID["nonce"].(string))
	now := o.codeFlow(t, o.browser(t), c, nil)
	if now.IDHeader.KeyID != fresh {
		t.Fatalf("ID token after the rotation signed with %s, new key %s", now.IDHeader.KeyID, fresh)
	}
}
