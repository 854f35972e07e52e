package snapshots

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/lineageledger/lineaged/app/store"
)

// Format is the one snapshot format this package writes and restores; see
// the package documentation for its layout.
const Format uint32 = 1

// Bounds of the snapshot format. A restoring node holds at most one
// partly received item in memory, so these bound its memory; a snapshot
// whose state breaks them cannot be written.
const (
	// magic opens every stream.
	magic = "lineage-snapshot"
	// maxKeyBytes and maxValueBytes bound one node.
	maxKeyBytes   = 4 << 20
	maxValueBytes = 64 << 20
	// MaxChunks keeps the chunk hash list (the Metadata) well inside
	// CometBFT's 4 MB limit on a snapshot advertisement.
	MaxChunks = 100_000
	// maxNodeHeight is above any real tree's height: an AVL tree of height
	// 100 would need more leaves than there are atoms.
	maxNodeHeight = 100
)

// Stream item tags.
const (
	itemNode byte = 1
	itemEnd  byte = 2
)

// ErrMalformed marks snapshot content that is not a well-formed stream of
// [Format]. The chunks carrying it matched the snapshot's own hashes, so
// the snapshot itself is bad, not the peer that sent a chunk of it.
var ErrMalformed = errors.New("malformed snapshot")

// Encoder writes the stream of one exported version: [Encoder.Header],
// then [Encoder.Node] for every node in export order, then [Encoder.End].
type Encoder struct {
	w     *bufio.Writer
	nodes uint64
	buf   []byte
}

// NewEncoder returns an encoder writing to w, buffered.
func NewEncoder(w io.Writer) *Encoder {
	return &Encoder{w: bufio.NewWriterSize(w, 64<<10)}
}

// Header writes the magic, the format, the height and the block time of
// the exported version.
func (e *Encoder) Header(height int64, blockTime time.Time) error {
	b := append(e.buf[:0], magic...)
	b = binary.AppendUvarint(b, uint64(Format))
	b = binary.AppendUvarint(b, uint64(height))
	if blockTime.IsZero() {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendVarint(b, blockTime.UnixNano())
	}
	e.buf = b
	_, err := e.w.Write(b)
	return err
}

// Node writes one tree node. A node beyond the format's bounds is refused.
func (e *Encoder) Node(n store.ExportNode) error {
	if len(n.Key) > maxKeyBytes || len(n.Value) > maxValueBytes {
		return fmt.Errorf("state key %x… of %d bytes with a value of %d bytes exceeds the snapshot format's bounds", n.Key[:min(len(n.Key), 16)], len(n.Key), len(n.Value))
	}
	if n.Height < 0 || n.Version < 1 {
		return fmt.Errorf("exported node %x has height %d and version %d", n.Key, n.Height, n.Version)
	}
	b := append(e.buf[:0], itemNode, byte(n.Height))
	b = binary.AppendUvarint(b, uint64(n.Version))
	b = binary.AppendUvarint(b, uint64(len(n.Key)))
	b = append(b, n.Key...)
	if n.Height == 0 {
		b = binary.AppendUvarint(b, uint64(len(n.Value)))
		b = append(b, n.Value...)
	}
	e.buf = b
	e.nodes++
	_, err := e.w.Write(b)
	return err
}

// End writes the end marker with the node count and flushes.
func (e *Encoder) End() error {
	b := binary.AppendUvarint(append(e.buf[:0], itemEnd), e.nodes)
	if _, err := e.w.Write(b); err != nil {
		return err
	}
	return e.w.Flush()
}

// Decoder parses the stream as it arrives, chunk by chunk, and hands each
// header and node on as soon as it is complete. It keeps only the unparsed
// tail of what it was given, so it holds at most one unfinished item.
type Decoder struct {
	onHeader func(height int64, blockTime time.Time) error
	onNode   func(store.ExportNode) error

	pending    []byte
	headerDone bool
	ended      bool
	nodes      uint64
}

// NewDecoder returns a decoder that passes the stream's header to onHeader
// and then each node to onNode; an error either returns stops the decoding
// and is returned by [Decoder.Feed].
func NewDecoder(onHeader func(height int64, blockTime time.Time) error, onNode func(store.ExportNode) error) *Decoder {
	return &Decoder{onHeader: onHeader, onNode: onNode}
}

// Feed parses p after whatever was left over. Content that breaks the
// format gives an error wrapping [ErrMalformed].
func (d *Decoder) Feed(p []byte) error {
	buf := p
	if len(d.pending) > 0 {
		buf = append(d.pending, p...)
	}
	off := 0
	for off < len(buf) {
		n, err := d.item(buf[off:])
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		off += n
	}
	switch {
	case off == len(buf):
		d.pending = nil
	case off == 0 && len(d.pending) > 0:
		d.pending = buf // already a copy of ours; no need to copy it again
	default:
		d.pending = bytes.Clone(buf[off:])
	}
	return nil
}

// Finish checks that the stream ended exactly at its end marker.
func (d *Decoder) Finish() error {
	if !d.ended || len(d.pending) > 0 {
		return fmt.Errorf("%w: stream truncated", ErrMalformed)
	}
	return nil
}

// item parses one item at the start of b and returns its length, or 0 if b
// holds only part of it.
func (d *Decoder) item(b []byte) (int, error) {
	if d.ended {
		return 0, fmt.Errorf("%w: data after the end marker", ErrMalformed)
	}
	c := cursor{b: b}
	if !d.headerDone {
		opening := c.take(len(magic))
		format := c.uvarint()
		height := c.uvarint()
		hasTime := c.byte()
		var nanos int64
		if hasTime == 1 {
			nanos = c.varint()
		}
		if c.err == nil && opening != nil && string(opening) != magic {
			return 0, fmt.Errorf("%w: not a snapshot stream", ErrMalformed)
		}
		if c.err != nil || c.short {
			return 0, c.err
		}
		if format != uint64(Format) {
			return 0, fmt.Errorf("%w: stream of format %d", ErrMalformed, format)
		}
		if height == 0 || height > 1<<62 || hasTime > 1 {
			return 0, fmt.Errorf("%w: header height %d, time flag %d", ErrMalformed, height, hasTime)
		}
		var t time.Time
		if hasTime == 1 {
			t = time.Unix(0, nanos).UTC()
		}
		d.headerDone = true
		return c.off, d.onHeader(int64(height), t)
	}
	switch tag := c.byte(); {
	case c.short:
		return 0, nil
	case tag == itemEnd:
		count := c.uvarint()
		if c.err != nil || c.short {
			return 0, c.err
		}
		if count != d.nodes {
			return 0, fmt.Errorf("%w: end marker counts %d nodes, stream had %d", ErrMalformed, count, d.nodes)
		}
		d.ended = true
		return c.off, nil
	case tag != itemNode:
		return 0, fmt.Errorf("%w: unknown item tag %d", ErrMalformed, tag)
	}
	height := c.byte()
	version := c.uvarint()
	keyLen := c.uvarint()
	if c.err == nil && !c.short && keyLen > maxKeyBytes {
		return 0, fmt.Errorf("%w: key of %d bytes", ErrMalformed, keyLen)
	}
	if c.err == nil && !c.short && (height > maxNodeHeight || version > 1<<62) {
		return 0, fmt.Errorf("%w: node height %d, version %d", ErrMalformed, height, version)
	}
	key := c.take(int(keyLen))
	var value []byte
	if height == 0 {
		valueLen := c.uvarint()
		if c.err == nil && !c.short && valueLen > maxValueBytes {
			return 0, fmt.Errorf("%w: value of %d bytes", ErrMalformed, valueLen)
		}
		value = c.take(int(valueLen))
	}
	if c.err != nil || c.short {
		return 0, c.err
	}
	n := store.ExportNode{Key: bytes.Clone(key), Version: int64(version), Height: int8(height)}
	if height == 0 {
		n.Value = append([]byte{}, value...) // never nil: a leaf has a value
	}
	d.nodes++
	return c.off, d.onNode(n)
}

// cursor reads from a buffer that may end early: once short is set, every
// further read returns zero values.
type cursor struct {
	b     []byte
	off   int
	short bool
	err   error
}

func (c *cursor) ok() bool { return !c.short && c.err == nil }

func (c *cursor) byte() byte {
	if !c.ok() {
		return 0
	}
	if c.off >= len(c.b) {
		c.short = true
		return 0
	}
	c.off++
	return c.b[c.off-1]
}

func (c *cursor) uvarint() uint64 {
	if !c.ok() {
		return 0
	}
	v, n := binary.Uvarint(c.b[c.off:])
	c.skipVarint(n)
	return v
}

func (c *cursor) varint() int64 {
	if !c.ok() {
		return 0
	}
	v, n := binary.Varint(c.b[c.off:])
	c.skipVarint(n)
	return v
}

// skipVarint moves past a varint of n bytes as binary.(U)varint reported
// it: 0 means the input ends inside it, a negative n that it overflows.
func (c *cursor) skipVarint(n int) {
	switch {
	case n == 0:
		c.short = true
	case n < 0:
		c.err = fmt.Errorf("%w: varint overflows", ErrMalformed)
	default:
		c.off += n
	}
}

func (c *cursor) take(n int) []byte {
	if !c.ok() {
		return nil
	}
	if len(c.b)-c.off < n {
		c.short = true
		return nil
	}
	c.off += n
	return c.b[c.off-n : c.off]
}

// chunkWriter splits what is written to it into files of size bytes
// (the last may be shorter), named by index in dir, each synced to disk,
// and records the SHA-256 of each.
type chunkWriter struct {
	dir    string
	size   int
	file   *os.File
	filled int
	sum    hash.Hash
	hashes [][]byte
}

func chunkFile(dir string, index uint32) string {
	return filepath.Join(dir, fmt.Sprintf("%06d", index))
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if w.file == nil {
			if len(w.hashes) >= MaxChunks {
				return written, fmt.Errorf("snapshot needs more than %d chunks: raise the chunk size", MaxChunks)
			}
			f, err := os.OpenFile(chunkFile(w.dir, uint32(len(w.hashes))), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				return written, fmt.Errorf("failed to create snapshot chunk: %w", err)
			}
			w.file, w.filled, w.sum = f, 0, sha256.New()
		}
		part := p[:min(len(p), w.size-w.filled)]
		if _, err := w.file.Write(part); err != nil {
			return written, fmt.Errorf("failed to write snapshot chunk: %w", err)
		}
		w.sum.Write(part)
		w.filled += len(part)
		written += len(part)
		p = p[len(part):]
		if w.filled == w.size {
			if err := w.closeChunk(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// closeChunk syncs and closes the chunk being written, if any.
func (w *chunkWriter) closeChunk() error {
	if w.file == nil {
		return nil
	}
	f := w.file
	w.file = nil
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("failed to sync snapshot chunk: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("failed to close snapshot chunk: %w", err)
	}
	w.hashes = append(w.hashes, w.sum.Sum(nil))
	return nil
}

// Metadata encodes the chunk hashes as the Snapshot's Metadata: their
// concatenation, 32 bytes each, in chunk order.
func Metadata(chunkHashes [][]byte) []byte {
	return bytes.Join(chunkHashes, nil)
}

// Hash is the Snapshot's Hash: the SHA-256 of its Metadata, that is, of
// the chunk hashes in order.
func Hash(metadata []byte) []byte {
	h := sha256.Sum256(metadata)
	return h[:]
}

// ChunkHashes checks a snapshot's metadata against its chunk count and
// hash and splits it into the chunk hashes.
func ChunkHashes(chunks uint32, hash, metadata []byte) ([][]byte, error) {
	if chunks == 0 || chunks > MaxChunks {
		return nil, fmt.Errorf("%d chunks outside [1, %d]", chunks, MaxChunks)
	}
	if len(metadata) != int(chunks)*sha256.Size {
		return nil, fmt.Errorf("metadata of %d bytes for %d chunks, want %d", len(metadata), chunks, int(chunks)*sha256.Size)
	}
	if !bytes.Equal(Hash(metadata), hash) {
		return nil, fmt.Errorf("hash %X is not the hash of the chunk list", hash)
	}
	out := make([][]byte, chunks)
	for i := range out {
		out[i] = metadata[i*sha256.Size : (i+1)*sha256.Size]
	}
	return out, nil
}
