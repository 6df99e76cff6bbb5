package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/warden-iam/warden/internal/web"
)

// MaxRegistrationBytes bounds the body of a registration request.
const MaxRegistrationBytes = 64 << 10

// maxSectorBytes bounds the document fetched from a sector_identifier_uri.
const maxSectorBytes = 64 << 10

// sectorTimeout bounds the fetch of a sector_identifier_uri document.
const sectorTimeout = 10 * time.Second

// RegistrationOptions configure dynamic client registration.
type RegistrationOptions struct {
	// PublicURL returns the base URL of the public listener; the
	// registration_client_uri of a client is built from it. A function,
	// because with port 0 it is known only once the listener is bound.
	PublicURL func() string
	// DefaultScope is the scope of clients that register none.
	DefaultScope []string
	// SubjectTypes are the subject_type values clients may register; empty
	// allows every one the server supports.
	SubjectTypes []string
	// HTTPClient fetches sector_identifier_uri documents. The default
	// times out after 5 seconds and follows redirects to https URLs only.
	HTTPClient *http.Client
}

// Registrar serves OpenID Connect Dynamic Client Registration 1.0 (RFC
// 7591) and its management protocol (RFC 7592) on Hydra's paths.
type Registrar struct {
	s *Service
	o RegistrationOptions
}

// NewRegistrar returns the registration endpoints over s.
func NewRegistrar(s *Service, o RegistrationOptions) *Registrar {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 5 * time.Second, CheckRedirect: httpsRedirectsOnly}
	}
	if o.PublicURL == nil {
		o.PublicURL = func() string { return "/" }
	}
	return &Registrar{s: s, o: o}
}

func httpsRedirectsOnly(req *http.Request, via []*http.Request) error {
	if len(via) >= 3 {
		return errors.New("too many redirects")
	}
	if req.URL.Scheme != "https" {
		return errors.New("redirect to a URL that is not https")
	}
	return nil
}

// MountPublic registers the endpoints; they belong on the public listener.
func (g *Registrar) MountPublic(r *web.Router) {
	r.Handle("POST /oauth2/register", g.handle(g.register))
	r.Handle("GET /oauth2/register/{id}", g.handle(g.get))
	r.Handle("PUT /oauth2/register/{id}", g.handle(g.set))
	r.Handle("DELETE /oauth2/register/{id}", g.handle(g.delete))
}

// registration is a client as the registration endpoints show it.
type registration struct {
	Client
	RegistrationAccessToken string `json:"registration_access_token,omitempty"`
	RegistrationClientURI   string `json:"registration_client_uri"`
	// ClientSecretExpiresAt is 0 (never) for clients with a secret
	// (RFC 7591 section 3.2.1).
	ClientSecretExpiresAt *int64 `json:"client_secret_expires_at,omitempty"`
}

func (g *Registrar) show(c Client, token string) registration {
	out := registration{Client: c, RegistrationAccessToken: token,
		RegistrationClientURI: strings.TrimSuffix(g.o.PublicURL(), "/") + "/oauth2/register/" + url.PathEscape(c.ID)}
	if c.NeedsSecret() {
		out.ClientSecretExpiresAt = new(int64)
	}
	return out
}

func (g *Registrar) register(w http.ResponseWriter, r *http.Request) error {
	c, err := g.decode(w, r, nil)
	if err != nil {
		return err
	}
	c.keepAdminFields(Client{})
	if err := g.check(r.Context(), &c); err != nil {
		return err
	}
	out, token, err := g.s.Register(r.Context(), c)
	if err != nil {
		return err
	}
	writeRegistration(w, http.StatusCreated, g.show(out, token))
	return nil
}

func (g *Registrar) get(w http.ResponseWriter, r *http.Request) error {
	token, err := bearer(r)
	if err != nil {
		return err
	}
	c, err := g.s.Registered(r.Context(), r.PathValue("id"), token)
	if err != nil {
		return err
	}
	writeRegistration(w, http.StatusOK, g.show(c, ""))
	return nil
}

func (g *Registrar) set(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	token, err := bearer(r)
	if err != nil {
		return err
	}
	// Authenticate before reading the body: unauthenticated callers learn
	// nothing from validation and cannot make the server fetch a URL.
	cur, err := g.s.Registered(r.Context(), id, token)
	if err != nil {
		return err
	}
	c, err := g.decode(w, r, &cur)
	if err != nil {
		return err
	}
	c.keepAdminFields(cur)
	if err := g.check(r.Context(), &c); err != nil {
		return err
	}
	out, next, err := g.s.SetRegistered(r.Context(), id, token, c)
	if err != nil {
		return err
	}
	writeRegistration(w, http.StatusOK, g.show(out, next))
	return nil
}

func (g *Registrar) delete(w http.ResponseWriter, r *http.Request) error {
	token, err := bearer(r)
	if err != nil {
		return err
	}
	if err := g.s.DeleteRegistered(r.Context(), r.PathValue("id"), token); err != nil {
		return err
	}
	noStore(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, error) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", &regError{Code: "invalid_token", Status: http.StatusUnauthorized,
			Description: "Send the registration access token as Authorization: Bearer <token>.",
			challenge:   `Bearer realm="oauth2"`}
	}
	return token, nil
}

// adminOnly are the members only the admin API may set: a registration
// request holding one with a value other than null, false, "", {} or [] is
// refused.
var adminOnly = append([]string{"owner", "metadata", "skip_consent", "skip_logout_consent", "access_token_strategy"},
	jsonNames(reflect.TypeFor[Lifespans]())...)

// serverChosen are the members a registration (not an update) may not set.
var serverChosen = []string{"client_id", "client_secret"}

func jsonNames(t reflect.Type) []string {
	out := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

// unset tells whether a member's value is null, false, "", {} or [].
func unset(raw json.RawMessage) bool {
	v := bytes.TrimSpace(raw)
	switch string(v) {
	case "null", "false", `""`:
		return true
	}
	return len(v) >= 2 && (v[0] == '{' && v[len(v)-1] == '}' || v[0] == '[' && v[len(v)-1] == ']') &&
		len(bytes.TrimSpace(v[1:len(v)-1])) == 0
}

// sameJSON tells whether two JSON values are the same text once compacted.
func sameJSON(a, b json.RawMessage) bool {
	var ca, cb bytes.Buffer
	return json.Compact(&ca, a) == nil && json.Compact(&cb, b) == nil && bytes.Equal(ca.Bytes(), cb.Bytes())
}

// decode reads the client metadata of a registration (cur nil) or of an
// update of cur, refusing members the client may not set. An update may
// repeat the current value of an admin-only member (as a client sending
// back what it read does), not change it.
func (g *Registrar) decode(w http.ResponseWriter, r *http.Request, cur *Client) (Client, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return Client{}, metadataError("The request body must be application/json, not %q.", ct)
		}
	}
	if r.Body == nil {
		return Client{}, metadataError("The request body is empty; send the client metadata as a JSON object.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRegistrationBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			e := metadataError("The request body exceeds %d bytes.", mbe.Limit)
			e.Status = http.StatusRequestEntityTooLarge
			return Client{}, e
		}
		return Client{}, metadataError("The request body could not be read.")
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil || members == nil {
		return Client{}, metadataError("The request body must be one JSON object of client metadata.")
	}
	var current map[string]json.RawMessage
	if cur != nil {
		b, err := json.Marshal(cur)
		if err != nil {
			return Client{}, fmt.Errorf("encode client %s: %w", cur.ID, err)
		}
		if err := json.Unmarshal(b, &current); err != nil {
			return Client{}, fmt.Errorf("decode client %s: %w", cur.ID, err)
		}
	}
	// encoding/json matches member names case-insensitively, so do the
	// checks.
	for name, raw := range members {
		name = strings.ToLower(name)
		switch {
		case unset(raw):
		case slices.Contains(adminOnly, name) && (cur == nil || !sameJSON(raw, current[name])):
			return Client{}, metadataError("%s cannot be set through dynamic client registration.", name)
		case cur == nil && slices.Contains(serverChosen, name):
			return Client{}, metadataError("%s is chosen by the server; leave it out.", name)
		}
	}
	var c Client
	if err := json.Unmarshal(body, &c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Client{}, metadataError("%s has the wrong type: %s is not allowed there.", te.Field, te.Value)
		}
		return Client{}, metadataError("The client metadata could not be decoded: %v.", err)
	}
	if c.Scope == "" && len(g.o.DefaultScope) > 0 {
		c.Scope = strings.Join(g.o.DefaultScope, " ")
	}
	return c, nil
}

// check applies the rules of dynamic registration on top of those of every
// client, fetching the sector_identifier_uri document last.
func (g *Registrar) check(ctx context.Context, c *Client) error {
	probe := *c
	if probe.ID == "" {
		probe.ID = "registration" // a placeholder: ids are checked by the service
	}
	probe.normalize()
	if err := probe.validate(); err != nil {
		return err
	}
	if len(probe.RedirectURIs) == 0 && (slices.Contains(probe.GrantTypes, "authorization_code") || slices.Contains(probe.GrantTypes, "implicit")) {
		return invalid("redirect_uris", "redirect_uris must hold at least one URI for the authorization_code and implicit grants.")
	}
	if len(g.o.SubjectTypes) > 0 && !slices.Contains(g.o.SubjectTypes, probe.SubjectType) {
		return invalid("subject_type", "subject_type %q is not offered by this server; use one of %s.",
			probe.SubjectType, strings.Join(g.o.SubjectTypes, ", "))
	}
	if probe.SubjectType == "pairwise" && probe.SectorIdentifierURI == "" {
		hosts := map[string]bool{}
		for _, u := range probe.RedirectURIs {
			if p, err := url.Parse(u); err == nil {
				hosts[p.Host] = true
			}
		}
		if len(hosts) > 1 {
			return invalid("sector_identifier_uri", "redirect_uris name more than one host; pairwise clients then need a sector_identifier_uri.")
		}
	}
	return g.checkSector(ctx, probe.SectorIdentifierURI, probe.RedirectURIs)
}

// checkSector fetches the JSON array of URIs at uri and requires every
// redirect URI to be listed there (OpenID Connect Dynamic Client
// Registration 1.0 section 5). Why a fetch failed is not told: the caller
// may be anyone.
func (g *Registrar) checkSector(ctx context.Context, uri string, redirects []string) error {
	if uri == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, sectorTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return invalid("sector_identifier_uri", "sector_identifier_uri %q is not a URL that can be fetched.", uri)
	}
	req.Header.Set("Accept", "application/json")
	res, err := g.o.HTTPClient.Do(req)
	if err != nil {
		return invalid("sector_identifier_uri", "The document at sector_identifier_uri %q could not be fetched.", uri)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return invalid("sector_identifier_uri", "The document at sector_identifier_uri %q could not be fetched.", uri)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, maxSectorBytes+1))
	var listed []string
	if err != nil || len(b) > maxSectorBytes || json.Unmarshal(b, &listed) != nil {
		return invalid("sector_identifier_uri", "The document at sector_identifier_uri %q is not a JSON array of URIs.", uri)
	}
	for i, u := range redirects {
		if !slices.Contains(listed, u) {
			return invalid("sector_identifier_uri", "redirect_uris[%d] %q is not listed in the document at sector_identifier_uri %q.", i, u, uri)
		}
	}
	return nil
}

// regError is an error of the registration endpoints, written in the
// OAuth 2.0 form ({"error","error_description","status_code"}).
type regError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	Status      int    `json:"status_code"`
	challenge   string // WWW-Authenticate, for 401
}

func (e *regError) Error() string { return e.Code + ": " + e.Description }

func metadataError(format string, args ...any) *regError {
	return &regError{Code: "invalid_client_metadata", Status: http.StatusBadRequest, Description: fmt.Sprintf(format, args...)}
}

// asRegError maps service errors to RFC 7591 and RFC 6750 errors;
// anything else is a server error.
func asRegError(err error) (*regError, bool) {
	var (
		re *regError
		fe *FieldError
	)
	switch {
	case errors.As(err, &re):
		return re, true
	case errors.As(err, &fe):
		if fe.Field == "redirect_uris" {
			return &regError{Code: "invalid_redirect_uri", Status: http.StatusBadRequest, Description: fe.Reason}, true
		}
		return metadataError("%s", fe.Reason), true
	case errors.Is(err, ErrRegistrationToken):
		return &regError{Code: "invalid_token", Status: http.StatusUnauthorized,
			Description: "The registration access token is not valid for this client.",
			challenge:   `Bearer realm="oauth2", error="invalid_token"`}, true
	}
	return &regError{Code: "server_error", Status: http.StatusInternalServerError,
		Description: "The authorization server encountered an unexpected condition."}, false
}

// handle adapts a handler whose errors are written in the OAuth 2.0 form.
func (g *Registrar) handle(h func(w http.ResponseWriter, r *http.Request) error) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := h(w, r)
		if err == nil {
			return nil
		}
		e, known := asRegError(err)
		if !known {
			web.Logger(r.Context()).Error("dynamic client registration failed", slog.String("error", err.Error()))
		}
		if e.challenge != "" {
			w.Header().Set("WWW-Authenticate", e.challenge)
		}
		writeRegistration(w, e.Status, e)
		return nil
	}
}

// noStore marks a response as not cacheable: it may carry credentials.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

func writeRegistration(w http.ResponseWriter, status int, v any) {
	noStore(w)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
