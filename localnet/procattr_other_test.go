//go:build !linux

package localnet

import "syscall"

// tiedToParent is nil where the kernel cannot kill a child with its
// parent: the harness's cleanups stop the nodes.
func tiedToParent() *syscall.SysProcAttr { return nil }
