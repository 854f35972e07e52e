package node

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"sync"
)

// Huge pages for the node's memory.
//
// A loaded validator spends much of its time on random reads of large
// in-memory structures: the tree's node cache (a map of half a million
// entries), the ring of encoded nodes, the database's block cache. With
// 4 KiB pages nearly every such read misses the TLB, and on a virtual
// machine each miss walks two page tables: measured on the benchmark
// machine, a random read from 256 MiB took 490–1,550 ns with 4 KiB pages
// and a steady 185 ns with 2 MiB pages. Linux gives a process transparent
// huge pages only where it asks for them (the common "madvise" mode), and
// the Go runtime no longer asks for its heap. So the node asks: it marks
// its large anonymous mappings for huge pages when it starts and again
// every few seconds, as the heap maps new arenas.

// hugePageSize is the size of a transparent huge page on the platforms
// the node advises (amd64 and arm64 with 4 KiB base pages).
const hugePageSize = 2 << 20

// thpEnabledPath is where Linux says which transparent huge page mode is
// in force.
const thpEnabledPath = "/sys/kernel/mm/transparent_hugepage/enabled"

// mapping is an address range of the process's memory map.
type mapping struct{ start, end uint64 }

// adviseCandidates reads a /proc/<pid>/maps listing and returns the
// mappings worth advising (candidate).
func adviseCandidates(r io.Reader) ([]mapping, error) {
	var out []mapping
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if m, ok := candidate(sc.Text()); ok {
			out = append(out, m)
		}
	}
	return out, sc.Err()
}

// candidate parses a line of a /proc/<pid>/maps listing (also the header
// of each mapping in smaps) and reports whether it is a private, writable,
// anonymous mapping that can hold at least one whole huge page: the Go
// heap's arenas, the C allocator's arenas, anonymous mmaps like the node
// ring. File mappings, shared memory and the stacks are left alone.
func candidate(line string) (mapping, bool) {
	// start-end perms offset dev inode [path]
	f := strings.Fields(line)
	if len(f) < 5 || f[1] != "rw-p" || f[4] != "0" {
		return mapping{}, false
	}
	if len(f) > 5 && f[5] != "[heap]" && !strings.HasPrefix(f[5], "[anon:") {
		return mapping{}, false // [stack], [vvar] and the other named regions
	}
	lo, hi, ok := strings.Cut(f[0], "-")
	if !ok {
		return mapping{}, false
	}
	start, err1 := strconv.ParseUint(lo, 16, 64)
	end, err2 := strconv.ParseUint(hi, 16, 64)
	// Only a huge-page-aligned span inside the mapping can be backed by a
	// huge page.
	if err1 != nil || err2 != nil || end <= start || alignUp(start) >= end || end-alignUp(start) < hugePageSize {
		return mapping{}, false
	}
	return mapping{start, end}, true
}

// collapseCandidates reads a /proc/<pid>/smaps listing and returns the
// mappings adviseCandidates would, trimmed to their huge-page-aligned
// span, that hold at least minSmall bytes of anonymous memory in small
// pages: memory faulted before it was advised, which only a collapse turns
// into huge pages.
func collapseCandidates(r io.Reader, minSmall int64) ([]mapping, error) {
	var out []mapping
	var cur mapping
	var curOK bool
	var anon, huge int64
	flush := func() {
		if curOK && anon-huge >= minSmall {
			out = append(out, cur)
		}
		curOK, anon, huge = false, 0, 0
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if name, rest, ok := strings.Cut(line, ":"); ok && !strings.Contains(name, " ") && !strings.Contains(name, "-") {
			switch name {
			case "Anonymous":
				anon, _ = parseKB(rest)
			case "AnonHugePages":
				huge, _ = parseKB(rest)
			}
			continue
		}
		// A new mapping's header line.
		flush()
		if m, ok := candidate(line); ok {
			cur, curOK = mapping{alignUp(m.start), m.end &^ (hugePageSize - 1)}, true
		}
	}
	flush()
	return out, sc.Err()
}

// parseKB parses the " 1234 kB" of an smaps field into bytes.
func parseKB(s string) (int64, bool) {
	f := strings.Fields(s)
	if len(f) != 2 || f[1] != "kB" {
		return 0, false
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n << 10, true
}

func alignUp(a uint64) uint64 { return (a + hugePageSize - 1) &^ (hugePageSize - 1) }

// thpMode parses /sys/kernel/mm/transparent_hugepage/enabled, which marks
// the mode in force with brackets: "always [madvise] never".
func thpMode(s string) string {
	for _, w := range strings.Fields(s) {
		if len(w) > 2 && w[0] == '[' && w[len(w)-1] == ']' {
			return w[1 : len(w)-1]
		}
	}
	return ""
}

// smapsField returns a "Name: N kB" field of /proc/<pid>/smaps_rollup in
// bytes.
func smapsField(rollup, name string) (int64, bool) {
	for _, line := range strings.Split(rollup, "\n") {
		if rest, ok := strings.CutPrefix(line, name+":"); ok {
			return parseKB(rest)
		}
	}
	return 0, false
}

// HugePages is the state of the huge page advice, for the log and Stop.
type HugePages struct {
	Enabled  bool   // the config asked for it
	Mode     string // the kernel's mode: always, madvise, never, unsupported
	Advising bool   // the node marks its mappings itself
	err      error  // why advising stopped, if it did

	mu   sync.Mutex
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func (h *HugePages) setErr(err error) {
	h.mu.Lock()
	h.err = err
	h.mu.Unlock()
}

// Stop ends the periodic advice and waits for it to finish.
func (h *HugePages) Stop() {
	h.once.Do(func() { close(h.stop) })
	<-h.done
}

// String describes the state for the start-up log.
func (h *HugePages) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	b.WriteString("kernel mode " + h.Mode)
	switch {
	case h.err != nil:
		b.WriteString("; not advising: " + h.err.Error())
	case !h.Enabled:
		b.WriteString("; runtime.huge_pages is off")
	case h.Advising:
		b.WriteString("; advising the node's large mappings")
	case h.Mode == "always":
		b.WriteString("; every mapping gets them")
	}
	return b.String()
}
