package ui

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/warden-iam/warden/internal/flow"
	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/session"
	"github.com/warden-iam/warden/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options are the pages' settings.
type Options struct {
	// PublicURL is the public listener's base URL, with a trailing slash.
	PublicURL func() string
	// ProductName, LogoURL and the colours theme the pages.
	ProductName   string
	LogoURL       string
	PrimaryColor  string
	SecureCookies bool
}

// Flows is what the pages need of the self-service flows.
type Flows interface {
	// Read returns a flow for the browser of r, as GET .../flows does.
	Read(r *http.Request, kind, id string) (*flow.Flow, error)
	// ReadError returns a stored error shown to a browser.
	ReadError(ctx context.Context, id string) (json.RawMessage, error)
	// LogoutURL returns the logout URL of the browser's session.
	LogoutURL(r *http.Request, returnTo string) (string, error)
}

// Identities gives the consent page the identity's claims.
type Identities interface {
	Get(ctx context.Context, id string, include []string) (*identity.Identity, error)
}

// Sessions reads the browser's session and lists the identity's others.
type Sessions interface {
	FromRequest(r *http.Request) (*session.Session, error)
	Get(ctx context.Context, id string, withIdentity bool) (*session.Session, error)
	List(ctx context.Context, q session.ListQuery) ([]*session.Session, error)
	Disable(ctx context.Context, id string) error
	ClearCookie(w http.ResponseWriter)
}

// Handler serves the pages.
type Handler struct {
	o          Options
	flows      Flows
	identities Identities
	sessions   Sessions
	admin      http.Handler
	tmpl       *template.Template
}

// New returns the pages' handler; admin is the admin API (used in-process
// for OAuth2 login, consent, logout and device requests).
func New(o Options, flows Flows, identities Identities, sessions Sessions, admin http.Handler) (*Handler, error) {
	if o.ProductName == "" {
		o.ProductName = "Warden"
	}
	if o.PrimaryColor == "" {
		o.PrimaryColor = "#3b5bdb"
	}
	if !cssColor.MatchString(o.PrimaryColor) {
		return nil, fmt.Errorf("ui: primary colour %q is not a CSS colour such as #3b5bdb", o.PrimaryColor)
	}
	t, err := template.New("").ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("ui: templates: %w", err)
	}
	return &Handler{o: o, flows: flows, identities: identities, sessions: sessions, admin: admin, tmpl: t}, nil
}

var cssColor = regexp.MustCompile(`^#[0-9a-fA-F]{3,8}$`)

// Mount registers the pages on the public router.
func (h *Handler) Mount(r *web.Router) {
	r.Handle("GET /{$}", h.home)
	for _, k := range []string{flow.KindLogin, flow.KindRegistration, flow.KindSettings, flow.KindRecovery, flow.KindVerification} {
		kind := k
		r.Handle("GET /ui/"+kind, func(w http.ResponseWriter, r *http.Request) error { return h.flowPage(w, r, kind) })
	}
	r.Handle("GET /ui/error", h.errorPage)
	r.Handle("POST /ui/sessions/revoke", h.revokeSession)
	r.Handle("GET /ui/logout", h.logout)
	r.Handle("POST /ui/logout", h.logoutSubmit)
	r.Handle("GET /ui/oauth2/login", h.oauth2Login)
	r.Handle("GET /ui/oauth2/consent", h.consentPage)
	r.Handle("POST /ui/oauth2/consent", h.consentSubmit)
	r.Handle("GET /ui/oauth2/logout", h.oauth2LogoutPage)
	r.Handle("POST /ui/oauth2/logout", h.oauth2LogoutSubmit)
	r.Handle("GET /ui/device", h.devicePage)
	r.Handle("POST /ui/device", h.deviceSubmit)
	r.Handle("GET /ui/theme.css", h.theme)
	static, _ := fs.Sub(staticFS, "static")
	r.HandleHTTP("GET /ui/static/", http.StripPrefix("/ui/static/", http.FileServerFS(static)))
}

// page is what every template gets.
type page struct {
	Lang    string
	T       func(key string) string
	Product string
	Logo    string
	Title   string
	Body    any
}

// render writes a page with security headers: a policy that allows the
// stylesheet and images, and no scripts at all.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name, title string, body any) error {
	lang := langOf(r)
	p := page{Lang: lang, T: func(k string) string { return translate(lang, k) }, Product: h.o.ProductName, Logo: h.o.LogoURL,
		Title: translate(lang, title), Body: body}
	var b bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&b, name, p); err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	// No form-action: a form's answer may redirect on to an OAuth2
	// client's redirect URI, on any site, which form-action would block.
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data: https:; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Language", lang)
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
	return nil
}

func (h *Handler) public(path string) string { return strings.TrimSuffix(h.o.PublicURL(), "/") + path }

// theme is the stylesheet of the configured colours.
func (h *Handler) theme(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	fmt.Fprintf(w, ":root { --primary: %s; }\n", h.o.PrimaryColor)
	return nil
}

// adminCall runs a request against the admin API in-process and decodes
// its JSON answer into out; it returns the status.
func (h *Handler) adminCall(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequestWithContext(ctx, method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.admin.ServeHTTP(rec, req)
	if out != nil && rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			return rec.Code, fmt.Errorf("admin %s %s: %d %s", method, path, rec.Code, rec.Body.String())
		}
	}
	return rec.Code, nil
}

// errorStatus is the HTTP status of a web error (0 for other errors).
func errorStatus(err error) int {
	var we *web.Error
	if errors.As(err, &we) {
		return we.Code
	}
	return 0
}
