package bench

import "syscall"

// tiedToParent makes a node process die with this one, so that a
// benchmark killed halfway leaves no network running.
func tiedToParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
