package client

import (
	"context"
	"sync"
	"time"
)

// The token endpoint reads the calling client on every request, and most
// other provider endpoints read it again. A short-lived cache of decoded
// clients (with their secret hashes) saves the read and the JSON decoding.
//
// A change made through this service drops the entry at once. A change made
// by another replica is seen once the entry expires (CacheTTL, a couple of
// seconds by default), the same delay as for signing keys. A generation
// counter keeps a read that raced with a local change from putting the old
// state back.

// DefaultCacheTTL is how long a decoded client is reused.
const DefaultCacheTTL = 2 * time.Second

// maxCached bounds the cache; past it an arbitrary entry makes room.
const maxCached = 10_000

type cacheEntry struct {
	st      stored
	expires time.Time
}

type clientCache struct {
	ttl time.Duration
	mu  sync.RWMutex
	gen uint64
	m   map[string]cacheEntry
}

func (c *clientCache) get(id string, now time.Time) (stored, bool) {
	c.mu.RLock()
	e, ok := c.m[id]
	c.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return stored{}, false
	}
	return e.st, true
}

// generation is read before loading a client; put stores the result only if
// no change happened in between.
func (c *clientCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *clientCache) put(id string, st stored, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.m) >= maxCached {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[id] = cacheEntry{st: st, expires: now.Add(c.ttl)}
}

func (c *clientCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, id)
}

// cached is load through the cache, for the paths that only read.
func (s *Service) cached(ctx context.Context, id string) (stored, error) {
	if s.cache == nil {
		return s.load(ctx, id)
	}
	now := s.now()
	if st, ok := s.cache.get(id, now); ok {
		return st, nil
	}
	gen := s.cache.generation()
	st, err := s.load(ctx, id)
	if err == nil {
		s.cache.put(id, st, gen, now)
	}
	return st, err
}

// forget drops a client from the cache around a change to it.
func (s *Service) forget(id string) {
	if s.cache != nil {
		s.cache.forget(id)
	}
}

// Lookup returns a client, without secret, possibly as read up to CacheTTL
// ago (changes made through this service show at once). It is for the
// authorization server's hot paths; the returned client's slices are shared
// and must not be modified.
func (s *Service) Lookup(ctx context.Context, id string) (Client, error) {
	st, err := s.cached(ctx, id)
	return st.Client, err
}

func (s *Service) updateStored(ctx context.Context, r Record) error {
	s.forget(r.ID)
	defer s.forget(r.ID)
	return s.store.UpdateClient(ctx, r)
}

func (s *Service) deleteStored(ctx context.Context, id string) error {
	s.forget(id)
	defer s.forget(id)
	return s.store.DeleteClient(ctx, id)
}
