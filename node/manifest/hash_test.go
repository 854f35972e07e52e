package manifest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/x/kit/digest"
)

// Known answers computed independently (Python hashlib) for "abc" and "".
func TestHashFileKnownAnswers(t *testing.T) {
	tests := []struct {
		algo, input, want string
	}{
		{digest.SHA256, "abc", "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{digest.SHA256, "", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{digest.SHA512, "abc", "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
		{digest.Blake2b256, "abc", "blake2b-256:bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"},
		{digest.Blake2b256, "", "blake2b-256:0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"},
	}
	for _, tt := range tests {
		t.Run(tt.algo+"/"+tt.input, func(t *testing.T) {
			d, n, err := HashFile(strings.NewReader(tt.input), tt.algo)
			if err != nil {
				t.Fatal(err)
			}
			if d.String() != tt.want {
				t.Errorf("digest = %s, want %s", d, tt.want)
			}
			if n != int64(len(tt.input)) {
				t.Errorf("size = %d, want %d", n, len(tt.input))
			}
			if err := digest.Validate(d.String()); err != nil {
				t.Errorf("not canonical: %v", err)
			}
		})
	}
}

func TestHashFileRejectsUnknownAlgorithm(t *testing.T) {
	if _, _, err := HashFile(strings.NewReader("x"), "md5"); !errors.Is(err, digest.ErrInvalid) {
		t.Fatalf("err = %v, want digest.ErrInvalid", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestHashFileReportsReadErrors(t *testing.T) {
	_, _, err := HashFile(io.MultiReader(strings.NewReader("abc"), failingReader{}), digest.SHA256)
	if err == nil || !strings.Contains(err.Error(), "disk on fire") || !strings.Contains(err.Error(), "after 3 bytes") {
		t.Fatalf("err = %v", err)
	}
}

// A pipe behaves like stdin: no size, data arrives in small pieces.
func TestHashFileStreamsFromPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	chunk := bytes.Repeat([]byte("stdin-chunk;"), 341)
	const chunks = 1000
	go func() {
		defer w.Close()
		for range chunks {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}()
	want := sha256.New()
	for range chunks {
		want.Write(chunk)
	}
	total := int64(chunks * len(chunk))
	d, n, err := HashFile(r, digest.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if n != total {
		t.Errorf("size = %d, want %d", n, total)
	}
	if d.Hex() != hex.EncodeToString(want.Sum(nil)) {
		t.Errorf("digest = %s, want %x", d, want.Sum(nil))
	}
}

// writeLargeFile writes size bytes of a deterministic pattern and returns
// their SHA-256, computed independently while writing.
func writeLargeFile(t *testing.T, p string, size int) string {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	chunk := make([]byte, 1<<20)
	for i := 0; i < size; i += len(chunk) {
		for j := range chunk {
			chunk[j] = byte((i/len(chunk))*31 + j*7 + j>>9)
		}
		n := min(len(chunk), size-i)
		if _, err := f.Write(chunk[:n]); err != nil {
			t.Fatal(err)
		}
		h.Write(chunk[:n])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// allocatedBy reports the bytes allocated on the heap while fn ran: an upper
// bound on heap growth, and far below the input size only if fn streams.
func allocatedBy(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

const largeSize = 64 << 20

func TestHashFileLargeFileBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 64 MiB file")
	}
	p := filepath.Join(t.TempDir(), "large.bin")
	want := writeLargeFile(t, p, largeSize)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var d digest.Digest
	var n int64
	alloc := allocatedBy(func() { d, n, err = HashFile(f, digest.SHA256) })
	if err != nil {
		t.Fatal(err)
	}
	if d.Hex() != want || n != largeSize {
		t.Fatalf("got %s (%d bytes), want %s (%d bytes)", d.Hex(), n, want, largeSize)
	}
	if alloc > 4<<20 {
		t.Errorf("hashing %d MiB allocated %d bytes; want a constant few MiB", largeSize>>20, alloc)
	}
	t.Logf("hashing %d MiB allocated %d KiB", largeSize>>20, alloc>>10)
}

func TestBuildLargeFileBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 64 MiB file")
	}
	dir := t.TempDir()
	want := writeLargeFile(t, filepath.Join(dir, "weights.bin"), largeSize)
	writeTree(t, dir, map[string]string{"config.json": "{}"})
	var m *Manifest
	var err error
	const workers = 4
	alloc := allocatedBy(func() { m, err = Build(context.Background(), dir, Options{Workers: workers}) })
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Files[1]; got.Path != "weights.bin" || got.Digest.Hex() != want || got.Size != largeSize {
		t.Fatalf("weights.bin entry = %+v, want digest %s", got, want)
	}
	// One 1 MiB buffer per worker, plus bookkeeping.
	if alloc > workers<<20+4<<20 {
		t.Errorf("building a %d MiB model allocated %d bytes; want about %d MiB", largeSize>>20, alloc, workers)
	}
	t.Logf("building a %d MiB model allocated %d KiB", largeSize>>20, alloc>>10)
}

// TestHashFileProgress: the progress hook sees the running total, ending
// at the size, and the digest is that of HashFile.
func TestHashFileProgress(t *testing.T) {
	data := bytes.Repeat([]byte("lineage"), 3*chunkSize/7+5)
	var seen []int64
	d, n, err := HashFileProgress(bytes.NewReader(data), "sha256", func(total int64) { seen = append(seen, total) })
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := HashFile(bytes.NewReader(data), "sha256")
	if d.String() != want.String() || n != int64(len(data)) {
		t.Fatalf("HashFileProgress = %v, %d; want %v, %d", d, n, want, len(data))
	}
	if len(seen) < 3 || seen[len(seen)-1] != int64(len(data)) || !slices.IsSorted(seen) {
		t.Fatalf("progress %v, want increasing totals ending at %d", seen, len(data))
	}
}
