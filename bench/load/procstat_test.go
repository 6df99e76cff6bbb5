package load

import (
	"os"
	"os/exec"
	"testing"
)

func TestParseStatCPU(t *testing.T) {
	// The command name holds spaces and a ')' to make sure fields are counted
	// from the last parenthesis.
	line := "4242 (my (odd) srv) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 9 0 100 123456 789 18446744073709551615\n"
	got, err := parseStatCPU([]byte(line))
	if err != nil || got != 325 {
		t.Fatalf("parseStatCPU = %d, %v; want 325", got, err)
	}
	if _, err := parseStatCPU([]byte("12 (x) S 1 2")); err == nil {
		t.Fatal("short line should fail")
	}
}

func TestParseStatusMem(t *testing.T) {
	status := "Name:\tsrv\nVmPeak:\t 9000 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nThreads:\t9\n"
	rss, hwm, err := parseStatusMem([]byte(status))
	if err != nil || rss != 1024*1024 || hwm != 2048*1024 {
		t.Fatalf("parseStatusMem = %d, %d, %v", rss, hwm, err)
	}
	if _, _, err := parseStatusMem([]byte("Name:\tzombie\n")); err == nil {
		t.Fatal("missing VmRSS should fail")
	}
}

func TestReadProcSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	s, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.RSSBytes == 0 || s.HWMBytes < s.RSSBytes {
		t.Fatalf("implausible sample %+v", s)
	}
}

func TestReadTreeCountsChildren(t *testing.T) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("no /proc")
	}
	cmd := exec.Command("sh", "-c", "sleep 5")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	tree, err := ReadTree(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tree[cmd.Process.Pid]; !ok {
		t.Fatalf("child %d missing from %v", cmd.Process.Pid, tree)
	}
	later := TreeSample{}
	for p, v := range tree {
		later[p] = v + 100
	}
	later[999999999] = 50          // started in between
	delete(later, cmd.Process.Pid) // ended in between
	want := float64(100*(len(tree)-1)+50) / clockTicks
	if got := later.CPUSecondsSince(tree); got != want {
		t.Fatalf("CPUSecondsSince = %v, want %v", got, want)
	}
}
