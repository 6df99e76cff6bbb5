package workloads

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeServer is a minimal in-memory stand-in for the endpoints the workloads
// use, strict enough that a wrong request shape fails the test.
type fakeServer struct {
	mu         sync.Mutex
	passwords  map[string]string // email -> password ("" when none)
	identities []map[string]any
	sessions   map[string]bool
	fakePermissions
}

func newFake(t *testing.T) (*fakeServer, *httptest.Server) {
	f := &fakeServer{
		passwords: map[string]string{},
		sessions:  map[string]bool{},
	}
	f.fakePermissions.init()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/alive", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })
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
