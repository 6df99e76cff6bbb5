package permission_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/warden-iam/warden/internal/permission"
	"github.com/warden-iam/warden/internal/permission/opl"
	"github.com/warden-iam/warden/internal/permission/tuple"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
	"github.com/warden-iam/warden/internal/storage/sqltest"
	"github.com/warden-iam/warden/internal/web"
)

// server is the REST API over a real store, behind the real middleware.
type server struct {
	t       *testing.T
	svc     *permission.Service
	public  *httptest.Server
	admin   *httptest.Server
	lastTok string
}

func newServer(t *testing.T, db *sqldb.DB, src string, o permission.Options) *server {
	t.Helper()
	var model *permission.Model
	if src != "" {
		m, err := opl.Parse(src)
		if err != nil {
			t.Fatalf("OPL: %v", err)
		}
		model = &permission.Model{OPL: m}
	}
	o.SingleWriter = db.Dialect() == sqldb.SQLite
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := permission.NewService(context.Background(), sqlstore.New(db).Permissions(), model, o)
	if err != nil {
		t.Fatal(err)
	}
	h := permission.NewHandler(svc)
	pub, adm := web.NewRouter(), web.NewRouter()
	h.MountRead(pub)
	h.MountRead(adm)
	h.MountWrite(adm)
	wrap := func(r *web.Router, name string) *httptest.Server {
		s := httptest.NewServer(web.Wrap(r, web.Options{Name: name, Logger: o.Logger}))
		t.Cleanup(s.Close)
		return s
	}
	return &server{t: t, svc: svc, public: wrap(pub, "public"), admin: wrap(adm, "admin")}
}

func (s *server) do(method, url, body string) (int, string, http.Header) {
	s.t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func (s *server) insert(ts ...string) {
	s.t.Helper()
	var items []map[string]any
	for _, str := range ts {
		tu, err := tuple.Parse(str)
		if err != nil {
			s.t.Fatal(err)
		}
		items = append(items, map[string]any{"action": "insert", "relation_tuple": tu})
	}
	b, _ := json.Marshal(items)
	code, body, hdr := s.do("PATCH", s.admin.URL+"/admin/relation-tuples", string(b))
	if code != http.StatusNoContent {
		s.t.Fatalf("PATCH: %d %s", code, body)
	}
	s.lastTok = hdr.Get(permission.SnaptokenHeader)
}

// check asks GET /relation-tuples/check and returns the status code.
func (s *server) check(q string, extra url.Values) (int, string) {
	s.t.Helper()
	tu, err := tuple.Parse(q)
	if err != nil {
		s.t.Fatal(err)
	}
	v := tuple.Query{Namespace: tu.Namespace, Object: tu.Object, Relation: tu.Relation, Subject: &tu.Subject}.Values()
	for k, vs := range extra {
		v[k] = vs
	}
	code, body, _ := s.do("GET", s.public.URL+"/relation-tuples/check?"+v.Encode(), "")
	return code, body
}

func (s *server) postCheck(q string) int {
	s.t.Helper()
	tu, _ := tuple.Parse(q)
	b, _ := json.Marshal(tu)
	code, _, _ := s.do("POST", s.public.URL+"/relation-tuples/check", string(b))
	return code
}

type scenarios struct {
	EngineCases []struct {
		Scenarios []struct {
			Name        string   `json:"name"`
			OPL         string   `json:"opl"`
			InputTuples []string `json:"input_tuples"`
		} `json:"scenarios"`
		StrictMode         bool     `json:"strict_mode"`
		ExpectedMembers    []string `json:"expected_members"`
		ExpectedNonMembers []string `json:"expected_non_members"`
	} `json:"engine_cases"`
	Rewrites struct {
		Scenario struct {
			Name        string   `json:"name"`
			OPL         string   `json:"opl"`
			InputTuples []string `json:"input_tuples"`
		} `json:"scenario"`
		Checks []struct {
			Query  string `json:"query"`
			Member bool   `json:"member"`
		} `json:"checks"`
	} `json:"rewrites"`
}

// Every case of Keto's own check tests, through the REST API, on SQLite and
// PostgreSQL, with Keto's max depth of 5.
func TestKetoScenariosThroughHTTP(t *testing.T) {
	b, err := os.ReadFile("../../../shared/testdata/keto-check-scenarios.json")
	if err != nil {
		t.Skipf("shared test data not found: %v", err)
	}
	var f scenarios
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		for _, c := range f.EngineCases {
			for _, sc := range c.Scenarios {
				t.Run(sc.Name, func(t *testing.T) {
					db := freshDB(t, db)
					s := newServer(t, db, sc.OPL, permission.Options{MaxReadDepth: 5, Strict: c.StrictMode})
					s.insert(sc.InputTuples...)
					for _, q := range c.ExpectedMembers {
						if code, body := s.check(q, nil); code != 200 {
							t.Errorf("%s: %d %s, want 200 allowed", q, code, body)
						}
						if code := s.postCheck(q); code != 200 {
							t.Errorf("POST %s: %d, want 200", q, code)
						}
					}
					for _, q := range c.ExpectedNonMembers {
						if code, body := s.check(q, nil); code != 403 {
							t.Errorf("%s: %d %s, want 403 denied", q, code, body)
						}
					}
				})
			}
		}
		rw := f.Rewrites
		t.Run(rw.Scenario.Name, func(t *testing.T) {
			db := freshDB(t, db)
			s := newServer(t, db, rw.Scenario.OPL, permission.Options{MaxReadDepth: 5})
			s.insert(rw.Scenario.InputTuples...)
			for _, c := range rw.Checks {
				want := 403
				if c.Member {
					want = 200
				}
				if code, body := s.check(c.Query, nil); code != want {
					t.Errorf("%s: %d %s, want %d", c.Query, code, body, want)
				}
			}
		})
	})
}

// freshDB gives each scenario an empty database of the same dialect.
func freshDB(t *testing.T, like *sqldb.DB) *sqldb.DB {
	if like.Dialect() == sqldb.Postgres {
		return sqltest.Postgres(t)
	}
	return sqltest.SQLite(t)
}

var _ = bytes.NewReader
