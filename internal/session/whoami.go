package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/warden-iam/warden/internal/identity"
	"github.com/warden-iam/warden/internal/storage"
)

// whoami is the hottest endpoint: every request of an app checks its
// session with it. Each answer still reads the session's row (so a revoked
// or expired session fails at once, on every replica). The first answer for
// a session reads it whole; later ones read only the few columns that
// change, and reuse the answer — session and identity, as JSON — while
// those columns are what they were when it was built.

// maxWhoamiCache bounds the cached answers; past it an arbitrary one goes.
const maxWhoamiCache = 10_000

type whoamiEntry struct {
	stamp Stamp
	body  []byte
}

type whoamiCache struct {
	mu sync.RWMutex
	m  map[string]whoamiEntry // by token hash
}

func (c *whoamiCache) get(hash string, st Stamp) ([]byte, bool) {
	c.mu.RLock()
	e, ok := c.m[hash]
	c.mu.RUnlock()
	if !ok || e.stamp != st {
		return nil, false
	}
	return e.body, true
}

func (c *whoamiCache) has(hash string) bool {
	c.mu.RLock()
	_, ok := c.m[hash]
	c.mu.RUnlock()
	return ok
}

func (c *whoamiCache) drop(hash string) {
	c.mu.Lock()
	delete(c.m, hash)
	c.mu.Unlock()
}

func (c *whoamiCache) put(hash string, st Stamp, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]whoamiEntry{}
	}
	if len(c.m) >= maxWhoamiCache {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[hash] = whoamiEntry{stamp: st, body: body}
}

// Whoami answers for the session r carries: the session JSON (with its
// identity) and the identity's id.
func (s *Service) Whoami(r *http.Request) ([]byte, string, error) {
	tok, via := s.tokenOf(r)
	if tok == "" || !strings.HasPrefix(tok, TokenPrefix) || len(tok) > 128 {
		return nil, "", ErrNoSession
	}
	ctx := r.Context()
	h := hashToken(tok)
	if s.whoami.has(h) {
		// Seen before: read only what may have changed.
		st, err := s.store.SessionStamp(ctx, h)
		if errors.Is(err, storage.ErrNotFound) {
			s.whoami.drop(h)
			return nil, "", ErrNoSession
		}
		if err != nil {
			return nil, "", err
		}
		if st.Via != via || !st.Active || !s.now().Before(st.ExpiresAt) || st.IdentityState != identity.StateActive {
			return nil, "", ErrNoSession
		}
		if body, ok := s.whoami.get(h, st); ok {
			return body, st.IdentityID, nil
		}
	}
	se, err := s.ByToken(ctx, tok, via)
	if err != nil {
		return nil, "", err
	}
	body, err := encodeSession(se)
	if err != nil {
		return nil, "", err
	}
	s.whoami.put(h, Stamp{SessionID: se.ID, Via: se.Via, AAL: se.AAL, IdentityID: se.IdentityID, IdentityState: se.Identity.State,
		Active: se.Active, AuthenticatedAt: se.AuthenticatedAt, ExpiresAt: se.ExpiresAt, SessionUpdatedAt: se.UpdatedAt,
		IdentityUpdatedAt: se.Identity.UpdatedAt}, body)
	return body, se.IdentityID, nil
}

func encodeSession(se *Session) ([]byte, error) {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(se); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
