package grpcapi

import (
	"context"
	"fmt"

	oplpb "github.com/warden-iam/warden/api/proto/ory/keto/opl/v1alpha1"
	rts "github.com/warden-iam/warden/api/proto/ory/keto/relation_tuples/v1alpha2"
	"github.com/warden-iam/warden/internal/permission"
	"github.com/warden-iam/warden/internal/permission/tuple"
	"github.com/warden-iam/warden/internal/version"
)

// readAPI implements the read services of the relation_tuples package.
type readAPI struct {
	rts.UnimplementedCheckServiceServer
	rts.UnimplementedExpandServiceServer
	rts.UnimplementedReadServiceServer
	rts.UnimplementedNamespacesServiceServer
	rts.UnimplementedVersionServiceServer
	svc *permission.Service
}

// Check answers one check. The tuple comes from the tuple field or, when it
// is unset, from the deprecated flat fields. "latest" needs no handling:
// without a snaptoken a check already reads the newest revision.
func (a *readAPI) Check(ctx context.Context, req *rts.CheckRequest) (*rts.CheckResponse, error) {
	t := tupleFromProto(req.GetTuple())
	if req.GetTuple() == nil {
		t = tuple.Tuple{Namespace: req.GetNamespace(), Object: req.GetObject(), Relation: req.GetRelation(),
			Subject: subjectFromProto(req.GetSubject())}
	}
	res, err := a.svc.Check(ctx, t, permission.CheckOptions{
		MaxDepth: maxDepth(req.GetMaxDepth()), Snaptoken: permission.Snaptoken(req.GetSnaptoken())})
	if err != nil {
		return nil, err
	}
	setSnaptoken(ctx, res.Snaptoken)
	// A check whose depth budget ran out found no path: not allowed.
	return &rts.CheckResponse{Allowed: res.Allowed && !res.DepthExhausted, Snaptoken: string(res.Snaptoken)}, nil
}

// BatchCheck answers every tuple at one revision; an invalid tuple or one
// without an answer within the depth budget gets an error string of its own.
func (a *readAPI) BatchCheck(ctx context.Context, req *rts.BatchCheckRequest) (*rts.BatchCheckResponse, error) {
	ts := make([]tuple.Tuple, len(req.GetTuples()))
	for i, p := range req.GetTuples() {
		ts[i] = tupleFromProto(p)
	}
	res, tok, err := a.svc.BatchCheck(ctx, ts, permission.CheckOptions{
		MaxDepth: maxDepth(req.GetMaxDepth()), Snaptoken: permission.Snaptoken(req.GetSnaptoken())})
	if err != nil {
		return nil, err
	}
	setSnaptoken(ctx, tok)
	out := &rts.BatchCheckResponse{Results: make([]*rts.CheckResponseWithError, len(res))}
	for i, r := range res {
		item := &rts.CheckResponseWithError{Allowed: r.Allowed, Snaptoken: string(tok)}
		if r.Err != nil {
			item.Allowed, item.Error = false, r.Err.Error()
		}
		out.Results[i] = item
	}
	return out, nil
}

// Expand expands a subject set into the tree of its subjects.
func (a *readAPI) Expand(ctx context.Context, req *rts.ExpandRequest) (*rts.ExpandResponse, error) {
	ref, ok := req.GetSubject().GetRef().(*rts.Subject_Set)
	if !ok || ref.Set == nil {
		return nil, fmt.Errorf("%w: expand needs a subject set (namespace, object and relation), not a subject id", permission.ErrInvalidTuple)
	}
	set := tuple.SubjectSet{Namespace: ref.Set.GetNamespace(), Object: ref.Set.GetObject(), Relation: ref.Set.GetRelation()}
	tree, _, err := a.svc.Expand(ctx, set, permission.CheckOptions{
		MaxDepth: maxDepth(req.GetMaxDepth()), Snaptoken: permission.Snaptoken(req.GetSnaptoken())})
	if err != nil {
		return nil, err
	}
	return &rts.ExpandResponse{Tree: treeToProto(tree)}, nil
}

// ListRelationTuples lists the tuples matching relation_query (or the
// deprecated query), a page at a time. A snaptoken makes the listing fail
// unless it reads at least that revision (listings read the newest one).
func (a *readAPI) ListRelationTuples(ctx context.Context, req *rts.ListRelationTuplesRequest) (*rts.ListRelationTuplesResponse, error) {
	var q tuple.Query
	var err error
	if rq := req.GetRelationQuery(); rq != nil {
		q, err = relationQuery(rq)
	} else if lq := req.GetQuery(); lq != nil {
		q, err = fromLegacyQuery(lq)
	}
	if err != nil {
		return nil, err
	}
	if req.GetPageSize() < 0 {
		return nil, fmt.Errorf("%w: page_size must not be negative, got %d", permission.ErrInvalidTuple, req.GetPageSize())
	}
	want, err := permission.DecodeSnaptoken(permission.Snaptoken(req.GetSnaptoken()))
	if err != nil {
		return nil, err
	}
	page, err := a.svc.List(ctx, q, req.GetPageToken(), int(req.GetPageSize()))
	if err != nil {
		return nil, err
	}
	if got, err := permission.DecodeSnaptoken(page.Snaptoken); err == nil && got < want {
		return nil, fmt.Errorf("%w: it names a revision this database has not reached", permission.ErrBadSnaptoken)
	}
	setSnaptoken(ctx, page.Snaptoken)
	out := &rts.ListRelationTuplesResponse{RelationTuples: make([]*rts.RelationTuple, len(page.Tuples)), NextPageToken: page.NextToken}
	for i, t := range page.Tuples {
		out.RelationTuples[i] = tupleToProto(t)
	}
	return out, nil
}

// ListNamespaces lists the namespaces of the model in force.
func (a *readAPI) ListNamespaces(ctx context.Context, _ *rts.ListNamespacesRequest) (*rts.ListNamespacesResponse, error) {
	names := a.svc.Namespaces()
	out := &rts.ListNamespacesResponse{Namespaces: make([]*rts.Namespace, len(names))}
	for i, n := range names {
		out.Namespaces[i] = &rts.Namespace{Name: n}
	}
	return out, nil
}

// GetVersion reports Warden's version.
func (a *readAPI) GetVersion(context.Context, *rts.GetVersionRequest) (*rts.GetVersionResponse, error) {
	return &rts.GetVersionResponse{Version: version.String()}, nil
}

// writeAPI implements WriteService.
type writeAPI struct {
	rts.UnimplementedWriteServiceServer
	svc *permission.Service
}

// TransactRelationTuples applies every delta in one transaction; deltas
// without an action are ignored.
func (a *writeAPI) TransactRelationTuples(ctx context.Context, req *rts.TransactRelationTuplesRequest) (*rts.TransactRelationTuplesResponse, error) {
	deltas := req.GetRelationTupleDeltas()
	var ins, del []tuple.Tuple
	for i, d := range deltas {
		if d.GetAction() != rts.RelationTupleDelta_ACTION_UNSPECIFIED && d.GetRelationTuple() == nil {
			return nil, fmt.Errorf("%w: delta %d has no relation_tuple", permission.ErrInvalidTuple, i)
		}
		switch d.GetAction() {
		case rts.RelationTupleDelta_ACTION_UNSPECIFIED:
		case rts.RelationTupleDelta_ACTION_INSERT:
			ins = append(ins, tupleFromProto(d.GetRelationTuple()))
		case rts.RelationTupleDelta_ACTION_DELETE:
			del = append(del, tupleFromProto(d.GetRelationTuple()))
		default:
			return nil, fmt.Errorf("%w: delta %d has unknown action %d", permission.ErrInvalidTuple, i, d.GetAction())
		}
	}
	tok, err := a.svc.Transact(ctx, ins, del)
	if err != nil {
		return nil, err
	}
	setSnaptoken(ctx, tok)
	out := &rts.TransactRelationTuplesResponse{Snaptokens: make([]string, len(deltas))}
	for i, d := range deltas {
		if d.GetAction() != rts.RelationTupleDelta_ACTION_UNSPECIFIED {
			out.Snaptokens[i] = string(tok)
		}
	}
	return out, nil
}

// DeleteRelationTuples deletes every tuple matching relation_query (or the
// deprecated query); a namespace is required.
func (a *writeAPI) DeleteRelationTuples(ctx context.Context, req *rts.DeleteRelationTuplesRequest) (*rts.DeleteRelationTuplesResponse, error) {
	var q tuple.Query
	var err error
	if rq := req.GetRelationQuery(); rq != nil {
		q, err = relationQuery(rq)
	} else if lq := req.GetQuery(); lq != nil {
		q, err = fromLegacyQuery(lq)
	}
	if err != nil {
		return nil, err
	}
	tok, err := a.svc.DeleteMatching(ctx, q)
	if err != nil {
		return nil, err
	}
	setSnaptoken(ctx, tok)
	return &rts.DeleteRelationTuplesResponse{}, nil
}

// syntaxAPI implements the OPL SyntaxService.
type syntaxAPI struct {
	oplpb.UnimplementedSyntaxServiceServer
}

// Check parses the OPL in content and returns every error with its position
// (1-based line and column; start and end are the same point).
func (syntaxAPI) Check(_ context.Context, req *oplpb.CheckRequest) (*oplpb.CheckResponse, error) {
	out := &oplpb.CheckResponse{}
	for _, e := range permission.SyntaxErrors(string(req.GetContent())) {
		out.ParseErrors = append(out.ParseErrors, &oplpb.ParseError{
			Message: e.Message,
			Start:   &oplpb.SourcePosition{Line: uint32(max(e.Pos.Line, 0)), Column: uint32(max(e.Pos.Column, 0))},
			End:     &oplpb.SourcePosition{Line: uint32(max(e.Pos.Line, 0)), Column: uint32(max(e.Pos.Column, 0))},
		})
	}
	return out, nil
}
