package snapshots

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtlog "github.com/cometbft/cometbft/libs/log"

	"github.com/lineageledger/lineaged/app/store"
)

// Files of the snapshot directory.
const (
	// tempPrefix names directories of snapshots being written or deleted;
	// they are never listed and are removed on start.
	tempPrefix = ".tmp-"
	// manifestFile describes a snapshot; written last, before the rename.
	manifestFile = "manifest.json"
)

// manifest is the description of a stored snapshot, kept as JSON beside
// its chunks so that an operator can read it.
type manifest struct {
	Height      uint64    `json:"height"`
	Format      uint32    `json:"format"`
	Chunks      uint32    `json:"chunks"`
	Hash        string    `json:"hash"`
	ChunkHashes []string  `json:"chunk_hashes"`
	AppHash     string    `json:"app_hash"`
	BlockTime   time.Time `json:"block_time"`
}

// stored is a snapshot on disk, as served to peers.
type stored struct {
	dir         string
	snapshot    *abci.Snapshot
	chunkHashes [][]byte
}

// Manager keeps the snapshot directory: it writes snapshots crash-safely,
// lists and serves them, and deletes the old ones. Its methods are safe
// for concurrent use.
type Manager struct {
	cfg    Config
	logger cmtlog.Logger

	mu   sync.Mutex // guards list
	list []*stored  // newest first

	// createMu makes creations take turns.
	createMu sync.Mutex

	// Background creation: at most one at a time; Close cancels and waits.
	bgMu   sync.Mutex
	busy   bool
	closed bool
	wg     sync.WaitGroup
	// ctx is cancelled by Close; it interrupts every creation.
	ctx    context.Context
	cancel context.CancelFunc
}

// dirName names the directory of the snapshot of height in format.
func dirName(height uint64, format uint32) string {
	return fmt.Sprintf("%020d-%d", height, format)
}

// parseDirName is the inverse of dirName; ok is false for any other name.
func parseDirName(name string) (height uint64, format uint32, ok bool) {
	hs, fs, found := strings.Cut(name, "-")
	if !found {
		return 0, 0, false
	}
	h, err1 := strconv.ParseUint(hs, 10, 64)
	f, err2 := strconv.ParseUint(fs, 10, 32)
	if err1 != nil || err2 != nil || dirName(h, uint32(f)) != name {
		return 0, 0, false
	}
	return h, uint32(f), true
}

// Open checks cfg and prepares cfg.Dir: it removes what unfinished
// creations and deletions left and loads the stored snapshots. With no
// directory the manager lists nothing and creates nothing. A nil logger
// logs nothing.
func Open(cfg Config, logger cmtlog.Logger) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = DefaultChunkSize
	}
	if logger == nil {
		logger = cmtlog.NewNopLogger()
	}
	m := &Manager{cfg: cfg, logger: logger}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	if cfg.Dir == "" {
		return m, nil
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create snapshot directory: %w", err)
	}
	if err := m.removeTemps(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("failed to read snapshot directory: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		s, err := loadStoredSnapshot(filepath.Join(cfg.Dir, e.Name()))
		if err != nil {
			logger.Error("ignoring unreadable snapshot", "dir", e.Name(), "err", err)
			continue
		}
		m.list = append(m.list, s)
	}
	m.sortList()
	return m, nil
}

// Config is the configuration the manager runs with, defaults filled in.
func (m *Manager) Config() Config { return m.cfg }

// Due reports whether the interval calls for a snapshot after committing
// height.
func (m *Manager) Due(height int64) bool {
	return m.cfg.Interval != 0 && height%m.cfg.Interval == 0
}

// sortList orders the list newest first: by height, then by format.
func (m *Manager) sortList() {
	slices.SortFunc(m.list, func(a, b *stored) int {
		if a.snapshot.Height != b.snapshot.Height {
			return cmp.Compare(b.snapshot.Height, a.snapshot.Height)
		}
		return cmp.Compare(b.snapshot.Format, a.snapshot.Format)
	})
}

// removeTemps deletes the leftovers of creations and deletions that did
// not finish.
func (m *Manager) removeTemps() error {
	entries, err := os.ReadDir(m.cfg.Dir)
	if err != nil {
		return fmt.Errorf("failed to read snapshot directory: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			if err := os.RemoveAll(filepath.Join(m.cfg.Dir, e.Name())); err != nil {
				return fmt.Errorf("failed to remove unfinished snapshot %s: %w", e.Name(), err)
			}
		}
	}
	return nil
}

// loadStoredSnapshot reads and checks the manifest of the snapshot in dir.
func loadStoredSnapshot(dir string) (*stored, error) {
	height, format, ok := parseDirName(filepath.Base(dir))
	if !ok {
		return nil, errors.New("not a snapshot directory name")
	}
	raw, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		return nil, fmt.Errorf("failed to read manifest: %w", err)
	}
	var mf manifest
	if err := json.Unmarshal(raw, &mf); err != nil {
		return nil, fmt.Errorf("failed to parse manifest: %w", err)
	}
	if mf.Height != height || mf.Format != format || int(mf.Chunks) != len(mf.ChunkHashes) {
		return nil, fmt.Errorf("manifest says height %d format %d with %d of %d chunk hashes", mf.Height, mf.Format, len(mf.ChunkHashes), mf.Chunks)
	}
	hashes := make([][]byte, len(mf.ChunkHashes))
	for i, h := range mf.ChunkHashes {
		if hashes[i], err = hex.DecodeString(h); err != nil || len(hashes[i]) != sha256.Size {
			return nil, fmt.Errorf("chunk hash %d is not a SHA-256", i)
		}
	}
	hash, err := hex.DecodeString(mf.Hash)
	if err != nil {
		return nil, fmt.Errorf("snapshot hash: %w", err)
	}
	metadata := Metadata(hashes)
	if _, err := ChunkHashes(mf.Chunks, hash, metadata); err != nil {
		return nil, err
	}
	return &stored{
		dir:         dir,
		snapshot:    &abci.Snapshot{Height: mf.Height, Format: mf.Format, Chunks: mf.Chunks, Hash: hash, Metadata: metadata},
		chunkHashes: hashes,
	}, nil
}

// List returns the stored snapshots, newest first.
func (m *Manager) List() []*abci.Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*abci.Snapshot, len(m.list))
	for i, s := range m.list {
		c := *s.snapshot
		out[i] = &c
	}
	return out
}

func (m *Manager) find(height uint64, format uint32) *stored {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.list {
		if s.snapshot.Height == height && s.snapshot.Format == format {
			return s
		}
	}
	return nil
}

// LoadChunk reads one chunk of a stored snapshot and checks it against its
// hash, so that a damaged file is never served. It fails for a snapshot
// not listed and for an index out of range.
func (m *Manager) LoadChunk(height uint64, format uint32, index uint32) ([]byte, error) {
	s := m.find(height, format)
	if s == nil {
		return nil, fmt.Errorf("no snapshot of height %d in format %d", height, format)
	}
	if index >= s.snapshot.Chunks {
		return nil, fmt.Errorf("chunk %d out of range: snapshot %d has %d chunks", index, height, s.snapshot.Chunks)
	}
	f, err := os.Open(chunkFile(s.dir, index))
	if err != nil {
		return nil, fmt.Errorf("failed to open chunk %d of snapshot %d: %w", index, height, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxChunkSize+1))
	if err != nil {
		return nil, fmt.Errorf("failed to read chunk %d of snapshot %d: %w", index, height, err)
	}
	if sum := sha256.Sum256(b); !bytes.Equal(sum[:], s.chunkHashes[index]) {
		return nil, fmt.Errorf("chunk %d of snapshot %d is damaged on disk", index, height)
	}
	return b, nil
}

// Create writes a snapshot of the exported version on the caller's
// goroutine, unless one of its height is stored already, then deletes the
// snapshots KeepRecent no longer keeps, and returns the snapshot. It stops
// early, leaving nothing behind, when ctx is cancelled or the manager is
// closed. The caller keeps exp and closes it.
func (m *Manager) Create(ctx context.Context, exp *store.Exporter) (*abci.Snapshot, error) {
	s, err := m.createAndPrune(ctx, exp)
	if err != nil {
		return nil, err
	}
	c := *s.snapshot
	return &c, nil
}

// createAndPrune creates a snapshot of the exported version and then
// deletes the snapshots KeepRecent no longer keeps.
func (m *Manager) createAndPrune(ctx context.Context, exp *store.Exporter) (*stored, error) {
	if m.cfg.Dir == "" {
		return nil, errors.New("no snapshot directory configured")
	}
	m.createMu.Lock()
	defer m.createMu.Unlock()
	s, err := m.create(ctx, exp)
	if err != nil {
		return nil, err
	}
	if err := m.prune(); err != nil {
		return s, err
	}
	return s, nil
}

// create writes a snapshot of the exported version: into a temporary
// directory, each file synced, then renamed into place, so that a crash
// never leaves a partial snapshot under a snapshot's name. It returns the
// stored snapshot (the existing one if that height is already stored).
// The caller holds createMu.
func (m *Manager) create(ctx context.Context, exp *store.Exporter) (*stored, error) {
	height := uint64(exp.Height())
	if s := m.find(height, Format); s != nil {
		return s, nil
	}
	if err := m.removeTemps(); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(m.cfg.Dir, tempPrefix)
	if err != nil {
		return nil, fmt.Errorf("failed to create snapshot directory: %w", err)
	}
	s, err := m.write(ctx, tmp, exp)
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(tmp))
	}
	final := filepath.Join(m.cfg.Dir, dirName(height, Format))
	if err := os.Rename(tmp, final); err != nil {
		return nil, errors.Join(fmt.Errorf("failed to move snapshot into place: %w", err), os.RemoveAll(tmp))
	}
	if err := syncDir(m.cfg.Dir); err != nil {
		return nil, err
	}
	s.dir = final
	m.mu.Lock()
	m.list = append(m.list, s)
	m.sortList()
	m.mu.Unlock()
	return s, nil
}

// write writes the stream of exp as chunks into dir, then the manifest.
func (m *Manager) write(ctx context.Context, dir string, exp *store.Exporter) (*stored, error) {
	cw := &chunkWriter{dir: dir, size: m.cfg.ChunkSize}
	defer func() {
		if cw.file != nil {
			cw.file.Close()
		}
	}()
	enc := NewEncoder(cw)
	if err := enc.Header(exp.Height(), exp.Time()); err != nil {
		return nil, err
	}
	for i := 0; ; i++ {
		if i%1024 == 0 {
			if err := cmp.Or(ctx.Err(), m.ctx.Err()); err != nil {
				return nil, fmt.Errorf("snapshot of height %d interrupted: %w", exp.Height(), err)
			}
		}
		n, err := exp.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := enc.Node(n); err != nil {
			return nil, err
		}
	}
	if err := enc.End(); err != nil {
		return nil, err
	}
	if err := cw.closeChunk(); err != nil {
		return nil, err
	}
	metadata := Metadata(cw.hashes)
	snap := &abci.Snapshot{
		Height:   uint64(exp.Height()),
		Format:   Format,
		Chunks:   uint32(len(cw.hashes)),
		Hash:     Hash(metadata),
		Metadata: metadata,
	}
	mf := manifest{
		Height: snap.Height, Format: snap.Format, Chunks: snap.Chunks, Hash: hex.EncodeToString(snap.Hash),
		AppHash: hex.EncodeToString(exp.Hash()), BlockTime: exp.Time(),
	}
	for _, h := range cw.hashes {
		mf.ChunkHashes = append(mf.ChunkHashes, hex.EncodeToString(h))
	}
	raw, err := json.MarshalIndent(mf, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("failed to encode snapshot manifest: %w", err)
	}
	if err := writeFileSync(filepath.Join(dir, manifestFile), raw); err != nil {
		return nil, err
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return &stored{snapshot: snap, chunkHashes: cw.hashes}, nil
}

// prune deletes all but the KeepRecent newest snapshots (none if
// KeepRecent is 0). A snapshot is first unlisted, then renamed to a
// temporary name and removed, so that a crash midway leaves nothing that
// could be listed. The caller holds createMu.
func (m *Manager) prune() error {
	if m.cfg.KeepRecent <= 0 {
		return nil
	}
	m.mu.Lock()
	var old []*stored
	if len(m.list) > m.cfg.KeepRecent {
		old = slices.Clone(m.list[m.cfg.KeepRecent:])
		m.list = m.list[:m.cfg.KeepRecent]
	}
	m.mu.Unlock()
	var errs []error
	for _, s := range old {
		doomed := filepath.Join(m.cfg.Dir, tempPrefix+"deleted-"+filepath.Base(s.dir))
		if err := os.Rename(s.dir, doomed); err != nil {
			errs = append(errs, fmt.Errorf("failed to delete snapshot %d: %w", s.snapshot.Height, err))
			continue
		}
		if err := os.RemoveAll(doomed); err != nil {
			errs = append(errs, fmt.Errorf("failed to delete snapshot %d: %w", s.snapshot.Height, err))
		}
	}
	return errors.Join(errs...)
}

// CreateInBackground runs [Manager.Create] for exp on its own goroutine
// unless one is already running or the manager is closed, and reports
// whether it started. The goroutine closes exp, then calls done with the
// snapshot or the error; a snapshot written whose pruning failed comes
// with the error.
func (m *Manager) CreateInBackground(exp *store.Exporter, done func(*abci.Snapshot, error)) bool {
	m.bgMu.Lock()
	defer m.bgMu.Unlock()
	if m.busy || m.closed {
		return false
	}
	m.busy = true
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		s, err := m.createAndPrune(m.ctx, exp)
		exp.Close()
		m.bgMu.Lock()
		m.busy = false
		m.bgMu.Unlock()
		var snap *abci.Snapshot
		if s != nil {
			snap = s.snapshot
		}
		done(snap, err)
	}()
	return true
}

// Wait blocks until no background creation is running.
func (m *Manager) Wait() { m.wg.Wait() }

// Close stops taking snapshots: it interrupts a creation under way and
// waits for a background one to stop. What is stored stays listed and
// served.
func (m *Manager) Close() {
	m.bgMu.Lock()
	m.closed = true
	m.bgMu.Unlock()
	m.cancel()
	m.wg.Wait()
}

func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("failed to create %s: %w", filepath.Base(path), err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("failed to write %s: %w", filepath.Base(path), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("failed to sync %s: %w", filepath.Base(path), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("failed to close %s: %w", filepath.Base(path), err)
	}
	return nil
}

// syncDir makes the entries of dir (creations, renames) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("failed to open %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("failed to sync %s: %w", dir, err)
	}
	return nil
}
