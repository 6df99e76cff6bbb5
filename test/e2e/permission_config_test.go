package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBrokenPermissionModelStopsStartUp(t *testing.T) {
	dir := t.TempDir()
	opl := filepath.Join(dir, "namespaces.ts")
	if err := os.WriteFile(opl, []byte(`class User implements Namespace {}
class Doc implements Namespace {
  related: { owners: Usr[] }
  permits = {
    view: (ctx: Context): boolean => this.related.viewers.includes(ctx.subject),
  }
}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, dir, nil, "serve", "--set", "permission.namespaces.location=file://"+opl)
	if code == 0 {
		t.Fatal("started with a broken permission model")
	}
	for _, want := range []string{"3:", "Usr", "5:", "viewers"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	// The environment variable of the example works too.
	_, stderr, code = run(t, dir, []string{"PERMISSION_NAMESPACES_LOCATION=file://" + filepath.Join(dir, "missing.ts")}, "serve")
	if code == 0 || !strings.Contains(stderr, "permission.namespaces.location") {
		t.Fatalf("missing model file: code %d\n%s", code, stderr)
	}
}
