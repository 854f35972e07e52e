//go:build !linux

package bench

import "syscall"

// tiedToParent is nil where the kernel cannot kill a child with its
// parent: the benchmark stops its networks itself when it ends, but one
// killed halfway leaves their processes running.
func tiedToParent() *syscall.SysProcAttr { return nil }
