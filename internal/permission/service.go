package permission

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-iam/warden/internal/permission/check"
	"github.com/warden-iam/warden/internal/permission/opl"
	"github.com/warden-iam/warden/internal/permission/tuple"
)

// Options are the service's limits and modes.
type Options struct {
	MaxReadDepth  int  // global cap on check and expand depth (default 5)
	MaxBatchSize  int  // tuples per batch check (default 10)
	MaxWriteBatch int  // tuples per transaction (default 1,000)
	Strict        bool // strict mode, see check.Model
	// SingleWriter: this process is the only writer (SQLite), so the newest
	// revision is known without asking the database.
	SingleWriter bool
	// MaxStaleness lets reads without a snaptoken use a revision read from
	// the database at most this long ago (see RefreshRevision) instead of
	// reading it per request. 0: always read the newest.
	MaxStaleness time.Duration
	Chain        check.ChainOptions
	Logger       *slog.Logger
}

// Service is the permission service.
type Service struct {
	store  Store
	engine *check.Engine
	head   check.Checker
	opts   Options
	log    *slog.Logger

	model   atomic.Pointer[Model]
	rev     atomic.Uint64 // newest revision known to this process
	fresh   atomic.Int64  // when rev was last read from the database (unix ns)
	writeMu sync.Mutex    // orders revision updates of a single writer

	changed chan struct{} // closed and replaced on every write (watchers wait on it)
	chMu    sync.Mutex
}

// NewService builds the service over store with model (which may be nil: no
// namespaces until one is loaded).
func NewService(ctx context.Context, store Store, model *Model, o Options) (*Service, error) {
	if o.MaxReadDepth <= 0 {
		o.MaxReadDepth = 5
	}
	if o.MaxBatchSize <= 0 {
		o.MaxBatchSize = 10
	}
	if o.MaxWriteBatch <= 0 {
		o.MaxWriteBatch = 1000
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Service{store: store, opts: o, log: o.Logger, changed: make(chan struct{})}
	s.engine, s.head = check.NewEngine(store, nil, o.Chain)
	s.SetModel(model)
	rev, err := store.Revision(ctx)
	if err != nil {
		return nil, fmt.Errorf("read permission revision: %w", err)
	}
	s.rev.Store(rev)
	return s, nil
}

// SetModel puts a new model in force (hot reload).
func (s *Service) SetModel(m *Model) {
	if m == nil {
		m = &Model{}
	}
	s.model.Store(m)
	s.engine.SetModel(&check.Model{OPL: m.OPL, Strict: s.opts.Strict})
}

// Model returns the model in force.
func (s *Service) Model() *Model { return s.model.Load() }

// Namespaces lists the namespaces in force.
func (s *Service) Namespaces() []string { return s.Model().Names() }

// revision picks the revision a read works at: at least the token's, and
// without a token the newest (or, with MaxStaleness, one read recently).
func (s *Service) revision(ctx context.Context, token Snaptoken) (uint64, error) {
	want, err := DecodeSnaptoken(token)
	if err != nil {
		return 0, err
	}
	known := s.rev.Load()
	switch {
	case want > 0 && want <= known:
		return known, nil // already at least as new as asked
	case want == 0 && s.opts.SingleWriter:
		return known, nil // this process made every write
	case want == 0 && s.opts.MaxStaleness > 0 && time.Since(time.Unix(0, s.fresh.Load())) <= s.opts.MaxStaleness:
		return known, nil
	}
	latest, err := s.readRevision(ctx)
	if err != nil {
		return 0, err
	}
	if want > latest {
		return 0, fmt.Errorf("%w: it names a revision this database has not reached", ErrBadSnaptoken)
	}
	return s.rev.Load(), nil
}

func (s *Service) readRevision(ctx context.Context) (uint64, error) {
	start := time.Now()
	latest, err := s.store.Revision(ctx)
	if err != nil {
		return 0, err
	}
	s.observe(latest)
	s.fresh.Store(start.UnixNano())
	return latest, nil
}

// RefreshRevision keeps the known revision at most MaxStaleness old by
// reading it in the background, until ctx ends. It returns at once when
// MaxStaleness is 0 or this process is the only writer.
func (s *Service) RefreshRevision(ctx context.Context) {
	if s.opts.MaxStaleness <= 0 || s.opts.SingleWriter {
		return
	}
	t := time.NewTicker(s.opts.MaxStaleness / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.readRevision(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("permission: reading the revision failed", "error", err)
			}
		}
	}
}

func (s *Service) observe(rev uint64) {
	for {
		cur := s.rev.Load()
		if rev <= cur || s.rev.CompareAndSwap(cur, rev) {
			return
		}
	}
}

// CheckOptions are per-request settings of a read.
type CheckOptions struct {
	MaxDepth  int // 0 or above the global cap: the global cap
	Snaptoken Snaptoken
}

func (s *Service) depth(o CheckOptions) int {
	if o.MaxDepth > 0 && o.MaxDepth < s.opts.MaxReadDepth {
		return o.MaxDepth
	}
	return s.opts.MaxReadDepth
}

// CheckResult is the answer to one check.
type CheckResult struct {
	Allowed bool
	// DepthExhausted: no path was found within the depth budget, but the
	// search was cut short, so a deeper path may exist.
	DepthExhausted bool
	MaxDepth       int
	Snaptoken      Snaptoken
}

// Check answers whether t holds.
func (s *Service) Check(ctx context.Context, t tuple.Tuple, o CheckOptions) (CheckResult, error) {
	if err := s.validateRead(t); err != nil {
		return CheckResult{}, err
	}
	rev, err := s.revision(ctx, o.Snaptoken)
	if err != nil {
		return CheckResult{}, err
	}
	d := s.depth(o)
	res, err := s.head.Check(ctx, &check.Request{Namespace: t.Namespace, Objects: []string{t.Object}, Relation: t.Relation,
		Subject: t.Subject, Depth: d, Revision: rev})
	if err != nil {
		return CheckResult{}, err
	}
	return CheckResult{Allowed: res[0] == check.Member, DepthExhausted: res[0] == check.Unknown, MaxDepth: d,
		Snaptoken: EncodeSnaptoken(rev)}, nil
}

func (s *Service) validateRead(t tuple.Tuple) error {
	if err := t.Validate(); err != nil {
		return err
	}
	m := s.Model()
	if err := m.validate(t.Namespace, t.Relation); err != nil {
		return err
	}
	if t.Subject.Set != nil {
		return m.validate(t.Subject.Set.Namespace, t.Subject.Set.Relation)
	}
	return nil
}

// BatchResult is one answer of a batch check.
type BatchResult struct {
	Allowed bool
	Err     error
}

// BatchCheck answers every tuple; a bad tuple gets its own error and does not
// fail the others.
func (s *Service) BatchCheck(ctx context.Context, ts []tuple.Tuple, o CheckOptions) ([]BatchResult, Snaptoken, error) {
	if len(ts) > s.opts.MaxBatchSize {
		return nil, "", fmt.Errorf("%w: a batch check takes at most %d tuples, got %d (permission.limit.max_batch_check_size)",
			ErrTooLarge, s.opts.MaxBatchSize, len(ts))
	}
	rev, err := s.revision(ctx, o.Snaptoken)
	if err != nil {
		return nil, "", err
	}
	tok := EncodeSnaptoken(rev)
	out := make([]BatchResult, len(ts))
	for i, t := range ts {
		r, err := s.Check(ctx, t, CheckOptions{MaxDepth: o.MaxDepth, Snaptoken: tok})
		switch {
		case err != nil:
			out[i] = BatchResult{Err: err}
		case r.DepthExhausted:
			out[i] = BatchResult{Err: fmt.Errorf("%w: no answer within max depth %d", ErrMaxDepth, r.MaxDepth)}
		default:
			out[i] = BatchResult{Allowed: r.Allowed}
		}
	}
	return out, tok, nil
}

// Transact applies deletes and inserts in one transaction.
func (s *Service) Transact(ctx context.Context, insert, delete []tuple.Tuple) (Snaptoken, error) {
	if n := len(insert) + len(delete); n > s.opts.MaxWriteBatch {
		return "", fmt.Errorf("%w: a transaction takes at most %d tuples, got %d", ErrTooLarge, s.opts.MaxWriteBatch, n)
	}
	m := s.Model()
	for _, list := range [][]tuple.Tuple{insert, delete} {
		for _, t := range list {
			if err := t.Validate(); err != nil {
				return "", fmt.Errorf("%s: %w", t, err)
			}
			if err := m.validate(t.Namespace, t.Relation); err != nil {
				return "", err
			}
			if t.Subject.Set != nil {
				if err := m.validate(t.Subject.Set.Namespace, t.Subject.Set.Relation); err != nil {
					return "", err
				}
			}
		}
	}
	return s.written(s.store.WriteTuples(ctx, insert, delete))
}

// DeleteMatching deletes every tuple matching q. An empty query is refused:
// it would delete everything.
func (s *Service) DeleteMatching(ctx context.Context, q tuple.Query) (Snaptoken, error) {
	if q.Namespace == "" {
		return "", fmt.Errorf("%w: namespace is required to delete relation tuples", ErrInvalidTuple)
	}
	if err := s.Model().validate(q.Namespace, q.Relation); err != nil {
		return "", err
	}
	return s.written(s.store.DeleteTuples(ctx, q))
}

func (s *Service) written(rev uint64, err error) (Snaptoken, error) {
	if err != nil {
		return "", err
	}
	s.observe(rev)
	s.chMu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.chMu.Unlock()
	return EncodeSnaptoken(rev), nil
}

// Page is one page of a listing.
type Page struct {
	Tuples    []tuple.Tuple
	NextToken string
	Snaptoken Snaptoken
}

// List returns tuples matching q, page by page (keyset pagination).
func (s *Service) List(ctx context.Context, q tuple.Query, pageToken string, pageSize int) (Page, error) {
	if q.Namespace != "" {
		if err := s.Model().validate(q.Namespace, q.Relation); err != nil {
			return Page{}, err
		}
	}
	pageSize = clampPage(pageSize)
	var after *tuple.Tuple
	if pageToken != "" {
		t, err := decodePageToken(pageToken)
		if err != nil {
			return Page{}, err
		}
		after = &t
	}
	rev, err := s.revision(ctx, "")
	if err != nil {
		return Page{}, err
	}
	ts, err := s.store.ListTuples(ctx, q, after, pageSize+1)
	if err != nil {
		return Page{}, err
	}
	p := Page{Tuples: ts, Snaptoken: EncodeSnaptoken(rev)}
	if len(ts) > pageSize {
		p.Tuples = ts[:pageSize]
		p.NextToken = encodePageToken(ts[pageSize-1])
	}
	return p, nil
}

func clampPage(n int) int {
	switch {
	case n <= 0:
		return 100
	case n > 1000:
		return 1000
	}
	return n
}

func encodePageToken(t tuple.Tuple) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePageToken(s string) (tuple.Tuple, error) {
	var t tuple.Tuple
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &t) != nil || t.Validate() != nil {
		return t, fmt.Errorf("%w: %q was not issued by this server", ErrBadPageToken, s)
	}
	return t, nil
}

// SyntaxErrors parses OPL and returns every error (none: valid).
func SyntaxErrors(src string) []opl.Error {
	_, err := opl.Parse(src)
	if err == nil {
		return nil
	}
	if errs, ok := err.(opl.Errors); ok {
		return errs
	}
	return []opl.Error{{Message: err.Error()}}
}
