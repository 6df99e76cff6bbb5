package e2e

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	ory "github.com/ory/client-go"
)

// nodeTool finds a Node.js tool on PATH. Without it the test is skipped on
// a developer's machine but fails in CI (CI set), which installs Node.js.
func nodeTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; .ci/run installs nodejs and npm", name)
		}
		t.Skipf("%s is not installed: install Node.js 18+ and npm (Debian: apt-get install nodejs npm) to run the openid-client tests", name)
	}
	return p
}

// TestOpenIDClientNode runs test/node (node:test with the openid-client
// relying party library) against a running server: discovery, the code
// flow with PKCE for a confidential and a public client, RFC 9207 iss,
// refresh rotation, client credentials, revocation, form_post, the hybrid
// flow and RP-initiated logout.
func TestOpenIDClientNode(t *testing.T) {
	node := nodeTool(t, "node")
	dir, err := filepath.Abs(filepath.Join("..", "node"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "openid-client")); err != nil {
		npm := nodeTool(t, "npm")
		cmd := exec.CommandContext(ctx, npm, "ci", "--prefix", dir, "--no-audit", "--no-fund")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci --prefix %s: %v\n%s", dir, err, out)
		}
	}

	e := startOAuth(t, nil)
	scope := "openid offline_access email"
	web := e.createClient(t, ory.OAuth2Client{
		ClientId:                ory.PtrString("oidc-web"),
		ClientName:              ory.PtrString("openid-client confidential"),
		RedirectUris:            []string{e.rp.URL + "/cb"},
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		ResponseTypes:           []string{"code"},
		Scope:                   ory.PtrString(scope),
		TokenEndpointAuthMethod: ory.PtrString("client_secret_basic"),
		PostLogoutRedirectUris:  []string{e.rp.URL + "/bye"},
	})
	e.createClient(t, ory.OAuth2Client{
		ClientId:                ory.PtrString("oidc-spa"),
		ClientName:              ory.PtrString("openid-client public"),
		RedirectUris:            []string{e.rp.URL + "/cb"},
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		ResponseTypes:           []string{"code"},
		Scope:                   ory.PtrString(scope),
		TokenEndpointAuthMethod: ory.PtrString("none"),
		PostLogoutRedirectUris:  []string{e.rp.URL + "/bye"},
	})
	svc := e.createClient(t, ory.OAuth2Client{
		ClientId:                ory.PtrString("oidc-svc"),
		GrantTypes:              []string{"client_credentials"},
		Scope:                   ory.PtrString("read write"),
		TokenEndpointAuthMethod: ory.PtrString("client_secret_basic"),
	})
	hybrid := e.createClient(t, ory.OAuth2Client{
		ClientId:                ory.PtrString("oidc-hybrid"),
		RedirectUris:            []string{e.rp.URL + "/cb"},
		GrantTypes:              []string{"authorization_code", "implicit"},
		ResponseTypes:           []string{"code id_token"},
		Scope:                   ory.PtrString(scope),
		TokenEndpointAuthMethod: ory.PtrString("client_secret_basic"),
	})

	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "test/node/")
	cmd.Dir = filepath.Join(dir, "..", "..")
	cmd.Env = append(os.Environ(),
		"NO_COLOR=1",
		"WARDEN_ISSUER="+e.srv.public,
		"WARDEN_ADMIN_URL="+e.srv.admin,
		"WARDEN_REDIRECT_URI="+e.rp.URL+"/cb",
		"WARDEN_POST_LOGOUT_REDIRECT_URI="+e.rp.URL+"/bye",
		"WARDEN_CLIENT_ID="+web.GetClientId(),
		"WARDEN_CLIENT_SECRET="+web.GetClientSecret(),
		"WARDEN_PUBLIC_CLIENT_ID=oidc-spa",
		"WARDEN_SERVICE_CLIENT_ID="+svc.GetClientId(),
		"WARDEN_SERVICE_CLIENT_SECRET="+svc.GetClientSecret(),
		"WARDEN_HYBRID_CLIENT_ID="+hybrid.GetClientId(),
		"WARDEN_HYBRID_CLIENT_SECRET="+hybrid.GetClientSecret(),
	)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			t.Log(sc.Text())
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	err = cmd.Run()
	pw.Close()
	wg.Wait()
	if err != nil {
		t.Fatalf("node --test test/node/: %v\nwarden stderr:\n%s", err, e.srv.stderr)
	}
}
