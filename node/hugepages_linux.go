//go:build linux

package node

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// StartHugePages marks the process's large anonymous memory for
// transparent huge pages now and every interval after, until Stop. It
// does so only where the kernel's mode is "madvise": under "always" every
// mapping gets them anyway, and under "never" (or without support) none
// can. enabled false does nothing but report the mode.
func StartHugePages(enabled bool, interval time.Duration) *HugePages {
	h := &HugePages{Enabled: enabled, stop: make(chan struct{}), done: make(chan struct{})}
	b, err := os.ReadFile(thpEnabledPath)
	if err != nil {
		h.Mode = "unsupported"
	} else {
		h.Mode = thpMode(string(b))
	}
	if !enabled || h.Mode != "madvise" {
		close(h.done)
		return h
	}
	if err := adviseHugePages(); err != nil {
		h.Mode, h.err = "unsupported", err
		close(h.done)
		return h
	}
	h.Advising = true
	go func() {
		defer close(h.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		collapse := true
		for tick := 1; ; tick++ {
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
			if err := adviseHugePages(); err != nil {
				h.setErr(err)
				return
			}
			if collapse && tick%collapseEvery == 0 {
				collapse = collapseHugePages()
			}
		}
	}()
	return h
}

// adviseHugePages marks every candidate mapping (adviseCandidates) for
// huge pages. A mapping that went away since the listing was read is
// skipped; an error that says the kernel cannot do it at all is returned.
func adviseHugePages() error {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return err
	}
	ms, err := adviseCandidates(f)
	f.Close()
	if err != nil {
		return err
	}
	for _, m := range ms {
		_, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), unix.MADV_HUGEPAGE)
		switch {
		case errno == 0, errno == syscall.ENOMEM, errno == syscall.EAGAIN:
			// ENOMEM: part of the range was unmapped meanwhile.
		default:
			return &os.SyscallError{Syscall: "madvise", Err: errno}
		}
	}
	return nil
}

// collapseEvery is how many advice passes go by between collapses.
const collapseEvery = 10

// minCollapse is how much small-page memory a mapping must hold to be
// collapsed: the kernel copies every small page it merges, so a mapping
// is worth a pass only once a fair amount has built up.
const minCollapse = 8 << 20

// collapseHugePages asks the kernel to merge the small pages of each
// mapping that has built up enough of them (collapseCandidates) into huge
// pages now. The Go heap needs this: it maps each extension of itself
// afresh (which drops the advice) and uses it at once, before the next
// advice pass, so without a collapse its pages stay small. It reports
// false if the kernel refused every mapping as it does before Linux 6.1,
// to stop trying.
func collapseHugePages() bool {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return false
	}
	ms, err := collapseCandidates(f, minCollapse)
	f.Close()
	if err != nil {
		return true
	}
	unsupported := 0
	for _, m := range ms {
		_, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), madvCollapse)
		if errno == syscall.EINVAL {
			unsupported++
		}
		// EAGAIN, ENOMEM: no huge page free, or the range changed; the
		// next pass tries again.
	}
	return len(ms) == 0 || unsupported < len(ms)
}

// madvCollapse is MADV_COLLAPSE (Linux 6.1).
const madvCollapse = 25

// HugePagesInUse is how much of the process's memory huge pages back now,
// from /proc/self/smaps_rollup (AnonHugePages); ok is false if the kernel
// does not say.
func HugePagesInUse() (bytes int64, ok bool) {
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		return 0, false
	}
	return smapsField(string(b), "AnonHugePages")
}
