package manifest

import (
	"context"
	"fmt"
	"io"

	"github.com/lineageledger/lineaged/x/kit/digest"
)

// chunkSize is the read size for hashing: large enough for full disk
// throughput, small enough that a pool of workers stays in a few MiB (the
// same 1 MiB model_signing reads with).
const chunkSize = 1 << 20

// HashFile streams r through algo (digest.SHA256, digest.SHA512 or
// digest.Blake2b256) and returns the digest and the number of bytes read.
func HashFile(r io.Reader, algo string) (digest.Digest, int64, error) {
	return HashFileProgress(r, algo, nil)
}

// HashFileProgress is [HashFile] reporting the bytes read so far to
// onRead (if not nil) after each chunk, for a progress display.
func HashFileProgress(r io.Reader, algo string, onRead func(total int64)) (digest.Digest, int64, error) {
	var read int64
	var report func(int64)
	if onRead != nil {
		report = func(n int64) {
			read += n
			onRead(read)
		}
	}
	return hashStream(context.Background(), r, algo, make([]byte, chunkSize), report)
}

// hashStream hashes r with buf as the only copy buffer, stopping when ctx
// is cancelled and reporting each chunk read to onRead (if not nil).
func hashStream(ctx context.Context, r io.Reader, algo string, buf []byte, onRead func(int64)) (digest.Digest, int64, error) {
	h, err := digest.New(algo)
	if err != nil {
		return digest.Digest{}, 0, err
	}
	src := &chunkReader{ctx: ctx, r: r, onRead: onRead}
	// chunkReader has no WriteTo and hashes have no ReadFrom, so io.CopyBuffer
	// really uses buf: memory stays constant whatever the input size.
	n, err := io.CopyBuffer(h, src, buf)
	if err != nil {
		return digest.Digest{}, n, fmt.Errorf("failed to read after %d bytes: %w", n, err)
	}
	return digest.Digest{Algorithm: algo, Value: h.Sum(nil)}, n, nil
}

// chunkReader makes a long read cancellable and observable.
type chunkReader struct {
	ctx    context.Context
	r      io.Reader
	onRead func(int64)
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	if n > 0 && c.onRead != nil {
		c.onRead(int64(n))
	}
	return n, err
}
