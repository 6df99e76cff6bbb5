package courier_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	ory "github.com/ory/client-go"

	"github.com/warden-iam/warden/internal/courier"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqltest"
	"github.com/warden-iam/warden/internal/web"
)

type adminServer struct {
	URL string
	svc *courier.Service
	ids []string // queued messages, oldest first
}

// newAdminServer serves the admin API over six messages: ann gets three
// (the first two sent), bob gets three, queued.
func newAdminServer(t *testing.T, db *sqldb.DB) *adminServer {
	t.Helper()
	c := &clock{t: sqldb.Now()}
	s := newService(t, db, &fakeSender{}, courier.Options{Now: c.Now, PullCount: 2})
	a := &adminServer{svc: s}
	ctx := context.Background()
	for i := range 6 {
		r := "ann@example.com"
		if i >= 3 {
			r = "bob@example.com"
		}
		m, err := s.EnqueueTemplate(ctx, courier.TemplateLoginCodeValid, r, courier.TemplateData{LoginCode: "12345"})
		if err != nil {
			t.Fatal(err)
		}
		a.ids = append(a.ids, m.ID)
		if i == 1 {
			dispatch(t, s)
		}
		c.Add(time.Second)
	}
	r := web.NewRouter()
	courier.NewHandler(s).MountAdmin(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	return a
}

func sdk(url string) ory.CourierAPI {
	cfg := ory.NewConfiguration()
	cfg.Servers = ory.ServerConfigurations{{URL: url}}
	cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	return ory.NewAPIClient(cfg).CourierAPI
}

var nextLink = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

// TestAdminAPIWithOrySDK drives the admin API with Ory's SDK: pages follow
// the Link header, newest first; filters apply; a message shows its
// dispatches; every JSON object decodes into the SDK's models without
// unknown fields.
func TestAdminAPIWithOrySDK(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqldb.DB) {
		a := newAdminServer(t, db)
		api := sdk(a.URL)
		ctx := context.Background()

		var listed []string
		req := api.ListCourierMessages(ctx).PageSize(4)
		for range 5 {
			page, resp, err := req.Execute()
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range page {
				if len(m.AdditionalProperties) != 0 || m.GetChannel() != "email" || m.GetType() != ory.COURIERMESSAGETYPE_EMAIL ||
					m.GetTemplateType() != "login_code_valid" || m.GetSubject() != "Your sign-in code" || m.Dispatches != nil {
					t.Fatalf("listed %+v", m)
				}
				listed = append(listed, m.GetId())
			}
			link := resp.Header.Get("Link")
			if link == "" {
				break
			}
			sub := nextLink.FindStringSubmatch(link)
			if sub == nil {
				t.Fatalf("Link %q", link)
			}
			u, err := url.Parse(sub[1])
			if err != nil || u.Path != "/admin/courier/messages" || u.Query().Get("page_size") != "4" {
				t.Fatalf("next page %q", sub[1])
			}
			req = api.ListCourierMessages(ctx).PageSize(4).PageToken(u.Query().Get("page_token"))
		}
		want := slices.Clone(a.ids)
		slices.Reverse(want)
		if !slices.Equal(listed, want) {
			t.Fatalf("listed %v, want %v", listed, want)
		}

		sent, _, err := api.ListCourierMessages(ctx).Status(ory.COURIERMESSAGESTATUS_SENT).Execute()
		if err != nil || len(sent) != 2 || sent[0].GetId() != a.ids[1] || sent[1].GetId() != a.ids[0] {
			t.Fatalf("sent: %+v %v", sent, err)
		}
		bob, _, err := api.ListCourierMessages(ctx).Recipient("bob@example.com").Status(ory.COURIERMESSAGESTATUS_QUEUED).Execute()
		if err != nil || len(bob) != 3 {
			t.Fatalf("bob: %d %v", len(bob), err)
		}
		none, _, err := api.ListCourierMessages(ctx).Recipient("nobody@example.com").Execute()
		if err != nil || none == nil || len(none) != 0 {
			t.Fatalf("no messages: %v %v", none, err)
		}

		m, _, err := api.GetCourierMessage(ctx, a.ids[0]).Execute()
		if err != nil {
			t.Fatal(err)
		}
		if m.GetStatus() != ory.COURIERMESSAGESTATUS_SENT || m.GetSendCount() != 1 || m.GetRecipient() != "ann@example.com" ||
			len(m.Dispatches) != 1 || m.Dispatches[0].GetStatus() != "success" || m.Dispatches[0].GetMessageId() != a.ids[0] ||
			m.Dispatches[0].GetId() == "" || m.Dispatches[0].Error != nil || len(m.Dispatches[0].AdditionalProperties) != 0 {
			t.Fatalf("got %+v", m)
		}
	})
}

// TestAdminAPIJSON: the exact keys of a message, and that the HTML body is
// not among them.
func TestAdminAPIJSON(t *testing.T) {
	a := newAdminServer(t, sqltest.SQLite(t))
	res, err := http.Get(a.URL + "/admin/courier/messages/" + a.ids[0])
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]json.RawMessage
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil || res.StatusCode != 200 {
		t.Fatalf("%d %v", res.StatusCode, err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"body", "channel", "created_at", "dispatches", "id", "recipient", "send_count", "status", "subject", "template_type", "type", "updated_at"}
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %v", keys)
	}
	var ds []map[string]json.RawMessage
	if err := json.Unmarshal(m["dispatches"], &ds); err != nil || len(ds) != 1 {
		t.Fatal(err)
	}
	keys = keys[:0]
	for k := range ds[0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"created_at", "id", "message_id", "status", "updated_at"}) {
		t.Fatalf("dispatch keys %v", keys)
	}
}

// TestAdminAPIErrors: bad parameters are 400 naming the parameter, an
// unknown message 404, all in Ory's envelope.
func TestAdminAPIErrors(t *testing.T) {
	a := newAdminServer(t, sqltest.SQLite(t))
	for _, tc := range []struct {
		path  string
		code  int
		field string
	}{
		{"/admin/courier/messages?status=delivered", 400, "status"},
		{"/admin/courier/messages?status=", 400, "status"},
		{"/admin/courier/messages?page_size=0", 400, "page_size"},
		{"/admin/courier/messages?page_size=ten", 400, "page_size"},
		{"/admin/courier/messages?page_token=garbage", 400, "page_token"},
		{"/admin/courier/messages?page_token=", 400, "page_token"},
		{"/admin/courier/messages/not-a-uuid", 400, "id"},
		{"/admin/courier/messages/" + uuid.NewString(), 404, ""},
	} {
		res, err := http.Get(a.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var env struct {
			Error struct {
				Code    int            `json:"code"`
				Status  string         `json:"status"`
				Reason  string         `json:"reason"`
				Message string         `json:"message"`
				Details map[string]any `json:"details"`
			} `json:"error"`
		}
		if err := json.Unmarshal(b, &env); err != nil || res.StatusCode != tc.code || env.Error.Code != tc.code ||
			env.Error.Reason == "" || env.Error.Message == "" || env.Error.Status != http.StatusText(tc.code) {
			t.Fatalf("%s: %d %s", tc.path, res.StatusCode, b)
		}
		if tc.field != "" && env.Error.Details["field"] != tc.field {
			t.Fatalf("%s: details %v", tc.path, env.Error.Details)
		}
	}
	// The SDK sees the 404 as an error carrying the envelope.
	_, res, err := sdk(a.URL).GetCourierMessage(context.Background(), uuid.NewString()).Execute()
	var oe *ory.GenericOpenAPIError
	if res == nil || res.StatusCode != 404 || !errors.As(err, &oe) {
		t.Fatalf("SDK: %v", err)
	}
}
