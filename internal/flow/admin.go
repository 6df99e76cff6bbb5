package flow

import (
	"errors"
	"net/http"
	"time"

	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/web"
)

// The admin API's recovery links and codes: an operator opens a recovery
// flow for an identity and hands the link (or code) to its owner, who
// continues as with one sent by email.

// MountAdmin registers the admin recovery endpoints.
func (s *Service) MountAdmin(r *web.Router) {
	r.Handle("POST /admin/recovery/link", s.adminRecoveryLink)
	r.Handle("POST /admin/recovery/code", s.adminRecoveryCode)
}

type adminRecoveryBody struct {
	IdentityID string `json:"identity_id"`
	ExpiresIn  string `json:"expires_in"`
	FlowType   string `json:"flow_type"`
}

// adminRecovery opens a recovery flow for the identity whose secret is
// secret; it returns the flow.
func (s *Service) adminRecovery(r *http.Request, b adminRecoveryBody, typ, secret string) (*Flow, error) {
	if b.IdentityID == "" {
		return nil, web.BadRequest("identity_id is required.")
	}
	ttl := s.o.CodeLifespan
	if b.ExpiresIn != "" {
		d, err := time.ParseDuration(b.ExpiresIn)
		if err != nil || d <= 0 {
			return nil, web.BadRequest("expires_in must be a positive duration such as 1h or 15m, not %q.", b.ExpiresIn)
		}
		ttl = d
	}
	i, err := s.identities.Get(r.Context(), b.IdentityID, nil)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, web.NotFound("The identity %s does not exist.", b.IdentityID)
	}
	if err != nil {
		return nil, err
	}
	f := s.newFlow(KindRecovery, typ, s.public(r.URL.RequestURI()), "")
	f.ExpiresAt = s.now().Add(ttl)
	f.Private.IdentityID = i.ID
	if len(i.RecoveryAddresses) > 0 {
		f.Private.Address = i.RecoveryAddresses[0].Value
	}
	f.Private.CodeHash, f.Private.CodeExpires = hashCode(secret), f.ExpiresAt
	f.State = StateSentEmail
	s.codeForm(f, "")
	if err := s.insert(r.Context(), f); err != nil {
		return nil, err
	}
	return f, nil
}

func (s *Service) adminRecoveryLink(w http.ResponseWriter, r *http.Request) error {
	var b adminRecoveryBody
	if err := web.DecodeJSON(r, &b); err != nil {
		return err
	}
	tok := newLinkToken()
	f, err := s.adminRecovery(r, b, TypeBrowser, tok)
	if err != nil {
		return err
	}
	link := withQuery(withQuery(s.public("/self-service/recovery"), "flow", f.ID), "token", tok)
	web.WriteJSON(w, http.StatusOK, map[string]any{"recovery_link": link, "expires_at": f.ExpiresAt})
	return nil
}

func (s *Service) adminRecoveryCode(w http.ResponseWriter, r *http.Request) error {
	var b adminRecoveryBody
	if err := web.DecodeJSON(r, &b); err != nil {
		return err
	}
	typ := TypeBrowser
	switch b.FlowType {
	case "", TypeBrowser:
	case TypeAPI:
		typ = TypeAPI
	default:
		return web.BadRequest("flow_type must be browser or api, not %q.", b.FlowType)
	}
	code := newCode()
	f, err := s.adminRecovery(r, b, typ, code)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"recovery_link": withQuery(s.uiURL(KindRecovery), "flow", f.ID),
		"recovery_code": code, "expires_at": f.ExpiresAt})
	return nil
}
