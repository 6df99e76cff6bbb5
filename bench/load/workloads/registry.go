// Package workloads is the table of named load workloads (H*, K*, C*, O*, X1)
// the harness in bench/load runs. Each entry creates its fixtures through the
// server's own public and admin APIs, so it runs unchanged against Warden or
// any server with the same API. One file per API family.
package workloads

import (
	"time"

	"github.com/warden-iam/warden/bench/load"
)

// Table returns every workload in report order. Targets are the pass marks the
// project set for each workload (per core of the server, ratios against Ory on
// the same machine and parameters).
func Table() []load.Workload {
	return []load.Workload{
		{
			ID:          "H1",
			Description: "client_credentials grant with an operator-chosen secret (hashed slowly: argon2id on Warden): POST /oauth2/token, client_secret_basic, opaque token",
			Target:      "hash-bound: >= 0.9x the ceiling of the server's secret hash (Ory's PBKDF2-25k: >= 270/s per core), >= 1.0x Ory, p99 at 50% load <= 0.5x Ory",
			Setup:       setupH1,
		},
		{
			ID:          "H1c",
			Description: "client_credentials grant with a server-generated secret (verified by a keyed MAC on Warden): POST /oauth2/token, opaque token",
			Target:      ">= 5k/s per core, >= 10x Ory H1",
			Setup:       setupH1c,
		},
		{
			ID:          "H2",
			Description: "client_credentials grant with JWT access tokens (client access_token_strategy jwt), signed with the server's access token algorithm",
			Target:      "ES256: >= 5k/s per core; RS256: >= 0.9x the RSA signing ceiling",
			Setup:       setupH2,
		},
		{
			ID:          "H3",
			Description: "token introspection: POST /admin/oauth2/introspect, one of 1,000 opaque access tokens at random (200 with active true)",
			Target:      ">= 15k/s per core (>= 0.4x baseline), >= 3x Ory, p99 at 50% load < 2 ms",
			Setup:       setupH3,
		},
		{
			ID:           "H4",
			Description:  "authorization code flow with PKCE and OpenID Connect, headless: GET /oauth2/auth, login and consent accepted through the admin API, code exchanged, GET /userinfo (one op = one flow, a new subject each)",
			Target:       "ES256: >= 2k flows/s per core, >= 3x Ory",
			Setup:        setupH4,
			SetupTimeout: 5 * time.Minute,
		},
		{
			ID:          "H4s",
			Description: "H4 with one subject for every flow (one user signing in again and again, consent never remembered)",
			Target:      "no mark of its own: per-flow cost must not grow with the subject's history",
			Setup:       setupH4s,
		},
		{
			ID:           "H5",
			Description:  "refresh token rotation: POST /oauth2/token grant_type=refresh_token over a pool of --h5-tokens tokens issued by code flows; a check afterwards proves no rotation was lost or duplicated",
			Target:       ">= 3k/s per core at 64 workers, 0 lost or duplicated rotations, >= 2x Ory",
			Setup:        setupH5,
			SetupTimeout: 10 * time.Minute,
		},
		{
			ID:          "H6",
			Description: "GET /.well-known/jwks.json (If-None-Match: 304), GET /.well-known/openid-configuration, GET /admin/clients/{id}, GET /admin/clients?page_size=100, in turn",
			Target:      ">= 30k/s per core (ETag/304), >= 2x Ory",
			Setup:       setupH6(-1),
		},
		{
			ID:          "H6j",
			Description: "H6 part: GET /.well-known/jwks.json with If-None-Match (304)",
			Target:      ">= 30k/s per core",
			Setup:       setupH6(h6JWKS),
		},
		{
			ID:          "H6d",
			Description: "H6 part: GET /.well-known/openid-configuration",
			Target:      ">= 30k/s per core",
			Setup:       setupH6(h6Discovery),
		},
		{
			ID:          "H6g",
			Description: "H6 part: GET /admin/clients/{id}",
			Target:      ">= 2x Ory",
			Setup:       setupH6(h6GetClient),
		},
		{
			ID:          "H6l",
			Description: "H6 part: GET /admin/clients?page_size=100 (a full page)",
			Target:      ">= 2x Ory",
			Setup:       setupH6(h6ListClients),
		},
		{
			ID:          "K1",
			Description: "session check: GET /sessions/whoami with X-Session-Token (with --identity-fixtures one of the seeded tokens at random per op)",
			Target:      ">= 15k/s per core, p99 at 50% load < 2 ms, >= 3x Ory, <= 1 DB query per op",
			Setup:       setupK1,
		},
		{
			ID:          "K2",
			Description: "API login, one op = one whole login: GET /self-service/login/api, then POST /self-service/login?flow=ID (password method; 200 with a session_token); with --identity-fixtures a random seeded identity per op; 503/429 count as shed",
			Target:      ">= 0.9x the password hash ceiling, >= 1.0x Ory; at 2x the sustainable rate p99 <= 2 s, load shed, argon2 RSS <= 1 GB",
			Setup:       setupK2,
		},
		{
			ID:          "K3",
			Description: "API registration, one op = one sign-up with a new email: GET /self-service/registration/api, then POST /self-service/registration?flow=ID (password method; 200 with the identity); 503/429 count as shed",
			Target:      ">= 0.9x the password hash ceiling, non-hash overhead <= 0.3 ms per op",
			Setup:       setupK3,
		},
		{
			ID:          "K4",
			Description: "admin list: GET /admin/identities?page_size=250",
			Target:      "<= 2 queries per page, p99 < 20 ms, >= 3x Ory",
			Setup:       setupK4,
		},
		{
			ID:          "K4i",
			Description: "admin lookup by credential identifier: GET /admin/identities?credentials_identifier=EMAIL of a random (seeded) identity; exactly that one identity in the answer",
			Target:      "<= 2 queries per lookup, p99 < 20 ms, >= 3x Ory",
			Setup:       setupK4i,
		},
		{
			ID:          "K4g",
			Description: "admin get: GET /admin/identities/{id} of a random (seeded) identity",
			Target:      "<= 2 queries per get, p99 < 20 ms, >= 3x Ory",
			Setup:       setupK4g,
		},
		{
			ID:          "C1",
			Description: "permission check of a direct tuple: GET /relation-tuples/check (200 with allowed true); with --fixtures a random Document#owners@User pair per op",
			Target:      ">= 20k/s per core, p50 < 0.3 ms, p99 < 2 ms, >= 5x Ory",
			Setup:       setupC1,
		},
		{
			ID:          "C1g",
			Description: "C1 over gRPC: Keto's CheckService.Check on the permission read host and port (a random Document#owners@User pair with --fixtures)",
			Target:      ">= 20k/s per core, p50 < 0.3 ms, p99 < 2 ms, >= 5x Ory",
			Setup:       setupC1g,
		},
		{
			ID:          "C2",
			Description: "permission check through 16 nested groups: GET /relation-tuples/check Document#view@User (allowed)",
			Target:      "p99 <= 1 ms at depth 16, >= 5x Ory at depth >= 8",
			Setup:       setupC2,
		},
		{
			ID:          "C3a",
			Description: "fan-out check, allowed: Document#view@User of a document in 200 folders, viewable through exactly one",
			Target:      "p99 <= 5 ms",
			Setup:       setupC3("C3a", 200, true, false),
		},
		{
			ID:          "C3d",
			Description: "fan-out check, denied: Document#view@User of a document in 200 folders, viewable through none",
			Target:      "p99 <= 5 ms, <= 2x C3a",
			Setup:       setupC3("C3d", 200, false, true),
		},
		{
			ID:          "C3k",
			Description: "fan-out check of a document in 1,000 folders, allowed and denied in turn",
			Target:      "no mark of its own: how C3 grows at 5x the width",
			Setup:       setupC3("C3k", 1000, true, true),
		},
		{
			ID:          "C4",
			Description: "batch check: POST /relation-tuples/batch/check with 10 tuples",
			Target:      ">= 2x Ory, p99 < 10 ms",
			Setup:       setupC4,
		},
		{
			ID:          "C5",
			Description: "tuple write: PUT /admin/relation-tuples, one new tuple per op; every --c5-check-every-th also checks it at its snaptoken",
			Target:      ">= 2k single-tuple writes/s (SQLite WAL), read-your-writes through the snaptoken 100%",
			Setup:       setupC5,
		},
		{
			ID:          "O4",
			Description: "decision API: GET /decisions/<path> on --proxy (any 2xx)",
			Target:      ">= 20k/s per core",
			Setup:       setupO4,
		},
		{
			ID:          "X1",
			Description: "cold start to GET /health/ready = 200, idle RSS, clean exit on SIGTERM (--binary, --args)",
			Target:      "cold start <= 200 ms, idle RSS <= 0.5x Ory per service",
			Startup:     true,
		},
	}
}
