package jwk

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

type cachedKey struct {
	key jose.JSONWebKey
	at  time.Time
}

type cachedSet struct {
	set jose.JSONWebKeySet
	at  time.Time
}

// SigningKey returns the newest signing key of set for alg, private part
// included, generating one (and the set) when there is none. Keys come from
// memory while fresh (Options.CacheTTL), so signing does not read storage.
func (s *Service) SigningKey(ctx context.Context, set, alg string) (jose.JSONWebKey, error) {
	if err := checkAlg(alg); err != nil {
		return jose.JSONWebKey{}, err
	}
	name := set + "\x00" + alg
	s.mu.Lock()
	c, ok := s.signers[name]
	v := s.version
	s.mu.Unlock()
	if ok && s.opts.Now().Sub(c.at) < s.opts.CacheTTL {
		return c.key, nil
	}
	k, err := s.newestSigner(ctx, set, alg)
	if err != nil {
		return k, err
	}
	s.mu.Lock()
	if s.version == v {
		s.signers[name] = cachedKey{key: k, at: s.opts.Now()}
	}
	s.mu.Unlock()
	return k, nil
}

func (s *Service) newestSigner(ctx context.Context, set, alg string) (jose.JSONWebKey, error) {
	find := func() (jose.JSONWebKey, bool, error) {
		recs, err := s.store.ListKeys(ctx, set)
		if err != nil {
			return jose.JSONWebKey{}, false, err
		}
		for i := len(recs) - 1; i >= 0; i-- {
			if recs[i].Use != "sig" || recs[i].Alg != alg {
				continue
			}
			k, err := s.open(recs[i])
			if err != nil {
				return k, false, err
			}
			if !k.IsPublic() {
				return k, true, nil
			}
		}
		return jose.JSONWebKey{}, false, nil
	}
	k, ok, err := find()
	if err != nil || ok {
		return k, err
	}
	s.ensure.Lock()
	defer s.ensure.Unlock()
	if k, ok, err = find(); err != nil || ok {
		return k, err
	}
	ks, err := s.generate(set, []string{alg}, "", "sig")
	if err != nil {
		return k, err
	}
	if err := s.write(ctx, set, ks, func(recs []Record) error { return s.store.InsertKeys(ctx, recs) }); err != nil {
		return k, fmt.Errorf("generate a %s key in set %q: %w", alg, set, err)
	}
	return ks[0], nil
}

// VerificationKeys returns the public keys of set from memory while fresh:
// what signatures made by this server are checked against.
func (s *Service) VerificationKeys(ctx context.Context, set string) (jose.JSONWebKeySet, error) {
	s.mu.Lock()
	c, ok := s.verifiers[set]
	s.mu.Unlock()
	if ok && s.opts.Now().Sub(c.at) < s.opts.CacheTTL {
		return c.set, nil
	}
	p, err := s.Published(ctx, set)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	var ks jose.JSONWebKeySet
	if err := json.Unmarshal(p.JSON, &ks); err != nil {
		return ks, fmt.Errorf("decode key set %q: %w", set, err)
	}
	s.mu.Lock()
	s.verifiers[set] = cachedSet{set: ks, at: s.opts.Now()}
	s.mu.Unlock()
	return ks, nil
}
