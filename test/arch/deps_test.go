// Package arch keeps the direction of dependencies between Warden's packages
// true: app -> domains -> storage sentinels, never the other way.
package arch

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/warden-iam/warden/"

var domains = []string{"identity", "session", "flow", "authn", "courier", "oauth2", "permission", "proxy", "federation"}

// rule forbids packages under From from depending (directly or not) on any
// package under one of To.
type rule struct {
	From string
	To   []string
	Why  string
}

func rules() []rule {
	var rs []rule
	for _, d := range domains {
		rs = append(rs, rule{From: "internal/" + d, Why: "domains get configuration and storage handed in by app",
			To: []string{"internal/config", "internal/app", "internal/cli", "internal/ui",
				"internal/storage/sqlstore", "internal/storage/sqldb", "internal/storage/migrations"}})
	}
	var notPermission []string
	for _, d := range domains {
		if d != "permission" {
			notPermission = append(notPermission, "internal/"+d)
		}
	}
	rs = append(rs,
		rule{From: "internal/permission", To: notPermission, Why: "the permission engine stands alone"},
		// sqlstore implements every domain's Store (and storetest checks them),
		// so only they may see domain types; the layers below know no domain.
		rule{From: "internal/storage/sqldb", To: append(prefixed(domains), "internal/web", "internal/config", "internal/app", "internal/cli"),
			Why: "the database layer knows no domain"},
		rule{From: "internal/storage/migrations", To: append(prefixed(domains), "internal/web", "internal/config", "internal/app", "internal/cli"),
			Why: "migrations know no domain"},
		rule{From: "internal/storage/sqlstore", To: []string{"internal/config", "internal/app", "internal/cli"},
			Why: "storage is configured by app, not by reading configuration"},
		rule{From: "internal/web", To: append(prefixed(domains), "internal/config", "internal/app", "internal/cli", "internal/storage/sqldb"),
			Why: "web is plumbing shared by every domain"},
		rule{From: "internal/config", To: append(prefixed(domains), "internal/web", "internal/app", "internal/cli", "internal/storage"),
			Why: "configuration is plain data"},
		rule{From: "internal/app", To: []string{"internal/cli"}, Why: "the command line sits above the composition root"},
	)
	return rs
}

func prefixed(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "internal/" + n
	}
	return out
}

func under(pkg, prefix string) bool {
	p := mod + prefix
	return pkg == p || strings.HasPrefix(pkg, p+"/")
}

// violations checks a package -> transitive dependencies graph against rules.
func violations(graph map[string][]string, rs []rule) []string {
	var out []string
	for pkg, deps := range graph {
		for _, r := range rs {
			if !under(pkg, r.From) {
				continue
			}
			for _, dep := range deps {
				for _, to := range r.To {
					if under(dep, to) && !under(pkg, to) {
						out = append(out, pkg+" -> "+dep+" ("+r.Why+")")
					}
				}
			}
		}
	}
	return out
}

func TestDependencyDirections(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps=false", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, mod[:len(mod)-1]+"/...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	graph := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 {
			graph[f[0]] = f[1:]
		}
	}
	if len(graph) < 5 {
		t.Fatalf("go list found only %d packages", len(graph))
	}
	for _, v := range violations(graph, rules()) {
		t.Error(v)
	}
}

func TestRulesCatchAViolation(t *testing.T) {
	graph := map[string][]string{
		mod + "internal/permission/check": {mod + "internal/identity", mod + "internal/storage"},
		mod + "internal/oauth2":           {mod + "internal/config"},
		mod + "internal/web":              {mod + "internal/storage"},
	}
	v := violations(graph, rules())
	if len(v) != 2 {
		t.Fatalf("want 2 violations, got %v", v)
	}
}
