package trust

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/warden-iam/warden/internal/storage"
)

// Paging limits of List.
const (
	DefaultPageSize = 250
	MaxPageSize     = 1000
)

// Options are the service's settings.
type Options struct {
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Service manages the trust relationships of the JWT-bearer grant.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns the trust service over store.
func NewService(store Store, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{store: store, now: o.Now}
}

// stamp is the current time as stored: UTC, microseconds.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Create checks r and stores it as a new relationship with a random id.
// Refused requests are *FieldError (ErrInvalid). A relationship of the same
// issuer, subject (or any subject) and kid is storage.ErrConflict, and so
// is ErrKeyMismatch: a kid the issuer already uses for another key.
func (s *Service) Create(ctx context.Context, r Request) (Issuer, error) {
	now := s.stamp()
	n, err := r.normalize(now)
	if err != nil {
		return Issuer{}, err
	}
	data, err := encodeKey(n.Key)
	if err != nil {
		return Issuer{}, err
	}
	rec := Record{
		ID:              uuid.NewString(),
		Issuer:          n.Issuer,
		Subject:         n.Subject,
		AllowAnySubject: n.AllowAnySubject,
		Scope:           n.Scope,
		KeyID:           n.Key.KeyID,
		KeyData:         data,
		ExpiresAt:       n.ExpiresAt,
		CreatedAt:       now,
	}
	if err := s.store.InsertIssuer(ctx, rec); err != nil {
		return Issuer{}, err
	}
	return fromRecord(rec)
}

// fromRecord turns a stored relationship into its API form.
func fromRecord(r Record) (Issuer, error) {
	k, err := decodeKey(r.KeyData)
	if err != nil {
		return Issuer{}, fmt.Errorf("trust relationship %s: %w", r.ID, err)
	}
	scope := r.Scope
	if scope == nil {
		scope = []string{}
	}
	return Issuer{
		ID:              r.ID,
		Issuer:          r.Issuer,
		Subject:         r.Subject,
		AllowAnySubject: r.AllowAnySubject,
		Scope:           scope,
		PublicKey:       PublicKey{Set: r.Issuer, KID: r.KeyID},
		ExpiresAt:       r.ExpiresAt,
		CreatedAt:       r.CreatedAt,
		Key:             k,
	}, nil
}

// Get returns a relationship, expired or not.
func (s *Service) Get(ctx context.Context, id string) (Issuer, error) {
	r, err := s.store.GetIssuer(ctx, id)
	if err != nil {
		return Issuer{}, err
	}
	return fromRecord(r)
}

// ListQuery selects relationships: those of Issuer when set, a page size
// (0: DefaultPageSize; larger than MaxPageSize: MaxPageSize) and the
// NextToken of the previous page.
type ListQuery struct {
	Issuer    string
	PageSize  int
	PageToken string
}

// Page is one page of relationships; NextToken is empty on the last page.
type Page struct {
	Issuers   []Issuer
	NextToken string
}

// List returns a page of relationships, expired ones included, oldest
// first.
func (s *Service) List(ctx context.Context, q ListQuery) (Page, error) {
	n := q.PageSize
	switch {
	case n == 0:
		n = DefaultPageSize
	case n < 0:
		return Page{}, invalid("page_size", "page_size must be at least 1.")
	case n > MaxPageSize:
		n = MaxPageSize
	}
	var after *Position
	if q.PageToken != "" {
		p, err := decodeToken(q.PageToken)
		if err != nil {
			return Page{}, err
		}
		after = &p
	}
	recs, err := s.store.ListIssuers(ctx, Query{Issuer: q.Issuer, After: after, Limit: n + 1})
	if err != nil {
		return Page{}, err
	}
	p := Page{Issuers: make([]Issuer, 0, min(len(recs), n))}
	for i, r := range recs {
		if i == n {
			p.NextToken = encodeToken(Position{CreatedAt: recs[n-1].CreatedAt, ID: recs[n-1].ID})
			break
		}
		is, err := fromRecord(r)
		if err != nil {
			return Page{}, err
		}
		p.Issuers = append(p.Issuers, is)
	}
	return p, nil
}

// encodeToken writes a list position as an opaque page token.
func encodeToken(p Position) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(p.CreatedAt.UnixMicro(), 10) + " " + p.ID))
}

func decodeToken(tok string) (Position, error) {
	bad := invalid("page_token", "page_token is not a token this server issued.")
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return Position{}, bad
	}
	at, id, ok := strings.Cut(string(b), " ")
	us, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || id == "" {
		return Position{}, bad
	}
	return Position{CreatedAt: time.UnixMicro(us).UTC(), ID: id}, nil
}

// Delete deletes a relationship: its issuer can no longer assert with the
// key.
func (s *Service) Delete(ctx context.Context, id string) error {
	return s.store.DeleteIssuer(ctx, id)
}

// Match returns the unexpired trust relationship that lets issuer assert
// subject with the key kid: one naming that subject, or one allowing any
// subject. No match is storage.ErrNotFound.
//
// When both exist the one naming the subject is returned. An empty issuer,
// subject or kid never matches (RFC 7523 requires iss and sub; a key is
// found by the kid of the assertion's header). The returned Key is public
// and verifies signatures of its Key.Algorithm only; the caller checks the
// requested scopes against Scope.
func (s *Service) Match(ctx context.Context, issuer, subject, kid string) (Issuer, error) {
	notFound := fmt.Errorf("no unexpired trust relationship lets issuer %q assert subject %q with key %q: %w",
		issuer, subject, kid, storage.ErrNotFound)
	if issuer == "" || subject == "" || kid == "" {
		return Issuer{}, notFound
	}
	now := s.stamp()
	recs, err := s.store.MatchIssuers(ctx, issuer, subject, kid, now)
	if err != nil {
		return Issuer{}, err
	}
	var best *Record
	for i := range recs {
		r := &recs[i]
		if r.Issuer != issuer || r.KeyID != kid || !r.ExpiresAt.After(now) {
			continue
		}
		switch {
		case !r.AllowAnySubject && r.Subject == subject:
			best = r
		case r.AllowAnySubject && best == nil:
			best = r
		}
	}
	if best == nil {
		return Issuer{}, notFound
	}
	return fromRecord(*best)
}

// IsInvalid tells whether err is a refused request (a client error).
func IsInvalid(err error) bool { return errors.Is(err, ErrInvalid) }
