package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/lineageledger/lineaged/node/manifest"
)

// TestArtefactRoot: --artefact gives the root `hash model` gives, says so on
// stderr, and refuses a file with what it expects instead.
func TestArtefactRoot(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "weights.bin"), []byte("weights"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	e := &env{stderr: &stderr}
	cmd := &cobra.Command{}
	cmd.SetContext(t.Context())
	got, err := e.artefactRoot(cmd, dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Build(t.Context(), dir, manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got != m.Root.String() {
		t.Errorf("root %s, want %s", got, m.Root)
	}
	if !strings.Contains(stderr.String(), "has manifest root "+got) {
		t.Errorf("stderr %q does not name the root", stderr.String())
	}
	if _, err := e.artefactRoot(cmd, filepath.Join(dir, "weights.bin")); err == nil || !strings.Contains(err.Error(), "names a model's directory") {
		t.Errorf("a file as --artefact: %v", err)
	}
}
