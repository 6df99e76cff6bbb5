package flow

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/session"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/web"
)

func noSession(err error) *web.Error {
	return web.Unauthorized("No active session was found in this request.").WithID("session_inactive").WithCause(err)
}

func (s *Service) initSettings(r *http.Request, f *Flow, token string) (string, error) {
	se, err := s.sessionFor(r, f.Type)
	if err != nil {
		login := withQuery(s.uiURL(KindLogin), "return_to", s.public(r.URL.RequestURI()))
		return login, noSession(err)
	}
	f.Private.IdentityID, f.Private.SessionID = se.IdentityID, se.ID
	f.State = StateShowForm
	return "", s.settingsForm(r, f, token)
}

// settingsForm builds the settings form from the identity's current traits.
func (s *Service) settingsForm(r *http.Request, f *Flow, token string) error {
	i, err := s.identities.Get(r.Context(), f.Private.IdentityID, nil)
	if err != nil {
		return err
	}
	f.Identity = i
	values := map[string]any{}
	var traits map[string]any
	_ = json.Unmarshal(i.Traits, &traits)
	flatten("traits", traits, values)
	nodes, err := s.traitNodes(i.SchemaID, GroupProfile, values)
	if err != nil {
		return err
	}
	f.UI.Nodes = []Node{csrfNode(token)}
	f.UI.Nodes = append(f.UI.Nodes, nodes...)
	f.UI.Nodes = append(f.UI.Nodes, Input(GroupProfile, "method", "submit", "profile", labelSave))
	pw := Input(GroupPassword, "password", "password", nil, labelPassword)
	pw.Attributes.Required, pw.Attributes.Autocomplete = true, "new-password"
	f.UI.Nodes = append(f.UI.Nodes, pw, Input(GroupPassword, "method", "submit", "password", labelSave))
	return nil
}

func flatten(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			flatten(prefix+"."+k, sub, out)
			continue
		}
		out[prefix+"."+k] = v
	}
}

// privileged tells whether the session authenticated recently enough for
// sensitive changes.
func (s *Service) privileged(se *session.Session) bool {
	return s.now().Sub(se.AuthenticatedAt) <= s.o.PrivilegedMaxAge
}

// refreshRequired answers a settings change that needs a fresh sign-in.
func (s *Service) refreshRequired(w http.ResponseWriter, r *http.Request, f *Flow) error {
	login := withQuery(withQuery(s.uiURL(KindLogin), "refresh", "true"), "return_to", withQuery(s.uiURL(KindSettings), "flow", f.ID))
	if f.Type == TypeBrowser {
		login = withQuery(s.public("/self-service/login/browser?refresh=true"), "return_to", withQuery(s.uiURL(KindSettings), "flow", f.ID))
	}
	if !wantsJSON(r, f) {
		http.Redirect(w, r, login, http.StatusSeeOther)
		return nil
	}
	web.WriteJSON(w, http.StatusForbidden, map[string]any{
		"error": map[string]any{"id": "session_refresh_required", "code": http.StatusForbidden, "status": http.StatusText(http.StatusForbidden),
			"reason":  "The session is too old for this change; sign in again (refresh=true) and retry.",
			"message": "The requested action was forbidden"},
		"redirect_browser_to": login})
	return nil
}

func (s *Service) submitSettings(w http.ResponseWriter, r *http.Request, f *Flow, prev string, body map[string]any) error {
	se, err := s.sessionFor(r, f.Type)
	if err != nil {
		return noSession(err)
	}
	if se.IdentityID != f.Private.IdentityID {
		return web.Forbidden("The flow belongs to another identity.").WithID("security_identity_mismatch")
	}
	ctx := r.Context()
	token := ""
	if n := f.UI.Find("csrf_token"); n != nil {
		token, _ = n.Attributes.Value.(string)
	}
	switch str(body, "method") {
	case "profile":
		f.Active = "profile"
		i, err := s.identities.GetWithCredentials(ctx, f.Private.IdentityID)
		if err != nil {
			return err
		}
		traits, flat := s.typedTraits(i.SchemaID, body)
		for name, v := range flat {
			f.UI.SetValue(name, v)
		}
		_, after, err := s.identities.Derive(ctx, i.SchemaID, traits)
		if err != nil {
			if !s.traitErrors(f, err) {
				return err
			}
			return s.fail(w, r, f, prev)
		}
		_, before, _ := s.identities.Derive(ctx, i.SchemaID, i.Traits)
		if !sameIdentifiers(before, after) && !s.privileged(se) {
			return s.refreshRequired(w, r, f)
		}
		if _, err := s.identities.UpdateTraits(ctx, i.ID, traits); err != nil {
			if s.traitErrors(f, err) {
				return s.fail(w, r, f, prev)
			}
			if isConflict(err) {
				f.UI.Messages = append(f.UI.Messages, errDuplicate)
				return s.fail(w, r, f, prev)
			}
			return err
		}
	case "password":
		f.Active = "password"
		pw := str(body, "password")
		if pw == "" {
			f.UI.AddNodeMessage("password", errMissingPassword)
			return s.fail(w, r, f, prev)
		}
		if !s.privileged(se) {
			return s.refreshRequired(w, r, f)
		}
		i, err := s.identities.GetWithCredentials(ctx, f.Private.IdentityID)
		if err != nil {
			return err
		}
		ident := ""
		if ids := i.Credentials[identity.CredentialPassword].Identifiers; len(ids) > 0 {
			ident = ids[0]
		} else if _, d, err := s.identities.Derive(ctx, i.SchemaID, i.Traits); err == nil && len(d.PasswordIdentifiers) > 0 {
			ident = d.PasswordIdentifiers[0]
		}
		if perr := s.passwords.Check(ctx, ident, pw); perr != nil {
			t, ok := s.passwords.Refusal(perr)
			if !ok {
				return perr
			}
			f.UI.AddNodeMessage("password", t)
			return s.fail(w, r, f, prev)
		}
		h, err := s.passwords.Hash(ctx, []byte(pw))
		if err != nil {
			if s.passwords.IsOverload(err) {
				return web.NewError(http.StatusServiceUnavailable, "Too many password changes at once; try again in a moment.").WithCause(err)
			}
			return err
		}
		if err := s.identities.SetPassword(ctx, i.ID, h); err != nil {
			return err
		}
	default:
		f.UI.Messages = append(f.UI.Messages, errGeneric("Choose what to change: the profile or the password method."))
		return s.fail(w, r, f, prev)
	}
	f.State = StateSuccess
	s.afterHooks(r, HookSettingsAfter, f, body)
	if err := s.settingsForm(r, f, token); err != nil {
		return err
	}
	f.UI.Messages = append(f.UI.Messages, msgSettingsSaved)
	if _, err := s.save(ctx, f, prev); err != nil {
		return conflictAsRetry(err)
	}
	if !wantsJSON(r, f) {
		to := withQuery(s.uiURL(KindSettings), "flow", f.ID)
		if f.ReturnTo != "" {
			to = f.ReturnTo
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	web.WriteJSON(w, http.StatusOK, f)
	return nil
}

func sameIdentifiers(a, b identity.Derived) bool {
	key := func(d identity.Derived) []string {
		var out []string
		out = append(out, d.PasswordIdentifiers...)
		for _, x := range append(append(d.CodeIdentifiers, d.Verifiable...), d.Recovery...) {
			out = append(out, x.Via+":"+x.Value)
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}

func isConflict(err error) bool { return errors.Is(err, storage.ErrConflict) }
