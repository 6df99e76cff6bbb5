package app

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/warden-iam/warden/internal/cipher"
	"github.com/warden-iam/warden/internal/oauth2/client"
	"github.com/warden-iam/warden/internal/oauth2/jwk"
)

// clientSecretKeyInfo separates the key hashing generated client secrets
// from every other key derived from the system secret.
const clientSecretKeyInfo = "warden oauth2 client secret hash v1"

// buildOAuth2 constructs the OAuth2 service's parts built so far and mounts
// their APIs: the JSON Web Key and OAuth2 client admin APIs on the admin
// listener and /.well-known/jwks.json on the public one. The well-known key
// set is generated on first request, not here, so start-up stays fast.
func (a *App) buildOAuth2() error {
	c, err := cipher.New(a.Secrets.Cipher)
	if err != nil {
		return fmt.Errorf("secrets.cipher: %w", err)
	}
	keys := jwk.NewService(a.Store.JWKs(), c, jwk.Options{})
	h := jwk.NewHandler(keys)
	h.MountAdmin(a.Admin)
	h.MountPublic(a.Public)

	// Generated client secrets are hashed under a key derived from the
	// first system secret: rotating that secret invalidates them.
	if len(a.Secrets.System) == 0 {
		return errors.New("secrets.system: no secret")
	}
	secretKey, err := hkdf.Key(sha256.New, []byte(a.Secrets.System[0]), nil, clientSecretKeyInfo, 32)
	if err != nil {
		return fmt.Errorf("derive the client secret key: %w", err)
	}
	clients, err := client.NewService(a.Store.Clients(), client.Options{SecretKey: secretKey})
	if err != nil {
		return err
	}
	client.NewHandler(clients).MountAdmin(a.Admin)
	return nil
}
