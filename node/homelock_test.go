package node

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestLockHome: a second hold on a home is refused with the holder's
// process id (and, on Linux, its command line) and the lock's path; once
// released, the home can be taken again.
func TestLockHome(t *testing.T) {
	home := t.TempDir()
	first, err := LockHome(home)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "windows" {
		first.Release()
		t.Skip("no advisory locks: the databases' own locks protect a home")
	}
	_, err = LockHome(home)
	var inUse *HomeInUseError
	if !errors.As(err, &inUse) || !errors.Is(err, ErrHomeInUse) {
		t.Fatalf("second lock: %v, want a HomeInUseError", err)
	}
	if inUse.PID != os.Getpid() || inUse.LockPath != HomeLockPath(home) {
		t.Errorf("holder %+v, want pid %d and lock %s", inUse, os.Getpid(), HomeLockPath(home))
	}
	msg := err.Error()
	for _, want := range []string{home, HomeLockPath(home), "stop it first"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not say %q", msg, want)
		}
	}
	if runtime.GOOS == "linux" && !strings.Contains(inUse.Command, os.Args[0]) {
		t.Errorf("holder's command %q, want it to name %s", inUse.Command, os.Args[0])
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := LockHome(home)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again.Release()
}
