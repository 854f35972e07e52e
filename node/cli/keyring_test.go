package cli

import (
	"errors"
	"os"
	"path/filepath"
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
