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
// or expired session fails at once, on every replica), but only the few
// columns that change; the full answer — session and identity, as JSON —
// is built once and reused while those columns are what they were when it
// was built.

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
	st, err := s.store.SessionStamp(ctx, h)
	if errors.Is(err, storage.ErrNotFound) {
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
	se, err := s.ByToken(ctx, tok, via)
	if err != nil {
		return nil, "", err
	}
	body, err := encodeSession(se)
	if err != nil {
		return nil, "", err
	}
	// Cache under the stamp read before the full read: if something
	// changed in between, the next request sees a different stamp.
	s.whoami.put(h, st, body)
	return body, se.IdentityID, nil
}

func encodeSession(se *Session) ([]byte, error) {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(se); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
