//go:build unix

package keyring

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
)

// signWithin runs an external signer with a short timeout and fails the
// test unless Sign returns an error containing want within limit.
func signWithin(t *testing.T, command string, timeout, limit time.Duration, want string) {
	t.Helper()
	priv, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
	s := &ExternalSigner{Key: priv.Public(), Command: command, Timeout: timeout}
	type result struct {
		err  error
		took time.Duration
	}
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		_, err := s.Sign([]byte("x"))
		done <- result{err, time.Since(start)}
	}()
	select {
	case r := <-done:
		if r.err == nil || !strings.Contains(r.err.Error(), want) {
			t.Fatalf("Sign = %v, want an error containing %q", r.err, want)
		}
		if r.took > limit {
			t.Fatalf("Sign took %v, want at most %v", r.took, limit)
		}
	case <-time.After(limit + 10*time.Second):
		t.Fatalf("Sign still running after %v (limit %v)", limit+10*time.Second, limit)
	}
}

// waitGone fails the test unless the process pid ends within a few
// seconds. A zombie counts as ended: it holds no pipe and runs nothing,
// and whether it is reaped is up to the system's init.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
			if _, rest, ok := strings.Cut(string(stat), ") "); ok && strings.HasPrefix(rest, "Z") {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Fatalf("process %d outlived the signer", pid)
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// TestExternalSignerTimeoutKillsChildren: the shell's children hold the
// output pipes open; the timeout must still end the call, and kill them.
func TestExternalSignerTimeoutKillsChildren(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	t.Run("sleep then echo", func(t *testing.T) {
		signWithin(t, "sleep 30; echo x", time.Second, 4*time.Second, "timed out after 1s")
	})
	t.Run("background child", func(t *testing.T) {
		signWithin(t, "sleep 30 & echo $! > "+pidFile+"; wait", time.Second, 4*time.Second, "timed out after 1s")
		waitGone(t, readPid(t, pidFile))
	})
	t.Run("never exits", func(t *testing.T) {
		signWithin(t, "trap '' TERM HUP INT; while :; do sleep 1; done", time.Second, 4*time.Second, "timed out after 1s")
	})
}

// TestExternalSignerLeftoverChild: a wrapper that prints a signature and
// exits, leaving a child that holds its output open, does not hold the
// call until the child ends; the child is killed.
func TestExternalSignerLeftoverChild(t *testing.T) {
	self, _ := os.Executable()
	priv, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
	pidFile := filepath.Join(t.TempDir(), "pid")
	cmd := "LINEAGED_TEST_SIGNER_KEY=ed25519:" + hexKey(priv) + " '" + self + "'; sleep 30 & echo $! > " + pidFile
	s := &ExternalSigner{Key: priv.Public(), Command: cmd, Timeout: 20 * time.Second}
	start := time.Now()
	sig, err := s.Sign([]byte("body"))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("Sign took %v: it waited for the leftover child", took)
	}
	if err := keys.Verify(priv.Public(), []byte("body"), sig); err != nil {
		t.Fatal(err)
	}
	waitGone(t, readPid(t, pidFile))
}

// TestExternalSignerOutputCap: a signer that prints far more than any
// signature is stopped at the cap, not read into memory to the end.
func TestExternalSignerOutputCap(t *testing.T) {
	t.Run("endless", func(t *testing.T) {
		signWithin(t, "yes", 20*time.Second, 5*time.Second, "printed more than 64 KiB")
	})
	t.Run("50 MB", func(t *testing.T) {
		signWithin(t, "head -c 52428800 /dev/zero", 20*time.Second, 5*time.Second, "printed more than 64 KiB")
	})
	t.Run("endless stderr", func(t *testing.T) {
		// Diagnostics are kept only up to a bound; the timeout ends it.
		signWithin(t, "yes >&2", time.Second, 4*time.Second, "timed out after 1s")
	})
}

func hexKey(priv *keys.PrivateKey) string { return hex.EncodeToString(priv.Bytes()) }
