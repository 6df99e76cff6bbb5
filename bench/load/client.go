package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// maxBody caps how much of a response body is kept or drained. Anything longer
// is cut off and the connection is not reused.
const maxBody = 8 << 20

// Client is the one HTTP client every run shares: one Transport, keep-alive,
// MaxIdleConnsPerHost equal to the concurrency, no redirects followed, no
// proxy, and a dialer that only connects to loopback addresses.
type Client struct {
	HTTP *http.Client
}

// NewClient builds the shared client for the given concurrency and per-request timeout.
func NewClient(concurrency int, timeout time.Duration) *Client {
	return &Client{HTTP: &http.Client{
		Transport: newTransport(concurrency, false),
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

func newTransport(concurrency int, noKeepAlive bool) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: loopbackOnly}
	return &http.Transport{
		Proxy:               nil,
		DialContext:         d.DialContext,
		MaxIdleConns:        0, // no overall limit; the per-host limit governs
		MaxIdleConnsPerHost: concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		DisableKeepAlives:   noKeepAlive,
		ForceAttemptHTTP2:   false,
		TLSHandshakeTimeout: 5 * time.Second,
	}
}

// CloseIdle closes idle keep-alive connections.
func (c *Client) CloseIdle() { c.HTTP.CloseIdleConnections() }

// Worker is the per-goroutine state handed to an Op. Ops may combine Run, ID
// and Seq into names that are unique within the process: Run numbers the calls
// of Run (warm-up and measured windows are separate calls), ID is the worker's
// index and Seq counts the operations this worker started before this one.
type Worker struct {
	Run uint64
	ID  int
	Seq uint64

	client *Client
	buf    bytes.Buffer
}

// NewWorker returns a Worker on c, for code that runs operations outside Run:
// a Setup that creates its fixtures the way its operation works, or a check.
func (c *Client) NewWorker(id int) *Worker { return &Worker{ID: id, client: c} }

// errBodyKeep is how much of a non-2xx body is returned when the caller did
// not ask for the body, so error reports can quote the server.
const errBodyKeep = 512

// Do sends req. With keepBody the body (up to 8 MiB) is returned; otherwise
// the body is drained and discarded, except that the first 512 bytes of a
// non-2xx answer are returned. The returned bytes are only valid until the
// worker's next Do. The body is always closed, so the connection returns to
// the pool.
func (w *Worker) Do(req *http.Request, keepBody bool) (int, []byte, error) {
	status, _, body, err := w.DoHeader(req, keepBody)
	return status, body, err
}

// DoHeader is Do that also returns the response header (nil on a transport
// error).
func (w *Worker) DoHeader(req *http.Request, keepBody bool) (int, http.Header, []byte, error) {
	resp, err := w.client.HTTP.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if !keepBody && ok {
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		return resp.StatusCode, resp.Header, nil, err
	}
	limit := int64(maxBody)
	if !keepBody {
		limit = errBodyKeep
	}
	w.buf.Reset()
	_, err = w.buf.ReadFrom(io.LimitReader(resp.Body, limit))
	if err == nil && !keepBody {
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	}
	return resp.StatusCode, resp.Header, w.buf.Bytes(), err
}

// Result is what one operation reports. Err == nil means success. A non-nil Err
// with Status 0 is a transport failure; with a Status it is counted under that
// status class (a 2xx with Err set means the body did not say what it should).
// Shed (with Err set to the server's answer) means the server turned the
// operation away as overloaded, e.g. a 503 from a bounded work queue: it is
// counted apart, neither as a success nor as an error.
type Result struct {
	Status int
	Err    error
	Shed   bool
}

// Op performs one operation. It must be safe to call from many goroutines at
// once, each with its own Worker.
type Op func(ctx context.Context, w *Worker) Result

// Expect2xx turns the return values of Worker.Do into a Result: any 2xx is
// success; otherwise the error quotes the start of the body.
func Expect2xx(status int, body []byte, err error) Result {
	if err != nil {
		return Result{Status: status, Err: err}
	}
	if status < 200 || status > 299 {
		return Result{Status: status, Err: fmt.Errorf("%s", snippet(body))}
	}
	return Result{Status: status}
}

// Get returns an Op that sends GET url and counts any 2xx as success.
func Get(url string, header http.Header) Op {
	return func(ctx context.Context, w *Worker) Result {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return Result{Err: err}
		}
		for k, v := range header {
			req.Header[k] = v
		}
		return Expect2xx(w.Do(req, false))
	}
}

// Call is a setup helper: it sends one request with an optional JSON body,
// requires one of the wanted statuses (any 2xx when none are given) and
// decodes the response into out when out is not nil. Errors carry the method,
// URL, status and the start of the body, so a failed setup explains itself.
func (c *Client) Call(ctx context.Context, method, url string, header http.Header, body any, out any, want ...int) error {
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd, ctype = strings.NewReader(b), "application/x-www-form-urlencoded"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("%s %s: reading body: %w", method, url, err)
	}
	ok := len(want) == 0 && resp.StatusCode/100 == 2
	for _, s := range want {
		ok = ok || resp.StatusCode == s
	}
	if !ok {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, url, resp.StatusCode, snippet(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decoding response: %w: %s", method, url, err, snippet(data))
		}
	}
	return nil
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}
