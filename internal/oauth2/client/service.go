package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/google/uuid"

	"github.com/warden-iam/warden/internal/storage"
)

// ErrAuthentication means a client could not be authenticated: the client
// is unknown, has no secret, or the secret is wrong. Callers cannot tell
// which, on purpose.
var ErrAuthentication = errors.New("client authentication failed")

// MinSecretLength is the shortest secret an operator may choose.
const MinSecretLength = 8

// Paging limits of List.
const (
	DefaultPageSize = 250
	MaxPageSize     = 1000
)

// maxRotated bounds how many rotated secrets stay valid.
const maxRotated = 5

// Options are the service's settings.
type Options struct {
	// SecretKey keys the hash of generated client secrets; at least 32
	// bytes. Changing it invalidates every generated secret.
	SecretKey []byte
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// CacheTTL is how long Lookup and Authenticate reuse a client read
	// from storage: 0 is DefaultCacheTTL, negative turns the cache off.
	CacheTTL time.Duration
}

// Service manages OAuth2 clients.
type Service struct {
	store   Store
	hash    hasher
	regHash hasher // registration access tokens, under a key of their own
	now     func() time.Time
	cache   *clientCache // nil: off
}

// NewService returns the client service over store.
func NewService(store Store, o Options) (*Service, error) {
	if len(o.SecretKey) < 32 {
		return nil, errors.New("oauth2 clients: the secret key must be at least 32 bytes")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	key := bytes.Clone(o.SecretKey)
	s := &Service{store: store, hash: hasher{key: key}, regHash: hasher{key: subKey(key, registrationTokenKeyInfo)}, now: o.Now}
	if o.CacheTTL == 0 {
		o.CacheTTL = DefaultCacheTTL
	}
	if o.CacheTTL > 0 {
		s.cache = &clientCache{ttl: o.CacheTTL, m: map[string]cacheEntry{}}
	}
	return s, nil
}

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// stored is a client with its secret hashes and the hash of its
// registration access token, as kept.
type stored struct {
	Client
	hash    string
	rotated []string
	regHash string
}

func (s *Service) load(ctx context.Context, id string) (stored, error) {
	r, err := s.store.GetClient(ctx, id)
	if err != nil {
		return stored{}, err
	}
	var c Client
	if err := json.Unmarshal(r.Data, &c); err != nil {
		return stored{}, fmt.Errorf("decode client %s: %w", id, err)
	}
	c.Secret = ""
	return stored{Client: c, hash: r.SecretHash, rotated: r.RotatedSecretHashes, regHash: r.RegistrationTokenHash}, nil
}

func (s *Service) record(st stored) (Record, error) {
	c := st.Client
	c.Secret = "" // never stored
	b, err := json.Marshal(c)
	if err != nil {
		return Record{}, fmt.Errorf("encode client %s: %w", c.ID, err)
	}
	return Record{ID: c.ID, Name: c.Name, Owner: c.Owner, Data: b, SecretHash: st.hash,
		RotatedSecretHashes: st.rotated, RegistrationTokenHash: st.regHash, CreatedAt: c.CreatedAt}, nil
}

// secretFor applies the secret rules to c, the new state of a client whose
// current secret hash is prev: it returns the hash to store and the secret
// to reveal (set only when one was generated or chosen now).
func (s *Service) secretFor(c *Client, prev string) (hash, reveal string, err error) {
	if !c.NeedsSecret() {
		if c.Secret != "" {
			return "", "", invalid("client_secret", "token_endpoint_auth_method %s uses no client secret; leave client_secret empty.",
				c.TokenEndpointAuthMethod)
		}
		return "", "", nil
	}
	switch {
	case c.Secret != "":
		if len(c.Secret) < MinSecretLength {
			return "", "", invalid("client_secret", "client_secret must be at least %d characters long; leave it empty to have one generated.", MinSecretLength)
		}
		h, err := s.hash.slow(c.Secret)
		return h, c.Secret, err
	case prev != "":
		return prev, "", nil
	}
	secret, err := generateSecret()
	if err != nil {
		return "", "", err
	}
	return s.hash.fast(secret), secret, nil
}

// Create validates and stores a new client. An empty client_id gets a
// random one; an empty secret of a client that needs one is generated. The
// returned client carries the secret: the only time it is shown.
func (s *Service) Create(ctx context.Context, c Client) (Client, error) {
	return s.create(ctx, c, "")
}

// create stores a new client whose registration access token hashes to
// regHash (empty: none).
func (s *Service) create(ctx context.Context, c Client, regHash string) (Client, error) {
	if c.ID == "" {
		c.ID = uuid.NewString()
	}
	c.normalize()
	if err := c.validate(); err != nil {
		return Client{}, err
	}
	hash, reveal, err := s.secretFor(&c, "")
	if err != nil {
		return Client{}, err
	}
	c.CreatedAt = s.stamp()
	c.UpdatedAt = c.CreatedAt
	r, err := s.record(stored{Client: c, hash: hash, regHash: regHash})
	if err != nil {
		return Client{}, err
	}
	if err := s.store.InsertClient(ctx, r); err != nil {
		return Client{}, err
	}
	c.Secret = reveal
	return c, nil
}

// Get returns a client, without secret.
func (s *Service) Get(ctx context.Context, id string) (Client, error) {
	st, err := s.load(ctx, id)
	return st.Client, err
}

// ListQuery selects clients: exact filters, a page size (0: the default)
// and the token of the previous page's NextToken.
type ListQuery struct {
	Name, Owner string
	PageSize    int
	PageToken   string
}

// Page is one page of clients; NextToken is empty on the last page.
type Page struct {
	Clients   []Client
	NextToken string
}

// List returns a page of clients ordered by client_id.
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
	var after string
	if q.PageToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.PageToken)
		if err != nil || len(b) == 0 {
			return Page{}, invalid("page_token", "page_token is not a token this server issued.")
		}
		after = string(b)
	}
	recs, err := s.store.ListClients(ctx, Query{Name: q.Name, Owner: q.Owner, After: after, Limit: n + 1})
	if err != nil {
		return Page{}, err
	}
	p := Page{Clients: make([]Client, 0, min(len(recs), n))}
	for i, r := range recs {
		if i == n {
			p.NextToken = base64.RawURLEncoding.EncodeToString([]byte(recs[n-1].ID))
			break
		}
		var c Client
		if err := json.Unmarshal(r.Data, &c); err != nil {
			return Page{}, fmt.Errorf("decode client %s: %w", r.ID, err)
		}
		c.Secret = ""
		p.Clients = append(p.Clients, c)
	}
	return p, nil
}

// Set replaces the client id with c (PUT semantics). c.ID must be empty or
// id. An empty secret keeps the current one; a secret given replaces it and
// drops any rotated one. The returned client carries a secret only when one
// was generated because the client had none.
func (s *Service) Set(ctx context.Context, id string, c Client) (Client, error) {
	if c.ID != "" && c.ID != id {
		return Client{}, invalid("client_id", "client_id cannot be changed (%q in the body, %q in the path).", c.ID, id)
	}
	c.ID = id
	cur, err := s.load(ctx, id)
	if err != nil {
		return Client{}, err
	}
	return s.replace(ctx, cur, c)
}

func (s *Service) replace(ctx context.Context, cur stored, c Client) (Client, error) {
	c.normalize()
	if err := c.validate(); err != nil {
		return Client{}, err
	}
	chosen := c.Secret != ""
	hash, reveal, err := s.secretFor(&c, cur.hash)
	if err != nil {
		return Client{}, err
	}
	rotated := cur.rotated
	if hash == "" || chosen {
		rotated = nil
	}
	c.CreatedAt = cur.CreatedAt
	c.UpdatedAt = s.stamp()
	r, err := s.record(stored{Client: c, hash: hash, rotated: rotated, regHash: cur.regHash})
	if err != nil {
		return Client{}, err
	}
	if err := s.updateStored(ctx, r); err != nil {
		return Client{}, err
	}
	c.Secret = ""
	if !chosen {
		c.Secret = reveal
	}
	return c, nil
}

// Patch applies an RFC 6902 JSON Patch to the client's JSON and stores the
// result as Set does. Changing client_id is refused; created_at and
// updated_at stay the server's.
func (s *Service) Patch(ctx context.Context, id string, patch []byte) (Client, error) {
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		return Client{}, invalid("", "The JSON Patch is malformed: %v.", err)
	}
	cur, err := s.load(ctx, id)
	if err != nil {
		return Client{}, err
	}
	doc, err := json.Marshal(cur.Client)
	if err != nil {
		return Client{}, fmt.Errorf("encode client %s: %w", id, err)
	}
	out, err := p.Apply(doc)
	if err != nil {
		return Client{}, invalid("", "The JSON Patch cannot be applied: %v.", err)
	}
	var c Client
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Client{}, invalid("", "The patched client is not valid: %v.", err)
	}
	if c.ID != id {
		return Client{}, invalid("client_id", "client_id cannot be changed.")
	}
	return s.replace(ctx, cur, c)
}

// SetLifespans replaces the token lifespans of a client.
func (s *Service) SetLifespans(ctx context.Context, id string, l Lifespans) (Client, error) {
	if err := l.check(); err != nil {
		return Client{}, err
	}
	cur, err := s.load(ctx, id)
	if err != nil {
		return Client{}, err
	}
	c := cur.Client
	c.Lifespans = l
	return s.replace(ctx, cur, c)
}

// Delete deletes a client.
func (s *Service) Delete(ctx context.Context, id string) error {
	return s.deleteStored(ctx, id)
}

// RotateSecret generates a new secret for the client and returns the client
// carrying it. The previous secrets keep authenticating until
// DeleteRotatedSecrets (the most recent few only).
func (s *Service) RotateSecret(ctx context.Context, id string) (Client, error) {
	cur, err := s.load(ctx, id)
	if err != nil {
		return Client{}, err
	}
	if !cur.NeedsSecret() {
		return Client{}, invalid("token_endpoint_auth_method", "token_endpoint_auth_method %s uses no client secret; there is none to rotate.",
			cur.TokenEndpointAuthMethod)
	}
	secret, err := generateSecret()
	if err != nil {
		return Client{}, err
	}
	rotated := cur.rotated
	if cur.hash != "" {
		rotated = append([]string{cur.hash}, rotated...)
	}
	if len(rotated) > maxRotated {
		rotated = rotated[:maxRotated]
	}
	c := cur.Client
	c.UpdatedAt = s.stamp()
	r, err := s.record(stored{Client: c, hash: s.hash.fast(secret), rotated: rotated, regHash: cur.regHash})
	if err != nil {
		return Client{}, err
	}
	if err := s.updateStored(ctx, r); err != nil {
		return Client{}, err
	}
	c.Secret = secret
	return c, nil
}

// DeleteRotatedSecrets makes the secrets replaced by rotations stop
// authenticating.
func (s *Service) DeleteRotatedSecrets(ctx context.Context, id string) (Client, error) {
	cur, err := s.load(ctx, id)
	if err != nil {
		return Client{}, err
	}
	c := cur.Client
	c.UpdatedAt = s.stamp()
	r, err := s.record(stored{Client: c, hash: cur.hash, regHash: cur.regHash})
	if err != nil {
		return Client{}, err
	}
	if err := s.updateStored(ctx, r); err != nil {
		return Client{}, err
	}
	return c, nil
}

// dummyHash is verified against when the client is unknown, so that answer
// costs what a wrong secret of a client with a generated secret costs.
var dummyHash = schemeHMAC + b64.EncodeToString(make([]byte, 32))

// Authenticate returns the client id if secret is its current secret or a
// rotated one still valid. Every failure is ErrAuthentication.
func (s *Service) Authenticate(ctx context.Context, id, secret string) (*Client, error) {
	st, err := s.cached(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		_, _ = s.hash.verify(dummyHash, secret)
		return nil, ErrAuthentication
	}
	if err != nil {
		return nil, err
	}
	if !st.NeedsSecret() || st.hash == "" || secret == "" {
		_, _ = s.hash.verify(dummyHash, secret)
		return nil, ErrAuthentication
	}
	ok := false
	for _, h := range append([]string{st.hash}, st.rotated...) {
		match, err := s.hash.verify(h, secret)
		if err != nil {
			return nil, fmt.Errorf("client %s: %w", id, err)
		}
		ok = ok || match
	}
	if !ok {
		return nil, ErrAuthentication
	}
	return &st.Client, nil
}

// IsInvalid tells whether err is a refused request (a client error).
func IsInvalid(err error) bool { return errors.Is(err, ErrInvalid) }
