package openapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/warden-iam/warden/api/openapi"
	"github.com/warden-iam/warden/internal/app"
	"github.com/warden-iam/warden/internal/config"
)

// methods are the operation keys of an OpenAPI path item.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// doc is the part of the document the route tests read.
type doc struct {
	Servers []server            `json:"servers"`
	Paths   map[string]pathItem `json:"paths"`
}

type server struct {
	URL      string `json:"url"`
	Listener string `json:"x-warden-listener"`
}

type pathItem struct {
	Servers []server
	Ops     map[string]operation // by upper-case method
}

type operation struct {
	OperationID string   `json:"operationId"`
	Listeners   []string `json:"x-warden-listeners"`
}

func (p *pathItem) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	p.Ops = map[string]operation{}
	for k, v := range raw {
		switch {
		case k == "servers":
			if err := json.Unmarshal(v, &p.Servers); err != nil {
				return err
			}
		case slices.Contains(methods, k):
			var o operation
			if err := json.Unmarshal(v, &o); err != nil {
				return err
			}
			p.Ops[strings.ToUpper(k)] = o
		}
	}
	return nil
}

func readDoc(t *testing.T) doc {
	t.Helper()
	var d doc
	if err := json.Unmarshal(openapi.Document(), &d); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return d
}

func TestDocumentIsValidOpenAPI(t *testing.T) {
	b := openapi.Document()
	if !json.Valid(b) {
		t.Fatal("openapi.json is not valid JSON")
	}
	var head struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(b, &head); err != nil || head.OpenAPI != "3.0.3" {
		t.Fatalf("openapi version = %q (%v), want 3.0.3", head.OpenAPI, err)
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	d, err := loader.LoadFromData(b)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := d.Validate(context.Background()); err != nil {
		t.Fatalf("not a valid OpenAPI 3.0 document: %v", err)
	}
}

func TestEveryOperationNamesItsListeners(t *testing.T) {
	d := readDoc(t)
	byListener := map[string]server{}
	for _, s := range d.Servers {
		if s.Listener != "public" && s.Listener != "admin" {
			t.Fatalf("server %s: x-warden-listener = %q, want public or admin", s.URL, s.Listener)
		}
		byListener[s.Listener] = s
	}
	if len(byListener) != 2 || len(d.Servers) != 2 {
		t.Fatalf("want exactly one server per listener, got %+v", d.Servers)
	}
	ids := map[string]string{}
	for path, item := range d.Paths {
		var pathListeners []string
		for method, op := range item.Ops {
			where := method + " " + path
			if op.OperationID == "" {
				t.Errorf("%s: no operationId", where)
			} else if other, dup := ids[op.OperationID]; dup {
				t.Errorf("%s: operationId %s is also used by %s", where, op.OperationID, other)
			}
			ids[op.OperationID] = where
			ls := slices.Sorted(slices.Values(op.Listeners))
			if len(ls) == 0 || slices.ContainsFunc(ls, func(l string) bool { _, ok := byListener[l]; return !ok }) ||
				len(slices.Compact(slices.Clone(ls))) != len(ls) {
				t.Errorf("%s: x-warden-listeners = %v, want a non-empty set of public and admin", where, op.Listeners)
				continue
			}
			if pathListeners != nil && !slices.Equal(pathListeners, ls) {
				t.Errorf("%s: operations of one path must share their listeners (%v vs %v)", where, pathListeners, ls)
			}
			pathListeners = ls
		}
		// A path served by one listener only names that listener's server, so
		// clients built from the document call the right port.
		var want []string
		if len(pathListeners) == 1 {
			want = pathListeners
		}
		var got []string
		for _, s := range item.Servers {
			got = append(got, s.Listener)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: path-level servers name listeners %v, want %v", path, got, want)
		}
	}
}

// tinyModel is a permission model for building the app.
const tinyModel = `class User implements Namespace {}
class Doc implements Namespace {
  related: { viewers: User[] }
}
`

// newApp builds the app with the test configuration and the extra
// overrides sets ("dotted.key=value").
func newApp(t *testing.T, sets ...string) *app.App {
	t.Helper()
	cfg, err := config.Load(config.Sources{
		Env: func(string) (string, bool) { return "", false },
		Sets: append([]string{
			"serve.public.port=0", "serve.admin.port=0",
			"dsn=sqlite://" + filepath.Join(t.TempDir(), "w.db"),
			"permission.namespaces.location=base64://" + base64.StdEncoding.EncodeToString([]byte(tinyModel)),
			// routes that are off by default are documented too
			"oauth2.oidc.dynamic_client_registration.enabled=true",
		}, sets...),
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), app.Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// wildcard matches a path segment wildcard, {name} or {name...}, of either
// syntax.
var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// routeKey writes "METHOD /path" with wildcards unnamed, so a mux pattern and
// a documented path compare equal when they match the same requests.
func routeKey(method, path string) string {
	return method + " " + wildcard.ReplaceAllString(path, "{}")
}

func TestDocumentMatchesServedRoutes(t *testing.T) {
	a := newApp(t)
	served := map[string][]string{} // route key -> listeners serving it
	for _, l := range []struct {
		name    string
		pattern []string
	}{{"public", a.Public.Patterns()}, {"admin", a.Admin.Patterns()}} {
		for _, p := range l.pattern {
			if p == "/" {
				continue // the catch-all answering 404
			}
			if _, path, _ := strings.Cut(p, " "); path == "/{$}" || strings.HasPrefix(path, "/ui/") {
				continue // the built-in HTML pages (internal/ui) are not API
			}
			method, path, ok := strings.Cut(p, " ")
			if !ok || method == "" || !strings.HasPrefix(path, "/") {
				t.Errorf("%s listener: route %q has no method (or a host); register routes as \"METHOD /path\" so they can be documented", l.name, p)
				continue
			}
			k := routeKey(method, path)
			served[k] = append(served[k], l.name)
		}
	}
	if len(served) == 0 {
		t.Fatal("the app serves no routes")
	}
	documented := map[string][]string{}
	for path, item := range readDoc(t).Paths {
		for method, op := range item.Ops {
			documented[routeKey(method, path)] = slices.Sorted(slices.Values(op.Listeners))
		}
	}
	for _, k := range sortedKeys(served) {
		ls := slices.Sorted(slices.Values(served[k]))
		want, ok := documented[k]
		switch {
		case !ok:
			t.Errorf("%s is served on %v but not documented in api/openapi/openapi.json", k, ls)
		case !slices.Equal(want, ls):
			t.Errorf("%s is served on %v but documented (x-warden-listeners) as served on %v", k, ls, want)
		}
	}
	for _, k := range sortedKeys(documented) {
		if _, ok := served[k]; !ok {
			t.Errorf("%s is documented but neither listener serves it", k)
		}
	}
}

func TestBothListenersServeTheDocument(t *testing.T) {
	a := newApp(t)
	for name, h := range map[string]http.Handler{"public": a.Public, "admin": a.Admin} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: GET /openapi.json = %d", name, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type = %q", name, ct)
		}
		if !bytes.Equal(rec.Body.Bytes(), openapi.Document()) {
			t.Errorf("%s: served document differs from the embedded one", name)
		}
	}
}

// operationIDs are the operation ids clients are generated with: those of
// the Ory-compatible routes keep Ory's names, so Ory's SDKs and code written
// against them find the same methods.
var operationIDs = map[string]string{
	"GET /health/alive":                       "isAlive",
	"GET /health/ready":                       "isReady",
	"GET /version":                            "getVersion",
	"GET /openapi.json":                       "getOpenApiDocument",
	"GET /metrics/prometheus":                 "getMetrics",
	"GET /relation-tuples":                    "getRelationships",
	"GET /relation-tuples/check":              "checkPermissionOrError",
	"POST /relation-tuples/check":             "postCheckPermissionOrError",
	"GET /relation-tuples/check/openapi":      "checkPermission",
	"POST /relation-tuples/check/openapi":     "postCheckPermission",
	"POST /relation-tuples/batch/check":       "batchCheckPermission",
	"GET /relation-tuples/expand":             "expandPermissions",
	"GET /relation-tuples/list-objects":       "listObjects",
	"GET /relation-tuples/list-subjects":      "listSubjects",
	"GET /relation-tuples/changes":            "listChanges",
	"GET /namespaces":                         "listRelationshipNamespaces",
	"POST /opl/syntax/check":                  "checkOplSyntax",
	"PUT /admin/relation-tuples":              "createRelationship",
	"PATCH /admin/relation-tuples":            "patchRelationships",
	"DELETE /admin/relation-tuples":           "deleteRelationships",
	"GET /admin/keys/{}":                      "getJsonWebKeySet",
	"POST /admin/keys/{}":                     "createJsonWebKeySet",
	"PUT /admin/keys/{}":                      "setJsonWebKeySet",
	"DELETE /admin/keys/{}":                   "deleteJsonWebKeySet",
	"GET /admin/keys/{}/{}":                   "getJsonWebKey",
	"PUT /admin/keys/{}/{}":                   "setJsonWebKey",
	"DELETE /admin/keys/{}/{}":                "deleteJsonWebKey",
	"GET /.well-known/jwks.json":              "discoverJsonWebKeys",
	"POST /admin/clients":                     "createOAuth2Client",
	"GET /admin/clients":                      "listOAuth2Clients",
	"GET /admin/clients/{}":                   "getOAuth2Client",
	"PUT /admin/clients/{}":                   "setOAuth2Client",
	"PATCH /admin/clients/{}":                 "patchOAuth2Client",
	"DELETE /admin/clients/{}":                "deleteOAuth2Client",
	"PUT /admin/clients/{}/lifespans":         "setOAuth2ClientLifespans",
	"POST /admin/clients/{}/secrets/rotate":   "rotateOAuth2ClientSecret",
	"DELETE /admin/clients/{}/secrets/rotate": "deleteRotatedOAuth2ClientSecrets",

	"GET /admin/trust/grants/jwt-bearer/issuers":       "listTrustedOAuth2JwtGrantIssuers",
	"POST /admin/trust/grants/jwt-bearer/issuers":      "trustOAuth2JwtGrantIssuer",
	"GET /admin/trust/grants/jwt-bearer/issuers/{}":    "getTrustedOAuth2JwtGrantIssuer",
	"DELETE /admin/trust/grants/jwt-bearer/issuers/{}": "deleteTrustedOAuth2JwtGrantIssuer",

	"GET /oauth2/auth":                               "oAuth2Authorize",
	"POST /oauth2/auth":                              "postOAuth2Authorize",
	"POST /oauth2/token":                             "oauth2TokenExchange",
	"POST /oauth2/revoke":                            "revokeOAuth2Token",
	"GET /userinfo":                                  "getOidcUserInfo",
	"POST /userinfo":                                 "postOidcUserInfo",
	"POST /oauth2/device/auth":                       "oAuth2DeviceFlow",
	"GET /oauth2/device/verify":                      "performOAuth2DeviceVerificationFlow",
	"GET /oauth2/sessions/logout":                    "revokeOidcSession",
	"POST /oauth2/sessions/logout":                   "postRevokeOidcSession",
	"GET /.well-known/openid-configuration":          "discoverOidcConfiguration",
	"GET /.well-known/oauth-authorization-server":    "discoverOAuth2AuthorizationServer",
	"GET /oauth2/fallbacks/{}":                       "getOAuth2FallbackPage",
	"GET /admin/oauth2/auth/requests/login":          "getOAuth2LoginRequest",
	"PUT /admin/oauth2/auth/requests/login/accept":   "acceptOAuth2LoginRequest",
	"PUT /admin/oauth2/auth/requests/login/reject":   "rejectOAuth2LoginRequest",
	"GET /admin/oauth2/auth/requests/consent":        "getOAuth2ConsentRequest",
	"PUT /admin/oauth2/auth/requests/consent/accept": "acceptOAuth2ConsentRequest",
	"PUT /admin/oauth2/auth/requests/consent/reject": "rejectOAuth2ConsentRequest",
	"GET /admin/oauth2/auth/requests/logout":         "getOAuth2LogoutRequest",
	"PUT /admin/oauth2/auth/requests/logout/accept":  "acceptOAuth2LogoutRequest",
	"PUT /admin/oauth2/auth/requests/logout/reject":  "rejectOAuth2LogoutRequest",
	"PUT /admin/oauth2/auth/requests/device/accept":  "acceptUserCodeRequest",
	"GET /admin/oauth2/auth/sessions/consent":        "listOAuth2ConsentSessions",
	"DELETE /admin/oauth2/auth/sessions/consent":     "revokeOAuth2ConsentSessions",
	"DELETE /admin/oauth2/auth/sessions/login":       "revokeOAuth2LoginSessions",
	"POST /admin/oauth2/introspect":                  "introspectOAuth2Token",
	"DELETE /admin/oauth2/tokens":                    "deleteOAuth2Token",
	"POST /oauth2/register":                          "createOidcDynamicClient",
	"GET /oauth2/register/{}":                        "getOidcDynamicClient",
	"PUT /oauth2/register/{}":                        "setOidcDynamicClient",
	"DELETE /oauth2/register/{}":                     "deleteOidcDynamicClient",

	"GET /admin/identities":                      "listIdentities",
	"POST /admin/identities":                     "createIdentity",
	"PATCH /admin/identities":                    "batchPatchIdentities",
	"GET /admin/identities/{}":                   "getIdentity",
	"PUT /admin/identities/{}":                   "updateIdentity",
	"PATCH /admin/identities/{}":                 "patchIdentity",
	"DELETE /admin/identities/{}":                "deleteIdentity",
	"GET /admin/identities/by/external/{}":       "getIdentityByExternalID",
	"DELETE /admin/identities/{}/credentials/{}": "deleteIdentityCredentials",
	"GET /admin/identities/{}/sessions":          "listIdentitySessions",
	"DELETE /admin/identities/{}/sessions":       "deleteIdentitySessions",
	"GET /admin/sessions":                        "listSessions",
	"GET /admin/sessions/{}":                     "getSession",
	"DELETE /admin/sessions/{}":                  "disableSession",
	"PATCH /admin/sessions/{}/extend":            "extendSession",
	"POST /admin/recovery/link":                  "createRecoveryLinkForIdentity",
	"POST /admin/recovery/code":                  "createRecoveryCodeForIdentity",
	"GET /admin/courier/messages":                "listCourierMessages",
	"GET /admin/courier/messages/{}":             "getCourierMessage",
	"GET /schemas":                               "listIdentitySchemas",
	"GET /schemas/{}":                            "getIdentitySchema",
	"GET /sessions/whoami":                       "toSession",
	"HEAD /sessions/whoami":                      "headToSession",
	"POST /sessions/whoami":                      "postToSession",
	"PUT /sessions/whoami":                       "putToSession",
	"PATCH /sessions/whoami":                     "patchToSession",
	"DELETE /sessions/whoami":                    "deleteToSession",
	"GET /sessions":                              "listMySessions",
	"DELETE /sessions":                           "disableMyOtherSessions",
	"DELETE /sessions/{}":                        "disableMySession",
	"DELETE /self-service/logout/api":            "performNativeLogout",
	"GET /self-service/logout/browser":           "createBrowserLogoutFlow",
	"GET /self-service/logout":                   "updateLogoutFlow",
	"GET /self-service/errors":                   "getFlowError",
	"GET /self-service/login/browser":            "createBrowserLoginFlow",
	"GET /self-service/login/api":                "createNativeLoginFlow",
	"GET /self-service/login/flows":              "getLoginFlow",
	"POST /self-service/login":                   "updateLoginFlow",
	"GET /self-service/login":                    "getUpdateLoginFlow",
	"GET /self-service/registration/browser":     "createBrowserRegistrationFlow",
	"GET /self-service/registration/api":         "createNativeRegistrationFlow",
	"GET /self-service/registration/flows":       "getRegistrationFlow",
	"POST /self-service/registration":            "updateRegistrationFlow",
	"GET /self-service/registration":             "getUpdateRegistrationFlow",
	"GET /self-service/settings/browser":         "createBrowserSettingsFlow",
	"GET /self-service/settings/api":             "createNativeSettingsFlow",
	"GET /self-service/settings/flows":           "getSettingsFlow",
	"POST /self-service/settings":                "updateSettingsFlow",
	"GET /self-service/settings":                 "getUpdateSettingsFlow",
	"GET /self-service/recovery/browser":         "createBrowserRecoveryFlow",
	"GET /self-service/recovery/api":             "createNativeRecoveryFlow",
	"GET /self-service/recovery/flows":           "getRecoveryFlow",
	"POST /self-service/recovery":                "updateRecoveryFlow",
	"GET /self-service/recovery":                 "getUpdateRecoveryFlow",
	"GET /self-service/verification/browser":     "createBrowserVerificationFlow",
	"GET /self-service/verification/api":         "createNativeVerificationFlow",
	"GET /self-service/verification/flows":       "getVerificationFlow",
	"POST /self-service/verification":            "updateVerificationFlow",
	"GET /self-service/verification":             "getUpdateVerificationFlow",
}

func TestOperationIDsAreStable(t *testing.T) {
	for path, item := range readDoc(t).Paths {
		for method, op := range item.Ops {
			k := routeKey(method, path)
			want, ok := operationIDs[k]
			if !ok {
				t.Errorf("%s (%s) is new: add its operationId to operationIDs in this test", k, op.OperationID)
				continue
			}
			if op.OperationID != want {
				t.Errorf("%s: operationId %s, want %s", k, op.OperationID, want)
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// exchange is one request of TestResponsesMatchTheDocument.
type exchange struct {
	listener    string // "public", "native" or "admin"; see walker
	method      string
	target      string // path and query; {id} and {name} are filled in, see below
	contentType string
	body        string // {name} is filled in, as in target
	want        int    // expected status
}

// TestResponsesMatchTheDocument sends requests to every documented
// operation and checks each answer against the document: its status is
// documented for that operation, its body validates against the schema given
// for that status and carries no field the schema does not name, a documented
// X-Snaptoken header is sent, and a response documented without content has
// none.
//
// The requests run in order against one server, so later ones can use what
// earlier ones made: {id} in a target is the id of the last 201 answer, and
// {name} in a target or body is the last value named name an answer handed
// out (see capture), such as a login_challenge from a redirect or an
// access_token from the token endpoint. Public requests come from one
// browser, which sends back the cookies the answers set; native requests
// come from an app without cookies (see walker). The identity walk
// (identitySteps) follows the OAuth2 walk.
func TestResponsesMatchTheDocument(t *testing.T) {
	a := newApp(t)
	const (
		alice = `{"namespace":"Doc","object":"readme","relation":"viewers","subject_id":"alice"}`
		eve   = `{"namespace":"Doc","object":"readme","relation":"viewers","subject_id":"eve"}`
		check = "namespace=Doc&object=readme&relation=viewers&subject_id="
		// an imported symmetric key (32 zero bytes)
		hmacKey = `{"kty":"oct","kid":"h1","alg":"HS256","use":"sig","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`
		// an OAuth2 client with every field the API documents set
		fullClient = `{"client_id":"web","client_name":"Web","owner":"team-a","redirect_uris":["https://web.example/cb"],` +
			`"grant_types":["authorization_code","refresh_token","client_credentials"],"response_types":["code","code id_token"],` +
			`"scope":"openid offline_access","audience":["https://api.example"],"allowed_cors_origins":["https://web.example"],` +
			`"token_endpoint_auth_method":"client_secret_post","post_logout_redirect_uris":["https://web.example/bye"],` +
			`"frontchannel_logout_uri":"https://web.example/fc","frontchannel_logout_session_required":true,` +
			`"backchannel_logout_uri":"https://web.example/bc","backchannel_logout_session_required":true,` +
			`"client_uri":"https://web.example","logo_uri":"https://web.example/logo.png","policy_uri":"https://web.example/policy",` +
			`"tos_uri":"https://web.example/tos","contacts":["ops@web.example"],"metadata":{"tier":"gold"},"subject_type":"public",` +
			`"access_token_strategy":"jwt","skip_consent":true,"skip_logout_consent":true,` +
			`"authorization_code_grant_access_token_lifespan":"1h","refresh_token_grant_refresh_token_lifespan":"720h"}`
		// a private_key_jwt client with its public key
		keyClient = `{"client_id":"signed","token_endpoint_auth_method":"private_key_jwt","grant_types":["client_credentials"],` +
			`"jwks":{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","use":"sig","alg":"ES256",` +
			`"x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}}`
		// JWT-bearer grant trust relationships (RFC 7523), with that public key
		trustPath  = "/admin/trust/grants/jwt-bearer/issuers"
		trustKey   = `"jwk":{"kty":"EC","crv":"P-256","kid":"t1","alg":"ES256","use":"sig","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`
		trustAlice = `{"issuer":"https://idp.example","subject":"alice","scope":["openid"],` + trustKey + `,"expires_at":"2999-01-01T00:00:00Z"}`
		trustAny   = `{"issuer":"https://idp.example","allow_any_subject":true,"scope":[],` + trustKey + `,"expires_at":"2999-01-01T00:00:00Z"}`
		// a confidential web app using every grant of a browser or device,
		// and how it authenticates at the token endpoint
		appClient = `{"client_id":"app","client_secret":"app-secret-4f8a2c91","redirect_uris":["https://app.example/cb"],` +
			`"grant_types":["authorization_code","refresh_token","client_credentials","urn:ietf:params:oauth:grant-type:device_code"],` +
			`"response_types":["code"],"scope":"openid offline_access","audience":["https://api.example"],` +
			`"token_endpoint_auth_method":"client_secret_post","post_logout_redirect_uris":["https://app.example/bye"],` +
			`"frontchannel_logout_uri":"https://app.example/fc"}`
		appAuth   = "client_id=app&client_secret=app-secret-4f8a2c91"
		form      = "application/x-www-form-urlencoded"
		callback  = "redirect_uri=https%3A%2F%2Fapp.example%2Fcb"
		authorize = "/oauth2/auth?client_id=app&response_type=code&scope=openid+offline_access&" + callback +
			"&state=st4te-8c1d5a7e&nonce=n0nce-3b9f6e2a"
		// what the login and consent apps answer
		login   = `{"subject":"alice","remember":true,"remember_for":3600,"acr":"urn:example:pwd","amr":["pwd"],"context":{"ip":"192.0.2.1"}}`
		consent = `{"grant_scope":["openid","offline_access"],"grant_access_token_audience":["https://api.example"],"remember":true,` +
			`"remember_for":3600,"session":{"id_token":{"email":"alice@example.com"},"access_token":{"tenant":"acme"}}}`
		loginRequests   = "/admin/oauth2/auth/requests/login"
		consentRequests = "/admin/oauth2/auth/requests/consent"
		logoutRequests  = "/admin/oauth2/auth/requests/logout"
	)
	exchanges := []exchange{
		// writes first, so the reads below have something to find
		{"admin", "PUT", "/admin/relation-tuples", "application/json", alice, 201},
		{"admin", "PUT", "/admin/relation-tuples", "application/json",
			`{"namespace":"Doc","object":"guide","relation":"viewers","subject_set":{"namespace":"User","object":"bob","relation":""}}`, 201},
		{"admin", "PUT", "/admin/relation-tuples", "application/json", `{"namespace":"Nope","object":"x","relation":"r","subject_id":"a"}`, 404},
		{"admin", "PUT", "/admin/relation-tuples", "text/plain", alice, 415},
		{"admin", "PATCH", "/admin/relation-tuples", "application/json",
			`[{"action":"insert","relation_tuple":{"namespace":"Doc","object":"old","relation":"viewers","subject_id":"alice"}}]`, 204},
		{"admin", "PATCH", "/admin/relation-tuples", "application/json", `[{"action":"upsert","relation_tuple":` + alice + `}]`, 400},
		{"admin", "DELETE", "/admin/relation-tuples?namespace=Doc&object=old", "", "", 204},
		{"admin", "DELETE", "/admin/relation-tuples", "", "", 400},

		{"public", "GET", "/health/alive", "", "", 200},
		{"admin", "GET", "/health/ready", "", "", 200},
		{"public", "GET", "/version", "", "", 200},
		{"admin", "GET", "/openapi.json", "", "", 200},
		{"admin", "GET", "/metrics/prometheus", "", "", 200},

		{"public", "GET", "/relation-tuples?namespace=Doc&page_size=1", "", "", 200},
		{"public", "GET", "/relation-tuples?subject_set.namespace=User", "", "", 400},
		{"public", "GET", "/relation-tuples?namespace=Nope", "", "", 404},
		{"public", "GET", "/relation-tuples/check?" + check + "alice", "", "", 200},
		{"public", "GET", "/relation-tuples/check?" + check + "eve", "", "", 403},
		{"public", "GET", "/relation-tuples/check?" + check + "alice&max-depth=-1", "", "", 400},
		{"public", "POST", "/relation-tuples/check", "application/json", alice, 200},
		{"public", "POST", "/relation-tuples/check", "application/json", eve, 403},
		{"public", "POST", "/relation-tuples/check", "text/plain", alice, 415},
		{"admin", "GET", "/relation-tuples/check/openapi?" + check + "eve", "", "", 200},
		{"admin", "GET", "/relation-tuples/check/openapi?namespace=Nope&object=x&relation=r&subject_id=a", "", "", 404},
		{"admin", "POST", "/relation-tuples/check/openapi?snaptoken=bogus", "application/json", alice, 400},
		{"admin", "POST", "/relation-tuples/check/openapi", "application/json", eve, 200},
		{"public", "POST", "/relation-tuples/batch/check", "application/json",
			`{"tuples":[` + alice + `,` + eve + `,{"namespace":"Nope","object":"x","relation":"r","subject_id":"a"}]}`, 200},
		{"public", "GET", "/relation-tuples/expand?namespace=Doc&object=readme&relation=viewers", "", "", 200},
		{"public", "GET", "/relation-tuples/expand?namespace=Doc", "", "", 400},
		{"public", "GET", "/relation-tuples/list-objects?namespace=Doc&relation=viewers&subject_id=alice", "", "", 200},
		{"public", "GET", "/relation-tuples/list-objects?namespace=Doc", "", "", 400},
		{"public", "GET", "/relation-tuples/list-subjects?namespace=Doc&object=guide&relation=viewers", "", "", 200},
		{"public", "GET", "/relation-tuples/list-subjects?namespace=Nope&object=x&relation=r", "", "", 404},
		{"public", "GET", "/relation-tuples/changes?page_size=2", "", "", 200},
		{"public", "GET", "/relation-tuples/changes?wait=5m", "", "", 400},
		{"public", "GET", "/namespaces", "", "", 200},
		{"public", "POST", "/opl/syntax/check", "text/plain", "class Doc implements Namespace {", 200},

		// JSON Web Keys
		{"public", "GET", "/.well-known/jwks.json", "", "", 200},
		{"admin", "POST", "/admin/keys/app", "application/json", `{"alg":"ES256","kid":"e1","use":"sig"}`, 201},
		{"admin", "POST", "/admin/keys/app", "application/json", `{"alg":"RS256","kid":"r1","use":"sig"}`, 201},
		{"admin", "POST", "/admin/keys/app", "application/json", `{"alg":"ES256","kid":"e1","use":"sig"}`, 409},
		{"admin", "POST", "/admin/keys/app", "application/json", `{"alg":"RS1024","use":"sig"}`, 400},
		{"admin", "POST", "/admin/keys/app", "text/plain", `{"alg":"ES256"}`, 415},
		{"admin", "GET", "/admin/keys/app", "", "", 200},
		{"admin", "GET", "/admin/keys/nope", "", "", 404},
		{"admin", "GET", "/admin/keys/app/r1", "", "", 200},
		{"admin", "GET", "/admin/keys/app/nope", "", "", 404},
		{"admin", "PUT", "/admin/keys/app/h1", "application/json", hmacKey, 200},
		{"admin", "PUT", "/admin/keys/app/other", "application/json", hmacKey, 400},
		{"admin", "PUT", "/admin/keys/copy", "application/json", `{"keys":[` + hmacKey + `]}`, 200},
		{"admin", "PUT", "/admin/keys/copy", "application/json", `{"keys":[]}`, 400},
		{"admin", "DELETE", "/admin/keys/app/e1", "", "", 204},
		{"admin", "DELETE", "/admin/keys/app/e1", "", "", 404},
		{"admin", "DELETE", "/admin/keys/copy", "", "", 204},
		{"admin", "DELETE", "/admin/keys/copy", "", "", 404},

		// OAuth2 clients
		{"admin", "POST", "/admin/clients", "application/json", fullClient, 201},
		{"admin", "POST", "/admin/clients", "application/json", `{"client_id":"spa","client_name":"SPA","token_endpoint_auth_method":"none",` +
			`"redirect_uris":["http://localhost:3000/cb"],"metadata":{"a":1}}`, 201},
		{"admin", "POST", "/admin/clients", "application/json", keyClient, 201},
		{"admin", "GET", "/admin/clients/signed", "", "", 200},
		{"admin", "POST", "/admin/clients", "application/json", `{"client_id":"web"}`, 409},
		{"admin", "POST", "/admin/clients", "application/json", `{"redirect_uris":["http://evil.example/cb"]}`, 400},
		{"admin", "POST", "/admin/clients", "text/plain", `{}`, 415},
		{"admin", "GET", "/admin/clients?page_size=1", "", "", 200},
		{"admin", "GET", "/admin/clients?owner=team-a&client_name=Web", "", "", 200},
		{"admin", "GET", "/admin/clients?page_size=0", "", "", 400},
		{"admin", "GET", "/admin/clients/web", "", "", 200},
		{"admin", "GET", "/admin/clients/nope", "", "", 404},
		{"admin", "PUT", "/admin/clients/spa", "application/json", `{"client_name":"SPA 2","token_endpoint_auth_method":"client_secret_post"}`, 200},
		{"admin", "PUT", "/admin/clients/spa", "application/json", `{"client_id":"other"}`, 400},
		{"admin", "PUT", "/admin/clients/nope", "application/json", `{}`, 404},
		{"admin", "PUT", "/admin/clients/spa", "text/plain", `{}`, 415},
		{"admin", "PATCH", "/admin/clients/web", "application/json", `[{"op":"replace","path":"/client_name","value":"Web 2"}]`, 200},
		{"admin", "PATCH", "/admin/clients/web", "application/json", `[{"op":"replace","path":"/client_id","value":"x"}]`, 400},
		{"admin", "PATCH", "/admin/clients/nope", "application/json", `[]`, 404},
		{"admin", "PATCH", "/admin/clients/web", "text/plain", `[]`, 415},
		{"admin", "PUT", "/admin/clients/web/lifespans", "application/json", `{"implicit_grant_id_token_lifespan":"90m"}`, 200},
		{"admin", "PUT", "/admin/clients/web/lifespans", "application/json", `{"implicit_grant_id_token_lifespan":"0s"}`, 400},
		{"admin", "PUT", "/admin/clients/nope/lifespans", "application/json", `{}`, 404},
		{"admin", "PUT", "/admin/clients/web/lifespans", "text/plain", `{}`, 415},
		{"admin", "POST", "/admin/clients/web/secrets/rotate", "", "", 200},
		{"admin", "POST", "/admin/clients/nope/secrets/rotate", "", "", 404},
		{"admin", "DELETE", "/admin/clients/web/secrets/rotate", "", "", 200},
		{"admin", "DELETE", "/admin/clients/nope/secrets/rotate", "", "", 404},
		{"admin", "DELETE", "/admin/clients/spa", "", "", 204},
		{"admin", "DELETE", "/admin/clients/spa", "", "", 404},

		// JWT-bearer grant trust relationships; {id} is the last one created
		{"admin", "POST", trustPath, "application/json", trustAlice, 201},
		{"admin", "GET", trustPath + "/{id}", "", "", 200},
		{"admin", "POST", trustPath, "application/json", trustAny, 201},
		{"admin", "POST", trustPath, "application/json", trustAlice, 409},
		{"admin", "POST", trustPath, "application/json", strings.Replace(trustAlice, `"alice"`, `"alice","allow_any_subject":true`, 1), 400},
		{"admin", "POST", trustPath, "application/json", strings.Replace(trustAlice, "2999", "2001", 1), 400},
		{"admin", "POST", trustPath, "text/plain", trustAlice, 415},
		{"admin", "GET", trustPath + "?page_size=1", "", "", 200},
		{"admin", "GET", trustPath + "?issuer=https%3A%2F%2Fidp.example", "", "", 200},
		{"admin", "GET", trustPath + "?page_size=0", "", "", 400},
		{"admin", "GET", trustPath + "/nope", "", "", 404},
		{"admin", "DELETE", trustPath + "/{id}", "", "", 204},
		{"admin", "DELETE", trustPath + "/{id}", "", "", 404},

		// The OAuth2 provider: a client, then its users' flows through the
		// login, consent and logout apps (played by the admin requests).
		{"public", "GET", "/.well-known/openid-configuration", "", "", 200},
		{"public", "GET", "/.well-known/oauth-authorization-server", "", "", 200},
		{"public", "GET", "/oauth2/fallbacks/consent?error=no_app", "", "", 200},
		{"public", "GET", "/oauth2/fallbacks/nope", "", "", 404},
		{"admin", "POST", "/admin/clients", "application/json", appClient, 201},
		// dynamic client registration; managing the client needs its
		// registration access token as a Bearer token, which these requests
		// cannot send
		{"public", "POST", "/oauth2/register", "application/json", `{"client_name":"Self-service","redirect_uris":["https://rp.example/cb"],` +
			`"grant_types":["authorization_code","refresh_token"],"response_types":["code"],"scope":"openid offline_access",` +
			`"initiate_login_uri":"https://rp.example/login","request_uris":["https://rp.example/request.jwt"],` +
			`"request_object_signing_alg":"ES256","userinfo_signed_response_alg":"none","id_token_signed_response_alg":"ES256"}`, 201},
		{"public", "GET", "/oauth2/register/{client_id}", "", "", 401},
		{"public", "PUT", "/oauth2/register/{client_id}", "application/json", `{"client_name":"Renamed"}`, 401},
		{"public", "DELETE", "/oauth2/register/{client_id}", "", "", 401},
		{"public", "POST", "/oauth2/register", "application/json", `{"client_id":"mine","redirect_uris":["https://rp.example/cb"]}`, 400},
		{"public", "POST", "/oauth2/register", "application/json", `{"redirect_uris":["http://rp.example/cb"]}`, 400},
		{"public", "POST", "/oauth2/register", "text/plain", `{}`, 400},
		// logging out of a browser without a session
		{"public", "GET", "/oauth2/sessions/logout", "", "", 302},
		{"public", "POST", "/oauth2/sessions/logout", form, "client_id=nope", 400},
		// authorization requests refused before and after the redirect URI is known
		{"public", "GET", "/oauth2/auth?client_id=nope&response_type=code", "", "", 400},
		{"public", "POST", "/oauth2/auth", form, "client_id=app&response_type=token&response_mode=form_post&" + callback, 200},
		{"public", "GET", "/oauth2/auth?client_id=app&response_type=code&scope=admin&" + callback, "", "", 302},
		// login
		{"public", "GET", authorize, "", "", 302},
		{"admin", "GET", loginRequests + "?login_challenge={login_challenge}", "", "", 200},
		{"admin", "GET", loginRequests + "?login_challenge=nope", "", "", 404},
		{"admin", "GET", loginRequests, "", "", 400},
		{"admin", "PUT", loginRequests + "/accept?login_challenge={login_challenge}", "application/json", `{"remember":true}`, 400},
		{"admin", "PUT", loginRequests + "/accept?login_challenge=nope", "application/json", login, 404},
		{"admin", "PUT", loginRequests + "/accept?login_challenge={login_challenge}", "application/json", login, 200},
		{"admin", "GET", loginRequests + "?login_challenge={login_challenge}", "", "", 410},
		{"admin", "PUT", loginRequests + "/accept?login_challenge={login_challenge}", "application/json", login, 410},
		{"admin", "PUT", loginRequests + "/reject?login_challenge={login_challenge}", "application/json", `{}`, 410},
		// consent
		{"public", "GET", "/oauth2/auth?login_verifier={login_verifier}", "", "", 302},
		{"admin", "GET", consentRequests + "?consent_challenge={consent_challenge}", "", "", 200},
		{"admin", "GET", consentRequests + "?consent_challenge=nope", "", "", 404},
		{"admin", "PUT", consentRequests + "/accept?consent_challenge={consent_challenge}", "application/json", `{"grant_scope":["admin"]}`, 400},
		{"admin", "PUT", consentRequests + "/accept?consent_challenge=nope", "application/json", consent, 404},
		{"admin", "PUT", consentRequests + "/accept?consent_challenge={consent_challenge}", "application/json", consent, 200},
		{"admin", "GET", consentRequests + "?consent_challenge={consent_challenge}", "", "", 410},
		{"admin", "PUT", consentRequests + "/reject?consent_challenge={consent_challenge}", "application/json", `{}`, 410},
		// the code goes back to the app, which redeems it
		{"public", "GET", "/oauth2/auth?consent_verifier={consent_verifier}", "", "", 302},
		{"public", "POST", "/oauth2/token", form, "grant_type=authorization_code&code={code}&" + callback + "&" + appAuth, 200},
		{"public", "POST", "/oauth2/token", form, "grant_type=password&username=alice&password=secret&" + appAuth, 400},
		{"public", "POST", "/oauth2/token", form, "grant_type=client_credentials&client_id=nope&client_secret=wrong-secret", 401},
		{"public", "POST", "/oauth2/token", "application/json", `{"grant_type":"client_credentials"}`, 400},
		{"public", "GET", "/userinfo", "", "", 401},
		{"public", "POST", "/userinfo", form, "access_token={access_token}", 200},
		{"public", "POST", "/userinfo", form, "access_token=ory_at_nope", 401},
		{"admin", "POST", "/admin/oauth2/introspect", form, "token={access_token}&scope=openid", 200},
		{"admin", "POST", "/admin/oauth2/introspect", form, "token=ory_at_nope", 200},
		{"admin", "POST", "/admin/oauth2/introspect", form, "scope=openid", 400},
		{"admin", "GET", "/admin/oauth2/auth/sessions/consent?subject=alice", "", "", 200},
		{"admin", "GET", "/admin/oauth2/auth/sessions/consent?subject=bob&page_size=10", "", "", 200},
		{"admin", "GET", "/admin/oauth2/auth/sessions/consent", "", "", 400},
		{"public", "POST", "/oauth2/token", form, "grant_type=refresh_token&refresh_token={refresh_token}&" + appAuth, 200},
		{"public", "POST", "/oauth2/token", form, "grant_type=client_credentials&scope=offline_access&audience=https%3A%2F%2Fapi.example&" + appAuth, 200},
		{"public", "POST", "/oauth2/revoke", form, "token={refresh_token}&" + appAuth, 200},
		{"public", "POST", "/oauth2/revoke", form, "token={access_token}&client_id=app&client_secret=wrong-secret", 401},
		{"public", "POST", "/oauth2/revoke", form, appAuth, 400},
		// a code redeemed twice: refused, and what it gave is revoked
		{"public", "POST", "/oauth2/token", form, "grant_type=authorization_code&code={code}&" + callback + "&" + appAuth, 400},
		// a login the app refuses, then a consent it refuses (the browser's
		// session skips the login form the second time)
		{"public", "GET", authorize, "", "", 302},
		{"admin", "PUT", loginRequests + "/reject?login_challenge=nope", "application/json", `{}`, 404},
		{"admin", "PUT", loginRequests + "/reject?login_challenge={login_challenge}", "application/json",
			`{"error":"access_denied","error_description":"The user cancelled the sign-in."}`, 200},
		{"public", "GET", "/oauth2/auth?login_verifier={login_verifier}", "", "", 302},
		{"public", "GET", authorize, "", "", 302},
		{"admin", "PUT", loginRequests + "/accept?login_challenge={login_challenge}", "application/json", login, 200},
		{"public", "GET", "/oauth2/auth?login_verifier={login_verifier}", "", "", 302},
		{"admin", "PUT", consentRequests + "/reject?consent_challenge=nope", "application/json", `{}`, 404},
		{"admin", "PUT", consentRequests + "/reject?consent_challenge={consent_challenge}", "application/json", `{"status_code":403}`, 200},
		{"public", "GET", "/oauth2/auth?consent_verifier={consent_verifier}", "", "", 302},
		// the device authorization grant
		{"public", "POST", "/oauth2/device/auth", form, "client_id=nope&client_secret=wrong-secret", 401},
		{"public", "POST", "/oauth2/device/auth", form, "scope=openid+offline_access&" + appAuth, 200},
		{"public", "POST", "/oauth2/token", form, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code={device_code}&" + appAuth, 400},
		{"public", "GET", "/oauth2/device/verify", "", "", 302},
		{"admin", "PUT", "/admin/oauth2/auth/requests/device/accept?device_challenge={device_challenge}", "application/json", `{"user_code":"BCDFGHJK"}`, 400},
		{"admin", "PUT", "/admin/oauth2/auth/requests/device/accept?device_challenge=nope", "application/json", `{"user_code":"{user_code}"}`, 404},
		{"admin", "PUT", "/admin/oauth2/auth/requests/device/accept?device_challenge={device_challenge}", "application/json", `{"user_code":"{user_code}"}`, 200},
		{"admin", "PUT", "/admin/oauth2/auth/requests/device/accept?device_challenge={device_challenge}", "application/json", `{"user_code":"{user_code}"}`, 410},
		{"public", "GET", "/oauth2/device/verify?device_verifier={device_verifier}", "", "", 302},
		{"public", "GET", "/oauth2/device/verify?device_verifier={device_verifier}", "", "", 400},
		// logging out of the browser's session: refused once, then accepted
		{"public", "GET", "/oauth2/sessions/logout", "", "", 302},
		{"admin", "GET", logoutRequests + "?logout_challenge={logout_challenge}", "", "", 200},
		{"admin", "GET", logoutRequests + "?logout_challenge=nope", "", "", 404},
		{"admin", "PUT", logoutRequests + "/reject?logout_challenge={logout_challenge}", "", "", 204},
		{"admin", "PUT", logoutRequests + "/reject?logout_challenge={logout_challenge}", "", "", 410},
		{"admin", "PUT", logoutRequests + "/reject?logout_challenge=nope", "", "", 404},
		{"admin", "GET", logoutRequests + "?logout_challenge={logout_challenge}", "", "", 410},
		{"public", "POST", "/oauth2/sessions/logout", form, "client_id=app&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fbye&state=bye-5d2e", 302},
		{"admin", "GET", logoutRequests + "?logout_challenge={logout_challenge}", "", "", 200},
		{"admin", "PUT", logoutRequests + "/accept?logout_challenge=nope", "", "", 404},
		{"admin", "PUT", logoutRequests + "/accept?logout_challenge={logout_challenge}", "", "", 200},
		{"admin", "PUT", logoutRequests + "/accept?logout_challenge={logout_challenge}", "", "", 410},
		{"public", "GET", "/oauth2/sessions/logout?logout_verifier={logout_verifier}", "", "", 200},
		// what the operator revokes
		{"admin", "DELETE", "/admin/oauth2/auth/sessions/consent?subject=alice&client=app", "", "", 204},
		{"admin", "DELETE", "/admin/oauth2/auth/sessions/consent?subject=alice&all=true", "", "", 204},
		{"admin", "DELETE", "/admin/oauth2/auth/sessions/consent?subject=alice", "", "", 400},
		{"admin", "DELETE", "/admin/oauth2/auth/sessions/login?subject=alice", "", "", 204},
		{"admin", "DELETE", "/admin/oauth2/auth/sessions/login", "", "", 400},
		{"admin", "DELETE", "/admin/oauth2/tokens?client_id=app", "", "", 204},
		{"admin", "DELETE", "/admin/oauth2/tokens", "", "", 400},
	}

	w := newWalker(t, a)
	for _, x := range exchanges {
		w.do(x)
	}
	for _, s := range identitySteps() {
		w.do(s.exchange, s.headers...)
	}

	// The readiness probe's 503, with the database gone.
	a.Close()
	rec := httptest.NewRecorder()
	a.Public.ServeHTTP(rec, httptest.NewRequest("GET", "/health/ready", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("readiness with the database closed: %d", rec.Code)
	} else {
		sch, err := w.compiler.Compile(docURL + "#/paths/~1health~1ready/get/responses/503/content/application~1json/schema")
		if err != nil {
			t.Fatal(err)
		}
		inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(rec.Body.Bytes()))
		if err := sch.Validate(inst); err != nil {
			t.Errorf("readiness 503 body %s: %v", rec.Body, err)
		}
	}

	for path, item := range readDoc(t).Paths {
		for method := range item.Ops {
			if k := routeKey(method, path); !w.exercised[k] {
				t.Errorf("%s is documented but no exchange of this test exercises it: add one", k)
			}
		}
	}
}

// step is an exchange with the headers it sends ("Name: value", {name}
// filled in as in the target).
type step struct {
	exchange
	headers []string
}

// identitySteps walk the identity API as its clients use it: the operator
// manages identities, a native app signs a person up, checks her session,
// signs her in and out, changes her settings and recovers and verifies her
// address; a browser does the same with forms and as a single-page app; the
// operator looks at sessions and the outbox. {flow} is the flow the last
// answer named, {csrf_token} the CSRF token of its form, {session_token}
// the last session token handed out; see capture for the others.
func identitySteps() []step {
	const (
		js   = "application/json"
		form = "application/x-www-form-urlencoded"
		// an identity the operator imports, with a password, a linked
		// social account and a verified address
		grace = `{"schema_id":"default","traits":{"email":"grace@example.org","name":{"first":"Grace","last":"Hopper"}},` +
			`"external_id":"ext-grace","metadata_public":{"team":"compilers"},"metadata_admin":{"badge":7},` +
			`"credentials":{"password":{"config":{"password":"Cobol-Compiler-1959"}},` +
			`"oidc":{"config":{"providers":[{"provider":"github","subject":"4711"}]}}},` +
			`"verifiable_addresses":[{"value":"grace@example.org","via":"email","verified":true,"status":"completed"}]}`
		graceUpdate = `{"schema_id":"default","state":"active","traits":{"email":"grace@example.org","name":{"first":"Grace"}},` +
			`"external_id":"ext-grace"}`
		batch = `{"identities":[{"patch_id":"6f1c2a9e-8b3d-4e5f-9a7b-1c2d3e4f5a6b","create":{"traits":{"email":"alan@example.org"}}},` +
			`{"create":{"traits":{}}}]}`
		// the person who signs up in a native app, and her passwords
		ada       = `"traits":{"email":"ada@example.org","name":{"first":"Ada"}}`
		password  = "Analytical-Engine-1843"
		password2 = "Difference-Engine-1822"
		unknown   = "00000000-0000-4000-8000-000000000000"
		evil      = "return_to=https%3A%2F%2Fevil.example%2F"
	)
	token := []string{"X-Session-Token: {session_token}"}
	spa := []string{"Accept: application/json"}
	return []step{
		// the operator's identities; {id} is grace
		{exchange{"admin", "POST", "/admin/identities", js, grace, 201}, nil},
		{exchange{"admin", "POST", "/admin/identities", js, grace, 409}, nil},
		{exchange{"admin", "POST", "/admin/identities", js, `{"traits":{"name":{"first":"Nobody"}}}`, 400}, nil},
		{exchange{"admin", "POST", "/admin/identities", "text/plain", grace, 415}, nil},
		{exchange{"admin", "GET", "/admin/identities?page_size=1", "", "", 200}, nil},
		{exchange{"admin", "GET", "/admin/identities?credentials_identifier=grace%40example.org&include_credential=password", "", "", 200}, nil},
		{exchange{"admin", "GET", "/admin/identities?page_size=0", "", "", 400}, nil},
		{exchange{"admin", "GET", "/admin/identities/{id}", "", "", 200}, nil},
		{exchange{"admin", "GET", "/admin/identities/{id}?include_credential=password&include_credential=oidc", "", "", 200}, nil},
		{exchange{"admin", "GET", "/admin/identities/" + unknown, "", "", 404}, nil},
		{exchange{"admin", "GET", "/admin/identities/by/external/ext-grace", "", "", 200}, nil},
		{exchange{"admin", "GET", "/admin/identities/by/external/nope", "", "", 404}, nil},
		{exchange{"admin", "PUT", "/admin/identities/{id}", js, graceUpdate, 200}, nil},
		{exchange{"admin", "PUT", "/admin/identities/{id}", js, strings.Replace(graceUpdate, "active", "archived", 1), 400}, nil},
		{exchange{"admin", "PUT", "/admin/identities/" + unknown, js, graceUpdate, 404}, nil},
		{exchange{"admin", "PATCH", "/admin/identities/{id}", js, `[{"op":"add","path":"/metadata_public","value":{"team":"navy"}}]`, 200}, nil},
		{exchange{"admin", "PATCH", "/admin/identities/{id}", js, `[{"op":"replace","path":"/id","value":"` + unknown + `"}]`, 400}, nil},
		{exchange{"admin", "PATCH", "/admin/identities/" + unknown, js, `[]`, 404}, nil},
		{exchange{"admin", "DELETE", "/admin/identities/{id}/credentials/oidc?identifier=github:4711", "", "", 204}, nil},
		{exchange{"admin", "DELETE", "/admin/identities/{id}/credentials/oidc", "", "", 404}, nil},
		{exchange{"admin", "DELETE", "/admin/identities/{id}/credentials/password", "", "", 400}, nil},
		{exchange{"admin", "GET", "/admin/identities/{id}/sessions", "", "", 200}, nil},
		{exchange{"admin", "GET", "/admin/identities/{id}/sessions?active=maybe", "", "", 400}, nil},
		{exchange{"admin", "PATCH", "/admin/identities", js, batch, 200}, nil},
		{exchange{"admin", "PATCH", "/admin/identities", js, `{"identities":{}}`, 400}, nil},

		// the identity schemas
		{exchange{"public", "GET", "/schemas", "", "", 200}, nil},
		{exchange{"public", "GET", "/schemas/default", "", "", 200}, nil},
		{exchange{"public", "GET", "/schemas/ZGVmYXVsdA", "", "", 200}, nil}, // as in schema_url
		{exchange{"public", "GET", "/schemas/nope", "", "", 404}, nil},

		// a native app signs Ada up; the answer hands out her session token
		{exchange{"native", "GET", "/self-service/registration/api", "", "", 200}, nil},
		{exchange{"native", "GET", "/self-service/registration/flows?id={flow}", "", "", 200}, nil},
		{exchange{"native", "POST", "/self-service/registration?flow={flow}", js, `{"method":"password",` + ada + `,"password":"short"}`, 400}, nil},
		{exchange{"native", "POST", "/self-service/registration?flow={flow}", js, `{"method":"password",` + ada + `,"password":"` + password + `"}`, 200}, nil},
		{exchange{"native", "GET", "/self-service/registration?flow={flow}", "", "", 405}, nil},
		{exchange{"native", "GET", "/self-service/registration/api", "", "", 400}, token},

		// who is signed in, asked with every method
		{exchange{"native", "GET", "/sessions/whoami", "", "", 200}, token},
		{exchange{"native", "HEAD", "/sessions/whoami", "", "", 200}, token},
		{exchange{"native", "POST", "/sessions/whoami", "", "", 200}, []string{"Authorization: Bearer {session_token}"}},
		{exchange{"native", "PUT", "/sessions/whoami", "", "", 200}, token},
		{exchange{"native", "PATCH", "/sessions/whoami", "", "", 200}, token},
		{exchange{"native", "DELETE", "/sessions/whoami", "", "", 200}, token},
		{exchange{"native", "GET", "/sessions/whoami", "", "", 401}, nil},
		{exchange{"native", "HEAD", "/sessions/whoami", "", "", 401}, nil},
		{exchange{"native", "GET", "/sessions/whoami", "", "", 401}, []string{"X-Session-Token: ory_st_nope"}},

		// she signs in again on another device: a wrong password first
		{exchange{"native", "GET", "/self-service/login/api", "", "", 400}, token},
		{exchange{"native", "GET", "/self-service/login/api", "", "", 200}, nil},
		{exchange{"native", "GET", "/self-service/login/flows?id={flow}", "", "", 200}, nil},
		{exchange{"native", "POST", "/self-service/login?flow={flow}", js, `{"method":"password","identifier":"ada@example.org","password":"wrong-password"}`, 400}, nil},
		{exchange{"native", "POST", "/self-service/login?flow={flow}", js, `{"method":"password","identifier":"ada@example.org","password":"` + password + `"}`, 200}, nil},
		{exchange{"native", "POST", "/self-service/login?flow={flow}", "text/plain", "method=password", 415}, nil},
		{exchange{"native", "POST", "/self-service/login?flow=" + unknown, js, `{}`, 404}, nil},
		{exchange{"native", "GET", "/self-service/login?flow={flow}", "", "", 405}, nil},

		// her sessions: {first_id} is the one of the first device
		{exchange{"native", "GET", "/sessions", "", "", 200}, token},
		{exchange{"native", "GET", "/sessions?page_size=0", "", "", 400}, token},
		{exchange{"native", "GET", "/sessions", "", "", 401}, nil},
		{exchange{"native", "DELETE", "/sessions/{session_id}", "", "", 400}, token},
		{exchange{"native", "DELETE", "/sessions/" + unknown, "", "", 404}, token},
		{exchange{"native", "DELETE", "/sessions/{first_id}", "", "", 204}, token},
		{exchange{"native", "DELETE", "/sessions", "", "", 200}, token},
		{exchange{"native", "DELETE", "/sessions", "", "", 401}, nil},

		// her settings
		{exchange{"native", "GET", "/self-service/settings/api", "", "", 401}, nil},
		{exchange{"native", "GET", "/self-service/settings/api", "", "", 200}, token},
		{exchange{"native", "GET", "/self-service/settings/flows?id={flow}", "", "", 200}, token},
		{exchange{"native", "POST", "/self-service/settings?flow={flow}", js,
			`{"method":"profile","traits":{"email":"ada@example.org","name":{"first":"Ada","last":"Lovelace"}}}`, 200}, token},
		{exchange{"native", "POST", "/self-service/settings?flow={flow}", js, `{"method":"password","password":"` + password2 + `"}`, 200}, token},
		{exchange{"native", "POST", "/self-service/settings?flow={flow}", js, `{"method":"totp"}`, 400}, token},
		{exchange{"native", "POST", "/self-service/settings?flow={flow}", js, `{"method":"profile","traits":{}}`, 401}, nil},
		{exchange{"native", "GET", "/self-service/settings?flow={flow}", "", "", 405}, token},

		// recovery and verification by code; the codes tried have five digits,
		// the ones sent six
		{exchange{"native", "GET", "/self-service/recovery/api", "", "", 400}, token},
		{exchange{"native", "GET", "/self-service/recovery/api", "", "", 200}, nil},
		{exchange{"native", "GET", "/self-service/recovery/flows?id={flow}", "", "", 200}, nil},
		{exchange{"native", "POST", "/self-service/recovery?flow={flow}", js, `{"method":"code","email":"ada@example.org"}`, 200}, nil},
		{exchange{"native", "POST", "/self-service/recovery?flow={flow}", js, `{"method":"code","code":"12345"}`, 400}, nil},
		{exchange{"native", "GET", "/self-service/recovery?flow={flow}&token=12345", "", "", 400}, spa},
		{exchange{"native", "GET", "/self-service/verification/api", "", "", 200}, nil},
		{exchange{"native", "GET", "/self-service/verification/flows?id={flow}", "", "", 200}, nil},
		{exchange{"native", "POST", "/self-service/verification?flow={flow}", js, `{"method":"code","email":"ada@example.org"}`, 200}, nil},
		{exchange{"native", "POST", "/self-service/verification?flow={flow}", js, `{"method":"code","code":"12345"}`, 400}, nil},
		{exchange{"native", "GET", "/self-service/verification?flow={flow}&token=12345", "", "", 400}, spa},
		{exchange{"native", "GET", "/self-service/verification?flow={flow}&token=12345", "", "", 303}, nil}, // a link opened in a browser

		// the operator's recovery code, entered in the native app
		{exchange{"admin", "POST", "/admin/recovery/code", js, `{"identity_id":"{identity_id}","flow_type":"api","expires_in":"15m"}`, 201}, nil},
		{exchange{"native", "POST", "/self-service/recovery?flow={flow}", js, `{"method":"code","code":"{recovery_code}"}`, 200}, nil},
		{exchange{"admin", "POST", "/admin/recovery/code", js, `{"identity_id":"{identity_id}","flow_type":"app"}`, 400}, nil},
		{exchange{"admin", "POST", "/admin/recovery/link", js, `{"identity_id":"` + unknown + `"}`, 404}, nil},
		{exchange{"admin", "POST", "/admin/recovery/link", js, `{"identity_id":"{identity_id}","expires_in":"soon"}`, 400}, nil},
		{exchange{"admin", "POST", "/admin/recovery/link", "text/plain", `{}`, 415}, nil},

		// the outbox: verification and recovery codes
		{exchange{"admin", "GET", "/admin/courier/messages", "", "", 200}, nil},
		{exchange{"admin", "GET", "/admin/courier/messages/{first_id}", "", "", 200}, nil},
		{exchange{"admin", "GET", "/admin/courier/messages?status=queued&recipient=ada%40example.org&page_size=1", "", "", 200}, nil},
		{exchange{"admin", "GET", "/admin/courier/messages?status=lost", "", "", 400}, nil},
		{exchange{"admin", "GET", "/admin/courier/messages/nope", "", "", 400}, nil},
		{exchange{"admin", "GET", "/admin/courier/messages/" + unknown, "", "", 404}, nil},

		// the browser, signed out: flows start with a redirect to their UI
		// (or, asked for JSON, with the flow); refusals go to the error UI
		{exchange{"public", "GET", "/self-service/registration/browser", "", "", 303}, nil},
		{exchange{"public", "GET", "/self-service/registration/browser?" + evil, "", "", 303}, nil},
		{exchange{"public", "GET", "/self-service/errors?id={error_id}", "", "", 200}, nil},
		{exchange{"public", "GET", "/self-service/errors?id=" + unknown, "", "", 404}, nil},
		{exchange{"public", "GET", "/self-service/registration/browser?" + evil, "", "", 400}, spa},
		{exchange{"public", "GET", "/self-service/registration/browser", "", "", 200}, spa},
		{exchange{"public", "GET", "/self-service/registration/flows?id={flow}", "", "", 200}, nil},
		{exchange{"native", "GET", "/self-service/registration/flows?id={flow}", "", "", 403}, nil}, // not the browser's
		{exchange{"public", "GET", "/self-service/recovery/browser", "", "", 303}, nil},
		{exchange{"public", "GET", "/self-service/verification/browser", "", "", 303}, nil},
		{exchange{"public", "GET", "/self-service/verification/browser", "", "", 200}, spa},
		{exchange{"public", "GET", "/self-service/recovery/browser", "", "", 200}, spa},
		{exchange{"public", "GET", "/self-service/settings/browser", "", "", 303}, nil},
		{exchange{"public", "GET", "/self-service/settings/browser", "", "", 401}, spa},
		{exchange{"public", "GET", "/self-service/logout/browser", "", "", 401}, nil},
		// signing in with the login form; without the CSRF token first
		{exchange{"public", "GET", "/self-service/login/browser", "", "", 303}, nil},
		{exchange{"public", "GET", "/self-service/login/flows?id={flow}", "", "", 200}, nil},
		{exchange{"public", "POST", "/self-service/login?flow={flow}", js,
			`{"method":"password","identifier":"ada@example.org","password":"` + password2 + `"}`, 403}, spa},
		{exchange{"public", "POST", "/self-service/login?flow={flow}", form,
			"csrf_token={csrf_token}&method=password&identifier=ada%40example.org&password=wrong-password", 303}, nil},
		{exchange{"public", "POST", "/self-service/login?flow={flow}", form,
			"csrf_token={csrf_token}&method=password&identifier=ada%40example.org&password=" + password2, 303}, nil},
		{exchange{"public", "GET", "/sessions/whoami", "", "", 200}, nil},
		{exchange{"public", "GET", "/self-service/login/browser", "", "", 303}, nil},
		{exchange{"public", "GET", "/self-service/login/browser", "", "", 400}, spa},
		{exchange{"public", "GET", "/self-service/settings/browser", "", "", 200}, spa},
		{exchange{"public", "GET", "/self-service/settings/flows?id={flow}", "", "", 200}, nil},
		{exchange{"public", "POST", "/self-service/settings?flow={flow}", form,
			"csrf_token={csrf_token}&method=profile&traits.email=ada%40example.org&traits.name.first=Ada", 303}, nil},
		// signing out, then in again as a single-page app
		{exchange{"public", "GET", "/self-service/logout/browser", "", "", 200}, nil},
		{exchange{"public", "GET", "/self-service/logout?token={logout_token}", "", "", 303}, nil},
		{exchange{"public", "GET", "/self-service/login/browser", "", "", 200}, spa},
		{exchange{"public", "POST", "/self-service/login?flow={flow}", js,
			`{"method":"password","identifier":"ada@example.org","password":"` + password2 + `","csrf_token":"{csrf_token}"}`, 200}, spa},
		{exchange{"public", "GET", "/self-service/logout/browser", "", "", 200}, spa},
		{exchange{"public", "GET", "/self-service/logout?token={logout_token}", "", "", 204}, spa},
		// recovery links and codes the operator hands out, opened in the browser
		{exchange{"admin", "POST", "/admin/recovery/code", js, `{"identity_id":"{identity_id}"}`, 201}, nil},
		{exchange{"public", "GET", "/self-service/recovery?flow={flow}&token={recovery_code}", "", "", 422}, spa},
		{exchange{"admin", "POST", "/admin/recovery/link", js, `{"identity_id":"{identity_id}"}`, 200}, nil},
		{exchange{"public", "GET", "/self-service/recovery?flow={flow}&token={token}", "", "", 303}, nil},

		// the operator's view of the sessions; {first_id} is an active one
		{exchange{"admin", "GET", "/admin/sessions", "", "", 200}, nil},
		{exchange{"admin", "GET", "/admin/sessions?active=maybe", "", "", 400}, nil},
		{exchange{"admin", "GET", "/admin/sessions?active=true&expand=identity&page_size=1", "", "", 200}, nil},
		{exchange{"admin", "GET", "/admin/sessions/{first_id}", "", "", 200}, nil},
		{exchange{"admin", "GET", "/admin/sessions/{first_id}?expand=identity", "", "", 200}, nil},
		{exchange{"admin", "GET", "/admin/sessions/" + unknown, "", "", 404}, nil},
		{exchange{"admin", "PATCH", "/admin/sessions/{first_id}/extend", "", "", 200}, nil},
		{exchange{"admin", "PATCH", "/admin/sessions/" + unknown + "/extend", "", "", 404}, nil},
		{exchange{"admin", "DELETE", "/admin/sessions/{first_id}", "", "", 204}, nil},
		{exchange{"admin", "DELETE", "/admin/sessions/" + unknown, "", "", 404}, nil},
		{exchange{"admin", "GET", "/admin/identities/{identity_id}/sessions?active=true", "", "", 200}, nil},

		// the native app signs out; the operator ends the rest
		{exchange{"native", "DELETE", "/self-service/logout/api", js, `{"session_token":"{session_token}"}`, 204}, nil},
		{exchange{"native", "DELETE", "/self-service/logout/api", js, `{"session_token":"ory_st_nope"}`, 403}, nil},
		{exchange{"native", "DELETE", "/self-service/logout/api", js, `{}`, 400}, nil},
		{exchange{"native", "GET", "/sessions/whoami", "", "", 401}, token},
		{exchange{"admin", "DELETE", "/admin/identities/{identity_id}/sessions", "", "", 204}, nil},
		{exchange{"public", "GET", "/sessions/whoami", "", "", 401}, nil},

		// an identity the operator deletes
		{exchange{"admin", "POST", "/admin/identities", js, `{"traits":{"email":"temp@example.org"}}`, 201}, nil},
		{exchange{"admin", "DELETE", "/admin/identities/{id}", "", "", 204}, nil},
		{exchange{"admin", "DELETE", "/admin/identities/{id}", "", "", 404}, nil},
	}
}

// TestExpiredFlowsMatchTheDocument checks the answers about expired flows
// against the document, with a server whose flows expire at once.
func TestExpiredFlowsMatchTheDocument(t *testing.T) {
	w := newWalker(t, newApp(t, "identity.selfservice.flows.login.lifespan=1ns"))
	spa := []string{"Accept: application/json"}
	for _, s := range []step{
		{exchange{"native", "GET", "/self-service/login/api", "", "", 200}, nil},
		{exchange{"native", "GET", "/self-service/login/flows?id={flow}", "", "", 410}, nil},
		{exchange{"native", "POST", "/self-service/login?flow={flow}", "application/json", `{"method":"password"}`, 410}, nil},
		{exchange{"native", "GET", "/self-service/registration/api", "", "", 200}, nil},
		{exchange{"native", "POST", "/self-service/registration?flow={flow}", "application/json", `{"method":"password"}`, 410}, nil},
		{exchange{"native", "GET", "/self-service/recovery/api", "", "", 200}, nil},
		{exchange{"native", "GET", "/self-service/recovery/flows?id={flow}", "", "", 410}, nil},
		{exchange{"native", "GET", "/self-service/verification/api", "", "", 200}, nil},
		{exchange{"native", "GET", "/self-service/verification?flow={flow}&token=12345", "", "", 410}, spa},
		{exchange{"public", "GET", "/self-service/registration/browser", "", "", 200}, spa},
		{exchange{"public", "GET", "/self-service/registration/flows?id={flow}", "", "", 410}, nil},
		{exchange{"public", "POST", "/self-service/registration?flow={use_flow_id}", "application/x-www-form-urlencoded", "method=password", 303}, nil},
	} {
		w.do(s.exchange, s.headers...)
	}
}

// docURL is where the schema compiler finds the document.
const docURL = "mem://warden/openapi.json"

// walker sends exchanges to an app, one after the other, and checks each
// answer against the document (see TestResponsesMatchTheDocument). Three
// kinds of client send them: "admin" requests go to the admin listener;
// "public" ones come from one browser on the public listener, which keeps
// the cookies the answers set and sends them back; "native" ones come from
// an app on the public listener that keeps no cookies, as the self-service
// flows of native apps require.
type walker struct {
	t         *testing.T
	handlers  map[string]http.Handler
	spec      map[string]any
	paths     map[string]any
	compiler  *jsonschema.Compiler
	exercised map[string]bool // route keys of the operations answered
	lastID    string          // the "id" member of the last 201 answer, for targets holding {id}
	// Values earlier answers handed out (challenges, verifiers, codes,
	// tokens, flow ids), for targets, bodies and headers naming them as {name}.
	captured map[string]string
	// The cookies of the one browser the public requests come from.
	jar map[string]string
}

func newWalker(t *testing.T, a *app.App) *walker {
	t.Helper()
	w := &walker{t: t, handlers: map[string]http.Handler{"public": a.Public, "native": a.Public, "admin": a.Admin},
		exercised: map[string]bool{}, captured: map[string]string{}, jar: map[string]string{}}
	if err := json.Unmarshal(openapi.Document(), &w.spec); err != nil {
		t.Fatal(err)
	}
	res, err := jsonschema.UnmarshalJSON(bytes.NewReader(openapi.Document()))
	if err != nil {
		t.Fatal(err)
	}
	w.compiler = jsonschema.NewCompiler()
	w.compiler.AssertFormat()
	if err := w.compiler.AddResource(docURL, res); err != nil {
		t.Fatal(err)
	}
	w.paths = w.spec["paths"].(map[string]any)
	return w
}

// do sends x with the headers given ("Name: value", {name} filled in as in
// the target) and checks the answer.
func (w *walker) do(x exchange, headers ...string) {
	t := w.t
	t.Helper()
	target := fill(strings.ReplaceAll(x.target, "{id}", w.lastID), w.captured)
	name := x.listener + " " + x.method + " " + target
	var body io.Reader
	if x.body != "" {
		body = strings.NewReader(fill(x.body, w.captured))
	}
	req := httptest.NewRequest(x.method, target, body)
	if x.contentType != "" {
		req.Header.Set("Content-Type", x.contentType)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(fill(h, w.captured), ":")
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if x.listener == "public" {
		for _, k := range sortedKeys(w.jar) {
			req.AddCookie(&http.Cookie{Name: k, Value: w.jar[k]})
		}
	}
	rec := httptest.NewRecorder()
	w.handlers[x.listener].ServeHTTP(rec, req)
	if x.method == http.MethodHead {
		rec.Body.Reset() // a server sends no body to HEAD; the recorder keeps what was written
	}
	if rec.Code == http.StatusCreated {
		var created struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(rec.Body.Bytes(), &created) == nil && created.ID != "" {
			w.lastID = created.ID
		}
	}
	capture(w.captured, rec)
	if x.listener != "native" {
		for _, c := range rec.Result().Cookies() {
			if c.MaxAge < 0 {
				delete(w.jar, c.Name)
			} else {
				w.jar[c.Name] = c.Value
			}
		}
	}
	if rec.Code != x.want {
		t.Errorf("%s: status %d, want %d: %s", name, rec.Code, x.want, rec.Body)
		return
	}
	tmpl := documentedPath(w.paths, req.URL.Path)
	op, _ := lookup(w.paths, tmpl, strings.ToLower(x.method)).(map[string]any)
	if op == nil {
		t.Errorf("%s: no documented operation", name)
		return
	}
	w.exercised[routeKey(x.method, tmpl)] = true
	ptr := "/paths/" + pointerToken(tmpl) + "/" + strings.ToLower(x.method) + "/responses/" + strconv.Itoa(rec.Code)
	resp, ptr := resolve(w.spec, ptr)
	if resp == nil {
		t.Errorf("%s: status %d is not documented for %s %s", name, rec.Code, x.method, tmpl)
		return
	}
	if hs, _ := resp["headers"].(map[string]any); hs["X-Snaptoken"] != nil && rec.Header().Get("X-Snaptoken") == "" {
		t.Errorf("%s: the documented X-Snaptoken header is missing", name)
	}
	content, _ := resp["content"].(map[string]any)
	if content == nil {
		if rec.Body.Len() != 0 {
			t.Errorf("%s: documented without content, but answered %q", name, rec.Body)
		}
		return
	}
	mt, _, _ := mime.ParseMediaType(rec.Header().Get("Content-Type"))
	media, _ := content[mt].(map[string]any)
	if media == nil {
		t.Errorf("%s: answered %s, documented %v", name, mt, sortedKeys(content))
		return
	}
	if mt != "application/json" {
		return
	}
	schemaPtr := ptr + "/content/" + pointerToken(mt) + "/schema"
	sch, err := w.compiler.Compile(docURL + "#" + schemaPtr)
	if err != nil {
		t.Fatalf("%s: compile %s: %v", name, schemaPtr, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Errorf("%s: body is not JSON: %v", name, err)
		return
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s: body %s does not match the documented schema: %v", name, rec.Body, err)
	}
	var plain any
	_ = json.Unmarshal(rec.Body.Bytes(), &plain)
	for _, f := range undocumentedFields(w.spec, media["schema"], plain, "body") {
		t.Errorf("%s: %s is sent but not documented", name, f)
	}
}

// placeholder is a {name} in an exchange's target or body.
var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

// fill replaces each {name} of s that an earlier answer gave a value.
func fill(s string, captured map[string]string) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := captured[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// pageName is the last path segment of a redirect that names the values it
// carries in capture.
var pageName = regexp.MustCompile(`^[a-z]+$`)

// capture records what an answer hands the caller for its next requests:
//   - the query and fragment parameters of a redirect (Location), also under
//     the name of the page it goes to: a Location of /ui/error?id=x gives id
//     and error_id;
//   - those of a URL in a redirect_to member or a member named *_link;
//   - every string member of a JSON object, and the id of each object member
//     but error under <member>_id: session_id from {"session":{"id":"x"}};
//   - for a self-service flow, the parameters of its form's action (flow) and
//     the string values of its inputs by name (csrf_token);
//   - the id of the first element of a JSON list, as first_id.
func capture(captured map[string]string, rec *httptest.ResponseRecorder) {
	addURL := func(raw string, named bool) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		page := path.Base(u.Path)
		named = named && pageName.MatchString(page)
		for _, q := range []string{u.RawQuery, u.Fragment} {
			vs, _ := url.ParseQuery(q)
			for k := range vs {
				captured[k] = vs.Get(k)
				if named {
					captured[page+"_"+k] = vs.Get(k)
				}
			}
		}
	}
	if loc := rec.Header().Get("Location"); loc != "" {
		addURL(loc, true)
	}
	var list []map[string]any
	if json.Unmarshal(rec.Body.Bytes(), &list) == nil && len(list) > 0 {
		if id, ok := list[0]["id"].(string); ok {
			captured["first_id"] = id
		}
		return
	}
	var members map[string]any
	if json.Unmarshal(rec.Body.Bytes(), &members) != nil {
		return
	}
	for k, v := range members {
		switch v := v.(type) {
		case string:
			captured[k] = v
			if k == "redirect_to" || strings.HasSuffix(k, "_link") {
				addURL(v, false)
			}
		case map[string]any:
			if id, ok := v["id"].(string); ok && k != "error" {
				captured[k+"_id"] = id
			}
		}
	}
	if ui, ok := members["ui"].(map[string]any); ok {
		if action, ok := ui["action"].(string); ok {
			addURL(action, false)
		}
		nodes, _ := ui["nodes"].([]any)
		for _, n := range nodes {
			attrs, _ := lookup(n, "attributes").(map[string]any)
			name, _ := attrs["name"].(string)
			if v, ok := attrs["value"].(string); ok && attrs["node_type"] == "input" && name != "" {
				captured[name] = v
			}
		}
	}
}

// documentedPath returns the documented path template that matches the
// request path, or the path itself.
func documentedPath(paths map[string]any, path string) string {
	if _, ok := paths[path]; ok {
		return path
	}
	for tmpl := range paths {
		// Quote the literal parts only: quoting first would escape the
		// braces of the wildcards.
		parts := wildcard.Split(tmpl, -1)
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		re := "^" + strings.Join(parts, `[^/]+`) + "$"
		if regexp.MustCompile(re).MatchString(path) {
			return tmpl
		}
	}
	return path
}

// pointerToken escapes s as one JSON pointer token inside a URI fragment.
func pointerToken(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
	return url.PathEscape(s)
}

// lookup walks the document along keys.
func lookup(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// resolve returns the object at the JSON pointer ptr, following a $ref
// there, and the pointer it was finally found at.
func resolve(spec map[string]any, ptr string) (map[string]any, string) {
	var keys []string
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok, _ = url.PathUnescape(tok)
		keys = append(keys, strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~"))
	}
	m, _ := lookup(spec, keys...).(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		return resolve(spec, strings.TrimPrefix(ref, "#"))
	}
	return m, ptr
}

// undocumentedFields lists the object members of v that schema does not
// name (in schemas that list properties and allow no additional ones).
func undocumentedFields(spec map[string]any, schema, v any, at string) []string {
	s, _ := schema.(map[string]any)
	if ref, ok := s["$ref"].(string); ok {
		s, _ = resolve(spec, strings.TrimPrefix(ref, "#"))
	}
	if s == nil {
		return nil
	}
	// An allOf of one schema only wraps a reference to describe it; a oneOf
	// is followed into the alternative the value takes.
	if all, _ := s["allOf"].([]any); len(all) == 1 {
		return undocumentedFields(spec, all[0], v, at)
	}
	if alts, _ := s["oneOf"].([]any); len(alts) > 0 {
		return undocumentedFields(spec, alternative(spec, s, alts, v), v, at)
	}
	var out []string
	switch v := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		extra, open := s["additionalProperties"]
		open = open || props == nil
		for _, k := range sortedKeys(v) {
			p, ok := props[k]
			if !ok {
				if !open {
					out = append(out, at+"."+k)
				}
				if m, isSchema := extra.(map[string]any); isSchema {
					out = append(out, undocumentedFields(spec, m, v[k], at+"."+k)...)
				}
				continue
			}
			out = append(out, undocumentedFields(spec, p, v[k], at+"."+k)...)
		}
	case []any:
		for i, e := range v {
			out = append(out, undocumentedFields(spec, s["items"], e, at+"["+strconv.Itoa(i)+"]")...)
		}
	}
	return out
}

// alternative returns the alternative of a oneOf schema s that the object v
// takes: the one its discriminator names, or else the first whose required
// members v has. It returns nil when there is none.
func alternative(spec, s map[string]any, alts []any, v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if d, ok := s["discriminator"].(map[string]any); ok {
		prop, _ := d["propertyName"].(string)
		val, _ := m[prop].(string)
		if ref, ok := lookup(d, "mapping", val).(string); ok {
			return map[string]any{"$ref": ref}
		}
		return nil
	}
	for _, a := range alts {
		as, _ := a.(map[string]any)
		if ref, ok := as["$ref"].(string); ok {
			as, _ = resolve(spec, strings.TrimPrefix(ref, "#"))
		}
		req, _ := as["required"].([]any)
		if !slices.ContainsFunc(req, func(r any) bool { _, has := m[r.(string)]; return !has }) {
			return a
		}
	}
	return nil
}
