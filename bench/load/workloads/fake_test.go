package workloads

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeServer is a minimal in-memory stand-in for the endpoints the workloads
// use, strict enough that a wrong request shape fails the test.
type fakeServer struct {
	mu         sync.Mutex
	clients    map[string]string // id -> secret
	tokens     map[string]bool
	passwords  map[string]string // email -> password ("" when none)
	identities []map[string]any
	sessions   map[string]bool
	fakePermissions
}

func newFake(t *testing.T) (*fakeServer, *httptest.Server) {
	f := &fakeServer{
		clients:   map[string]string{},
		tokens:    map[string]bool{},
		passwords: map[string]string{},
		sessions:  map[string]bool{},
	}
	f.fakePermissions.init()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/alive", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })
	mux.HandleFunc("POST /admin/clients", f.createClient)
	mux.HandleFunc("POST /oauth2/token", f.token)
	mux.HandleFunc("POST /admin/oauth2/introspect", f.introspect)
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"keys":[]}`)) })
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"issuer":"x"}`)) })
	mux.HandleFunc("POST /admin/identities", f.createIdentity)
	mux.HandleFunc("GET /admin/identities", f.listIdentities)
	mux.HandleFunc("GET /self-service/login/api", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"id":"flow-1","type":"api"}`)) })
	mux.HandleFunc("POST /self-service/login", f.login)
	mux.HandleFunc("GET /sessions/whoami", f.whoami)
	mux.HandleFunc("PUT /admin/relation-tuples", f.writeTuple)
	mux.HandleFunc("PATCH /admin/relation-tuples", f.patchTuples)
	mux.HandleFunc("GET /relation-tuples/check", f.check)
	mux.HandleFunc("POST /relation-tuples/batch/check", f.batchCheck)
	mux.HandleFunc("GET /decisions/bench", func(w http.ResponseWriter, r *http.Request) {})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "want JSON", http.StatusUnsupportedMediaType)
		return false
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeServer) createClient(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name       string   `json:"client_name"`
		Grants     []string `json:"grant_types"`
		AuthMethod string   `json:"token_endpoint_auth_method"`
	}
	if !decode(w, r, &body) {
		return
	}
	if body.AuthMethod != "client_secret_basic" || len(body.Grants) != 1 || body.Grants[0] != "client_credentials" {
		http.Error(w, "bad client", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	id := fmt.Sprintf("client/%d", len(f.clients)) // needs form-encoding in basic auth
	secret := "s3cr+t&" + id
	f.clients[id] = secret
	f.mu.Unlock()
	reply(w, http.StatusCreated, map[string]string{"client_id": id, "client_secret": secret})
}

func (f *fakeServer) token(w http.ResponseWriter, r *http.Request) {
	h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Basic ")
	raw, err := base64.StdEncoding.DecodeString(h)
	user, pass, _ := strings.Cut(string(raw), ":")
	id, err1 := url.QueryUnescape(user)
	secret, err2 := url.QueryUnescape(pass)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !ok || err != nil || err1 != nil || err2 != nil || f.clients[id] != secret || secret == "" {
		reply(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	if r.PostFormValue("grant_type") != "client_credentials" {
		reply(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	tok := "at_" + strconv.Itoa(len(f.tokens))
	f.tokens[tok] = true
	reply(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 3600})
}

func (f *fakeServer) introspect(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	active := f.tokens[r.PostFormValue("token")]
	f.mu.Unlock()
	reply(w, http.StatusOK, map[string]any{"active": active})
}

func (f *fakeServer) createIdentity(w http.ResponseWriter, r *http.Request) {
	var body struct {
		SchemaID string `json:"schema_id"`
		Traits   struct {
			Email string `json:"email"`
		} `json:"traits"`
		Credentials *struct {
			Password struct {
				Config struct {
					Password string `json:"password"`
				} `json:"config"`
			} `json:"password"`
		} `json:"credentials"`
	}
	if !decode(w, r, &body) {
		return
	}
	if body.SchemaID != "default" || !strings.Contains(body.Traits.Email, "@") {
		http.Error(w, "bad identity", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, dup := f.passwords[body.Traits.Email]; dup {
		http.Error(w, "conflict", http.StatusConflict)
		return
	}
	pw := ""
	if body.Credentials != nil {
		pw = body.Credentials.Password.Config.Password
	}
	f.passwords[body.Traits.Email] = pw
	ident := map[string]any{"id": strconv.Itoa(len(f.identities)), "traits": map[string]string{"email": body.Traits.Email}}
	f.identities = append(f.identities, ident)
	reply(w, http.StatusCreated, ident)
}

func (f *fakeServer) listIdentities(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("page_size"))
	if err != nil {
		http.Error(w, "page_size", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	page := f.identities[:min(n, len(f.identities))]
	f.mu.Unlock()
	reply(w, http.StatusOK, page)
}

func (f *fakeServer) login(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Method, Identifier, Password string
	}
	if r.URL.Query().Get("flow") != "flow-1" || !decode(w, r, &body) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if body.Method != "password" || body.Password == "" || f.passwords[body.Identifier] != body.Password {
		reply(w, http.StatusBadRequest, map[string]string{"id": "flow-1"})
		return
	}
	tok := "st_" + strconv.Itoa(len(f.sessions))
	f.sessions[tok] = true
	reply(w, http.StatusOK, map[string]any{"session_token": tok, "session": map[string]any{"active": true}})
}

func (f *fakeServer) whoami(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	ok := f.sessions[r.Header.Get("X-Session-Token")]
	f.mu.Unlock()
	if !ok {
		reply(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"code": 401}})
		return
	}
	reply(w, http.StatusOK, map[string]any{"active": true})
}
