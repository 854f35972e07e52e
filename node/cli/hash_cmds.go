package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lineageledger/lineaged/node/manifest"
	"github.com/lineageledger/lineaged/x/kit/digest"
)

func (e *env) hashCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hash",
		Short: "Compute the content digests Lineage Ledger identifies artefacts by",
		Long: `Compute canonical content digests ("sha256:<hex>") locally, without a node.

  hash file   digests one file (or stdin)
  hash model  digests a model directory into a manifest compatible with the
              OpenSSF model-signing project (model_signing), whose root
              digest identifies the model`,
	}
	cmd.AddCommand(e.hashFileCmd(), e.hashModelCmd())
	return cmd
}

func (e *env) hashFileCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "file PATH",
		Short: "Print a file's canonical digest (PATH - reads stdin)",
		Long: `Print the canonical digest of a file, streamed (any size, constant memory).
PATH - reads stdin. With -o json prints {"path","digest","size"}. A progress
bar is shown on stderr when it is a terminal and the file is large. Empty
standard input gets a warning: it is usually a failed command piped in (run
pipelines with set -o pipefail), and its digest is that of nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			algo := e.v.GetString("algorithm")
			if _, err := digest.New(algo); err != nil {
				return fmt.Errorf("--algorithm %q: want %s, %s or %s", algo, digest.SHA256, digest.SHA512, digest.Blake2b256)
			}
			path := args[0]
			var r io.Reader = e.stdin
			var total int64 // 0: unknown
			if path != "-" {
				f, err := openRegularOrStream(path)
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
				if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
					total = info.Size()
				}
			}
			var onRead func(int64)
			bar := newProgressBar(e.stderr)
			if bar != nil && total >= progressMinBytes {
				onRead = func(n int64) { bar.update(manifest.Progress{TotalFiles: 1, Bytes: n, TotalBytes: total}) }
			}
			d, size, err := manifest.HashFileProgress(r, algo, onRead)
			bar.finish()
			if err != nil {
				return fmt.Errorf("failed to hash %s: %w", path, err)
			}
			if path == "-" && size == 0 {
				fmt.Fprintln(e.stderr, "warning: standard input was empty, so this is the digest of nothing; if a command was piped in, check that it succeeded (set -o pipefail)")
			}
			if e.json() {
				return printJSON(e.stdout, struct {
					Path   string `json:"path"`
					Digest string `json:"digest"`
					Size   int64  `json:"size,string"`
				}{path, d.String(), size})
			}
			_, err = fmt.Fprintln(e.stdout, d.String())
			return err
		},
	}
	cmd.Flags().String("algorithm", digest.SHA256, "digest algorithm: sha256, sha512 or blake2b-256")
	return cmd
}

// openRegularOrStream opens anything readable but a directory, whose
// digest would be meaningless (hash model is for those).
func openRegularOrStream(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("failed to open %s: %w", path, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("failed to stat %s: %w", path, err)
	}
	if info.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s is a directory; digest a model directory with `lineaged hash model %s`", path, path)
	}
	return f, nil
}

func (e *env) hashModelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model DIR",
		Short: "Hash a model directory into a model_signing-compatible manifest",
		Long: `Hash every regular file under DIR with SHA-256 and print the model's root
digest ("sha256:<hex>"): SHA-256 over the per-file digests in manifest order,
the digest the OpenSSF model-signing project (model_signing) puts in the
subject of its in-toto statement, and the one Lineage Ledger records.

Files are named by their "/"-separated path relative to DIR. Excluded by
default, at the top of DIR only: .git, .gitattributes, .github, .gitignore
(keep them with --include-git) and the signature file model.sig. Add more
with --ignore PATH (relative to DIR, repeatable; a directory excludes all
below it). Empty directories are not recorded. Symbolic links are refused
unless --allow-symlinks (links to files are then hashed as their target);
pipes, sockets and devices are always refused.

--manifest FILE writes the in-toto statement (the payload model_signing
signs) to FILE; a FILE inside DIR is excluded from the hash. With -o json
prints {"root_digest","manifest_digest","files","manifest"}, where
manifest_digest is the sha256 of the statement bytes and files the number
of files hashed. A progress bar is shown on stderr when it is a terminal.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			dir := args[0]
			// Read directly rather than through viper: file names may hold
			// commas, which viper's list conversion would split.
			ignore, err := cmd.Flags().GetStringArray("ignore")
			if err != nil {
				return err
			}
			manifestPath := e.v.GetString("manifest")
			if manifestPath != "" {
				inside, err := isInside(dir, manifestPath)
				if err != nil {
					return err
				}
				if inside {
					abs, err := filepath.Abs(manifestPath)
					if err != nil {
						return err
					}
					ignore = append(ignore, abs)
				}
			}
			opts := manifest.Options{
				Ignore:        ignore,
				IncludeGit:    e.v.GetBool("include-git"),
				AllowSymlinks: e.v.GetBool("allow-symlinks"),
				Workers:       e.v.GetInt("workers"),
			}
			bar := newProgressBar(e.stderr)
			if bar != nil {
				opts.OnProgress = bar.update
			}

			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
			defer stop()
			m, err := manifest.Build(ctx, dir, opts)
			bar.finish()
			switch {
			case errors.Is(err, context.Canceled):
				return errors.New("interrupted")
			case errors.Is(err, manifest.ErrNotDir):
				return fmt.Errorf("%w; digest a single file with `lineaged hash file %s`", err, dir)
			case err != nil:
				return err
			}
			stmt, err := m.Statement(e.v.GetString("name"))
			if err != nil {
				return err
			}
			if manifestPath != "" {
				if err := writeFileAtomic(manifestPath, stmt); err != nil {
					return err
				}
			}
			manifestDigest, err := digest.Of(digest.SHA256, stmt)
			if err != nil {
				return err
			}
			if e.json() {
				return printJSON(e.stdout, struct {
					RootDigest     string          `json:"root_digest"`
					ManifestDigest string          `json:"manifest_digest"`
					Files          int             `json:"files"`
					Manifest       json.RawMessage `json:"manifest"`
				}{m.Root.String(), manifestDigest.String(), len(m.Files), stmt})
			}
			if manifestPath != "" {
				fmt.Fprintf(e.stderr, "wrote the manifest of %d files to %s (the statement's own digest: %s); the model's root digest, which identifies the weights, follows\n",
					len(m.Files), manifestPath, manifestDigest)
			}
			_, err = fmt.Fprintln(e.stdout, m.Root.String())
			return err
		},
	}
	cmd.Flags().String("manifest", "", "write the manifest (in-toto statement JSON) to this file")
	cmd.Flags().String("name", "", "model name in the manifest subject (default: DIR's base name)")
	cmd.Flags().StringArray("ignore", nil, "path to exclude, relative to DIR (repeatable)")
	cmd.Flags().Bool("include-git", false, "hash .git, .gitattributes, .github and .gitignore too")
	cmd.Flags().Bool("allow-symlinks", false, "follow symbolic links to files (recorded in the manifest)")
	cmd.Flags().Int("workers", 0, "files hashed in parallel (default: number of CPUs)")
	return cmd
}

// isInside reports whether path lies within dir.
func isInside(dir, path string) (bool, error) {
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return false, err
	}
	absPath, err := filepath.Abs(path)
	if err != nil {
		return false, err
	}
	rel, err := filepath.Rel(absDir, absPath)
	if err != nil {
		return false, nil
	}
	return rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && rel != ".", nil
}

// writeFileAtomic replaces path only once the new content is fully written.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return nil
}

// progressBar draws a one-line bar on a terminal, redrawn at most ten times
// a second.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	last  time.Time
	drawn bool
}

// newProgressBar returns nil (a no-op bar) unless w is a terminal, so pipes
// and log files never receive control characters.
func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progressBar{w: w}
}

const barWidth = 30

// progressMinBytes is the size from which hashing one file shows a bar: a
// smaller one is done before a bar would be seen.
const progressMinBytes = 64 << 20

func (b *progressBar) update(p manifest.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if p.Files < p.TotalFiles && now.Sub(b.last) < 100*time.Millisecond {
		return
	}
	b.last = now
	percent := int64(100)
	if p.TotalBytes > 0 {
		percent = p.Bytes * 100 / p.TotalBytes
	}
	filled := int(percent * barWidth / 100)
	fmt.Fprintf(b.w, "\r[%s%s] %3d%%  %s / %s  %d/%d files\x1b[K",
		strings.Repeat("=", filled), strings.Repeat(" ", barWidth-filled), percent,
		humanBytes(p.Bytes), humanBytes(p.TotalBytes), p.Files, p.TotalFiles)
	b.drawn = true
}

// finish erases the bar, leaving the terminal as it was.
func (b *progressBar) finish() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprint(b.w, "\r\x1b[K")
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
