package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyArtefactExitCodes: --artefact DIR has an exit code of its own
// for a receipt about another artefact, placed after "another question"
// and before staleness and the verdict; a directory that cannot be hashed
// is unusable input. (The fixture is a DENY of alpha/bot@1.0, whose
// manifest digest no directory has; the ALLOW of a matching directory is
// in cmd/lineaged/testdata/auditor.txtar.)
func TestVerifyArtefactExitCodes(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "model.safetensors"), []byte("weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	g := []string{fixtureReceipt, "--trust", fixtureGenesis}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"another artefact", []string{"--artefact", dir}, 6, "it is about the artefact with manifest digest sha256:5555"},
		{"another artefact before the verdict and staleness", []string{"--artefact", dir, "--expect-verdict", "allow", "--not-before", "9"}, 6, "receipt is about another artefact"},
		{"another question first", []string{"--artefact", dir, "--expect-org", "beta"}, 4, "receipt answers another question"},
		{"the directory is hashed and named", []string{"--artefact", dir}, 6, "artefact " + dir + " has manifest root sha256:"},
		{"no such directory", []string{"--artefact", filepath.Join(dir, "missing")}, 2, "--artefact"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := runCLI(friendlyGroups, "", append(append([]string{"verify"}, g...), c.args...)...)
			if got.code != c.code || !strings.Contains(got.stdout+got.stderr, c.want) {
				t.Fatalf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", got.code, c.code, c.want, got.stdout, got.stderr)
			}
		})
	}
}
