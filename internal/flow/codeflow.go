package flow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"

	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/session"
	"github.com/warden-iam/warden/internal/web"
)

// Recovery and verification: the identity proves it controls an address
// with a one-time code (or link) sent there. Only a hash of the code is
// kept, in the flow; it works once, for CodeLifespan, and stops after
// MaxCodeAttempts wrong tries. Whether the address belongs to an account is
// never told: the answer is the same either way, and only known addresses
// get a message.

func (s *Service) use(kind string) string {
	if kind == KindRecovery {
		return s.o.RecoveryUse
	}
	return s.o.VerificationUse
}

func (s *Service) initCodeFlow(r *http.Request, f *Flow, token string) (string, error) {
	if f.Kind == KindRecovery {
		if _, err := s.sessionFor(r, f.Type); err == nil {
			e := web.BadRequest("A valid session was detected and thus recovery is not possible.").WithID("session_already_available")
			return s.returnURL(f), e
		}
	}
	s.emailForm(f, token, "")
	return "", nil
}

// emailForm is the first step: ask for the address.
func (s *Service) emailForm(f *Flow, token, value string) {
	g := s.use(f.Kind)
	email := Input(g, "email", "email", nilIfEmpty(value), labelEmail)
	email.Attributes.Required, email.Attributes.Autocomplete = true, "email"
	f.UI.Nodes = []Node{csrfNode(token), email, Input(g, "method", "submit", g, labelSubmit)}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// codeForm is the second step: ask for the code sent.
func (s *Service) codeForm(f *Flow, token string) {
	label := labelRecoveryCode
	if f.Kind == KindVerification {
		label = labelVerificationCode
	}
	code := Input(GroupCode, "code", "text", nil, label)
	code.Attributes.Required, code.Attributes.Autocomplete, code.Attributes.Pattern, code.Attributes.MaxLength = true, "one-time-code", "[0-9]+", 6
	f.UI.Nodes = []Node{csrfNode(token), code, Input(GroupCode, "method", "submit", "code", labelSubmit),
		Input(GroupCode, "email", "submit", f.Private.Address, labelResend)}
}

func csrfOf(f *Flow) string {
	if n := f.UI.Find("csrf_token"); n != nil {
		t, _ := n.Attributes.Value.(string)
		return t
	}
	return ""
}

func hashCode(c string) string {
	sum := sha256.Sum256([]byte(c))
	return b64.EncodeToString(sum[:])
}

func newCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
	return fmt.Sprintf("%06d", n.Int64())
}

func newLinkToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b64.EncodeToString(b)
}

func (s *Service) submitCodeFlow(w http.ResponseWriter, r *http.Request, f *Flow, prev string, body map[string]any) error {
	if tok := str(body, "token"); tok != "" {
		return s.checkCode(w, r, f, prev, tok)
	}
	method := str(body, "method")
	if method != s.use(f.Kind) && str(body, "email") == "" {
		f.UI.Messages = append(f.UI.Messages, errGeneric(fmt.Sprintf("Use the %s method.", s.use(f.Kind))))
		return s.fail(w, r, f, prev)
	}
	if code := str(body, "code"); code != "" && f.State == StateSentEmail {
		return s.checkCode(w, r, f, prev, code)
	}
	email := strings.TrimSpace(str(body, "email"))
	if email == "" {
		if f.State == StateSentEmail {
			f.UI.AddNodeMessage("code", missing("code"))
		} else {
			f.UI.AddNodeMessage("email", missing("email"))
		}
		return s.fail(w, r, f, prev)
	}
	if !strings.Contains(email, "@") || len(email) > 320 {
		s.emailForm(f, csrfOf(f), email)
		f.UI.AddNodeMessage("email", withCtx(errText(4000001, fmt.Sprintf("%q is not a valid email address.", email)), map[string]any{"value": email}))
		return s.fail(w, r, f, prev)
	}
	now := s.now()
	key := "mail:" + strings.ToLower(email)
	if s.limiter.blocked(key, 5, now) || s.limiter.blocked("ip:"+clientIP(r), limitPerAddress, now) {
		f.UI.Messages = append(f.UI.Messages, errText(4000001, "Too many messages were requested; wait a few minutes before asking again."))
		return s.fail(w, r, f, prev)
	}
	s.limiter.fail(key, now)
	if err := s.send(r, f, email); err != nil {
		return err
	}
	if _, err := s.save(r.Context(), f, prev); err != nil {
		return conflictAsRetry(err)
	}
	return s.answerFlow(w, r, f)
}

// send issues a code (or link) for the address and mails it if the
// address belongs to an identity.
func (s *Service) send(r *http.Request, f *Flow, email string) error {
	ctx := r.Context()
	kind := "verifiable"
	if f.Kind == KindRecovery {
		kind = "recovery"
	}
	f.Private.IdentityID, f.Private.Address = "", strings.ToLower(email)
	i, err := s.identities.FindByAddress(ctx, kind, identity.ViaEmail, email)
	if err == nil {
		f.Private.IdentityID = i.ID
	}
	secret, link := newCode(), ""
	if s.use(f.Kind) == "link" {
		secret = newLinkToken()
		link = withQuery(withQuery(s.public("/self-service/"+f.Kind), "flow", f.ID), "token", secret)
	}
	f.Private.CodeHash, f.Private.CodeAttempts, f.Private.CodeExpires = hashCode(secret), 0, s.now().Add(s.o.CodeLifespan)
	f.State = StateSentEmail
	token := csrfOf(f)
	if s.use(f.Kind) == "link" {
		s.emailForm(f, token, email)
	} else {
		s.codeForm(f, token)
	}
	sent := map[string]Text{KindRecovery + "code": msgRecoveryCodeSent, KindRecovery + "link": msgRecoveryLinkSent,
		KindVerification + "code": msgVerificationCodeSent, KindVerification + "link": msgVerificationLinkSent}
	f.UI.Messages = append(f.UI.Messages, sent[f.Kind+s.use(f.Kind)])
	if i == nil || s.courier == nil {
		return nil
	}
	var traits map[string]any
	_ = json.Unmarshal(i.Traits, &traits)
	data := map[string]any{"To": email, "Identity": map[string]any{"id": i.ID, "traits": traits},
		"ExpiresInMinutes": int(s.o.CodeLifespan.Minutes()), "RequestURL": f.RequestURL}
	tmpl := f.Kind + "_valid"
	switch {
	case f.Kind == KindRecovery && link == "":
		tmpl, data["RecoveryCode"] = "recovery_code_valid", secret
	case f.Kind == KindRecovery:
		data["RecoveryURL"] = link
	case link == "":
		tmpl, data["VerificationCode"] = "verification_code_valid", secret
	default:
		data["VerificationURL"] = link
	}
	return s.courier.Send(context.WithoutCancel(ctx), tmpl, email, data)
}

// answerFlow answers with the flow: JSON, or the flow's UI for browsers.
func (s *Service) answerFlow(w http.ResponseWriter, r *http.Request, f *Flow) error {
	if !wantsJSON(r, f) {
		http.Redirect(w, r, withQuery(s.uiURL(f.Kind), "flow", f.ID), http.StatusSeeOther)
		return nil
	}
	web.WriteJSON(w, http.StatusOK, f)
	return nil
}

// checkCode completes the flow if code (or the link's token) is the one sent.
func (s *Service) checkCode(w http.ResponseWriter, r *http.Request, f *Flow, prev, code string) error {
	ctx := r.Context()
	valid := f.Private.CodeHash != "" && f.Private.CodeAttempts < s.o.MaxCodeAttempts && s.now().Before(f.Private.CodeExpires) &&
		subtle.ConstantTimeCompare([]byte(hashCode(strings.TrimSpace(code))), []byte(f.Private.CodeHash)) == 1 &&
		f.Private.IdentityID != ""
	if !valid {
		f.Private.CodeAttempts++
		bad := map[string]Text{KindRecovery + "code": errRecoveryCode, KindRecovery + "link": errRecoveryToken,
			KindVerification + "code": errVerificationCode, KindVerification + "link": errVerificationToken}[f.Kind+s.use(f.Kind)]
		if s.use(f.Kind) == "code" {
			f.UI.AddNodeMessage("code", bad)
		} else {
			f.UI.Messages = append(f.UI.Messages, bad)
		}
		return s.fail(w, r, f, prev)
	}
	f.Private.CodeHash = "" // one use
	f.State = StatePassedChallenge
	_ = s.identities.MarkVerified(ctx, f.Private.IdentityID, identity.ViaEmail, f.Private.Address) // recovery proves the address too
	if f.Kind == KindVerification {
		s.afterHooks(r, HookVerificationAfter, f, nil)
		f.UI.Nodes = []Node{AnchorNode(GroupCode, "continue", s.returnURL(f), *labelContinue)}
		f.UI.Messages = append(f.UI.Messages, msgVerified)
		if _, err := s.save(ctx, f, prev); err != nil {
			return conflictAsRetry(err)
		}
		return s.answerFlow(w, r, f)
	}
	return s.recovered(w, r, f, prev)
}

// recovered signs the identity in and sends it to a settings flow to set a
// new password.
func (s *Service) recovered(w http.ResponseWriter, r *http.Request, f *Flow, prev string) error {
	ctx := r.Context()
	i, err := s.identities.GetWithCredentials(ctx, f.Private.IdentityID)
	if err != nil {
		return err
	}
	via := session.ViaToken
	if f.Type == TypeBrowser {
		via = session.ViaCookie
	}
	method := "code_recovery"
	if s.use(KindRecovery) == "link" {
		method = "link_recovery"
	}
	se, tok, err := s.sessions.Issue(ctx, i, via, []session.AuthenticationMethod{{Method: method, AAL: session.AAL1, CompletedAt: s.now()}},
		session.DeviceOf(r))
	if err != nil {
		if err == session.ErrIdentityDisabled {
			f.UI.Messages = append(f.UI.Messages, errIdentityDisabled)
			return s.fail(w, r, f, prev)
		}
		return err
	}
	s.afterHooks(r, HookRecoveryAfter, f, nil)
	sf := s.newFlow(KindSettings, f.Type, f.RequestURL, f.ReturnTo)
	sf.Private.IdentityID, sf.Private.SessionID, sf.Private.CSRF = i.ID, se.ID, f.Private.CSRF
	sf.State = StateShowForm
	token := csrfOf(f)
	if f.Type == TypeBrowser && (sf.Private.CSRF == "" || token == "") {
		// A flow an operator opened is bound to no browser yet: bind the
		// settings flow to this one.
		secret := s.csrfSecret(w, r)
		sf.Private.CSRF, token = hashCSRF(secret), maskCSRF(secret)
	}
	if err := s.settingsForm(r, sf, token); err != nil {
		return err
	}
	sf.UI.Messages = append(sf.UI.Messages, msgRecoverySuccess)
	if err := s.insert(ctx, sf); err != nil {
		return err
	}
	settingsURL := withQuery(s.uiURL(KindSettings), "flow", sf.ID)
	f.ContinueWith = []ContinueWith{{Action: "show_settings_ui", Flow: &ContinueFlow{ID: sf.ID, URL: settingsURL}}}
	if f.Type == TypeAPI {
		f.ContinueWith = append([]ContinueWith{{Action: "set_ory_session_token", OrySessionToken: tok}}, f.ContinueWith...)
	}
	f.UI.Nodes = []Node{csrfNode(csrfOf(f))}
	if _, err := s.save(ctx, f, prev); err != nil {
		_ = s.sessions.Disable(ctx, se.ID)
		return conflictAsRetry(err)
	}
	if f.Type == TypeAPI {
		web.WriteJSON(w, http.StatusOK, f)
		return nil
	}
	s.sessions.SetCookie(w, se, tok)
	if acceptsJSON(r) {
		web.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"error": map[string]any{"id": "browser_location_change_required", "code": http.StatusUnprocessableEntity,
				"status": http.StatusText(http.StatusUnprocessableEntity), "reason": "Continue in the settings flow to set a new password.",
				"message": "browser location change required"},
			"redirect_browser_to": settingsURL})
		return nil
	}
	http.Redirect(w, r, settingsURL, http.StatusSeeOther)
	return nil
}

// startVerification opens a verification flow for a new identity's address
// and sends the code at once.
func (s *Service) startVerification(r *http.Request, parent *Flow, address string) (*Flow, error) {
	vf := s.newFlow(KindVerification, parent.Type, parent.RequestURL, parent.ReturnTo)
	vf.Private.CSRF = parent.Private.CSRF
	s.emailForm(vf, csrfOf(parent), address)
	if err := s.send(r, vf, address); err != nil {
		return nil, err
	}
	if err := s.insert(r.Context(), vf); err != nil {
		return nil, err
	}
	return vf, nil
}
