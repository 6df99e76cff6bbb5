package password

import (
	"bufio"
	"bytes"
	"container/list"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// ErrBreachCheckFailed wraps every failure to get an answer from the breach
// corpus: connection errors, timeouts, unexpected statuses, bodies that do
// not parse.
var ErrBreachCheckFailed = errors.New("password: breach check failed")

// Breach checker defaults.
const (
	DefaultBreachHost    = "https://api.pwnedpasswords.com"
	DefaultBreachTimeout = 3 * time.Second
	DefaultBreachTTL     = time.Hour
	// DefaultBreachCacheSize is the number of ranges kept, about 25 KiB each.
	DefaultBreachCacheSize = 128
	maxRangeBody           = 2 << 20
)

// BreachConfig configures a BreachChecker. Zero fields take the defaults.
type BreachConfig struct {
	// Host is the base URL of a k-anonymity range API: the checker GETs
	// {Host}/range/{first five hex digits of the password's SHA-1}.
	Host string
	// Client sends the requests; nil means a client of its own.
	Client *http.Client
	// Timeout bounds each request, whatever the client's own settings.
	Timeout time.Duration
	// CacheTTL is how long a fetched range is reused; negative disables
	// the cache.
	CacheTTL time.Duration
	// CacheSize is how many ranges are kept, least recently used evicted.
	CacheSize int
	// UserAgent is sent with each request.
	UserAgent string
}

// BreachChecker looks passwords up in a breach corpus through a k-anonymity
// range API (the Pwned Passwords protocol): only the first five hex digits
// of the password's SHA-1 leave the process; the answer lists every known
// suffix of that prefix with its count, and the match is made locally.
// Requests ask for padded answers so that their size reveals nothing either.
// A BreachChecker is safe for concurrent use.
type BreachChecker struct {
	base      string
	client    *http.Client
	timeout   time.Duration
	ttl       time.Duration
	size      int
	userAgent string
	now       func() time.Time

	group singleflight.Group
	mu    sync.Mutex
	lru   list.List // of *rangeEntry, most recently used first
	index map[string]*list.Element
}

type rangeEntry struct {
	prefix   string
	fetched  time.Time
	suffixes []rangeSuffix // sorted by hash
}

// rangeSuffix is one line of a range: the 35 hex digits after the prefix,
// decoded with a leading zero digit, and the count.
type rangeSuffix struct {
	hash  [18]byte
	count uint32
}

// NewBreachChecker builds a checker; it fails if Host is not an http or
// https URL.
func NewBreachChecker(cfg BreachConfig) (*BreachChecker, error) {
	if cfg.Host == "" {
		cfg.Host = DefaultBreachHost
	}
	u, err := url.Parse(cfg.Host)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("password: breach host %q is not an http(s) URL", cfg.Host)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultBreachTimeout
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout}
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultBreachTTL
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = DefaultBreachCacheSize
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "warden-password-policy"
	}
	return &BreachChecker{
		base:      strings.TrimRight(cfg.Host, "/"),
		client:    cfg.Client,
		timeout:   cfg.Timeout,
		ttl:       cfg.CacheTTL,
		size:      cfg.CacheSize,
		userAgent: cfg.UserAgent,
		now:       time.Now,
		index:     map[string]*list.Element{},
	}, nil
}

// Count returns how many times password appears in the corpus (0 when it
// does not). Errors wrap ErrBreachCheckFailed, or are ctx.Err().
func (b *BreachChecker) Count(ctx context.Context, password string) (int64, error) {
	sum := sha1.Sum([]byte(password))
	full := strings.ToUpper(hex.EncodeToString(sum[:]))
	prefix := full[:5]
	var key [18]byte
	if _, err := hex.Decode(key[:], []byte("0"+full[5:])); err != nil {
		return 0, err // unreachable: full is hex
	}

	entry := b.cached(prefix)
	if entry == nil {
		// One request per prefix at a time; each caller waits on its own
		// context, and the request itself is bounded by the timeout.
		ch := b.group.DoChan(prefix, func() (any, error) {
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.timeout)
			defer cancel()
			e, err := b.fetch(fctx, prefix)
			if err == nil {
				b.store(e)
			}
			return e, err
		})
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case res := <-ch:
			if res.Err != nil {
				return 0, res.Err
			}
			entry = res.Val.(*rangeEntry)
		}
	}
	i, found := slices.BinarySearchFunc(entry.suffixes, key, func(s rangeSuffix, k [18]byte) int {
		return bytes.Compare(s.hash[:], k[:])
	})
	if !found {
		return 0, nil
	}
	return int64(entry.suffixes[i].count), nil
}

// cached returns a fresh cached range or nil.
func (b *BreachChecker) cached(prefix string) *rangeEntry {
	if b.ttl < 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	el, ok := b.index[prefix]
	if !ok {
		return nil
	}
	e := el.Value.(*rangeEntry)
	if b.now().Sub(e.fetched) >= b.ttl {
		b.lru.Remove(el)
		delete(b.index, prefix)
		return nil
	}
	b.lru.MoveToFront(el)
	return e
}

func (b *BreachChecker) store(e *rangeEntry) {
	if b.ttl < 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if el, ok := b.index[e.prefix]; ok {
		el.Value = e
		b.lru.MoveToFront(el)
		return
	}
	b.index[e.prefix] = b.lru.PushFront(e)
	for b.lru.Len() > b.size {
		last := b.lru.Back()
		b.lru.Remove(last)
		delete(b.index, last.Value.(*rangeEntry).prefix)
	}
}

// cacheLen reports the number of cached ranges.
func (b *BreachChecker) cacheLen() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lru.Len()
}

func (b *BreachChecker) fetch(ctx context.Context, prefix string) (*rangeEntry, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/range/"+prefix, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBreachCheckFailed, err)
	}
	req.Header.Set("Add-Padding", "true")
	req.Header.Set("User-Agent", b.userAgent)
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBreachCheckFailed, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("%w: range %s answered %s", ErrBreachCheckFailed, prefix, resp.Status)
	}
	suffixes, err := parseRange(io.LimitReader(resp.Body, maxRangeBody+1))
	if err != nil {
		return nil, fmt.Errorf("%w: range %s: %v", ErrBreachCheckFailed, prefix, err)
	}
	return &rangeEntry{prefix: prefix, fetched: b.now(), suffixes: suffixes}, nil
}

// parseRange reads "SUFFIX:COUNT" lines (35 hex digits, a decimal count),
// dropping the zero-count lines that padding adds. Any other line makes the
// whole answer invalid. The result is sorted by suffix.
func parseRange(r io.Reader) ([]rangeSuffix, error) {
	var out []rangeSuffix
	sc := bufio.NewScanner(r)
	read := 0
	for sc.Scan() {
		line := sc.Bytes()
		read += len(line) + 1
		if read > maxRangeBody {
			return nil, fmt.Errorf("answer longer than %d bytes", maxRangeBody)
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			continue
		}
		suffix, countText, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(suffix) != 35 {
			return nil, fmt.Errorf("line %.60q is not SUFFIX:COUNT", line)
		}
		var s rangeSuffix
		hexText := append([]byte{'0'}, suffix...)
		if _, err := hex.Decode(s.hash[:], hexText); err != nil {
			return nil, fmt.Errorf("suffix %q is not hexadecimal", suffix)
		}
		count, err := strconv.ParseUint(string(bytes.TrimSpace(countText)), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("count %q is not a number", countText)
		}
		if count == 0 {
			continue
		}
		s.count = uint32(min(count, math.MaxUint32))
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b rangeSuffix) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	return out, nil
}
