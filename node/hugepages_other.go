//go:build !linux

package node

import "time"

// StartHugePages does nothing where the node does not know how to ask for
// huge pages.
func StartHugePages(enabled bool, _ time.Duration) *HugePages {
	h := &HugePages{Enabled: enabled, Mode: "unsupported", stop: make(chan struct{}), done: make(chan struct{})}
	close(h.done)
	return h
}

// HugePagesInUse is unknown on this platform.
func HugePagesInUse() (int64, bool) { return 0, false }
