package manifest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/lineageledger/lineaged/x/kit/digest"
)

// Names fixed by the model_signing format.
const (
	// HashType is the per-file and root digest algorithm of a manifest.
	HashType = digest.SHA256
	// SignatureFile is model_signing's default signature file name, excluded
	// from the manifest so signing a model in place does not change it.
	SignatureFile = "model.sig"
)

// GitPaths are the git metadata entries model_signing excludes by default
// (at the top level of the model directory only).
var GitPaths = []string{".git", ".gitattributes", ".github", ".gitignore"}

// Errors Build can return (wrapped, with the offending path); test with
// errors.Is.
var (
	ErrSymlink     = errors.New("symbolic link not allowed")
	ErrSpecialFile = errors.New("not a regular file or directory")
	ErrEmptyModel  = errors.New("model contains no regular files after applying exclusions")
	ErrNotDir      = errors.New("not a directory")
	ErrBadPath     = errors.New("invalid path")
)

// File is one manifest entry.
type File struct {
	// Path is relative to the model directory, "/"-separated, valid UTF-8.
	Path string
	// Digest is the SHA-256 of the file's content.
	Digest digest.Digest
	// Size is the number of bytes hashed.
	Size int64
}

// Manifest is a hashed model directory.
type Manifest struct {
	// Name is the model's name for the statement subject; Build uses the
	// base name of the directory. Informational only.
	Name string
	// Files are the entries in manifest order (see the package doc).
	Files []File
	// Root is the SHA-256 over the raw file digests in Files order.
	Root digest.Digest
	// AllowSymlinks records whether symbolic links to files were followed.
	AllowSymlinks bool
	// IgnorePaths are the excluded paths, relative to the model directory.
	IgnorePaths []string
}

// TotalSize is the number of bytes hashed over all files.
func (m *Manifest) TotalSize() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// Options tune Build. The zero value is model_signing's default.
type Options struct {
	// Ignore lists extra paths to exclude, relative to the model directory
	// (either separator), or absolute paths inside it. A directory excludes
	// everything below it. No globbing.
	Ignore []string
	// IncludeGit hashes the git metadata entries (GitPaths) too.
	IncludeGit bool
	// AllowSymlinks follows symbolic links to regular files.
	AllowSymlinks bool
	// Workers bounds how many files are hashed at once; 0 means GOMAXPROCS.
	Workers int
	// OnProgress, if set, is called after every chunk hashed and every file
	// finished. Calls never overlap, but come from worker goroutines.
	OnProgress func(Progress)
}

// Progress is a snapshot of a running Build.
type Progress struct {
	Files, TotalFiles int
	Bytes, TotalBytes int64
}

// Build hashes the model directory dir.
func Build(ctx context.Context, dir string, opts Options) (*Manifest, error) {
	if opts.Workers < 0 {
		return nil, fmt.Errorf("workers must not be negative, got %d", opts.Workers)
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("failed to resolve model directory %s: %w", dir, err)
	}
	walkRoot, err := checkModelDir(dir, opts.AllowSymlinks)
	if err != nil {
		return nil, err
	}
	ignores, err := ignoreList(absDir, opts)
	if err != nil {
		return nil, err
	}
	entries, err := walk(ctx, walkRoot, ignores, opts.AllowSymlinks)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%s: %w", dir, ErrEmptyModel)
	}
	workers := opts.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	files, err := hashAll(ctx, entries, min(workers, len(entries)), newTracker(entries, opts.OnProgress))
	if err != nil {
		return nil, err
	}
	return &Manifest{
		Name:          filepath.Base(absDir),
		Files:         files,
		Root:          rootDigest(files),
		AllowSymlinks: opts.AllowSymlinks,
		IgnorePaths:   ignores,
	}, nil
}

// checkModelDir refuses a model path that is not a directory, or (as
// model_signing does) that is itself a symlink when symlinks are not allowed.
// It returns the directory to walk: dir, or its target if dir is a link.
func checkModelDir(dir string, allowSymlinks bool) (string, error) {
	info, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("failed to open model directory: %w", err)
	}
	walkRoot := dir
	if info.Mode()&fs.ModeSymlink != 0 {
		if !allowSymlinks {
			return "", fmt.Errorf("model directory %s: %w (pass its resolved path, or allow symlinks)", dir, ErrSymlink)
		}
		// WalkDir does not descend into a symlinked root, so walk its target.
		if walkRoot, err = filepath.EvalSymlinks(dir); err != nil {
			return "", fmt.Errorf("failed to resolve model directory: %w", err)
		}
		if info, err = os.Stat(walkRoot); err != nil {
			return "", fmt.Errorf("failed to open model directory: %w", err)
		}
	}
	if !info.IsDir() {
		return "", fmt.Errorf("model directory %s: %w", dir, ErrNotDir)
	}
	return walkRoot, nil
}

// ignoreList is the sorted, de-duplicated set of excluded paths.
func ignoreList(absDir string, opts Options) ([]string, error) {
	list := []string{SignatureFile}
	if !opts.IncludeGit {
		list = append(list, GitPaths...)
	}
	for _, p := range opts.Ignore {
		rel, err := relativeIgnore(absDir, p)
		if err != nil {
			return nil, err
		}
		list = append(list, rel)
	}
	slices.SortFunc(list, comparePaths)
	return slices.Compact(list), nil
}

// relativeIgnore turns a user's ignore path into a clean "/"-separated path
// relative to the model directory.
func relativeIgnore(absDir, p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("ignore path: %w: empty", ErrBadPath)
	}
	rel := p
	if filepath.IsAbs(p) {
		r, err := filepath.Rel(absDir, p)
		if err != nil {
			return "", fmt.Errorf("ignore path %q: %w: %v", p, ErrBadPath, err)
		}
		rel = r
	}
	clean := path.Clean(filepath.ToSlash(rel))
	switch {
	case clean == ".":
		return "", fmt.Errorf("ignore path %q: %w: it is the whole model directory", p, ErrBadPath)
	case clean == ".." || strings.HasPrefix(clean, "../") || path.IsAbs(clean):
		return "", fmt.Errorf("ignore path %q: %w: outside the model directory", p, ErrBadPath)
	case !utf8.ValidString(clean):
		return "", fmt.Errorf("ignore path %q: %w: not valid UTF-8", p, ErrBadPath)
	}
	return clean, nil
}

func isIgnored(rel string, ignores []string) bool {
	for _, p := range ignores {
		if rel == p || strings.HasPrefix(rel, p+"/") {
			return true
		}
	}
	return false
}

// entry is a file found by walk, to be hashed.
type entry struct {
	rel  string // manifest path
	path string // path to open
	size int64
}

// walk lists the regular files under dir in manifest order, applying the
// exclusions and the symlink and special-file rules.
func walk(ctx context.Context, dir string, ignores []string, allowSymlinks bool) ([]entry, error) {
	var entries []entry
	// WalkDir does not follow symlinked directories, and reports symlinks
	// as such: each is judged below.
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("failed to read %s: %w", p, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return fmt.Errorf("failed to name %s within the model: %w", p, err)
		}
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if !utf8.ValidString(rel) {
			return fmt.Errorf("%q: %w: file name is not valid UTF-8", rel, ErrBadPath)
		}
		if isIgnored(rel, ignores) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		mode := d.Type()
		switch {
		case mode.IsDir():
			return nil
		case mode.IsRegular():
			info, err := d.Info()
			if err != nil {
				return fmt.Errorf("failed to stat %s: %w", p, err)
			}
			entries = append(entries, entry{rel: rel, path: p, size: info.Size()})
			return nil
		case mode&fs.ModeSymlink != 0:
			if !allowSymlinks {
				return fmt.Errorf("%s: %w (model_signing's default; allow symlinks to hash link targets)", rel, ErrSymlink)
			}
			target, err := os.Stat(p)
			if err != nil {
				return fmt.Errorf("%s: broken or unreadable symbolic link: %w", rel, err)
			}
			switch {
			case target.Mode().IsRegular():
				entries = append(entries, entry{rel: rel, path: p, size: target.Size()})
				return nil
			case target.IsDir():
				return fmt.Errorf("%s: %w: links to a directory, which is never followed", rel, ErrSymlink)
			}
			return fmt.Errorf("%s: %w: links to a %s", rel, ErrSpecialFile, describeMode(target.Mode()))
		}
		return fmt.Errorf("%s: %w: it is a %s", rel, ErrSpecialFile, describeMode(mode))
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(entries, func(a, b entry) int { return comparePaths(a.rel, b.rel) })
	return entries, nil
}

func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file (" + m.Type().String() + ")"
}

// comparePaths orders "/"-separated paths component by component, as
// Python's pathlib.PurePosixPath does (so "a/b" < "a-b" < "a.b"). Byte order
// within a component equals code point order for valid UTF-8.
func comparePaths(a, b string) int {
	for {
		aHead, aRest, aMore := strings.Cut(a, "/")
		bHead, bRest, bMore := strings.Cut(b, "/")
		if c := strings.Compare(aHead, bHead); c != 0 {
			return c
		}
		switch {
		case !aMore && !bMore:
			return 0
		case !aMore:
			return -1
		case !bMore:
			return 1
		}
		a, b = aRest, bRest
	}
}

// rootDigest is SHA-256 over the concatenated raw file digests.
func rootDigest(files []File) digest.Digest {
	var raw bytes.Buffer
	for _, f := range files {
		raw.Write(f.Digest.Value)
	}
	d, _ := digest.Of(HashType, raw.Bytes()) // HashType is always known
	return d
}

// hashAll hashes entries on a pool of workers; results land at their
// entry's index, so the output order never depends on scheduling.
func hashAll(parent context.Context, entries []entry, workers int, track *tracker) ([]File, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	files := make([]File, len(entries))
	errs := make([]error, len(entries))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			buf := make([]byte, chunkSize)
			for i := range next {
				f, err := hashEntry(ctx, entries[i], buf, track)
				if err != nil {
					errs[i] = err
					cancel()
					continue
				}
				files[i] = f
			}
		})
	}
feed:
	for i := range entries {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := firstError(parent, errs); err != nil {
		return nil, err
	}
	return files, nil
}

// firstError picks the error to report: the caller's cancellation, else the
// failure of the first file in manifest order, skipping the cancellations
// that failure caused in the other workers.
func firstError(parent context.Context, errs []error) error {
	if err := parent.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return nil
}

func hashEntry(ctx context.Context, e entry, buf []byte, track *tracker) (File, error) {
	f, err := os.Open(e.path)
	if err != nil {
		return File{}, fmt.Errorf("failed to open %s: %w", e.rel, err)
	}
	defer f.Close()
	d, n, err := hashStream(ctx, f, HashType, buf, track.addBytes)
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", e.rel, err)
	}
	track.fileDone()
	return File{Path: e.rel, Digest: d, Size: n}, nil
}

// tracker serialises progress reports from the workers.
type tracker struct {
	mu       sync.Mutex
	progress Progress
	report   func(Progress)
}

func newTracker(entries []entry, report func(Progress)) *tracker {
	t := &tracker{report: report, progress: Progress{TotalFiles: len(entries)}}
	for _, e := range entries {
		t.progress.TotalBytes += e.size
	}
	return t
}

func (t *tracker) addBytes(n int64) {
	if t.report == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.progress.Bytes += n
	t.report(t.progress)
}

func (t *tracker) fileDone() {
	if t.report == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.progress.Files++
	t.report(t.progress)
}
