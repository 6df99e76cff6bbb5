package provider

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/warden-iam/warden/internal/oauth2/client"
)

// The device authorization grant (RFC 8628).

const (
	userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ" // no vowels: no words, no look-alikes
	userCodeLength   = 8
	deviceApproved   = "approved"
	devicePending    = "pending"
	deviceDenied     = "denied"
)

func newUserCode() string {
	b := make([]byte, userCodeLength)
	_, _ = rand.Read(b)
	out := make([]byte, userCodeLength)
	for i := range b {
		out[i] = userCodeAlphabet[int(b[i])%len(userCodeAlphabet)]
	}
	return string(out)
}

func normalizeUserCode(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
}

// DeviceAuthorization is the answer of POST /oauth2/device/auth.
type DeviceAuthorization struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

// deviceAuth is POST /oauth2/device/auth.
func (s *Service) deviceAuth(w http.ResponseWriter, r *http.Request) error {
	if err := parsePostForm(r); err != nil {
		return err
	}
	c, err := s.authenticateClient(r)
	if err != nil {
		return err
	}
	if err := mustHaveGrant(c, deviceGrant); err != nil {
		return err
	}
	ctx := r.Context()
	scope := strings.Fields(r.PostForm.Get("scope"))
	if err := s.checkScopes(c, scope); err != nil {
		return err
	}
	aud := splitAudience(r.PostForm["audience"])
	if err := checkAudience(c, aud); err != nil {
		return err
	}
	now := s.now()
	ttl := s.opts.TTL.DeviceUserCode
	requestID := s.newRequestID(now)
	deviceCode, deviceSig := s.tokenKeys.newOpaque(prefixDevice)
	userCode := newUserCode()
	g := &Grant{ClientID: c.ID, Scope: nonNil(scope), Audience: nonNil(aud), GrantType: deviceGrant, IssuedAt: now,
		ExpiresAt: now.Add(ttl), DeviceState: devicePending}
	drec, err := s.tokenRecord(TokenDevice, deviceSig, requestID, g)
	if err != nil {
		return errServer(err)
	}
	ug := *g
	ug.DeviceFlowID = deviceSig
	urec, err := s.tokenRecord(TokenUserCode, hashOf("user_code", userCode), requestID, &ug)
	if err != nil {
		return errServer(err)
	}
	if err := s.store.InsertTokens(ctx, drec, urec); err != nil {
		return errServer(err)
	}
	verify := s.endpoint("oauth2/device/verify")
	noStore(w)
	writeJSON(w, http.StatusOK, DeviceAuthorization{DeviceCode: deviceCode, UserCode: userCode, VerificationURI: verify,
		VerificationURIComplete: verify + "?" + url.Values{"user_code": {userCode}}.Encode(),
		ExpiresIn:               int64(ttl / time.Second), Interval: int64(s.opts.DeviceInterval / time.Second)})
	return nil
}

// deviceVerify is GET /oauth2/device/verify: it starts a device challenge
// for this browser and sends it to the device verification app, or, with
// a device_verifier, continues to login once the user code was accepted.
func (s *Service) deviceVerify(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	if v := q.Get("device_verifier"); v != "" {
		return s.afterDeviceCode(w, r, v)
	}
	now := s.now()
	f := &Flow{ID: s.newRequestID(now), Kind: KindDevice, State: StateDeviceUnused, RequestedAt: now, CSRF: randomString(24),
		Request: AuthorizeRequest{RequestURL: s.endpoint("oauth2/device/verify"), RequestedAt: now}}
	rec, err := s.flowRecord(f, now.Add(s.opts.TTL.LoginConsentRequest), time.Time{})
	if err != nil {
		return errServer(err)
	}
	if err := s.store.InsertFlow(ctx, rec); err != nil {
		return errServer(err)
	}
	s.setFlowCookie(w, "ory_hydra_device_csrf", f)
	v := url.Values{"device_challenge": {s.flowKeys.sign("device_challenge", f.ID)}}
	if uc := q.Get("user_code"); uc != "" {
		v.Set("user_code", uc)
	}
	http.Redirect(w, r, withQuery(s.opts.URLs.DeviceVerification, v), http.StatusFound)
	return nil
}

// acceptDeviceRequest is PUT /admin/oauth2/auth/requests/device/accept.
func (s *Service) acceptDeviceRequest(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := s.adminFlow(ctx, r, "device_challenge", "device_challenge")
	if err != nil {
		return err
	}
	var body struct {
		UserCode string `json:"user_code"`
	}
	if err := decodeBody(r, &body, false); err != nil {
		return err
	}
	if body.UserCode == "" {
		return adminBadRequest("Field 'user_code' must not be empty.")
	}
	if f.State != StateDeviceUnused {
		writeJSON(w, http.StatusGone, RedirectTo{RedirectTo: f.Request.RequestURL})
		return nil
	}
	sig := hashOf("user_code", normalizeUserCode(body.UserCode))
	rec, err := s.store.GetToken(ctx, sig)
	now := s.now()
	if err != nil || rec.Kind != TokenUserCode || !rec.Active || !rec.ExpiresAt.After(now) {
		if err != nil && !isNotFound(err) {
			return errServer(err)
		}
		return oauthErr("invalid_request", http.StatusBadRequest, "The user code is not valid or has expired.")
	}
	ug, err := s.openGrant(rec)
	if err != nil {
		return errServer(err)
	}
	if err := s.store.ConsumeToken(ctx, sig, now, nil); err != nil {
		if errors.Is(err, ErrNotActive) {
			return oauthErr("invalid_request", http.StatusBadRequest, "The user code has been used already.")
		}
		return errServer(err)
	}
	f.Request.ClientID = ug.ClientID
	f.Request.Scope, f.Request.Audience = ug.Scope, ug.Audience
	f.Request.DeviceRequestID = ug.DeviceFlowID
	f.State = StateDeviceHandled
	if err := s.advance(ctx, f, StateDeviceUnused, now.Add(s.opts.TTL.LoginConsentRequest), time.Time{}); err != nil {
		writeJSON(w, http.StatusGone, RedirectTo{RedirectTo: f.Request.RequestURL})
		return nil
	}
	writeJSON(w, http.StatusOK, RedirectTo{RedirectTo: withQuery(s.endpoint("oauth2/device/verify"),
		url.Values{"device_verifier": {s.flowKeys.sign("device_verifier", f.ID)}})})
	return nil
}

// afterDeviceCode turns an accepted device challenge into a login request.
func (s *Service) afterDeviceCode(w http.ResponseWriter, r *http.Request, verifier string) error {
	ctx := r.Context()
	f, _, err := s.flow(ctx, "device_verifier", verifier)
	if err != nil {
		if isNotFound(err) {
			return errInvalidRequest("The device verifier is not valid or has expired.")
		}
		return errServer(err)
	}
	if f.State != StateDeviceHandled {
		return errInvalidRequest("The device verifier has already been used.")
	}
	if !s.checkFlowCookie(r, "ory_hydra_device_csrf", f) {
		return errInvalidRequest("The device request was not started in this browser (CSRF cookie missing or wrong).")
	}
	s.clearFlowCookie(w, "ory_hydra_device_csrf", f)
	if _, err := s.client(ctx, f.Request.ClientID); err != nil {
		return err // the client was deleted meanwhile
	}
	f.Kind = KindAuthorize
	f.Request.RequestURL = s.endpoint("oauth2/auth")
	f.CSRF = randomString(24)
	if sess, ok := s.currentLoginSession(ctx, r); ok {
		f.LoginSkip, f.Subject, f.LoginSessionID, f.AuthTime = true, sess.Subject, sess.ID, sess.AuthenticatedAt
	}
	f.State = StateLoginUnused
	if err := s.advance(ctx, f, StateDeviceHandled, s.now().Add(s.opts.TTL.LoginConsentRequest), time.Time{}); err != nil {
		return err
	}
	s.setFlowCookie(w, "ory_hydra_login_csrf", f)
	http.Redirect(w, r, withQuery(s.opts.URLs.Login, url.Values{"login_challenge": {s.flowKeys.sign("login_challenge", f.ID)}}), http.StatusFound)
	return nil
}

// approveDevice records the consent on the device code and sends the
// browser to the success page; the device's next poll gets the tokens.
func (s *Service) approveDevice(w http.ResponseWriter, r *http.Request, f *Flow, c *client.Client) error {
	ctx := r.Context()
	if err := s.settleDevice(ctx, f.Request.DeviceRequestID, func(g *Grant) {
		ng := s.grantFromFlow(f, c, deviceGrant)
		ng.IssuedAt, ng.ExpiresAt = g.IssuedAt, g.ExpiresAt
		ng.DeviceState = deviceApproved
		*g = *ng
	}); err != nil {
		return errServer(err)
	}
	http.Redirect(w, r, withQuery(s.opts.URLs.DeviceSuccess, url.Values{"client_id": {c.ID}}), http.StatusFound)
	return nil
}

// denyDevice records a rejected login or consent on the device code.
func (s *Service) denyDevice(ctx context.Context, deviceSig string, e *Error) {
	_ = s.settleDevice(ctx, deviceSig, func(g *Grant) {
		g.DeviceState = deviceDenied
		g.DeviceError = &RequestDeniedError{Error: e.Code, Description: e.Description}
	})
}

func (s *Service) settleDevice(ctx context.Context, deviceSig string, fn func(g *Grant)) error {
	rec, err := s.store.GetToken(ctx, deviceSig)
	if err != nil {
		return err
	}
	g, err := s.openGrant(rec)
	if err != nil {
		return err
	}
	fn(g)
	data, err := s.seal(g)
	if err != nil {
		return err
	}
	return s.store.UpdateTokenData(ctx, deviceSig, data)
}

// deviceCodeGrant is the device's polling of the token endpoint.
func (s *Service) deviceCodeGrant(ctx context.Context, c *client.Client, r *http.Request) (*TokenResponse, error) {
	if err := mustHaveGrant(c, deviceGrant); err != nil {
		return nil, err
	}
	sig, ok := s.tokenKeys.openOpaque(prefixDevice, r.PostForm.Get("device_code"))
	if !ok {
		return nil, errInvalidGrant("The device code is not valid.")
	}
	rec, err := s.store.GetToken(ctx, sig)
	if err != nil {
		if isNotFound(err) {
			return nil, errInvalidGrant("The device code is not valid or has expired.")
		}
		return nil, errServer(err)
	}
	if rec.Kind != TokenDevice || rec.ClientID != c.ID {
		return nil, errInvalidGrant("The device code was issued to another client.")
	}
	now := s.now()
	if !rec.ExpiresAt.After(now) {
		return nil, oauthErr("expired_token", http.StatusBadRequest, "The device code has expired.")
	}
	if !rec.Active {
		return nil, errInvalidGrant("The device code has been used already.")
	}
	g, err := s.openGrant(rec)
	if err != nil {
		return nil, errServer(err)
	}
	switch g.DeviceState {
	case deviceDenied:
		return nil, errAccessDenied("The user denied the request.")
	case deviceApproved:
	default:
		if !g.DeviceLastPoll.IsZero() && now.Sub(g.DeviceLastPoll) < s.opts.DeviceInterval {
			return nil, oauthErr("slow_down", http.StatusBadRequest, "Poll at most every %s.", strconv.Itoa(int(s.opts.DeviceInterval/time.Second))+"s")
		}
		g.DeviceLastPoll = now
		if data, err := s.seal(g); err == nil {
			_ = s.store.UpdateTokenData(ctx, sig, data)
		}
		return nil, oauthErr("authorization_pending", http.StatusBadRequest, "The user has not finished the authorization yet.")
	}
	out, add, err := s.issueTokens(ctx, c, g, rec.RequestID, deviceGrant, true)
	if err != nil {
		return nil, err
	}
	if err := s.store.ConsumeToken(ctx, sig, now, nil, add...); err != nil {
		if errors.Is(err, ErrNotActive) {
			return nil, errInvalidGrant("The device code has been used already.")
		}
		return nil, errServer(err)
	}
	return out, nil
}
