package jwk

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/warden-iam/warden/internal/storage"
)

// Encrypter seals private keys before they are stored (*cipher.Cipher
// satisfies it).
type Encrypter interface {
	Encrypt(plaintext []byte) (string, error)
	Decrypt(ciphertext string) ([]byte, error)
}

// Options are the service's settings.
type Options struct {
	// CacheTTL bounds how long a published set is served from memory.
	// Writes through this process drop it at once; the TTL is how soon
	// writes made by other replicas show. Default 30s.
	CacheTTL time.Duration
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Published is the public JSON of a set, ready to serve.
type Published struct {
	JSON []byte
	ETag string // strong validator, quoted
	// Stored counts the keys of the set, symmetric ones included: 0 means
	// the set does not exist.
	Stored int
}

type cached struct {
	Published
	at time.Time
}

// Service manages key sets.
type Service struct {
	store Store
	enc   Encrypter
	opts  Options

	mu    sync.Mutex // guards cache
	cache map[string]cached
	// signers and verifiers cache SigningKey and VerificationKeys answers.
	signers   map[string]cachedKey
	verifiers map[string]cachedSet
	ensure    sync.Mutex // serialises first generation of a set in this process
	version   uint64     // bumped by every write, so a stale fill is not cached
}

// NewService returns the key service over store, sealing keys with enc.
func NewService(store Store, enc Encrypter, o Options) *Service {
	if o.CacheTTL <= 0 {
		o.CacheTTL = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{store: store, enc: enc, opts: o, cache: map[string]cached{},
		signers: map[string]cachedKey{}, verifiers: map[string]cachedSet{}}
}

// Generate creates a key for alg in set (created if new) and returns it,
// private parts included. An empty kid gets a random one; an empty use is
// "sig".
func (s *Service) Generate(ctx context.Context, set, alg, kid, use string) (jose.JSONWebKey, error) {
	ks, err := s.generate(set, []string{alg}, kid, use)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	if err := s.write(ctx, set, ks, func(recs []Record) error { return s.store.InsertKeys(ctx, recs) }); err != nil {
		return jose.JSONWebKey{}, err
	}
	return ks[0], nil
}

func (s *Service) generate(set string, algs []string, kid, use string) ([]jose.JSONWebKey, error) {
	if set == "" {
		return nil, invalid("the set name is empty")
	}
	if use == "" {
		use = "sig"
	}
	if err := checkUse(use); err != nil {
		return nil, err
	}
	out := make([]jose.JSONWebKey, 0, len(algs))
	for _, alg := range algs {
		if err := checkAlg(alg); err != nil {
			return nil, err
		}
		key, err := generate(alg)
		if err != nil {
			return nil, fmt.Errorf("generate %s key: %w", alg, err)
		}
		id := kid
		if id == "" {
			id = newKID()
		}
		out = append(out, jose.JSONWebKey{Key: key, KeyID: id, Algorithm: alg, Use: use})
	}
	return out, nil
}

// write seals keys into records (stamped in order, so the last is the
// newest), stores them with fn and drops the cached set.
func (s *Service) write(ctx context.Context, set string, keys []jose.JSONWebKey, fn func([]Record) error) error {
	now := s.opts.Now().UTC().Truncate(time.Microsecond)
	recs := make([]Record, len(keys))
	seen := map[string]bool{}
	for i, k := range keys {
		if seen[k.KeyID] {
			return invalid("kid %q appears twice in the set", k.KeyID)
		}
		seen[k.KeyID] = true
		b, err := k.MarshalJSON()
		if err != nil {
			return invalid("key %q cannot be encoded: %v", k.KeyID, err)
		}
		data, err := s.enc.Encrypt(b)
		if err != nil {
			return fmt.Errorf("encrypt key %q: %w", k.KeyID, err)
		}
		recs[i] = Record{Set: set, KID: k.KeyID, Alg: k.Algorithm, Use: k.Use, Data: data,
			CreatedAt: now.Add(time.Duration(i) * time.Microsecond)}
	}
	err := fn(recs)
	s.invalidate(set)
	return err
}

func (s *Service) invalidate(set string) {
	s.mu.Lock()
	for k := range s.cache {
		if slices.Contains(strings.Split(k, "\x00"), set) {
			delete(s.cache, k)
		}
	}
	delete(s.verifiers, set)
	for k := range s.signers {
		if strings.HasPrefix(k, set+"\x00") {
			delete(s.signers, k)
		}
	}
	s.version++
	s.mu.Unlock()
}

func (s *Service) open(r Record) (jose.JSONWebKey, error) {
	var k jose.JSONWebKey
	b, err := s.enc.Decrypt(r.Data)
	if err != nil {
		return k, fmt.Errorf("decrypt key %s/%s: %w", r.Set, r.KID, err)
	}
	if err := k.UnmarshalJSON(b); err != nil {
		return k, fmt.Errorf("decode key %s/%s: %w", r.Set, r.KID, err)
	}
	if rk, ok := k.Key.(*rsa.PrivateKey); ok {
		rk.Precompute() // once per opened key, not again in every signature
	}
	return k, nil
}

func (s *Service) openAll(recs []Record) ([]jose.JSONWebKey, error) {
	out := make([]jose.JSONWebKey, 0, len(recs))
	for _, r := range recs {
		k, err := s.open(r)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// List returns every key of set, oldest first, private parts included. An
// unknown or empty set is storage.ErrNotFound.
func (s *Service) List(ctx context.Context, set string) (jose.JSONWebKeySet, error) {
	recs, err := s.store.ListKeys(ctx, set)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	if len(recs) == 0 {
		return jose.JSONWebKeySet{}, fmt.Errorf("key set %q: %w", set, storage.ErrNotFound)
	}
	keys, err := s.openAll(recs)
	return jose.JSONWebKeySet{Keys: keys}, err
}

// Get returns one key, private parts included.
func (s *Service) Get(ctx context.Context, set, kid string) (jose.JSONWebKey, error) {
	r, err := s.store.GetKey(ctx, set, kid)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	return s.open(r)
}

// Put replaces set with keys (imported: each needs kid, alg and use).
func (s *Service) Put(ctx context.Context, set string, keys []jose.JSONWebKey) error {
	if set == "" {
		return invalid("the set name is empty")
	}
	if len(keys) == 0 {
		return invalid("the set holds no key; delete the set instead")
	}
	for _, k := range keys {
		if err := checkKey(k); err != nil {
			return err
		}
	}
	return s.write(ctx, set, keys, func(recs []Record) error { return s.store.ReplaceSet(ctx, set, recs) })
}

// PutKey adds key to set or replaces the key with its kid.
func (s *Service) PutKey(ctx context.Context, set string, key jose.JSONWebKey) error {
	if set == "" {
		return invalid("the set name is empty")
	}
	if err := checkKey(key); err != nil {
		return err
	}
	return s.write(ctx, set, []jose.JSONWebKey{key}, func(recs []Record) error { return s.store.UpsertKey(ctx, recs[0]) })
}

// Delete deletes every key of set.
func (s *Service) Delete(ctx context.Context, set string) error {
	err := s.store.DeleteSet(ctx, set)
	s.invalidate(set)
	return err
}

// DeleteKey deletes one key.
func (s *Service) DeleteKey(ctx context.Context, set, kid string) error {
	err := s.store.DeleteKey(ctx, set, kid)
	s.invalidate(set)
	return err
}

// PublicSet returns the public parts of the asymmetric keys of set (an
// unknown set has none). Symmetric keys are left out.
func (s *Service) PublicSet(ctx context.Context, set string) (jose.JSONWebKeySet, error) {
	ks, _, err := s.publicSet(ctx, set)
	return ks, err
}

func (s *Service) publicSet(ctx context.Context, set string) (jose.JSONWebKeySet, int, error) {
	recs, err := s.store.ListKeys(ctx, set)
	if err != nil {
		return jose.JSONWebKeySet{}, 0, err
	}
	out := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, r := range recs {
		if symmetric(r.Alg) {
			continue
		}
		k, err := s.open(r)
		if err != nil {
			return jose.JSONWebKeySet{}, 0, err
		}
		if p, ok := public(k); ok {
			out.Keys = append(out.Keys, p)
		}
	}
	return out, len(recs), nil
}

// Published returns the public JSON of set (merged with the sets in more,
// in order) with its ETag, from memory while fresh.
func (s *Service) Published(ctx context.Context, set string, more ...string) (Published, error) {
	sets := append([]string{set}, more...)
	name := strings.Join(sets, "\x00")
	s.mu.Lock()
	c, ok := s.cache[name]
	v := s.version
	s.mu.Unlock()
	if ok && s.opts.Now().Sub(c.at) < s.opts.CacheTTL {
		return c.Published, nil
	}
	all := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	stored := 0
	for _, set := range sets {
		ks, n, err := s.publicSet(ctx, set)
		if err != nil {
			return Published{}, err
		}
		all.Keys = append(all.Keys, ks.Keys...)
		stored += n
	}
	b, err := json.Marshal(all)
	if err != nil {
		return Published{}, fmt.Errorf("encode key set %q: %w", set, err)
	}
	sum := sha256.Sum256(b)
	p := Published{JSON: b, ETag: `"` + hex.EncodeToString(sum[:16]) + `"`, Stored: stored}
	s.mu.Lock()
	if s.version == v { // no write since the read began
		s.cache[name] = cached{Published: p, at: s.opts.Now()}
	}
	s.mu.Unlock()
	return p, nil
}

// Ensure generates one key per alg into set when the set has none. Within
// this process concurrent callers generate once; replicas racing on an
// empty set may each add keys, which only adds valid keys to the set.
func (s *Service) Ensure(ctx context.Context, set string, algs ...string) error {
	s.ensure.Lock()
	defer s.ensure.Unlock()
	recs, err := s.store.ListKeys(ctx, set)
	if err != nil || len(recs) > 0 {
		return err
	}
	ks, err := s.generate(set, algs, "", "sig")
	if err != nil {
		return err
	}
	return s.write(ctx, set, ks, func(recs []Record) error { return s.store.InsertKeys(ctx, recs) })
}

// Signer returns the newest signing key (use "sig", private part known)
// of set. A set without one is storage.ErrNotFound.
func (s *Service) Signer(ctx context.Context, set string) (jose.JSONWebKey, error) {
	recs, err := s.store.ListKeys(ctx, set)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Use != "sig" {
			continue
		}
		k, err := s.open(recs[i])
		if err != nil {
			return jose.JSONWebKey{}, err
		}
		if !k.IsPublic() { // an imported public key cannot sign
			return k, nil
		}
	}
	return jose.JSONWebKey{}, fmt.Errorf("no signing key in set %q: %w", set, storage.ErrNotFound)
}

// IsInvalid tells whether err is a refused request (a client error).
func IsInvalid(err error) bool { return errors.Is(err, ErrInvalid) }
