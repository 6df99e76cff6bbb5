package flow

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/session"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/web"
)

func (s *Service) initRegistration(r *http.Request, f *Flow, token string) (string, error) {
	if _, err := s.sessionFor(r, f.Type); err == nil {
		e := web.BadRequest("A valid session was detected and thus registration is not possible.").WithID("session_already_available")
		return s.returnURL(f), e
	}
	f.Challenge = r.URL.Query().Get("login_challenge")
	if _, err := s.runHooks(r, HookRegistrationBefore, false, f, nil, nil); err != nil {
		var hi *hookInterrupt
		if errors.As(err, &hi) {
			reason := "Registration is not possible now."
			if len(hi.global) > 0 {
				reason = hi.global[0].Text
			}
			return "", web.BadRequest("%s", reason)
		}
		return "", err
	}
	traits, err := s.traitNodes(s.schemas.DefaultID(), GroupDefault, nil)
	if err != nil {
		return "", err
	}
	f.UI.Nodes = append(f.UI.Nodes, csrfNode(token))
	f.UI.Nodes = append(f.UI.Nodes, traits...)
	pw := Input(GroupPassword, "password", "password", nil, labelPassword)
	pw.Attributes.Required, pw.Attributes.Autocomplete = true, "new-password"
	f.UI.Nodes = append(f.UI.Nodes, pw, Input(GroupPassword, "method", "submit", "password", labelSignUp))
	return "", nil
}

// typedTraits converts form strings to the types the schema declares.
func (s *Service) typedTraits(schemaID string, body map[string]any) (json.RawMessage, map[string]any) {
	raw, _ := body["traits"].(map[string]any)
	if raw == nil {
		raw = map[string]any{}
	}
	flat := map[string]any{}
	fields, _ := s.schemas.Fields(schemaID)
	for _, fd := range fields {
		path := splitName(fd.Name)
		v, ok := lookup(raw, path)
		if !ok {
			continue
		}
		if str, isStr := v.(string); isStr {
			switch fd.Type {
			case "number":
				if n, err := strconv.ParseFloat(str, 64); err == nil {
					v = n
				} else if str == "" {
					deletePath(raw, path)
					continue
				}
			case "checkbox":
				v = str == "true" || str == "on" || str == "1"
			default:
				if str == "" {
					deletePath(raw, path)
					continue
				}
			}
			setPath(raw, path, v)
		}
		flat[fd.Name] = v
	}
	b, _ := json.Marshal(raw)
	return b, flat
}

func splitName(name string) []string {
	var out []string
	start := len("traits.")
	for i := start; i <= len(name); i++ {
		if i == len(name) || name[i] == '.' {
			out = append(out, name[start:i])
			start = i + 1
		}
	}
	return out
}

func lookup(m map[string]any, path []string) (any, bool) {
	for len(path) > 1 {
		next, ok := m[path[0]].(map[string]any)
		if !ok {
			return nil, false
		}
		m, path = next, path[1:]
	}
	v, ok := m[path[0]]
	return v, ok
}

func deletePath(m map[string]any, path []string) {
	for len(path) > 1 {
		next, ok := m[path[0]].(map[string]any)
		if !ok {
			return
		}
		m, path = next, path[1:]
	}
	delete(m, path[0])
}

// traitErrors puts a traits validation error on the form's nodes.
func (s *Service) traitErrors(f *Flow, err error) bool {
	nodes, global, ok := s.schemas.FieldErrors(err)
	if !ok {
		var ie *identity.InvalidError
		if !errors.As(err, &ie) {
			return false
		}
		f.UI.Messages = append(f.UI.Messages, errGeneric(ie.Reason))
		return true
	}
	for name, msgs := range nodes {
		for _, m := range msgs {
			f.UI.AddNodeMessage(name, m)
		}
	}
	f.UI.Messages = append(f.UI.Messages, global...)
	return true
}

func (s *Service) submitRegistration(w http.ResponseWriter, r *http.Request, f *Flow, prev string, body map[string]any) error {
	if str(body, "method") != "password" {
		f.UI.Messages = append(f.UI.Messages, errGeneric("Choose a sign-up method: this server offers the password method."))
		return s.fail(w, r, f, prev)
	}
	f.Active = "password"
	ctx := r.Context()
	schemaID := s.schemas.DefaultID()
	traits, flat := s.typedTraits(schemaID, body)
	for name, v := range flat {
		f.UI.SetValue(name, v)
	}
	pw := str(body, "password")
	_, derived, err := s.identities.Derive(ctx, schemaID, traits)
	bad := false
	if err != nil {
		if !s.traitErrors(f, err) {
			return err
		}
		bad = true
	}
	if pw == "" {
		f.UI.AddNodeMessage("password", errMissingPassword)
		bad = true
	} else if !bad {
		ident := ""
		if len(derived.PasswordIdentifiers) > 0 {
			ident = derived.PasswordIdentifiers[0]
		}
		if perr := s.passwords.Check(ctx, ident, pw); perr != nil {
			t, ok := s.passwords.Refusal(perr)
			if !ok {
				return perr
			}
			f.UI.AddNodeMessage("password", t)
			bad = true
		}
	}
	if bad {
		return s.fail(w, r, f, prev)
	}
	body2 := identity.CreateBody{SchemaID: schemaID, Traits: traits}
	changes, err := s.runHooks(r, HookRegistrationAfter, true, f, &identity.Identity{SchemaID: schemaID, Traits: traits,
		State: identity.StateActive}, body)
	if err != nil {
		if showInterrupt(f, err) {
			return s.fail(w, r, f, prev)
		}
		return err
	}
	for _, c := range changes {
		if c.Identity == nil {
			continue
		}
		if len(c.Identity.Traits) > 0 {
			body2.Traits = c.Identity.Traits
		}
		if len(c.Identity.MetadataPublic) > 0 {
			body2.MetadataPublic = c.Identity.MetadataPublic
		}
		if len(c.Identity.MetadataAdmin) > 0 {
			body2.MetadataAdmin = c.Identity.MetadataAdmin
		}
	}
	var creds identity.ImportCredentials
	creds.Password = &struct {
		Config struct {
			Password                 string `json:"password"`
			HashedPassword           string `json:"hashed_password"`
			UsePasswordMigrationHook bool   `json:"use_password_migration_hook"`
		} `json:"config"`
	}{}
	creds.Password.Config.Password = pw
	body2.Credentials = &creds
	i, err := s.identities.Create(ctx, body2)
	if errors.Is(err, storage.ErrConflict) {
		f.UI.Messages = append(f.UI.Messages, errDuplicate)
		return s.fail(w, r, f, prev)
	}
	if err != nil {
		if s.traitErrors(f, err) {
			return s.fail(w, r, f, prev)
		}
		if s.passwords.IsOverload(err) {
			return web.NewError(http.StatusServiceUnavailable, "Too many sign-ups at once; try again in a moment.").WithCause(err)
		}
		return err
	}
	if _, err := s.runHooks(r, HookRegistrationAfter, false, f, i, body); err != nil {
		// A hook refused the new identity after it was stored: take it back.
		if derr := s.identities.Delete(ctx, i.ID); derr != nil {
			return errors.Join(err, derr)
		}
		if showInterrupt(f, err) {
			return s.fail(w, r, f, prev)
		}
		return err
	}
	f.State = StatePassedChallenge
	var cont []ContinueWith
	if s.o.VerificationEnabled {
		for _, a := range i.VerifiableAddresses {
			vf, err := s.startVerification(r, f, a.Value)
			if err != nil {
				return err
			}
			cont = append(cont, ContinueWith{Action: "show_verification_ui",
				Flow: &ContinueFlow{ID: vf.ID, URL: withQuery(s.uiURL(KindVerification), "flow", vf.ID), VerifiableAddress: a.Value}})
			break
		}
	}
	out := map[string]any{"identity": i}
	var (
		se  *session.Session
		tok string
	)
	if s.o.SessionAfterRegistration {
		via := session.ViaToken
		if f.Type == TypeBrowser {
			via = session.ViaCookie
		}
		methods := []session.AuthenticationMethod{{Method: "password", AAL: session.AAL1, CompletedAt: s.now()}}
		se, tok, err = s.sessions.Issue(ctx, i, via, methods, session.DeviceOf(r))
		if err != nil {
			return err
		}
		out["session"] = se
		if f.Type == TypeAPI {
			out["session_token"] = tok
			cont = append([]ContinueWith{{Action: "set_ory_session_token", OrySessionToken: tok}}, cont...)
		}
	}
	if _, err := s.save(ctx, f, prev); err != nil {
		return conflictAsRetry(err)
	}
	if f.Type == TypeBrowser {
		if se != nil {
			s.sessions.SetCookie(w, se, tok)
		}
		to := s.returnURL(f)
		if f.Challenge != "" && s.o.OAuth2 != nil && se != nil {
			next, err := s.o.OAuth2.AcceptLogin(ctx, f.Challenge, i.ID, []string{"pwd"})
			if err != nil {
				return s.browserError(w, r, f, web.BadRequest("The OAuth2 sign-in request is no longer valid; go back to the application and start again.").WithCause(err))
			}
			to = next
			cont = nil // the client comes first; verification can wait
		}
		if !acceptsJSON(r) {
			if len(cont) > 0 && cont[0].Action == "show_verification_ui" && f.ReturnTo == "" {
				to = cont[0].Flow.URL
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return nil
		}
		cont = append(cont, ContinueWith{Action: "redirect_browser_to", RedirectBrowserTo: to})
	}
	if cont != nil {
		out["continue_with"] = cont
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}
