package flow

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"

	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/session"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/web"
)

func (s *Service) initLogin(r *http.Request, f *Flow, token string) (string, error) {
	q := r.URL.Query()
	refresh, _ := strconv.ParseBool(q.Get("refresh"))
	f.Refresh = boolPtr(refresh)
	f.RequestedAAL = session.AAL1
	if aal := q.Get("aal"); aal != "" && aal != session.AAL1 {
		return "", web.BadRequest("Requesting %s is not possible: no second factor method is enabled.", aal)
	}
	f.Challenge = q.Get("login_challenge")
	se, err := s.sessionFor(r, f.Type)
	if err == nil && !refresh {
		e := web.BadRequest("A valid session was detected and thus login is not possible; ask for refresh=true to sign in again.").
			WithID("session_already_available")
		return s.returnURL(f), e
	}
	f.UI.Nodes = append(f.UI.Nodes, csrfNode(token))
	id := Input(GroupDefault, "identifier", "text", nil, labelID)
	id.Attributes.Required, id.Attributes.Autocomplete = true, "username"
	if refresh && se != nil {
		f.UI.Messages = append(f.UI.Messages, msgReauth)
		if ids := s.identifiersOf(r, se); len(ids) > 0 {
			id.Attributes.Type, id.Attributes.Value = "hidden", ids[0]
		}
	}
	pw := Input(GroupPassword, "password", "password", nil, labelPassword)
	pw.Attributes.Required, pw.Attributes.Autocomplete = true, "current-password"
	f.UI.Nodes = append(f.UI.Nodes, id, pw, Input(GroupPassword, "method", "submit", "password", labelPasswordSignIn))
	return "", nil
}

// sessionFor is the session a request carries through the carrier of its
// flow type (cookie for browser flows, token for API flows).
func (s *Service) sessionFor(r *http.Request, typ string) (*session.Session, error) {
	se, err := s.sessions.FromRequest(r)
	if err != nil {
		return nil, err
	}
	if (typ == TypeAPI) != (se.Via == session.ViaToken) {
		return nil, session.ErrNoSession
	}
	return se, nil
}

func (s *Service) identifiersOf(r *http.Request, se *session.Session) []string {
	i, err := s.identities.GetWithCredentials(r.Context(), se.IdentityID)
	if err != nil {
		return nil
	}
	return i.Credentials[identity.CredentialPassword].Identifiers
}

func clientIP(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

func (s *Service) submitLogin(w http.ResponseWriter, r *http.Request, f *Flow, prev string, body map[string]any) error {
	method := str(body, "method")
	if method != "password" {
		f.UI.Messages = append(f.UI.Messages, errGeneric("Choose a sign-in method: this server offers the password method."))
		return s.fail(w, r, f, prev)
	}
	f.Active = "password"
	ident := str(body, "identifier")
	if ident == "" {
		ident = str(body, "password_identifier")
	}
	pw := str(body, "password")
	f.UI.SetValue("identifier", ident)
	if ident == "" || pw == "" {
		if ident == "" {
			f.UI.AddNodeMessage("identifier", errMissingIdentifier)
		}
		if pw == "" {
			f.UI.AddNodeMessage("password", errMissingPassword)
		}
		return s.fail(w, r, f, prev)
	}
	ctx := r.Context()
	now := s.now()
	norm := s.schemas.NormalizeIdentifier(ident)
	ipKey, idKey := "ip:"+clientIP(r), "id:"+norm
	if s.limiter.blocked(idKey, limitPerIdentifier, now) || s.limiter.blocked(ipKey, limitPerAddress, now) {
		f.UI.Messages = append(f.UI.Messages, errText(4000001, "Too many failed sign-in attempts; wait a few minutes before trying again."))
		return s.fail(w, r, f, prev)
	}
	i, err := s.identities.FindByIdentifier(ctx, identity.CredentialPassword, norm)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	hash := ""
	if i != nil {
		var cfg identity.PasswordConfig
		_ = json.Unmarshal(i.Credentials[identity.CredentialPassword].Config, &cfg)
		hash = cfg.HashedPassword
	}
	var (
		ok   bool
		cerr error
	)
	if hash == "" {
		cerr = s.passwords.SimulateCompare(ctx, []byte(pw))
	} else {
		ok, cerr = s.passwords.Compare(ctx, []byte(pw), hash)
	}
	switch {
	case cerr == nil:
	case ctx.Err() != nil:
		return ctx.Err()
	case s.passwords.IsOverload(cerr):
		return web.NewError(http.StatusServiceUnavailable, "Too many sign-ins at once; try again in a moment.").WithCause(cerr)
	default:
		ok = false // an unreadable stored hash fails like a wrong password
	}
	if !ok {
		s.limiter.fail(idKey, now)
		s.limiter.fail(ipKey, now)
		f.UI.Messages = append(f.UI.Messages, errInvalidCreds)
		return s.fail(w, r, f, prev)
	}
	if i.State != identity.StateActive {
		f.UI.Messages = append(f.UI.Messages, errIdentityDisabled)
		return s.fail(w, r, f, prev)
	}
	if _, err := s.runHooks(r, HookLoginAfter, false, f, s.identities.Present(i), body); err != nil {
		if showInterrupt(f, err) {
			return s.fail(w, r, f, prev)
		}
		return err
	}
	s.limiter.reset(idKey)
	if s.passwords.NeedsRehash(hash) {
		if nh, err := s.passwords.Hash(ctx, []byte(pw)); err == nil {
			_ = s.identities.SetPassword(ctx, i.ID, nh) // the old hash still works if this fails
		}
	}
	methods := []session.AuthenticationMethod{{Method: "password", AAL: session.AAL1, CompletedAt: now}}
	f.State = StatePassedChallenge
	return s.signIn(w, r, f, prev, i, methods)
}

// signIn finishes a successful login: a session (or a refreshed one), the
// flow marked done, and the answer for its type.
func (s *Service) signIn(w http.ResponseWriter, r *http.Request, f *Flow, prev string, i *identity.Identity, methods []session.AuthenticationMethod) error {
	ctx := r.Context()
	via := session.ViaToken
	if f.Type == TypeBrowser {
		via = session.ViaCookie
	}
	var (
		se  *session.Session
		tok string
	)
	if cur, err := s.sessionFor(r, f.Type); err == nil && f.Refresh != nil && *f.Refresh && cur.IdentityID == i.ID {
		if err := s.sessions.Reauthenticate(ctx, cur, methods, session.DeviceOf(r)); err != nil {
			return err
		}
		se = cur
	} else {
		var err error
		se, tok, err = s.sessions.Issue(ctx, i, via, methods, session.DeviceOf(r))
		if errors.Is(err, session.ErrIdentityDisabled) {
			f.UI.Messages = append(f.UI.Messages, errIdentityDisabled)
			return s.fail(w, r, f, prev)
		}
		if err != nil {
			return err
		}
	}
	if _, err := s.save(ctx, f, prev); err != nil {
		if tok != "" {
			_ = s.sessions.Disable(ctx, se.ID) // the flow was used by a concurrent submission
		}
		return conflictAsRetry(err)
	}
	se.Identity = s.identities.Present(i)
	if f.Type == TypeAPI {
		out := map[string]any{"session": se}
		if tok != "" {
			out["session_token"] = tok
		}
		web.WriteJSON(w, http.StatusOK, out)
		return nil
	}
	if tok != "" {
		s.sessions.SetCookie(w, se, tok)
	}
	to := s.returnURL(f)
	if f.Challenge != "" && s.o.OAuth2 != nil {
		// The login was for an OAuth2 client: on to its consent.
		next, err := s.o.OAuth2.AcceptLogin(ctx, f.Challenge, i.ID, []string{"pwd"})
		if err != nil {
			return s.browserError(w, r, f, web.BadRequest("The OAuth2 sign-in request is no longer valid; go back to the application and start again.").WithCause(err))
		}
		to = next
	}
	if acceptsJSON(r) {
		web.WriteJSON(w, http.StatusOK, map[string]any{"session": se,
			"continue_with": []ContinueWith{{Action: "redirect_browser_to", RedirectBrowserTo: to}}})
		return nil
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
