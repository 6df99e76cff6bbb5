package load

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/PID/stat. Linux fixes
// it at 100 on every architecture Go supports.
const clockTicks = 100

// ProcSample is one reading of a process from /proc.
type ProcSample struct {
	CPUTicks uint64 // utime + stime of the process itself
	RSSBytes uint64 // VmRSS
	HWMBytes uint64 // VmHWM, the peak RSS over the process lifetime
}

// CPUSeconds converts the tick count to seconds.
func (s ProcSample) CPUSeconds() float64 { return float64(s.CPUTicks) / clockTicks }

// ReadProc reads CPU time and memory of pid from /proc/PID/stat and /proc/PID/status.
func ReadProc(pid int) (ProcSample, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcSample{}, err
	}
	ticks, err := parseStatCPU(stat)
	if err != nil {
		return ProcSample{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcSample{}, err
	}
	rss, hwm, err := parseStatusMem(status)
	if err != nil {
		return ProcSample{}, fmt.Errorf("/proc/%d/status: %w", pid, err)
	}
	return ProcSample{CPUTicks: ticks, RSSBytes: rss, HWMBytes: hwm}, nil
}

// parseStatCPU returns utime+stime (fields 14 and 15) from a /proc/PID/stat
// line. The command name (field 2) is in parentheses and may itself contain
// spaces and parentheses, so fields are counted from the last ')'.
func parseStatCPU(b []byte) (uint64, error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return 0, fmt.Errorf("no command name")
	}
	f := strings.Fields(string(b[end+1:]))
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, fmt.Errorf("only %d fields after the command name", len(f))
	}
	ut, err := strconv.ParseUint(f[11], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("utime: %w", err)
	}
	st, err := strconv.ParseUint(f[12], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stime: %w", err)
	}
	return ut + st, nil
}

// parseStatusMem returns VmRSS and VmHWM in bytes from /proc/PID/status.
func parseStatusMem(b []byte) (rss, hwm uint64, err error) {
	var haveRSS bool
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) == 0 {
			return 0, 0, fmt.Errorf("%s: empty", key)
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", key, err)
		}
		if len(f) > 1 && strings.EqualFold(f[1], "kB") {
			n *= 1024
		}
		if key == "VmRSS" {
			rss, haveRSS = n, true
		} else {
			hwm = n
		}
	}
	if !haveRSS {
		return 0, 0, fmt.Errorf("no VmRSS line (is the process a zombie?)")
	}
	return rss, hwm, nil
}

// TreeSample is the CPU ticks of a process and of each of its descendants,
// by pid.
type TreeSample map[int]uint64

// ReadTree reads the CPU ticks of pid and every process below it (through
// /proc/PID/task/TID/children). A process that exits while the tree is read
// is left out.
func ReadTree(pid int) (TreeSample, error) {
	out := TreeSample{}
	queue := []int{pid}
	for len(queue) > 0 && len(out) < 100_000 {
		p := queue[0]
		queue = queue[1:]
		if _, seen := out[p]; seen {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			if p == pid {
				return nil, err
			}
			continue
		}
		ticks, err := parseStatCPU(stat)
		if err != nil {
			return nil, fmt.Errorf("/proc/%d/stat: %w", p, err)
		}
		out[p] = ticks
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", p))
		for _, t := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", p, t.Name()))
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if c, err := strconv.Atoi(f); err == nil {
					queue = append(queue, c)
				}
			}
		}
	}
	return out, nil
}

// CPUSecondsSince is the CPU time the tree used since before: per process
// the difference, counting processes that started since from zero.
// Processes that ended in between are missing from s and so not counted.
func (s TreeSample) CPUSecondsSince(before TreeSample) float64 {
	var ticks uint64
	for p, t := range s {
		if b, ok := before[p]; ok && b <= t {
			ticks += t - b
		} else if !ok {
			ticks += t
		}
	}
	return float64(ticks) / clockTicks
}
