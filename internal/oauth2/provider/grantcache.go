package provider

import "sync"

// Resource servers introspect the same access token again and again, and
// every time its row is read the grant in it is decrypted and decoded. The
// row is still read on every request (revocation and expiry show at once,
// on every replica); what is reused is only the decoded grant, and only
// while the stored ciphertext is byte for byte the one it was decoded from.

// maxCachedGrants bounds the cache; past it an arbitrary entry makes room.
const maxCachedGrants = 10_000

type grantCache struct {
	mu sync.RWMutex
	m  map[string]cachedGrant // by token signature
}

type cachedGrant struct {
	data string
	g    *Grant
}

// open returns the grant of rec, decoding it only when the cache has no
// grant decoded from the same data. The grant is shared: callers must not
// modify it.
func (c *grantCache) open(rec TokenRecord, decode func(TokenRecord) (*Grant, error)) (*Grant, error) {
	c.mu.RLock()
	e, ok := c.m[rec.Signature]
	c.mu.RUnlock()
	if ok && e.data == rec.Data {
		return e.g, nil
	}
	g, err := decode(rec)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]cachedGrant{}
	}
	if len(c.m) >= maxCachedGrants {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[rec.Signature] = cachedGrant{data: rec.Data, g: g}
	c.mu.Unlock()
	return g, nil
}
