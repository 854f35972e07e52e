package node

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAdviseCandidates(t *testing.T) {
	const maps = `00400000-01204000 r-xp 00000000 fd:01 1234 /usr/bin/lineaged
01204000-021cb000 r--p 00e04000 fd:01 1234 /usr/bin/lineaged
021cb000-02275000 rw-p 01dcb000 fd:01 1234 /usr/bin/lineaged
02275000-042c8000 rw-p 00000000 00:00 0
0e477000-0e550000 rw-p 00000000 00:00 0 [heap]
c000000000-c004000000 rw-p 00000000 00:00 0
c004000000-c008000000 ---p 00000000 00:00 0
c008000000-c008100000 rw-p 00000000 00:00 0
c008200000-c008500000 rw-p 00000000 00:00 0 [anon: Go: heap]
c00a000000-c00a3fffff rw-s 00000000 00:01 77 /dev/zero (deleted)
7f0000000000-7f0010000000 rw-p 00000000 00:00 0
7f0010001000-7f0010201000 rw-p 00000000 00:00 0
7fff6aef1000-7fff8af12000 rw-p 00000000 00:00 0 [stack]
7fea44547000-7fea4454b000 r--p 00000000 00:00 0 [vvar]
garbage line
zz-yy rw-p 00000000 00:00 0
`
	got, err := adviseCandidates(strings.NewReader(maps))
	if err != nil {
		t.Fatal(err)
	}
	want := []mapping{
		{0x02275000, 0x042c8000},         // anonymous after the binary: holds 0x2400000-0x4200000
		{0xc000000000, 0xc004000000},     // a heap arena
		{0xc008200000, 0xc008500000},     // named by the Go runtime
		{0x7f0000000000, 0x7f0010000000}, // an anonymous mmap, the ring say
	}
	// Left out: file mappings, read-only or shared or inaccessible memory,
	// [heap] of 0.9 MiB, 1 MiB at c008000000, 2 MiB not aligned at
	// 7f0010001000 (no whole huge page inside), the stack, vvar, garbage.
	if len(got) != len(want) {
		t.Fatalf("got %x, want %x", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("candidate %d = %x, want %x", i, got[i], want[i])
		}
	}
}

func TestCollapseCandidates(t *testing.T) {
	block := func(header string, anon, huge int) string {
		return header + "\nSize: 65536 kB\nRss: 1 kB\nAnonymous: " + strconv.Itoa(anon) + " kB\nAnonHugePages: " + strconv.Itoa(huge) +
			" kB\nTHPeligible: 1\nVmFlags: rd wr mr mw me ac hg\n"
	}
	smaps := block("c000000000-c004000000 rw-p 00000000 00:00 0", 40960, 2048) + // 38 MiB small: collapse
		block("c004000000-c008000000 rw-p 00000000 00:00 0", 40960, 36864) + // 4 MiB small: not yet
		block("00400000-01204000 r-xp 00000000 fd:01 1234 /usr/bin/lineaged", 0, 0) +
		block("7f0000100000-7f0010100000 rw-p 00000000 00:00 0", 65536, 0) // collapse its aligned span
	got, err := collapseCandidates(strings.NewReader(smaps), 8<<20)
	if err != nil {
		t.Fatal(err)
	}
	want := []mapping{{0xc000000000, 0xc004000000}, {0x7f0000200000, 0x7f0010000000}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %x, want %x", got, want)
	}
}

func TestTHPModeAndSmapsField(t *testing.T) {
	for in, want := range map[string]string{
		"always [madvise] never\n": "madvise",
		"[always] madvise never":   "always",
		"always madvise [never]":   "never",
		"":                         "",
		"always madvise never":     "",
	} {
		if got := thpMode(in); got != want {
			t.Errorf("thpMode(%q) = %q, want %q", in, got, want)
		}
	}
	rollup := "Rss:             2030296 kB\nAnonymous:  1000 kB\nAnonHugePages:    462848 kB\n"
	if n, ok := smapsField(rollup, "AnonHugePages"); !ok || n != 462848<<10 {
		t.Errorf("AnonHugePages = %d %v", n, ok)
	}
	for _, bad := range []string{"", "AnonHugePages: 12 MB\n", "AnonHugePages: -1 kB\n", "AnonHugePages: x kB\n"} {
		if _, ok := smapsField(bad, "AnonHugePages"); ok {
			t.Errorf("smapsField(%q) accepted", bad)
		}
	}
}

// TestStartHugePages: on Linux in madvise mode the node marks its memory
// and huge pages back some of it once a large buffer is touched; with the
// setting off, or elsewhere, nothing runs and Stop returns at once.
func TestStartHugePages(t *testing.T) {
	off := StartHugePages(false, time.Millisecond)
	off.Stop()
	if off.Advising || !strings.Contains(off.String(), "off") && off.Mode == "madvise" {
		t.Fatalf("disabled: %s", off)
	}
	h := StartHugePages(true, 10*time.Millisecond)
	defer h.Stop()
	t.Log(h)
	if runtime.GOOS != "linux" || h.Mode != "madvise" {
		if h.Advising {
			t.Fatalf("advising in mode %q", h.Mode)
		}
		t.Skipf("kernel mode %q: nothing to advise", h.Mode)
	}
	if !h.Advising {
		t.Fatalf("not advising in madvise mode: %s", h)
	}
	before, ok := HugePagesInUse()
	if !ok {
		t.Skip("no smaps_rollup")
	}
	// Large enough that the Go heap maps fresh arenas for it; touched
	// after the next advice pass, and then collapsed if it was not.
	buf := make([]byte, 64<<20)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for i := 0; i < len(buf); i += 4096 {
			buf[i] = 1
		}
		if n, _ := HugePagesInUse(); n >= before+16<<20 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	n, _ := HugePagesInUse()
	if data, err := os.ReadFile(thpEnabledPath); err == nil {
		t.Logf("mode file: %s", data)
	}
	t.Fatalf("huge pages in use %d MiB before, %d MiB after touching 64 MiB", before>>20, n>>20)
}
