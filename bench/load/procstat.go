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
