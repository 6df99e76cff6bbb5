package workloads

import (
	"context"
	"fmt"
	"strings"

	"github.com/warden-iam/warden/bench/load"
)

// setupO4 needs no fixture: access rules are server configuration. A rule must
// match the decision path (see --decision-path), or every op reports a 4xx.
func setupO4(_ context.Context, env *load.Env) (load.Op, error) {
	p := env.Options.DecisionPath
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("--decision-path %q must start with /", p)
	}
	return load.Get(env.URLs.Proxy+"/decisions"+p, nil), nil
}
