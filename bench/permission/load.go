package permission

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MaxBatch is the largest transaction the loader sends (the write API's
// default limit per PATCH).
const MaxBatch = 1000

// LoadConfig says where and how to load a dataset.
type LoadConfig struct {
	// URL is the base of the write API, e.g. http://127.0.0.1:4434; tuples go
	// to PATCH URL/admin/relation-tuples.
	URL string
	// Writers is the number of transactions in flight at once.
	Writers int
	// Batch is the number of inserts per transaction (at most MaxBatch).
	Batch int
	// Client sends the requests.
	Client *http.Client
	// Progress gets a line every Every (nothing when nil).
	Progress io.Writer
	Every    time.Duration
	// Attempts per transaction; failures that may pass (transport errors,
	// 429, 5xx) are retried after a short pause. Inserts are idempotent, so
	// a retried transaction that had in fact committed does no harm.
	Attempts int
}

// LoadResult sums up a load.
type LoadResult struct {
	Tuples       int
	Transactions int
	Retries      int
	Elapsed      time.Duration
	// Snaptoken is the X-Snaptoken of the last transaction to finish.
	Snaptoken string
}

// TuplesPerSecond is the load rate.
func (r LoadResult) TuplesPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Tuples) / r.Elapsed.Seconds()
}

// Load inserts tuples through PATCH /admin/relation-tuples, Batch per
// transaction, with Writers transactions in flight. It stops at the first
// transaction that fails for good.
func Load(ctx context.Context, tuples []Tuple, cfg LoadConfig) (LoadResult, error) {
	if cfg.Writers < 1 {
		cfg.Writers = 1
	}
	if cfg.Batch < 1 || cfg.Batch > MaxBatch {
		return LoadResult{}, fmt.Errorf("batch must be between 1 and %d, not %d", MaxBatch, cfg.Batch)
	}
	if cfg.Attempts < 1 {
		cfg.Attempts = 1
	}
	if cfg.Every <= 0 {
		cfg.Every = 5 * time.Second
	}
	url := strings.TrimRight(cfg.URL, "/") + "/admin/relation-tuples"
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	start := time.Now()
	var (
		done, txns, retries atomic.Int64
		mu                  sync.Mutex
		firstErr            error
		lastToken           string
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}

	jobs := make(chan int)
	go func() {
		defer close(jobs)
		for i := 0; i < len(tuples); i += cfg.Batch {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()

	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if cfg.Progress == nil {
			return
		}
		t := time.NewTicker(cfg.Every)
		defer t.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-t.C:
				n, el := done.Load(), time.Since(start)
				fmt.Fprintf(cfg.Progress, "  %d/%d tuples (%.0f%%) in %.1fs, %.0f tuples/s\n",
					n, len(tuples), 100*float64(n)/float64(max(1, len(tuples))), el.Seconds(), float64(n)/el.Seconds())
			}
		}
	}()

	var wg sync.WaitGroup
	for range cfg.Writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body []byte
			for i := range jobs {
				part := tuples[i:min(i+cfg.Batch, len(tuples))]
				body = encodePatch(body[:0], part)
				tok, n, err := send(ctx, cfg, url, body)
				retries.Add(int64(n))
				if err != nil {
					if ctx.Err() == nil {
						fail(fmt.Errorf("tuples %d..%d: %w", i, i+len(part)-1, err))
					}
					return
				}
				done.Add(int64(len(part)))
				txns.Add(1)
				mu.Lock()
				lastToken = tok
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(stopProgress)
	<-progressDone

	res := LoadResult{Tuples: int(done.Load()), Transactions: int(txns.Load()), Retries: int(retries.Load()),
		Elapsed: time.Since(start), Snaptoken: lastToken}
	if firstErr != nil {
		return res, firstErr
	}
	if err := ctx.Err(); err != nil && res.Tuples < len(tuples) {
		return res, err
	}
	return res, nil
}

// encodePatch writes [{"action":"insert","relation_tuple":{...}},...].
func encodePatch(b []byte, ts []Tuple) []byte {
	b = append(b, '[')
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"action":"insert","relation_tuple":`...)
		b = t.AppendJSON(b)
		b = append(b, '}')
	}
	return append(b, ']')
}

// transient marks failures worth another attempt.
type transient struct{ error }

func (t transient) Unwrap() error { return t.error }

// send PATCHes one transaction, retrying transient failures. It returns the
// answer's snaptoken and the number of retries.
func send(ctx context.Context, cfg LoadConfig, url string, body []byte) (string, int, error) {
	var err error
	for attempt := range cfg.Attempts {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			case <-ctx.Done():
				return "", attempt - 1, ctx.Err()
			}
		}
		var tok string
		tok, err = patchOnce(ctx, cfg.Client, url, body)
		if err == nil {
			return tok, attempt, nil
		}
		var tr transient
		if !errors.As(err, &tr) || ctx.Err() != nil {
			return "", attempt, err
		}
	}
	return "", cfg.Attempts - 1, fmt.Errorf("after %d attempts: %w", cfg.Attempts, err)
}

func patchOnce(ctx context.Context, c *http.Client, url string, body []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return "", transient{fmt.Errorf("PATCH %s: %w", url, err)}
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode/100 == 2 {
		return resp.Header.Get("X-Snaptoken"), nil
	}
	err = fmt.Errorf("PATCH %s: HTTP %d: %s", url, resp.StatusCode, strings.Join(strings.Fields(string(msg)), " "))
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		err = transient{err}
	}
	return "", err
}
