package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/warden-iam/warden/internal/flow"
	"github.com/warden-iam/warden/internal/session"
)

// nodeView is one form element as the templates draw it.
type nodeView struct {
	Kind         string // hidden, input, checkbox, submit, text, a, img
	ID           string
	Name, Type   string
	Value        string
	Label        string
	Required     bool
	Autocomplete string
	Pattern      string
	MaxLength    int
	Messages     []string
	Href         string
}

// formView is one form: the nodes of one group (with the hidden inputs
// every form needs).
type formView struct {
	Group  string
	Title  string
	Action string
	Nodes  []nodeView
}

type flowView struct {
	Kind     string
	State    string
	Messages []msgView
	Forms    []formView
	Links    []linkView
	Identity string
	// Settings only: the identity's active sessions, and the token of the
	// revoke forms.
	Sessions []sessionView
	CSRF     string
}

type sessionView struct {
	ID, Device, Since string
	Current           bool
}

type msgView struct {
	Text string
	Type string
}

type linkView struct {
	Href, Text string
}

var groupOrder = []string{"default", "profile", "password", "code", "link", "oidc", "totp", "lookup_secret", "webauthn", "passkey"}

// viewOf turns a flow's ui container into forms: one per method group
// (settings shows one form per thing to change), the default group's
// hidden inputs in each.
func viewOf(lang, kind string, f *flow.Flow) flowView {
	v := flowView{Kind: kind, State: f.State}
	for _, m := range f.UI.Messages {
		v.Messages = append(v.Messages, msgView{Text: translateText(lang, m), Type: m.Type})
	}
	var hidden []nodeView
	groups := map[string][]nodeView{}
	for k, n := range f.UI.Nodes {
		nv := nodeOf(lang, k, n)
		if nv.Kind == "hidden" && n.Group == flow.GroupDefault {
			hidden = append(hidden, nv)
			continue
		}
		groups[n.Group] = append(groups[n.Group], nv)
	}
	split := kind == flow.KindSettings
	var all []nodeView
	for _, g := range groupOrder {
		nodes := groups[g]
		delete(groups, g)
		if len(nodes) == 0 {
			continue
		}
		if split {
			v.Forms = append(v.Forms, formView{Group: g, Title: translate(lang, "group."+g), Action: f.UI.Action,
				Nodes: append(append([]nodeView{}, hidden...), nodes...)})
			continue
		}
		all = append(all, nodes...)
	}
	for g, nodes := range groups { // groups this page does not know, last
		if split {
			v.Forms = append(v.Forms, formView{Group: g, Action: f.UI.Action, Nodes: append(append([]nodeView{}, hidden...), nodes...)})
		} else {
			all = append(all, nodes...)
		}
	}
	if !split {
		v.Forms = []formView{{Action: f.UI.Action, Nodes: append(hidden, all...)}}
	}
	if f.Identity != nil {
		var t map[string]any
		_ = json.Unmarshal(f.Identity.Traits, &t)
		if e, ok := t["email"].(string); ok {
			v.Identity = e
		}
	}
	return v
}

func nodeOf(lang string, k int, n flow.Node) nodeView {
	a := n.Attributes
	nv := nodeView{ID: fmt.Sprintf("n%d", k), Name: a.Name, Type: a.Type, Required: a.Required, Autocomplete: a.Autocomplete,
		Pattern: a.Pattern, MaxLength: a.MaxLength}
	if a.Value != nil {
		nv.Value = fmt.Sprint(a.Value)
	}
	if n.Meta.Label != nil {
		nv.Label = translateText(lang, *n.Meta.Label)
	}
	for _, m := range n.Messages {
		nv.Messages = append(nv.Messages, translateText(lang, m))
	}
	switch n.Type {
	case "input":
		switch a.Type {
		case "hidden":
			nv.Kind = "hidden"
		case "submit", "button":
			nv.Kind = "submit"
		case "checkbox":
			nv.Kind = "checkbox"
		default:
			nv.Kind = "input"
		}
	case "text":
		nv.Kind = "text"
		if a.Text != nil {
			nv.Value = translateText(lang, *a.Text)
		}
	case "a":
		nv.Kind, nv.Href = "a", a.Href
		if a.Title != nil {
			nv.Label = translateText(lang, *a.Title)
		}
	default:
		nv.Kind = "text"
	}
	return nv
}

// flowPage shows a flow, or starts one when there is none (or it expired,
// or belongs to another browser).
func (h *Handler) flowPage(w http.ResponseWriter, r *http.Request, kind string) error {
	q := r.URL.Query()
	restart := func() error {
		v := url.Values{}
		for _, k := range []string{"return_to", "refresh", "login_challenge", "aal"} {
			if x := q.Get(k); x != "" {
				v.Set(k, x)
			}
		}
		target := h.public("/self-service/" + kind + "/browser")
		if len(v) > 0 {
			target += "?" + v.Encode()
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil
	}
	id := q.Get("flow")
	if id == "" {
		return restart()
	}
	f, err := h.flows.Read(r, kind, id)
	if err != nil {
		switch errorStatus(err) {
		case http.StatusNotFound, http.StatusForbidden, http.StatusGone, http.StatusBadRequest:
			return restart()
		case http.StatusUnauthorized:
			http.Redirect(w, r, h.public("/ui/login?return_to="+url.QueryEscape(h.public(r.URL.RequestURI()))), http.StatusSeeOther)
			return nil
		}
		return err
	}
	lang := langOf(r)
	v := viewOf(lang, kind, f)
	switch kind {
	case flow.KindLogin:
		v.Links = []linkView{{"/ui/registration", translate(lang, "link.register")}, {"/ui/recovery", translate(lang, "link.recover")}}
	case flow.KindRegistration:
		v.Links = []linkView{{"/ui/login", translate(lang, "link.login")}}
	case flow.KindRecovery, flow.KindVerification:
		v.Links = []linkView{{"/ui/login", translate(lang, "link.back")}}
	case flow.KindSettings:
		v.Links = []linkView{{"/", translate(lang, "link.home")}}
		if se, err := h.sessions.FromRequest(r); err == nil {
			active := true
			list, _ := h.sessions.List(r.Context(), session.ListQuery{IdentityID: se.IdentityID, Active: &active, Limit: 50})
			for _, o := range list {
				dev := ""
				if n := len(o.Devices); n > 0 {
					dev = strings.TrimSpace(o.Devices[n-1].UserAgent + " · " + o.Devices[n-1].IPAddress)
				}
				v.Sessions = append(v.Sessions, sessionView{ID: o.ID, Device: dev, Since: o.AuthenticatedAt.Format("2006-01-02 15:04 MST"),
					Current: o.ID == se.ID})
			}
			v.CSRF = h.csrfToken(w, r)
		}
	}
	return h.render(w, r, http.StatusOK, "flow", "title."+kind, v)
}

// errorPage shows an error a flow sent the browser to.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request) error {
	type errView struct {
		Code           int
		Reason, Status string
	}
	var v errView
	if raw, err := h.flows.ReadError(r.Context(), r.URL.Query().Get("id")); err == nil {
		_ = json.Unmarshal(raw, &v)
	}
	if v.Code == 0 {
		v.Code, v.Reason = http.StatusNotFound, translate(langOf(r), "error.unknown")
	}
	return h.render(w, r, v.Code, "error", "title.error", v)
}

// home shows who is signed in, with the way to the account and out.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) error {
	type homeView struct {
		SignedIn        bool
		Email, Name, ID string
		Verified        bool
	}
	var v homeView
	if se, err := h.sessions.FromRequest(r); err == nil && se.Identity != nil {
		v.SignedIn = true
		var t map[string]any
		_ = json.Unmarshal(se.Identity.Traits, &t)
		v.Email, _ = t["email"].(string)
		if n, ok := t["name"].(map[string]any); ok {
			first, _ := n["first"].(string)
			last, _ := n["last"].(string)
			v.Name = strings.TrimSpace(first + " " + last)
		}
		v.ID = se.Identity.ID
		for _, a := range se.Identity.VerifiableAddresses {
			v.Verified = v.Verified || a.Verified
		}
	}
	return h.render(w, r, http.StatusOK, "home", "title.home", v)
}

// logout asks before signing out; logoutSubmit ends the browser's
// identity session (and its OAuth2 login sessions, with back-channel
// logout) through the logout URL bound to the session.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.sessions.FromRequest(r); err != nil {
		http.Redirect(w, r, h.public("/"), http.StatusSeeOther)
		return nil
	}
	return h.render(w, r, http.StatusOK, "logout", "title.logout", map[string]any{"CSRF": h.csrfToken(w, r), "Challenge": "", "Client": ""})
}

func (h *Handler) logoutSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil || !checkCSRF(r) {
		return forbidden(w, r, h)
	}
	se, err := h.sessions.FromRequest(r)
	if err != nil || r.PostFormValue("action") != "yes" {
		http.Redirect(w, r, h.public("/"), http.StatusSeeOther)
		return nil
	}
	_, _ = h.adminCall(r.Context(), http.MethodDelete, "/admin/oauth2/auth/sessions/login?subject="+url.QueryEscape(se.IdentityID), nil, nil)
	u, err := h.flows.LogoutURL(r, h.public("/"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
	return nil
}

// revokeSession ends one of the signed-in identity's other sessions.
func (h *Handler) revokeSession(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil || !checkCSRF(r) {
		return forbidden(w, r, h)
	}
	se, err := h.sessions.FromRequest(r)
	if err != nil {
		http.Redirect(w, r, h.public("/ui/login"), http.StatusSeeOther)
		return nil
	}
	id := r.PostFormValue("session_id")
	if o, err := h.sessions.Get(r.Context(), id, false); err == nil && o.IdentityID == se.IdentityID && o.ID != se.ID {
		if err := h.sessions.Disable(r.Context(), id); err != nil {
			return err
		}
	}
	http.Redirect(w, r, h.public("/ui/settings"), http.StatusSeeOther)
	return nil
}
