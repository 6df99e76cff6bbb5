package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/warden-iam/warden/api/openapi"
	"github.com/warden-iam/warden/internal/config"
	"github.com/warden-iam/warden/internal/flow"
	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/oauth2/client"
	"github.com/warden-iam/warden/internal/oauth2/jwk"
	"github.com/warden-iam/warden/internal/oauth2/provider"
	"github.com/warden-iam/warden/internal/permission"
	"github.com/warden-iam/warden/internal/permission/grpcapi"
	"github.com/warden-iam/warden/internal/session"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/migrations"
	"github.com/warden-iam/warden/internal/storage/sqldb"
	"github.com/warden-iam/warden/internal/storage/sqlstore"
	"github.com/warden-iam/warden/internal/version"
	"github.com/warden-iam/warden/internal/web"
)

// Options are what the command line adds to the configuration.
type Options struct {
	Config *config.Config
	Logger *slog.Logger
	// Migrate applies pending migrations on PostgreSQL. SQLite databases are
	// always migrated on start, as they belong to this process alone.
	Migrate bool
	// Out receives the human-readable start-up banner; nil discards it.
	Out io.Writer
}

// Secrets are the resolved secret lists (configured, or generated once and
// kept in the database). The first entry of each signs, all verify.
type Secrets struct {
	System []string
	Cookie []string
	Cipher []string
}

// App is a running Warden: storage, services and the two listeners.
type App struct {
	Config  *config.Config
	Log     *slog.Logger
	DB      *sqldb.DB
	Store   *sqlstore.Store
	Secrets Secrets
	Metrics *web.Metrics

	Public *web.Router
	Admin  *web.Router

	Permission *permission.Service

	OAuth2        *provider.Service
	OAuth2Clients *client.Service
	OAuth2Keys    *jwk.Service
	Identities    *identity.Service
	Sessions      *session.Service
	Flows         *flow.Service

	grpcServers grpcServers // gRPC server of each listener (grpc.go)

	// background work started by Serve and stopped before the database closes
	background  []func(ctx context.Context)
	reloadEvery time.Duration

	out                 io.Writer
	publicLn, adminLn   net.Listener
	publicSrv, adminSrv *http.Server
	closeOnce           sync.Once
}

// New builds Warden from its configuration: it opens and migrates the database,
// resolves secrets and mounts every route. It does not listen yet.
func New(ctx context.Context, o Options) (*App, error) {
	cfg := o.Config
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	db, err := sqldb.Open(ctx, cfg.DSN, sqldb.Options{})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	a := &App{Config: cfg, Log: log, DB: db, Store: sqlstore.New(db), Metrics: web.NewMetrics(), out: out, reloadEvery: time.Second}
	if err := a.prepareSchema(ctx, o.Migrate || db.Dialect() == sqldb.SQLite); err != nil {
		db.Close()
		return nil, err
	}
	if err := a.resolveSecrets(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := a.Metrics.Registry.Register(sqldb.Collector(db)); err != nil {
		db.Close()
		return nil, fmt.Errorf("register database metrics: %w", err)
	}
	a.mount()
	if err := a.buildPermission(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := a.buildIdentity(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := a.buildOAuth2(); err != nil {
		db.Close()
		return nil, err
	}
	a.buildGRPC()
	return a, nil
}

func (a *App) prepareSchema(ctx context.Context, migrate bool) error {
	pending, err := migrations.Pending(ctx, a.DB)
	if err != nil {
		return fmt.Errorf("read migration status: %w", err)
	}
	if pending == 0 {
		return nil
	}
	if !migrate {
		return fmt.Errorf("%w (%d pending; or start with --migrate)", storage.ErrBehind, pending)
	}
	n, err := migrations.Up(ctx, a.DB, func(m migrations.Migration, i, total int) {
		a.Log.Info("applying migration", "version", m.Version, "name", m.Name, "step", i, "of", total)
	})
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	a.Log.Info("database migrated", "applied", n)
	return nil
}

// resolveSecrets takes configured secrets as they are and generates any missing
// list once, storing it so every restart and every replica agrees.
func (a *App) resolveSecrets(ctx context.Context) error {
	resolve := func(kind string, configured []string, gen func() (string, error)) ([]string, error) {
		if len(configured) > 0 {
			return configured, nil
		}
		s, err := a.Store.EnsureSystemSecrets(ctx, kind, gen)
		if err != nil {
			return nil, fmt.Errorf("secrets.%s: %w", kind, err)
		}
		return s, nil
	}
	var err error
	if a.Secrets.System, err = resolve("system", a.Config.Secrets.System, randomSecret(32)); err != nil {
		return err
	}
	if a.Secrets.Cookie, err = resolve("cookie", a.Config.Secrets.Cookie, randomSecret(32)); err != nil {
		return err
	}
	// Cipher secrets are exactly 32 characters: 24 random bytes in base64.
	if a.Secrets.Cipher, err = resolve("cipher", a.Config.Secrets.Cipher, randomSecret(24)); err != nil {
		return err
	}
	return nil
}

func randomSecret(n int) func() (string, error) {
	return func() (string, error) {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		return base64.RawURLEncoding.EncodeToString(b), nil
	}
}

func (a *App) mount() {
	a.Public = web.NewRouter()
	a.Admin = web.NewRouter()
	health := &web.Health{Checks: map[string]web.Check{"database": a.checkDatabase}}
	health.Mount(a.Public)
	health.Mount(a.Admin)
	a.Admin.HandleHTTP("GET /metrics/prometheus", a.Metrics.Handler())
	a.Public.Handle("GET /openapi.json", openapi.Serve)
	a.Admin.Handle("GET /openapi.json", openapi.Serve)
}

func (a *App) checkDatabase(ctx context.Context) error {
	if err := a.DB.Ping(ctx); err != nil {
		return errors.New("the database is unreachable: " + sqldb.Redact(err.Error()))
	}
	return nil
}

// Listen binds both listeners. With port 0 a free port is picked and the
// configured base URL is filled in from it.
func (a *App) Listen() error {
	var err error
	if a.publicLn, err = net.Listen("tcp", a.Config.Serve.Public.Addr()); err != nil {
		return fmt.Errorf("serve.public: %w", err)
	}
	if a.adminLn, err = net.Listen("tcp", a.Config.Serve.Admin.Addr()); err != nil {
		a.publicLn.Close()
		return fmt.Errorf("serve.admin: %w", err)
	}
	fill := func(l *config.Listener, ln net.Listener) {
		if l.BaseURL == "" {
			port := ln.Addr().(*net.TCPAddr).Port
			l.BaseURL = config.ListenerURL(l.Host, port)
		}
	}
	fill(&a.Config.Serve.Public, a.publicLn)
	fill(&a.Config.Serve.Admin, a.adminLn)
	return nil
}

// PublicAddr and AdminAddr are the bound addresses (after Listen).
func (a *App) PublicAddr() string { return a.publicLn.Addr().String() }
func (a *App) AdminAddr() string  { return a.adminLn.Addr().String() }

func (a *App) server(name string, h http.Handler, l config.Listener) *http.Server {
	if c := l.CORS; c.Enabled && name == "public" {
		creds := c.AllowCredentials == nil || *c.AllowCredentials
		h = web.CORS{AllowedOrigins: c.AllowedOrigins, AllowedMethods: c.AllowedMethods, AllowedHeaders: c.AllowedHeaders,
			ExposedHeaders: c.ExposedHeaders, AllowCredentials: creds, MaxAge: c.MaxAge}.Handler(h)
	}
	wrapped := web.Wrap(h, web.Options{
		Name:            name,
		Logger:          a.Log,
		Metrics:         a.Metrics,
		MaxBodyBytes:    a.Config.Serve.MaxBodyBytes,
		LogHealthChecks: !l.RequestLog.DisableForHealth,
		// The admin API is reached by operators' own systems, whose request ids
		// are worth keeping; the public one does not trust them.
		TrustedRequestID: name == "admin",
	})
	srv := &http.Server{
		Handler:           wrapped,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	return srv
}

// Serve answers requests until ctx is done, then drains in-flight requests
// (up to serve.shutdown_timeout) and closes the database. It returns nil after
// a clean drain.
func (a *App) Serve(ctx context.Context) error {
	if a.publicLn == nil {
		if err := a.Listen(); err != nil {
			return err
		}
	}
	a.publicSrv = a.server("public", a.Public, a.Config.Serve.Public)
	a.adminSrv = a.server("admin", a.Admin, a.Config.Serve.Admin)
	bgCtx, stopBackground := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	for _, fn := range a.background {
		bg.Add(1)
		go func() { defer bg.Done(); fn(bgCtx) }()
	}
	type port struct {
		srv  *http.Server
		grpc *grpcapi.Server
		mux  *connMux
	}
	ports := []port{
		{a.publicSrv, a.grpcServers["public"], newConnMux(a.publicLn)},
		{a.adminSrv, a.grpcServers["admin"], newConnMux(a.adminLn)},
	}
	errs := make(chan error, 2*len(ports))
	for _, p := range ports {
		go p.mux.run()
		go func() { errs <- p.srv.Serve(p.mux.http) }()
		go func() { errs <- p.grpc.Serve(p.mux.grpc) }()
	}
	a.banner()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errs:
	}
	a.Log.Info("shutting down: draining in-flight requests")
	timeout := time.Duration(a.Config.Serve.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var wg sync.WaitGroup
	var shutdownErr error
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		shutdownErr = fmt.Errorf("requests still running after %s: %w", timeout, err)
		mu.Unlock()
	}
	for _, p := range ports {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := p.srv.Shutdown(sctx); err != nil {
				p.srv.Close()
				fail(err)
			}
		}()
		go func() {
			defer wg.Done()
			p.grpc.Drain()
			stopped := make(chan struct{})
			go func() { p.grpc.GracefulStop(); close(stopped) }()
			select {
			case <-stopped:
			case <-sctx.Done():
				p.grpc.Stop()
				fail(sctx.Err())
			}
		}()
	}
	wg.Wait()
	stopBackground()
	bg.Wait()
	if err := a.Close(); err != nil && shutdownErr == nil {
		shutdownErr = err
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	if shutdownErr == nil {
		a.Log.Info("stopped")
	}
	return shutdownErr
}

// Close releases the database. Serve calls it after draining.
func (a *App) Close() error {
	var err error
	a.closeOnce.Do(func() { err = a.DB.Close() })
	return err
}

func (a *App) banner() {
	c := a.Config
	fmt.Fprintf(a.out, "Warden %s is ready\n", version.String())
	fmt.Fprintf(a.out, "  public API   %s  (REST and gRPC)\n", c.Serve.Public.BaseURL)
	fmt.Fprintf(a.out, "  admin API    %s  (REST and gRPC; metrics at /metrics/prometheus)\n", c.Serve.Admin.BaseURL)
	fmt.Fprintf(a.out, "  API document %sopenapi.json\n", c.Serve.Public.BaseURL)
	fmt.Fprintf(a.out, "  health       %shealth/ready\n", c.Serve.Public.BaseURL)
	fmt.Fprintf(a.out, "  database     %s\n", sqldb.Redact(c.DSN))
	if len(c.Files) > 0 {
		fmt.Fprintf(a.out, "  config       %s\n", strings.Join(c.Files, ", "))
	} else {
		fmt.Fprintf(a.out, "  config       none (defaults; see `warden serve --help`)\n")
	}
	if c.Dev {
		fmt.Fprintf(a.out, "  mode         development (cookies without the Secure flag)\n")
	}
}
