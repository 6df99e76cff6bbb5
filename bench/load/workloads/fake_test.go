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
	passwords  map[string]string // email -> password ("" when none or only a hash)
	identities []map[string]any
	byEmail    map[string]map[string]any
	sessions   map[string]bool
	// shedEvery > 0 answers every shedEvery-th login or registration
	// submission 503, as an overloaded hashing queue does.
	shedEvery   int
	submissions int
	whoamis     map[string]int // token -> whoami calls
	logins      map[string]int // email -> successful logins
	fakePermissions
}

func newFake(t *testing.T) (*fakeServer, *httptest.Server) {
	f := &fakeServer{
		passwords: map[string]string{},
		byEmail:   map[string]map[string]any{},
		sessions:  map[string]bool{},
		whoamis:   map[string]int{},
		logins:    map[string]int{},
	}
	f.fakePermissions.init()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/alive", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })
	mux.HandleFunc("POST /admin/identities", f.createIdentity)
	mux.HandleFunc("GET /admin/identities", f.listIdentities)
	mux.HandleFunc("GET /admin/identities/{id}", f.getIdentity)
	mux.HandleFunc("GET /self-service/login/api", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"id":"flow-1","type":"api"}`)) })
	mux.HandleFunc("POST /self-service/login", f.login)
	mux.HandleFunc("GET /self-service/registration/api", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id":"reg-1","type":"api"}`))
	})
	mux.HandleFunc("POST /self-service/registration", f.register)
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
					Password       string `json:"password"`
					HashedPassword string `json:"hashed_password"`
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
	pw := ""
	if c := body.Credentials; c != nil {
		if (c.Password.Config.Password == "") == (c.Password.Config.HashedPassword == "") {
			http.Error(w, "password or hashed_password, one of them", http.StatusBadRequest)
			return
		}
		pw = c.Password.Config.Password
	}
	ident, ok := f.addIdentity(body.Traits.Email, pw)
	if !ok {
		http.Error(w, "conflict", http.StatusConflict)
		return
	}
	reply(w, http.StatusCreated, ident)
}

// addIdentity stores an identity; false when the email is taken.
func (f *fakeServer) addIdentity(email, password string) (map[string]any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, dup := f.passwords[email]; dup {
		return nil, false
	}
	f.passwords[email] = password
	ident := map[string]any{"id": "id-" + strconv.Itoa(len(f.identities)), "traits": map[string]string{"email": email}}
	f.identities = append(f.identities, ident)
	f.byEmail[email] = ident
	return ident, true
}

func (f *fakeServer) getIdentity(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, i := range f.identities {
		if i["id"] == r.PathValue("id") {
			reply(w, http.StatusOK, i)
			return
		}
	}
	reply(w, http.StatusNotFound, map[string]any{"error": map[string]any{"code": 404}})
}

// shed tells whether this submission is one the fake turns away.
func (f *fakeServer) shed() bool {
	f.submissions++
	return f.shedEvery > 0 && f.submissions%f.shedEvery == 0
}

func (f *fakeServer) register(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Method string `json:"method"`
		Traits struct {
			Email string `json:"email"`
		} `json:"traits"`
		Password string `json:"password"`
	}
	if r.URL.Query().Get("flow") != "reg-1" || !decode(w, r, &body) {
		return
	}
	f.mu.Lock()
	shed := f.shed()
	f.mu.Unlock()
	if shed {
		reply(w, http.StatusServiceUnavailable, map[string]any{"error": map[string]any{"code": 503, "message": "Too many sign-ups at once"}})
		return
	}
	if body.Method != "password" || len(body.Password) < 8 || !strings.Contains(body.Traits.Email, "@") {
		reply(w, http.StatusBadRequest, map[string]string{"id": "reg-1"})
		return
	}
	ident, ok := f.addIdentity(body.Traits.Email, body.Password)
	if !ok {
		reply(w, http.StatusBadRequest, map[string]string{"id": "reg-1"}) // a taken email fails the flow
		return
	}
	reply(w, http.StatusOK, map[string]any{"identity": ident})
}

func (f *fakeServer) listIdentities(w http.ResponseWriter, r *http.Request) {
	n := 250
	if v := r.URL.Query().Get("page_size"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			http.Error(w, "page_size", http.StatusBadRequest)
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if id := r.URL.Query().Get("credentials_identifier"); id != "" {
		page := []map[string]any{}
		if i, ok := f.byEmail[id]; ok {
			page = append(page, i)
		}
		reply(w, http.StatusOK, page)
		return
	}
	reply(w, http.StatusOK, f.identities[:min(n, len(f.identities))])
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
	if f.shed() {
		reply(w, http.StatusServiceUnavailable, map[string]any{"error": map[string]any{"code": 503, "message": "Too many sign-ins at once"}})
		return
	}
	if body.Method != "password" || body.Password == "" || f.passwords[body.Identifier] != body.Password {
		reply(w, http.StatusBadRequest, map[string]string{"id": "flow-1"})
		return
	}
	tok := "st_" + strconv.Itoa(len(f.sessions))
	f.sessions[tok] = true
	f.logins[body.Identifier]++
	reply(w, http.StatusOK, map[string]any{"session_token": tok, "session": map[string]any{"active": true}})
}

func (f *fakeServer) whoami(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	tok := r.Header.Get("X-Session-Token")
	ok := f.sessions[tok]
	f.whoamis[tok]++
	f.mu.Unlock()
	if !ok {
		reply(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"code": 401}})
		return
	}
	reply(w, http.StatusOK, map[string]any{"active": true})
}
