package localnet

import "syscall"

// tiedToParent makes a node process die with the test binary (a timeout
// panic skips cleanups), rather than hold its addresses for the next run.
func tiedToParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
