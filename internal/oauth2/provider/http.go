package provider

import (
	"html/template"
	"net/http"

	"github.com/warden-iam/warden/internal/web"
)

// MountPublic adds the public endpoints.
func (s *Service) MountPublic(r *web.Router) {
	r.Handle("GET /oauth2/auth", s.authorize)
	r.Handle("POST /oauth2/auth", s.authorize)
	r.Handle("POST /oauth2/token", oauthHandler(s.token))
	r.Handle("POST /oauth2/revoke", oauthHandler(s.revoke))
	r.Handle("GET /userinfo", oauthHandler(s.userinfo))
	r.Handle("POST /userinfo", oauthHandler(s.userinfo))
	r.Handle("POST /oauth2/device/auth", oauthHandler(s.deviceAuth))
	r.Handle("GET /oauth2/device/verify", oauthHandler(s.deviceVerify))
	r.Handle("GET /oauth2/sessions/logout", s.logout)
	r.Handle("POST /oauth2/sessions/logout", s.logout)
	r.Handle("GET /.well-known/openid-configuration", s.discoveryHandler(s.opts.DynamicClientRegistration))
	r.Handle("GET /.well-known/oauth-authorization-server", s.discoveryHandler(s.opts.DynamicClientRegistration))
	r.Handle("GET /oauth2/fallbacks/{page}", s.fallback)
}

// MountAdmin adds the admin endpoints.
func (s *Service) MountAdmin(r *web.Router) {
	r.Handle("GET /admin/oauth2/auth/requests/login", oauthHandler(s.getLoginRequest))
	r.Handle("PUT /admin/oauth2/auth/requests/login/accept", oauthHandler(s.acceptLoginRequest))
	r.Handle("PUT /admin/oauth2/auth/requests/login/reject", oauthHandler(s.rejectLoginRequest))
	r.Handle("GET /admin/oauth2/auth/requests/consent", oauthHandler(s.getConsentRequest))
	r.Handle("PUT /admin/oauth2/auth/requests/consent/accept", oauthHandler(s.acceptConsentRequest))
	r.Handle("PUT /admin/oauth2/auth/requests/consent/reject", oauthHandler(s.rejectConsentRequest))
	r.Handle("GET /admin/oauth2/auth/requests/logout", oauthHandler(s.getLogoutRequest))
	r.Handle("PUT /admin/oauth2/auth/requests/logout/accept", oauthHandler(s.acceptLogoutRequest))
	r.Handle("PUT /admin/oauth2/auth/requests/logout/reject", oauthHandler(s.rejectLogoutRequest))
	r.Handle("PUT /admin/oauth2/auth/requests/device/accept", oauthHandler(s.acceptDeviceRequest))
	r.Handle("GET /admin/oauth2/auth/sessions/consent", oauthHandler(s.listConsentSessions))
	r.Handle("DELETE /admin/oauth2/auth/sessions/consent", oauthHandler(s.revokeConsentSessions))
	r.Handle("DELETE /admin/oauth2/auth/sessions/login", oauthHandler(s.revokeLoginSessions))
	r.Handle("POST /admin/oauth2/introspect", oauthHandler(s.introspect))
	r.Handle("DELETE /admin/oauth2/tokens", oauthHandler(s.deleteTokens))
}

var fallbackPage = template.Must(template.New("fallback").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title></head><body><main><h1>{{.Title}}</h1><p>{{.Text}}</p>
{{if .Error}}<p><strong>{{.Error}}</strong>{{if .Description}}: {{.Description}}{{end}}</p>{{end}}</main></body></html>`))

// fallback serves the pages browsers land on when no login, consent,
// logout or device app is configured.
func (s *Service) fallback(w http.ResponseWriter, r *http.Request) error {
	page := r.PathValue("page")
	data := map[string]string{"Error": r.URL.Query().Get("error"), "Description": r.URL.Query().Get("error_description")}
	switch page {
	case "login", "consent", "device":
		data["Title"] = "No " + page + " page is configured"
		data["Text"] = "This server delegates " + page + " to an app set in oauth2.urls." + page + ". Configure one to continue."
	case "logout":
		data["Title"] = "You have been signed out"
		data["Text"] = "You can close this window."
	case "device-done":
		data["Title"] = "Device authorized"
		data["Text"] = "You can return to your device."
	case "error":
		data["Title"] = "The request could not be completed"
		data["Text"] = "The application sent a request this server cannot accept."
	default:
		return web.NotFound("There is no such page.")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return fallbackPage.Execute(w, data)
}
