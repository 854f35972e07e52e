package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/node/manifest"
)

// TestRegisterRefusesPath: a directory given as --manifest-digest is
// refused before anything is signed or sent, with the command that makes
// its digest; --artefact computes it.
func TestRegisterRefusesPath(t *testing.T) {
	isolate(t)
	fake := newFakeNode(t)
	dir, _, _ := testKeyring(t)
	model := filepath.Join(t.TempDir(), "support-bot")
	if err := os.MkdirAll(model, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(model, "weights.bin"), []byte("weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"--from", "alice", "--keyring-dir", dir, "--node", fake.url, "--home", t.TempDir()}
	register := func(args ...string) cliRun {
		return runCLI(friendlyGroups, "", append(append([]string{"tx", "models", "register", "dev/bot@1.0"}, args...), common...)...)
	}

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--manifest-digest", model}, []string{"is a path, not a digest", "lineaged hash model " + model, "--artefact " + model}},
		{[]string{"--manifest-digest", "./support-bot"}, []string{"is a path, not a digest"}},
		{[]string{"--manifest-digest", "sha256:abc"}, []string{"--manifest-digest"}},
		{[]string{"--manifest-digest", "sha256:" + strings.Repeat("5", 64), "--dataset", "data/clean.csv"}, []string{"--dataset", "lineaged hash file data/clean.csv"}},
		{nil, []string{"--manifest-digest or --artefact is required"}},
		{[]string{"--artefact", model, "--manifest-digest", "sha256:" + strings.Repeat("5", 64)}, []string{"not both"}},
	} {
		run := register(tc.args...)
		if run.code != exitUsage {
			t.Errorf("%q: exit %d, want usage", tc.args, run.code)
		}
		for _, want := range tc.want {
			if !strings.Contains(run.stderr, want) {
				t.Errorf("%q: stderr lacks %q:\n%s", tc.args, want, run.stderr)
			}
		}
		if asked := fake.take(); len(asked) > 0 {
			t.Errorf("%q: the node was asked %d times", tc.args, len(asked))
		}
	}

	m, err := manifest.Build(t.Context(), model, manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := register("--artefact", model, "--sequence", "1", "--dry-run")
	if run.code != 0 || !strings.Contains(run.stderr, "has manifest root "+m.Root.String()) {
		t.Fatalf("--artefact: exit %d, stderr %s", run.code, run.stderr)
	}
	asked := fake.take()
	if len(asked) != 1 || !strings.Contains(string(asked[0].data), m.Root.String()) {
		t.Errorf("--artefact: the simulated transaction does not carry %s", m.Root)
	}
}
