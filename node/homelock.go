package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrHomeInUse means another process runs a node, or a replay, with the
// home. The error that wraps it is a [*HomeInUseError].
var ErrHomeInUse = errors.New("home is in use")

// HomeLockFile is the file, under a home's data directory, that a process
// running a node holds locked and writes its process id into.
const HomeLockFile = "lineaged.lock"

// HomeLockPath is where home's lock file is.
func HomeLockPath(home string) string { return filepath.Join(home, "data", HomeLockFile) }

// HomeInUseError says who holds a home: the process id written in the lock
// file and, where the system tells (Linux's /proc), its command line.
type HomeInUseError struct {
	Home     string
	LockPath string
	// PID is the holder's process id, 0 if the lock file does not say.
	PID int
	// Command is the holder's command line, empty if unknown.
	Command string
}

func (e *HomeInUseError) Error() string {
	holder := "another process"
	switch {
	case e.PID != 0 && e.Command != "":
		holder = fmt.Sprintf("another process (pid %d: %s)", e.PID, e.Command)
	case e.PID != 0:
		holder = fmt.Sprintf("another process (pid %d)", e.PID)
	}
	return fmt.Sprintf("home %s is in use: %s is running a node with it (it holds %s); stop it first, or use another --home",
		e.Home, holder, e.LockPath)
}

func (e *HomeInUseError) Unwrap() error { return ErrHomeInUse }

// HomeLock is a process's hold on a home, taken before it opens the
// home's databases so that a second process is told who holds the home
// instead of failing on a database lock ("resource temporarily
// unavailable"). The operating system releases it when the process ends,
// however it ends.
type HomeLock struct {
	f *os.File
}

// LockHome takes home's lock, or returns a [*HomeInUseError] naming the
// process that holds it. On systems without advisory file locks it only
// records the process id, and the databases' own locks protect the home.
func LockHome(home string) (*HomeLock, error) {
	path := HomeLockPath(home)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to open %s: %w", path, err)
	}
	locked, err := tryLockFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("failed to lock %s: %w", path, err)
	}
	if !locked {
		f.Close()
		return nil, homeInUse(home, path)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &HomeLock{f: f}, nil
}

// Release gives the home up. The lock file stays: removing it could let
// two processes each lock a file of the same name.
func (l *HomeLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// homeInUse describes the holder of home's lock from what it wrote.
func homeInUse(home, path string) error {
	e := &HomeInUseError{Home: home, LockPath: path}
	b, err := os.ReadFile(path)
	if err != nil {
		return e
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
		e.PID = pid
		e.Command = processCommand(pid)
	}
	return e
}

// processCommand is pid's command line, from /proc where there is one,
// cut to a length that fits a message; "" if unknown.
func processCommand(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
