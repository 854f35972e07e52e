//go:build unix

package bench

import "syscall"

// flushDisks writes back what the page cache holds dirty.
func flushDisks() { syscall.Sync() }
