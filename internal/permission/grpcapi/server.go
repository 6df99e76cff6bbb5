package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	oplpb "github.com/warden-iam/warden/api/proto/ory/keto/opl/v1alpha1"
	rts "github.com/warden-iam/warden/api/proto/ory/keto/relation_tuples/v1alpha2"
	"github.com/warden-iam/warden/internal/permission"
	"github.com/warden-iam/warden/internal/permission/opl"
)

// SnaptokenHeader is the response header carrying the snaptoken of an answer.
const SnaptokenHeader = "x-snaptoken"

// Server is a gRPC server of the permission API. It is an http.Handler (its
// ServeHTTP) for HTTP/2 requests.
type Server struct {
	*grpc.Server
	health   *health.Server
	draining context.Context
	drain    context.CancelFunc
}

type options struct {
	write      bool
	serverOpts []grpc.ServerOption
}

// Option configures NewServer.
type Option func(*options)

// WithWrite registers the write service too (for the admin listener only).
func WithWrite() Option { return func(o *options) { o.write = true } }

// WithServerOptions adds gRPC server options. Interceptors given here run
// outside the server's own, so they see the final status codes.
func WithServerOptions(opts ...grpc.ServerOption) Option {
	return func(o *options) { o.serverOpts = append(o.serverOpts, opts...) }
}

// NewServer builds the gRPC server of svc: the read services, the write
// service with WithWrite, health and reflection. Internal errors and panics
// are logged to log and answered with a generic message.
func NewServer(svc *permission.Service, log *slog.Logger, opts ...Option) *Server {
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Server{health: health.NewServer()}
	s.draining, s.drain = context.WithCancel(context.Background())
	mapper := &errorMapper{log: log}
	serverOpts := append(o.serverOpts,
		grpc.ChainUnaryInterceptor(mapper.unary),
		grpc.ChainStreamInterceptor(s.drainStreams, mapper.stream),
		grpc.UnknownServiceHandler(unknownMethod(o.write)))
	s.Server = grpc.NewServer(serverOpts...)

	read := &readAPI{svc: svc}
	rts.RegisterCheckServiceServer(s.Server, read)
	rts.RegisterExpandServiceServer(s.Server, read)
	rts.RegisterReadServiceServer(s.Server, read)
	rts.RegisterNamespacesServiceServer(s.Server, read)
	rts.RegisterVersionServiceServer(s.Server, read)
	oplpb.RegisterSyntaxServiceServer(s.Server, syntaxAPI{})
	if o.write {
		rts.RegisterWriteServiceServer(s.Server, &writeAPI{svc: svc})
	}
	healthpb.RegisterHealthServer(s.Server, s.health)
	reflection.Register(s.Server)
	for name := range s.Server.GetServiceInfo() {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	return s
}

// Drain starts a graceful shutdown: health turns NOT_SERVING and streaming
// calls (health watches) see their context cancelled, so they end instead of
// holding the connection open. Unary calls in flight are left to finish.
func (s *Server) Drain() {
	s.health.Shutdown()
	s.drain()
}

// unknownMethod answers calls of methods this server does not have with
// Unimplemented (as gRPC does by default, but through the interceptors, so
// they are logged and counted), pointing write calls to the admin listener.
func unknownMethod(write bool) grpc.StreamHandler {
	return func(_ any, ss grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(ss)
		if !write && strings.HasPrefix(method, "/"+rts.WriteService_ServiceDesc.ServiceName+"/") {
			return status.Errorf(codes.Unimplemented, "%s is served on the admin listener only", rts.WriteService_ServiceDesc.ServiceName)
		}
		return status.Errorf(codes.Unimplemented, "unknown method %s", method)
	}
}

// drainStreams gives streaming calls a context that Drain cancels.
func (s *Server) drainStreams(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, cancel := context.WithCancel(ss.Context())
	defer cancel()
	stop := context.AfterFunc(s.draining, cancel)
	defer stop()
	return handler(srv, &streamWithContext{ServerStream: ss, ctx: ctx})
}

type streamWithContext struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *streamWithContext) Context() context.Context { return s.ctx }

// errorMapper turns service errors into gRPC statuses and panics into
// Internal, logging what the client is not told.
type errorMapper struct{ log *slog.Logger }

func (m *errorMapper) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			m.log.ErrorContext(ctx, "panic while serving gRPC call", "method", info.FullMethod,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			resp, err = nil, status.Error(codes.Internal, "internal error")
		}
	}()
	resp, err = handler(ctx, req)
	if err != nil {
		err = m.status(ctx, info.FullMethod, err)
	}
	return resp, err
}

func (m *errorMapper) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			m.log.ErrorContext(ss.Context(), "panic while serving gRPC call", "method", info.FullMethod,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = status.Error(codes.Internal, "internal error")
		}
	}()
	if err = handler(srv, ss); err != nil {
		err = m.status(ss.Context(), info.FullMethod, err)
	}
	return err
}

// status maps err to a gRPC status error.
func (m *errorMapper) status(ctx context.Context, method string, err error) error {
	if st, ok := status.FromError(err); ok {
		return st.Err() // already a status (from gRPC itself or a handler)
	}
	var oe opl.Errors
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "the call was cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "the call's deadline passed")
	case errors.Is(err, permission.ErrUnknownNamespace):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, permission.ErrUnknownRelation), errors.Is(err, permission.ErrInvalidTuple),
		errors.Is(err, permission.ErrMalformedTuple), errors.Is(err, permission.ErrBadSnaptoken),
		errors.Is(err, permission.ErrBadPageToken), errors.Is(err, permission.ErrTooLarge),
		errors.Is(err, permission.ErrMaxDepth), errors.As(err, &oe):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, permission.ErrNoModel):
		return status.Error(codes.FailedPrecondition, err.Error())
	}
	m.log.ErrorContext(ctx, "gRPC call failed", "method", method, "error", err.Error())
	return status.Error(codes.Internal, "internal error")
}

// setSnaptoken sends tok in the response header (best effort: a header
// cannot fail the answer).
func setSnaptoken(ctx context.Context, tok permission.Snaptoken) {
	if tok != "" {
		_ = grpc.SetHeader(ctx, metadata.Pairs(SnaptokenHeader, string(tok)))
	}
}
