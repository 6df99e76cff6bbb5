package app

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/warden-iam/warden/internal/config"
	"github.com/warden-iam/warden/internal/permission/grpcapi"
)

// grpcServers are the gRPC servers of the listeners, by listener name.
type grpcServers map[string]*grpcapi.Server

// buildGRPC builds the gRPC server of each listener: the permission read
// services on public, read and write on admin. Serve splits each port's
// connections between it and the HTTP server (connmux.go), so gRPC and REST
// share the ports.
func (a *App) buildGRPC() {
	m := newGRPCMetrics(a.Metrics.Registry)
	build := func(name string, l config.Listener, extra ...grpcapi.Option) *grpcapi.Server {
		obs := &grpcObserver{listener: name, log: a.Log.With(slog.String("listener", name)), metrics: m,
			logHealth: !l.RequestLog.DisableForHealth}
		opts := []grpc.ServerOption{grpc.ChainUnaryInterceptor(obs.unary), grpc.ChainStreamInterceptor(obs.stream)}
		if n := a.Config.Serve.MaxBodyBytes; n > 0 {
			// The REST body limit bounds each gRPC message.
			opts = append(opts, grpc.MaxRecvMsgSize(int(min(n, 1<<30))))
		}
		g := grpcapi.NewServer(a.Permission, a.Log, append(extra, grpcapi.WithServerOptions(opts...))...)
		obs.known = map[string]bool{}
		for svc, info := range g.GetServiceInfo() {
			for _, m := range info.Methods {
				obs.known["/"+svc+"/"+m.Name] = true
			}
		}
		return g
	}
	a.grpcServers = grpcServers{
		"public": build("public", a.Config.Serve.Public),
		"admin":  build("admin", a.Config.Serve.Admin, grpcapi.WithWrite()),
	}
}

// grpcMetrics count gRPC calls next to the HTTP metrics.
type grpcMetrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newGRPCMetrics(reg *prometheus.Registry) *grpcMetrics {
	m := &grpcMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_grpc_requests_total",
			Help: "gRPC calls served, by listener, full method name and status code.",
		}, []string{"listener", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "warden_grpc_request_duration_seconds",
			Help:    "Time to serve gRPC calls, by listener and full method name.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"listener", "method"}),
	}
	reg.MustRegister(m.calls, m.duration)
	return m
}

// grpcObserver logs and counts the gRPC calls of one listener, as the REST
// middleware does for HTTP requests.
type grpcObserver struct {
	listener  string
	log       *slog.Logger
	metrics   *grpcMetrics
	logHealth bool
	// known holds the methods served; others are counted as "unmatched", so
	// clients cannot grow the metrics without bound.
	known map[string]bool
}

func (o *grpcObserver) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := handler(ctx, req)
	o.observe(ctx, info.FullMethod, err, time.Since(start))
	return resp, err
}

func (o *grpcObserver) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	start := time.Now()
	err := handler(srv, ss)
	o.observe(ss.Context(), info.FullMethod, err, time.Since(start))
	return err
}

func (o *grpcObserver) observe(ctx context.Context, method string, err error, d time.Duration) {
	code := status.Code(err)
	if !o.known[method] {
		method = "unmatched"
	}
	o.metrics.calls.WithLabelValues(o.listener, method, code.String()).Inc()
	o.metrics.duration.WithLabelValues(o.listener, method).Observe(d.Seconds())
	if !o.logHealth && strings.HasPrefix(method, "/grpc.health.v1.Health/") {
		return
	}
	level := slog.LevelInfo
	switch code {
	case codes.Internal, codes.Unknown, codes.DataLoss:
		level = slog.LevelError
	}
	remote := ""
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		remote = p.Addr.String()
	}
	o.log.LogAttrs(ctx, level, "grpc request",
		slog.String("method", method),
		slog.String("code", code.String()),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("remote", remote),
	)
}
