package load

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// WorkloadReport is one row of the results.
type WorkloadReport struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	Target      string `json:"target,omitempty"`
	Skipped     bool   `json:"skipped,omitempty"`
	SetupError  string `json:"setup_error,omitempty"`

	Ops       uint64  `json:"ops"` // successful operations in the measured window
	OpsPerSec float64 `json:"ops_per_sec"`
	Ratio     float64 `json:"ratio_to_baseline"` // ops/s ÷ baseline ops/s (0 when unknown)
	ElapsedS  float64 `json:"elapsed_s"`
	Started   uint64  `json:"started"`
	Unsent    uint64  `json:"unsent,omitempty"`

	MeanMS float64 `json:"mean_ms"`
	P50MS  float64 `json:"p50_ms"`
	P90MS  float64 `json:"p90_ms"`
	P99MS  float64 `json:"p99_ms"`
	P999MS float64 `json:"p99_9_ms"`
	MaxMS  float64 `json:"max_ms"`

	// Open loop only: how late operations went out after their due time (the
	// harness's wake-up delay, plus waiting for a free worker when all were busy).
	SendLagP50MS float64 `json:"send_lag_p50_ms,omitempty"`
	SendLagP99MS float64 `json:"send_lag_p99_ms,omitempty"`

	Errors        uint64            `json:"errors"`
	ErrorsByClass map[string]uint64 `json:"errors_by_class,omitempty"`
	FirstError    string            `json:"first_error,omitempty"`

	// Shed counts operations the server turned away as overloaded (see
	// Result.Shed); they are in neither Ops nor Errors nor the latencies.
	Shed      uint64 `json:"shed,omitempty"`
	FirstShed string `json:"first_shed,omitempty"`

	// Check and CheckError are the outcome of the workload's check after its
	// measured window, if it has one (see Env.AfterRun).
	Check      string `json:"check,omitempty"`
	CheckError string `json:"check_error,omitempty"`

	Server *ServerUsage `json:"server,omitempty"`
}

// ServerUsage is what the server process used during the measured window.
type ServerUsage struct {
	CPUSeconds float64 `json:"cpu_seconds"`
	// DBCPUSeconds is what the database server (--db-pid) used, when given.
	DBCPUSeconds float64 `json:"db_cpu_seconds,omitempty"`
	// CPUSecondsPer1k and OpsPerCPUSecond count the server's CPU seconds plus
	// the database's when --db-pid is given. OpsPerCPUSecond is successful
	// operations per CPU second spent: what one fully busy core would serve
	// at this efficiency.
	CPUSecondsPer1k float64 `json:"cpu_seconds_per_1k_ops"`
	OpsPerCPUSecond float64 `json:"ops_per_cpu_second"`
	RSSMB           float64 `json:"rss_mb"`      // at the end of the window
	PeakRSSMB       float64 `json:"peak_rss_mb"` // process lifetime peak (VmHWM)
}

// Report is everything one harness run measured.
type Report struct {
	StartedAt time.Time         `json:"started_at"`
	Config    ReportConfig      `json:"config"`
	Baseline  *WorkloadReport   `json:"baseline,omitempty"`
	Workloads []*WorkloadReport `json:"workloads"`
	Startup   *StartupResult    `json:"startup,omitempty"`
}

// ReportConfig records the settings the figures were taken with.
type ReportConfig struct {
	URLs        URLs    `json:"urls"`
	Concurrency int     `json:"concurrency"`
	DurationS   float64 `json:"duration_s"`
	WarmupS     float64 `json:"warmup_s"`
	Requests    int64   `json:"requests,omitempty"`
	Rate        float64 `json:"rate,omitempty"`
	PID         int     `json:"pid,omitempty"`
	DBPID       int     `json:"db_pid,omitempty"`
	Options     Options `json:"options"`
	GoVersion   string  `json:"go_version"`
	NumCPU      int     `json:"num_cpu"`
	GOMAXPROCS  int     `json:"gomaxprocs"`
}

func ms(us float64) float64 { return us / 1000 }

// NewWorkloadReport turns run stats (and optional server readings taken just
// before and after the measured window) into a report row.
func NewWorkloadReport(w Workload, st *Stats, before, after *ProcSample) *WorkloadReport {
	r := &WorkloadReport{
		ID:          w.ID,
		Description: w.Description,
		Target:      w.Target,
		Ops:         st.OK,
		OpsPerSec:   st.Throughput(),
		ElapsedS:    st.Elapsed.Seconds(),
		Started:     st.Started,
		Unsent:      st.Unsent,
		MeanMS:      ms(st.Latency.Mean()),
		P50MS:       ms(st.Latency.Percentile(50)),
		P90MS:       ms(st.Latency.Percentile(90)),
		P99MS:       ms(st.Latency.Percentile(99)),
		P999MS:      ms(st.Latency.Percentile(99.9)),
		MaxMS:       ms(float64(st.Latency.Max())),
		Errors:      st.ErrorCount(),
		FirstError:  st.FirstError,
		Shed:        st.Shed,
		FirstShed:   st.FirstShed,
	}
	if st.SendLag != nil {
		r.SendLagP50MS = ms(st.SendLag.Percentile(50))
		r.SendLagP99MS = ms(st.SendLag.Percentile(99))
	}
	for c, n := range st.Errors {
		if n > 0 {
			if r.ErrorsByClass == nil {
				r.ErrorsByClass = map[string]uint64{}
			}
			r.ErrorsByClass[ClassNames[c]] = n
		}
	}
	if before != nil && after != nil {
		u := &ServerUsage{
			CPUSeconds: after.CPUSeconds() - before.CPUSeconds(),
			RSSMB:      float64(after.RSSBytes) / (1 << 20),
			PeakRSSMB:  float64(after.HWMBytes) / (1 << 20),
		}
		if st.OK > 0 {
			u.CPUSecondsPer1k = u.CPUSeconds / float64(st.OK) * 1000
		}
		if u.CPUSeconds > 0 {
			u.OpsPerCPUSecond = float64(st.OK) / u.CPUSeconds
		}
		r.Server = u
	}
	return r
}

// AddDatabase adds the database server's CPU seconds over the window in
// which ok operations succeeded.
func (u *ServerUsage) AddDatabase(seconds float64, ok uint64) {
	u.DBCPUSeconds = seconds
	total := u.CPUSeconds + seconds
	if ok > 0 {
		u.CPUSecondsPer1k = total / float64(ok) * 1000
	}
	if total > 0 {
		u.OpsPerCPUSecond = float64(ok) / total
	}
}

// WriteTable prints the results as an aligned text table followed by notes on
// errors and skipped workloads.
func (rep *Report) WriteTable(out io.Writer) {
	rows := rep.Workloads
	if rep.Baseline != nil {
		rows = append([]*WorkloadReport{rep.Baseline}, rows...)
	}
	withServer := rep.Config.PID > 0
	if len(rows) > 0 {
		var buf strings.Builder
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', tabwriter.AlignRight)
		cols := []string{"workload", "ops", "ops/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors", "ratio"}
		withDB := withServer && rep.Config.DBPID > 0
		if withServer {
			cols = append(cols, "RSS MB", "CPU s")
			if withDB {
				cols = append(cols, "DB CPU s")
			}
			cols = append(cols, "CPU s/1k ops", "ops/CPU-s")
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t")+"\t")
		for _, r := range rows {
			cells := []string{r.ID}
			switch {
			case r.Skipped:
				cells = append(cells, "skipped")
			case r.Ops == 0:
				cells = append(cells, "0", "0", "-", "-", "-", "-", "-", fmt.Sprint(r.Errors), "-")
			default:
				ratio := "-"
				if r.Ratio > 0 {
					ratio = fmt.Sprintf("%.3f", r.Ratio)
				}
				cells = append(cells, fmt.Sprint(r.Ops), fmt.Sprintf("%.0f", r.OpsPerSec),
					fmt.Sprintf("%.3f", r.P50MS), fmt.Sprintf("%.3f", r.P90MS), fmt.Sprintf("%.3f", r.P99MS),
					fmt.Sprintf("%.3f", r.P999MS), fmt.Sprintf("%.3f", r.MaxMS), fmt.Sprint(r.Errors), ratio)
			}
			if withServer && !r.Skipped {
				if s := r.Server; s != nil {
					per1k, perCPU := "-", "-"
					if r.Ops > 0 {
						per1k = fmt.Sprintf("%.3f", s.CPUSecondsPer1k)
					}
					if s.OpsPerCPUSecond > 0 {
						perCPU = fmt.Sprintf("%.0f", s.OpsPerCPUSecond)
					}
					cells = append(cells, fmt.Sprintf("%.1f", s.RSSMB), fmt.Sprintf("%.2f", s.CPUSeconds))
					if withDB {
						cells = append(cells, fmt.Sprintf("%.2f", s.DBCPUSeconds))
					}
					cells = append(cells, per1k, perCPU)
				} else {
					for len(cells) < len(cols) {
						cells = append(cells, "-")
					}
				}
			}
			for len(cells) < len(cols) {
				cells = append(cells, "") // keep every row in the same column block
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
		}
		tw.Flush()
		for line := range strings.Lines(buf.String()) {
			fmt.Fprintln(out, strings.TrimRight(line, " \n"))
		}
	}
	for _, r := range rows {
		switch {
		case r.Skipped:
			fmt.Fprintf(out, "%s skipped: %s\n", r.ID, r.SetupError)
		case r.Errors > 0:
			var parts []string
			for _, name := range ClassNames {
				if n := r.ErrorsByClass[name]; n > 0 {
					parts = append(parts, fmt.Sprintf("%s=%d", name, n))
				}
			}
			fmt.Fprintf(out, "%s errors: %s; first: %s\n", r.ID, strings.Join(parts, " "), r.FirstError)
		}
		if r.Shed > 0 {
			fmt.Fprintf(out, "%s shed: %d operations turned away by the server as overloaded (not errors, not in the latencies); first: %s\n", r.ID, r.Shed, r.FirstShed)
		}
		switch {
		case r.CheckError != "":
			fmt.Fprintf(out, "%s check FAILED: %s\n", r.ID, r.CheckError)
		case r.Check != "":
			fmt.Fprintf(out, "%s check: %s\n", r.ID, r.Check)
		}
		if r.SendLagP99MS > 0 {
			fmt.Fprintf(out, "%s: send lag after due time p50 %.3f ms, p99 %.3f ms (included in the latencies)\n", r.ID, r.SendLagP50MS, r.SendLagP99MS)
		}
		if r.Unsent > 0 {
			fmt.Fprintf(out, "%s: %d operations due in the window were never sent (all workers busy: the rate is above what the server sustains)\n", r.ID, r.Unsent)
		}
	}
	if s := rep.Startup; s != nil {
		rep.writeStartup(out, s)
	}
}

func (rep *Report) writeStartup(out io.Writer, s *StartupResult) {
	if s.Error != "" {
		fmt.Fprintf(out, "X1 failed: %s\n", s.Error)
		return
	}
	fmt.Fprintf(out, "X1 startup: %d/%d runs ready, %d clean stops; ready in min %.1f ms, median %.1f ms; idle RSS min %.1f MB, median %.1f MB; binary %.1f MB\n",
		s.Ready, len(s.Runs), s.CleanStops, s.MinMS, s.MedianMS, s.MinRSSMB, s.MedianRSSMB, s.BinaryMB)
	for i, r := range s.Runs {
		line := fmt.Sprintf("  run %d: ready %.1f ms, idle RSS %.1f MB, exit %d", i+1, r.StartupMS, r.IdleRSSMB, r.ExitCode)
		if r.Error != "" {
			line += ": " + r.Error
		}
		fmt.Fprintln(out, line)
	}
}

// WriteJSON writes the report to path, indented.
func (rep *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
