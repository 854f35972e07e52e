package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/lineageledger/lineaged/node/manifest"
)

// artefactRoot computes the manifest root digest of the model directory an
// --artefact flag names, as `lineaged hash model` does: a progress bar on a
// terminal, Ctrl-C stops it, and the digest is printed on stderr so the
// user sees which bytes were judged. It runs before any timeout of the
// command's own starts: hashing a large model is not waiting for a node.
func (e *env) artefactRoot(cmd *cobra.Command, dir string) (string, error) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	opts := manifest.Options{}
	bar := newProgressBar(e.stderr)
	if bar != nil {
		opts.OnProgress = bar.update
	}
	m, err := manifest.Build(ctx, expandHome(dir), opts)
	bar.finish()
	switch {
	case errors.Is(err, context.Canceled):
		return "", errors.New("interrupted while hashing --artefact")
	case errors.Is(err, manifest.ErrNotDir):
		return "", fmt.Errorf("--artefact: %w: it names a model's directory", err)
	case err != nil:
		return "", fmt.Errorf("--artefact: %w", err)
	}
	root := m.Root.String()
	fmt.Fprintf(e.stderr, "artefact %s has manifest root %s\n", dir, root)
	return root, nil
}
