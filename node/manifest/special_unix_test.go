//go:build unix

package manifest

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestBuildRefusesSpecialFiles(t *testing.T) {
	t.Run("named pipe", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"w.bin": "w", "sub/": ""})
		if err := syscall.Mkfifo(filepath.Join(dir, "sub", "pipe"), 0o644); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		// Refused while walking: the pipe is never opened, so this cannot hang.
		_, err := Build(context.Background(), dir, Options{})
		if !errors.Is(err, ErrSpecialFile) || !strings.Contains(err.Error(), "sub/pipe") || !strings.Contains(err.Error(), "named pipe") {
			t.Fatalf("err = %v, want ErrSpecialFile naming sub/pipe", err)
		}
		// Ignoring it is the way out.
		if _, err := Build(context.Background(), dir, Options{Ignore: []string{"sub/pipe"}}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("socket", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"w.bin": "w"})
		sock := filepath.Join(dir, "s.sock")
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Skipf("unix socket: %v", err)
		}
		defer l.Close()
		if _, err := Build(context.Background(), dir, Options{}); !errors.Is(err, ErrSpecialFile) || !strings.Contains(err.Error(), "socket") {
			t.Fatalf("err = %v, want ErrSpecialFile for a socket", err)
		}
	})
	t.Run("symlink to a device, when symlinks are allowed", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"w.bin": "w"})
		if err := syscall.Symlink("/dev/null", filepath.Join(dir, "null")); err != nil {
			t.Skipf("symlink: %v", err)
		}
		if _, err := Build(context.Background(), dir, Options{AllowSymlinks: true}); !errors.Is(err, ErrSpecialFile) || !strings.Contains(err.Error(), "device") {
			t.Fatalf("err = %v, want ErrSpecialFile for a device", err)
		}
	})
}
