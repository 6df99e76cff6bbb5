package load

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// StartupConfig describes the X1 measurement.
type StartupConfig struct {
	Binary string
	// Args are passed to the binary; "{dir}" in any of them is replaced by the
	// run's fresh empty directory, which is also the working directory and
	// $WARDEN_DATA_DIR.
	Args         []string
	Runs         int
	ReadyURL     string        // polled until it answers 200
	Poll         time.Duration // 2 ms
	ReadyTimeout time.Duration // give up waiting for ready after this long
	Idle         time.Duration // 1 s: idle time between ready and the RSS reading
	StopTimeout  time.Duration // 10 s: SIGTERM must end the process within this
}

// StartupRun is one start/stop cycle.
type StartupRun struct {
	StartupMS float64 `json:"startup_ms"`
	IdleRSSMB float64 `json:"idle_rss_mb"`
	ExitCode  int     `json:"exit_code"`
	CleanStop bool    `json:"clean_stop"` // exited 0 within StopTimeout of SIGTERM
	Error     string  `json:"error,omitempty"`
}

// StartupResult summarises all runs.
type StartupResult struct {
	Runs        []StartupRun `json:"runs"`
	Ready       int          `json:"ready"` // runs that reached ready
	CleanStops  int          `json:"clean_stops"`
	MinMS       float64      `json:"startup_min_ms"`
	MedianMS    float64      `json:"startup_median_ms"`
	MinRSSMB    float64      `json:"idle_rss_min_mb"`
	MedianRSSMB float64      `json:"idle_rss_median_mb"`
	BinaryMB    float64      `json:"binary_mb"`
	Error       string       `json:"error,omitempty"`
}

// RunStartup starts the server cfg.Runs times, each in a fresh empty temporary
// directory, and measures time to ready, idle RSS and a clean SIGTERM exit.
func RunStartup(ctx context.Context, cfg StartupConfig) *StartupResult {
	res := &StartupResult{}
	bin, err := exec.LookPath(cfg.Binary)
	if err == nil {
		// The child runs in its own directory, so a relative path would break.
		bin, err = filepath.Abs(bin)
	}
	if err != nil {
		res.Error = err.Error()
		return res
	}
	if fi, err := os.Stat(bin); err == nil {
		res.BinaryMB = float64(fi.Size()) / (1 << 20)
	}
	poller := &http.Client{
		Transport: newTransport(1, true),
		Timeout:   500 * time.Millisecond,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	if _, err := probe(ctx, poller, cfg.ReadyURL); err == nil {
		res.Error = fmt.Sprintf("%s already answers before the binary is started; stop the server that listens there", cfg.ReadyURL)
		return res
	}
	for range cfg.Runs {
		if ctx.Err() != nil {
			break
		}
		run := startOnce(ctx, cfg, bin, poller)
		res.Runs = append(res.Runs, run)
	}
	var ms, rss []float64
	for _, r := range res.Runs {
		if r.StartupMS > 0 {
			res.Ready++
			ms = append(ms, r.StartupMS)
		}
		if r.IdleRSSMB > 0 {
			rss = append(rss, r.IdleRSSMB)
		}
		if r.CleanStop {
			res.CleanStops++
		}
	}
	res.MinMS, res.MedianMS = minMedian(ms)
	res.MinRSSMB, res.MedianRSSMB = minMedian(rss)
	return res
}

func minMedian(v []float64) (float64, float64) {
	if len(v) == 0 {
		return 0, 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[0], s[n/2]
	}
	return s[0], (s[n/2-1] + s[n/2]) / 2
}

func probe(ctx context.Context, c *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func startOnce(ctx context.Context, cfg StartupConfig, bin string, poller *http.Client) (run StartupRun) {
	dir, err := os.MkdirTemp("", "warden-bench-x1-*")
	if err != nil {
		run.Error = err.Error()
		return run
	}
	defer os.RemoveAll(dir)
	// The log lives outside the data directory so that directory starts empty.
	logf, err := os.CreateTemp("", "warden-bench-x1-*.log")
	if err != nil {
		run.Error = err.Error()
		return run
	}
	defer os.Remove(logf.Name())
	defer logf.Close()

	args := make([]string, len(cfg.Args))
	for i, a := range cfg.Args {
		args[i] = strings.ReplaceAll(a, "{dir}", dir)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WARDEN_DATA_DIR="+dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		run.Error = err.Error()
		return run
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	fail := func(msg string) StartupRun {
		select {
		case <-exited:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		run.ExitCode = cmd.ProcessState.ExitCode()
		run.Error = msg + logTail(logf.Name())
		return run
	}

	// Wait for ready, polling every cfg.Poll.
	tick := time.NewTicker(cfg.Poll)
	defer tick.Stop()
	giveUp := time.NewTimer(cfg.ReadyTimeout)
	defer giveUp.Stop()
	for {
		if st, err := probe(ctx, poller, cfg.ReadyURL); err == nil && st == http.StatusOK {
			run.StartupMS = float64(time.Since(t0).Microseconds()) / 1000
			break
		}
		select {
		case <-ctx.Done():
			return fail("interrupted")
		case <-exited:
			return fail(fmt.Sprintf("exited with code %d before becoming ready", cmd.ProcessState.ExitCode()))
		case <-giveUp.C:
			return fail(fmt.Sprintf("not ready after %s", cfg.ReadyTimeout))
		case <-tick.C:
		}
	}

	select {
	case <-ctx.Done():
		return fail("interrupted")
	case <-exited:
		return fail(fmt.Sprintf("exited with code %d while idle", cmd.ProcessState.ExitCode()))
	case <-time.After(cfg.Idle):
	}
	if ps, err := ReadProc(cmd.Process.Pid); err == nil {
		run.IdleRSSMB = float64(ps.RSSBytes) / (1 << 20)
	} else {
		run.Error = "reading RSS: " + err.Error()
	}

	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(cfg.StopTimeout):
		return fail(fmt.Sprintf("still running %s after SIGTERM", cfg.StopTimeout))
	}
	run.ExitCode = cmd.ProcessState.ExitCode()
	run.CleanStop = run.ExitCode == 0
	if !run.CleanStop {
		run.Error = fmt.Sprintf("exit code %d after SIGTERM", run.ExitCode) + logTail(logf.Name())
	}
	return run
}

func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 600 {
		b = b[len(b)-600:]
	}
	return "; log tail: " + strings.TrimSpace(string(b))
}

// SplitArgs splits a command line into words. Single quotes keep everything
// literally, double quotes allow \" and \\ escapes, and a backslash outside
// quotes escapes the next character. No variables or globs are expanded.
func SplitArgs(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inWord = true
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated double quote")
			}
		case c == '\\':
			inWord = true
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}
