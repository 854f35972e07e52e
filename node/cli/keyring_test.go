package cli

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/node/keyring"
)

// noTerminal makes every prompt find no terminal, as in CI.
func noTerminal(t *testing.T) {
	t.Helper()
	old := openTTY
	openTTY = func() (*os.File, error) { return nil, errors.New("no terminal") }
	t.Cleanup(func() { openTTY = old })
}

// fastScrypt makes keyring encryption cheap for the test.
func fastScrypt(t *testing.T) {
	t.Helper()
	old := keyring.ScryptWorkFactor
	keyring.ScryptWorkFactor = 10
	t.Cleanup(func() { keyring.ScryptWorkFactor = old })
}

// unsetEnv removes a variable for the test and restores it after.
func unsetEnv(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "")
	os.Unsetenv(name)
}

// TestExportPassphraseSources: when the export passphrase is missing,
// export and import name its own variable and flag, not the keyring's.
func TestExportPassphraseSources(t *testing.T) {
	noTerminal(t)
	unsetEnv(t, ExportPassphraseEnv)
	unsetEnv(t, PassphraseEnv)
	dir, _, _ := testKeyring(t)
	armored := filepath.Join(t.TempDir(), "alice.asc")
	os.WriteFile(armored, []byte("not used"), 0o600)
	for _, args := range [][]string{
		{"keys", "export", "alice", "--keyring-dir", dir},
		{"keys", "import", "alice2", armored, "--keyring-dir", dir},
	} {
		r := runCLI(nil, "", args...)
		if r.code == 0 {
			t.Fatalf("%v succeeded without an export passphrase", args)
		}
		for _, want := range []string{"export passphrase", "$" + ExportPassphraseEnv, "--export-passphrase-file"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%v: stderr %q does not name %q", args, r.stderr, want)
			}
		}
		for _, wrong := range []string{PassphraseEnv, " --passphrase-file"} {
			if strings.Contains(r.stderr, wrong) {
				t.Errorf("%v: stderr %q names the keyring's %q", args, r.stderr, wrong)
			}
		}
	}
	// The keyring passphrase still names its own sources.
	r := runCLI(nil, "", "keys", "add", "carol", "--keyring-dir", t.TempDir())
	for _, want := range []string{"$" + PassphraseEnv, "--passphrase-file"} {
		if r.code == 0 || !strings.Contains(r.stderr, want) {
			t.Errorf("keys add: code %d, stderr %q does not name %q", r.code, r.stderr, want)
		}
	}
	// So does the help.
	r = runCLI(nil, "", "keys", "export", "--help")
	if !strings.Contains(r.stdout, "$"+ExportPassphraseEnv) || !strings.Contains(r.stdout, "--export-passphrase-file") {
		t.Errorf("keys export --help does not name the export passphrase's sources:\n%s", r.stdout)
	}
}

// TestPassphraseFileModeWarning: a passphrase file others can read is
// used, with one warning naming the file, its mode and the fix.
func TestPassphraseFileModeWarning(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are a Unix matter")
	}
	fastScrypt(t)
	unsetEnv(t, PassphraseEnv)
	unsetEnv(t, ExportPassphraseEnv)
	files := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(files, name)
		if err := os.WriteFile(p, []byte("correct horse battery\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
		return p
	}
	private, group, world := write("private", 0o600), write("group", 0o640), write("world", 0o644)

	for _, tc := range []struct {
		file string
		warn string // "" for none
	}{
		{private, ""},
		{group, "0640"},
		{world, "0644"},
	} {
		dir := t.TempDir()
		r := runCLI(nil, "", "keys", "add", "alice", "--keyring-dir", dir, "--passphrase-file", tc.file)
		if r.code != 0 {
			t.Fatalf("keys add with %s: %s", tc.file, r.stderr)
		}
		n := strings.Count(r.stderr, "WARNING")
		if tc.warn == "" {
			if n != 0 {
				t.Errorf("%s: unexpected warning: %s", tc.file, r.stderr)
			}
			continue
		}
		if n != 1 {
			t.Errorf("%s: %d warnings, want 1: %s", tc.file, n, r.stderr)
		}
		for _, want := range []string{tc.file, tc.warn, "chmod 600"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%s: warning %q does not say %q", tc.file, r.stderr, want)
			}
		}
		// Export reads both files and warns about each once.
		r = runCLI(nil, "", "keys", "export", "alice", "--keyring-dir", dir, "--passphrase-file", tc.file, "--export-passphrase-file", world)
		if r.code != 0 {
			t.Fatalf("keys export: %s", r.stderr)
		}
		if got, want := strings.Count(r.stderr, "WARNING"), 1+btoi(tc.file != world); got != want {
			t.Errorf("export with %s: %d warnings, want %d: %s", tc.file, got, want, r.stderr)
		}
	}
}

// TestPassphraseFileWarnsOnce: a command that opens several keyrings
// with one passphrase file warns about it once.
func TestPassphraseFileWarnsOnce(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are a Unix matter")
	}
	fastScrypt(t)
	unsetEnv(t, PassphraseEnv)
	pass := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(pass, []byte("correct horse battery\n"), 0o644)
	os.Chmod(pass, 0o644)
	out := filepath.Join(t.TempDir(), "net")
	r := runCLI(nil, "", "testnet", "--validators", "3", "--output-dir", out, "--encrypt-keys", "--passphrase-file", pass)
	if r.code != 0 {
		t.Fatalf("testnet: %s", r.stderr)
	}
	if n := strings.Count(r.stderr, "WARNING: passphrase file"); n != 1 {
		t.Fatalf("%d warnings about the passphrase file, want 1: %s", n, r.stderr)
	}
}
