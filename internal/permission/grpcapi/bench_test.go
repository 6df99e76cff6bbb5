package grpcapi_test

import (
	"context"
	"testing"

	rts "github.com/warden-iam/warden/api/proto/ory/keto/relation_tuples/v1alpha2"
)

// BenchmarkGRPCCheck is a direct tuple check over loopback gRPC, through the
// public listener that also serves REST (HTTP/2 without TLS).
func BenchmarkGRPCCheck(b *testing.B) {
	e := start(b, "sqlite")
	req := &rts.TransactRelationTuplesRequest{RelationTupleDeltas: []*rts.RelationTupleDelta{
		{Action: rts.RelationTupleDelta_ACTION_INSERT, RelationTuple: tu(b, "Group:eng#members@alice")}}}
	if _, err := rts.NewWriteServiceClient(e.admin).TransactRelationTuples(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	c := rts.NewCheckServiceClient(e.public)
	check := &rts.CheckRequest{Tuple: tu(b, "Group:eng#members@alice")}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.Check(ctx, check)
		if err != nil || !res.Allowed {
			b.Fatalf("check: %v %v", res, err)
		}
	}
}
