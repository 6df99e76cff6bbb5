package app

import (
	"fmt"

	"github.com/warden-iam/warden/internal/cipher"
	"github.com/warden-iam/warden/internal/oauth2/jwk"
)

// buildOAuth2 constructs the OAuth2 service's parts built so far and mounts
// their APIs: the JSON Web Key admin API on the admin listener and
// /.well-known/jwks.json on the public one. The well-known key set is
// generated on first request, not here, so start-up stays fast.
func (a *App) buildOAuth2() error {
	c, err := cipher.New(a.Secrets.Cipher)
	if err != nil {
		return fmt.Errorf("secrets.cipher: %w", err)
	}
	keys := jwk.NewService(a.Store.JWKs(), c, jwk.Options{})
	h := jwk.NewHandler(keys)
	h.MountAdmin(a.Admin)
	h.MountPublic(a.Public)
	return nil
}
