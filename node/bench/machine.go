package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// Machine describes where a run took place.
type Machine struct {
	CPU       string  `json:"cpu"`
	Cores     int     `json:"cores"`
	MemoryGiB float64 `json:"memory_gib"`
	Go        string  `json:"go"`
	Kernel    string  `json:"kernel"`
	OS        string  `json:"os"`
	// OtherNodes counts lineaged nodes on the machine that this run did
	// not start, seen at its start and end: they compete for the CPU.
	OtherNodesAtStart int `json:"other_nodes_at_start"`
	OtherNodesAtEnd   int `json:"other_nodes_at_end"`
	// OtherNodesMax is the most seen at once, sampled every 5 s.
	OtherNodesMax int `json:"other_nodes_max"`
}

func describeMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if kb := meminfo("MemTotal"); kb > 0 {
		m.MemoryGiB = float64(kb) / (1 << 20)
	}
	return m
}

func (m Machine) String() string {
	return fmt.Sprintf("%s; %d cores; %.1f GiB RAM; %s; %s (%s)", m.CPU, m.Cores, m.MemoryGiB, m.Go, m.Kernel, m.OS)
}

// meminfo reads a /proc/meminfo field, in KiB.
func meminfo(field string) int64 {
	return procField("/proc/meminfo", field)
}

// procField reads "Field: N kB" from a /proc status-like file.
func procField(path, field string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != field {
			continue
		}
		n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		return n
	}
	return 0
}

// residentBytes is this process's resident set after a full collection
// has returned free memory to the system, and the live Go heap.
func residentBytes() (rss, heap int64) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return procField("/proc/self/status", "VmRSS") << 10, int64(ms.HeapAlloc)
}

// clockTick is Linux's USER_HZ, the unit of /proc/PID/stat times.
const clockTick = 10 * time.Millisecond

// cpuOf is the user+system CPU time a process has used (0 if it is gone).
func cpuOf(pid string) time.Duration {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return 0
	}
	// The command name is in parentheses and may hold spaces: skip past it.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	// After the name: state is field 3, utime 14 and stime 15 (1-based).
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * clockTick
}

// peakRSSOf is the most resident memory a process has had since it
// started, in bytes (VmHWM; 0 if it is gone).
func peakRSSOf(pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	return parsePeakRSS(string(b))
}

// parsePeakRSS reads VmHWM from the text of /proc/PID/status.
func parsePeakRSS(status string) int64 {
	for line := range strings.Lines(status) {
		rest, ok := strings.CutPrefix(line, "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// largestPeakRSS is the highest peak resident memory among pids.
func largestPeakRSS(pids []int) int64 {
	var most int64
	for _, p := range pids {
		most = max(most, peakRSSOf(p))
	}
	return most
}

func processCPU(pids []int) []time.Duration {
	out := make([]time.Duration, len(pids))
	for i, p := range pids {
		out[i] = cpuOf(strconv.Itoa(p))
	}
	return out
}

func selfCPU() time.Duration { return cpuOf("self") }

// otherNodes counts running `lineaged start` processes not in mine.
func otherNodes(mine map[int]bool) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || mine[pid] || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) >= 2 && filepath.Base(args[0]) == "lineaged" && args[1] == "start" {
			n++
		}
	}
	return n
}

// captureProfile fetches a CPU profile of window from a node's pprof
// listener into path.
func captureProfile(ctx context.Context, addr string, window time.Duration, path string) error {
	secs := max(1, int(window.Seconds()))
	ctx, cancel := context.WithTimeout(ctx, window+30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("CPU profile from %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("CPU profile from %s: %s", addr, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// profileTop summarises a profile with `go tool pprof -top`, by flat and
// by cumulative time, when a Go toolchain is at hand; the text is also
// written beside the profile.
func profileTop(ctx context.Context, path string, nodes int) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("no go toolchain to summarise %s: %w", path, err)
	}
	var out []byte
	for _, mode := range [][]string{{"-top"}, {"-top", "-cum"}} {
		args := append([]string{"tool", "pprof"}, mode...)
		b, err := exec.CommandContext(ctx, goBin, append(args, fmt.Sprintf("-nodecount=%d", nodes), path)...).Output()
		if err != nil {
			return "", fmt.Errorf("go tool pprof %s: %w", path, err)
		}
		out = append(append(out, b...), '\n')
	}
	if err := os.WriteFile(strings.TrimSuffix(path, ".pprof")+".top.txt", out, 0o644); err != nil {
		return "", err
	}
	return string(out), nil
}
