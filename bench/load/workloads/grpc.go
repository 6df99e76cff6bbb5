package workloads

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	rts "github.com/warden-iam/warden/api/proto/ory/keto/relation_tuples/v1alpha2"
	"github.com/warden-iam/warden/bench/load"
	"github.com/warden-iam/warden/bench/permission"
)

// setupC1g is C1 over Keto's gRPC CheckService, on the permission read URL's
// host and port (Warden serves gRPC and REST on the same ports; for Keto use
// its read port). One connection is shared by all workers, as a gRPC client
// would; it multiplexes their calls.
func setupC1g(ctx context.Context, env *load.Env) (load.Op, error) {
	u, err := url.Parse(env.URLs.PermissionRead)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(u.Host, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("gRPC client for %s: %w", u.Host, err)
	}
	client := rts.NewCheckServiceClient(conn)
	var reqs []*rts.CheckRequest
	fx, err := fixtures(env)
	if err != nil {
		return nil, err
	}
	if fx != nil {
		for _, p := range fx.Owners {
			reqs = append(reqs, checkRequest(permission.NSDocument, p.Document, permission.RelOwners, user(p.User)))
		}
		env.Logf("C1g: %d direct Document#owners@User pairs from %s over gRPC, a random one per operation", len(reqs), env.Options.Fixtures)
	} else {
		t := tuple{env.Options.Namespace, "c1g-" + env.Tag, env.Options.Relation, "user-" + env.Tag}
		if err := writeTuple(ctx, env, t); err != nil {
			return nil, fmt.Errorf("writing the tuple: %w", err)
		}
		reqs = append(reqs, &rts.CheckRequest{Tuple: &rts.RelationTuple{Namespace: t.Namespace, Object: t.Object, Relation: t.Relation,
			Subject: &rts.Subject{Ref: &rts.Subject_Id{Id: t.SubjectID}}}})
	}
	// One call up front, so a server without the gRPC API is skipped with
	// its reason instead of failing every operation.
	if res, err := client.Check(ctx, reqs[0]); err != nil || !res.Allowed {
		conn.Close()
		return nil, fmt.Errorf("gRPC check: allowed=%v err=%v", res.GetAllowed(), err)
	}
	return func(ctx context.Context, w *load.Worker) load.Result {
		res, err := client.Check(ctx, reqs[rand.IntN(len(reqs))])
		if err != nil {
			return load.Result{Err: err}
		}
		if !res.Allowed {
			return load.Result{Status: 200, Err: fmt.Errorf("gRPC check denied a stored tuple")}
		}
		return load.Result{Status: 200}
	}, nil
}

func checkRequest(ns, obj, rel string, s subjectSet) *rts.CheckRequest {
	return &rts.CheckRequest{Tuple: &rts.RelationTuple{Namespace: ns, Object: obj, Relation: rel,
		Subject: &rts.Subject{Ref: &rts.Subject_Set{Set: &rts.SubjectSet{Namespace: s.Namespace, Object: s.Object, Relation: s.Relation}}}}}
}
