package load

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// Workload is one named entry of the workload table.
type Workload struct {
	ID          string // e.g. "H1"; matched case-insensitively on the command line
	Description string // one line: what a single operation does
	Target      string // the pass target this workload is judged against
	// Setup creates the fixtures through the server's public and admin APIs and
	// returns the operation to repeat. An error skips the workload.
	Setup func(ctx context.Context, env *Env) (Op, error)
	// Startup marks X1: it starts the server binary itself instead of loading a
	// running one (see RunStartup); Setup is nil.
	Startup bool
	// SetupTimeout bounds Setup, and the check registered with Env.AfterRun;
	// 0 means the default of 2 minutes.
	SetupTimeout time.Duration
}

// URLs are the base URLs of the server under test, without trailing slashes.
type URLs struct {
	Public          string `json:"public"`           // identity public API and the /health/alive baseline
	Admin           string `json:"admin"`            // identity admin API (/admin/identities)
	OAuth2Public    string `json:"oauth2_public"`    // /oauth2/token, /.well-known/...
	OAuth2Admin     string `json:"oauth2_admin"`     // /admin/clients, /admin/oauth2/introspect
	PermissionRead  string `json:"permission_read"`  // /relation-tuples/check, /relation-tuples/batch/check
	PermissionWrite string `json:"permission_write"` // /admin/relation-tuples
	Proxy           string `json:"proxy"`            // decision API (/decisions/...)
}

// Options are workload knobs that depend on how the server is configured.
type Options struct {
	IdentitySchema string `json:"identity_schema"` // schema_id for identities the K* workloads create
	Namespace      string `json:"namespace"`       // permission namespace for C1, C4 and C5
	Relation       string `json:"relation"`        // relation written and checked by C1, C4 and C5
	DecisionPath   string `json:"decision_path"`   // path after /decisions for O4
	SeedIdentities int    `json:"seed_identities"` // K4 creates identities until a page holds this many
	// IdentityFixtures is the fixtures file of a seeded identity database
	// (bench/cmd/identityseed); K1, K2, K4i and K4g use its tokens,
	// identities and password. Empty: they create fixtures of their own.
	IdentityFixtures string `json:"identity_fixtures,omitempty"`
	// Fixtures is the fixtures file of a loaded permission dataset
	// (bench/cmd/dataset); C1, C2 and C3* check its ids. Empty: those
	// workloads create small fixtures of their own.
	Fixtures string `json:"fixtures,omitempty"`
	// C5CheckEvery: every C5CheckEvery-th write of a worker is followed by a
	// check at the write's snaptoken, which must be allowed (0 = never).
	C5CheckEvery int `json:"c5_check_every"`
	// H5Tokens is how many refresh tokens H5 issues before it rotates them.
	H5Tokens int `json:"h5_tokens"`
}

// Env is what a workload's Setup gets.
type Env struct {
	URLs        URLs
	Client      *Client
	Concurrency int
	// Tag is unique per harness run; fixtures embed it in their names so runs
	// never collide with each other or with existing data.
	Tag     string
	Options Options
	Log     io.Writer // progress notes from setup

	check Check
}

// Check verifies what a workload did once its measured window is over. It
// returns a one-line summary, or an error when the server got something wrong.
type Check func(ctx context.Context) (summary string, err error)

// AfterRun registers, from a Setup, a check to run after the measured window
// (not after the warm-up). Its outcome is reported with the workload; a
// failed check makes the run's exit code 1.
func (e *Env) AfterRun(c Check) { e.check = c }

// Logf writes a progress note.
func (e *Env) Logf(format string, args ...any) {
	if e.Log != nil {
		fmt.Fprintf(e.Log, format+"\n", args...)
	}
}

// Lookup finds a workload by id, case-insensitively.
func Lookup(table []Workload, id string) (Workload, bool) {
	for _, w := range table {
		if strings.EqualFold(w.ID, id) {
			return w, true
		}
	}
	return Workload{}, false
}
