package snapshots

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/lineageledger/lineaged/app/store"
)

// decoded is what a Decoder handed on.
type decoded struct {
	height int64
	time   time.Time
	nodes  []store.ExportNode
}

func (d *decoded) decoder() *Decoder {
	return NewDecoder(
		func(h int64, t time.Time) error { d.height, d.time = h, t; return nil },
		func(n store.ExportNode) error { d.nodes = append(d.nodes, n); return nil },
	)
}

// decodeIn feeds stream to a decoder in pieces cut at cuts and finishes.
func decodeIn(stream []byte, cuts []int) (*decoded, error) {
	d := &decoded{}
	dec := d.decoder()
	prev := 0
	for _, c := range append(slices.Clone(cuts), len(stream)) {
		if err := dec.Feed(stream[prev:c]); err != nil {
			return d, err
		}
		prev = c
	}
	return d, dec.Finish()
}

// encodeNodes is the stream of a version at height with these nodes.
func encodeNodes(height int64, blockTime time.Time, nodes []store.ExportNode) ([]byte, error) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	if err := enc.Header(height, blockTime); err != nil {
		return nil, err
	}
	for _, n := range nodes {
		if err := enc.Node(n); err != nil {
			return nil, err
		}
	}
	if err := enc.End(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func encodeStream(t *testing.T, height int64, blockTime time.Time, nodes []store.ExportNode) []byte {
	t.Helper()
	b, err := encodeNodes(height, blockTime, nodes)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sampleNodes() []store.ExportNode {
	return []store.ExportNode{
		{Key: []byte("a"), Value: []byte("1"), Version: 1},
		{Key: []byte("b"), Value: []byte{}, Version: 3},
		{Key: []byte("b"), Version: 3, Height: 1},
		{Key: bytes.Repeat([]byte("c"), 300), Value: bytes.Repeat([]byte{7}, 5000), Version: 1 << 40},
		{Key: bytes.Repeat([]byte("c"), 300), Version: 1 << 40, Height: 2},
	}
}

// TestDecoderAnySplit: however the stream is cut into chunks, the
// decoder hands on the same header and nodes, and keeps nothing once done.
func TestDecoderAnySplit(t *testing.T) {
	when := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.UTC)
	nodes := sampleNodes()
	stream := encodeStream(t, 1<<40, when, nodes)
	rng := rand.New(rand.NewSource(1))
	splits := [][]int{nil, {1}, {len(stream) - 1}}
	var every []int
	for i := 1; i < len(stream); i++ {
		every = append(every, i)
	}
	splits = append(splits, every)
	for range 50 {
		var cuts []int
		for i := 1; i < len(stream); i++ {
			if rng.Intn(40) == 0 {
				cuts = append(cuts, i)
			}
		}
		splits = append(splits, cuts)
	}
	for _, cuts := range splits {
		d, err := decodeIn(stream, cuts)
		if err != nil {
			t.Fatalf("cut at %v: %v", cuts, err)
		}
		if d.height != 1<<40 || !d.time.Equal(when) || fmt.Sprint(d.nodes) != fmt.Sprint(nodes) {
			t.Fatalf("cut at %v: decoded %d %v %v", cuts, d.height, d.time, d.nodes)
		}
		for i, n := range d.nodes {
			if (n.Height == 0) != (n.Value != nil) {
				t.Fatalf("node %d: leaf %v with value %v", i, n.Height == 0, n.Value)
			}
		}
	}
	// No block time recorded: none restored.
	d, err := decodeIn(encodeStream(t, 9, time.Time{}, nodes[:1]), nil)
	if err != nil || !d.time.IsZero() || d.height != 9 {
		t.Fatalf("stream without a block time: %v %v %d", err, d.time, d.height)
	}
}

// TestDecoderBoundsMemory: an item declaring more than the format
// allows is refused as soon as its length is read, and a large item is
// held only until it is complete.
func TestDecoderBoundsMemory(t *testing.T) {
	header := encodeStream(t, 5, time.Time{}, nil)
	header = header[:len(header)-2] // drop the end marker
	nodeHead := func(height byte, version uint64, keyLen uint64) []byte {
		b := append([]byte{itemNode, height}, binary.AppendUvarint(nil, version)...)
		return binary.AppendUvarint(b, keyLen)
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"key too long", nodeHead(0, 1, maxKeyBytes+1)},
		{"value too long", binary.AppendUvarint(append(nodeHead(0, 1, 1), 'k'), maxValueBytes+1)},
		{"varint overflow", append(nodeHead(0, 1, 0)[:2], bytes.Repeat([]byte{0xff}, 11)...)},
		{"height out of range", nodeHead(maxNodeHeight+1, 1, 1)},
		{"unknown tag", []byte{7}},
		{"wrong node count", []byte{itemEnd, 3}},
		{"data after the end", []byte{itemEnd, 0, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dec := (&decoded{}).decoder()
			err := dec.Feed(append(slices.Clone(header), tc.data...))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Feed = %v, want ErrMalformed", err)
			}
		})
	}
	badHeaders := map[string][]byte{
		"format 2":      append([]byte(magic), 2, 5, 0),
		"height 0":      append([]byte(magic), 1, 0, 0),
		"time flag 2":   append([]byte(magic), 1, 5, 2),
		"another magic": append([]byte("lineage-snapshoT"), 1, 5, 0),
	}
	for name, h := range badHeaders {
		if err := (&decoded{}).decoder().Feed(h); !errors.Is(err, ErrMalformed) {
			t.Errorf("header %s: %v, want ErrMalformed", name, err)
		}
	}

	// A 100 KB value arriving in 1 KB pieces: held, then released.
	big := store.ExportNode{Key: []byte("k"), Value: bytes.Repeat([]byte{1}, 100<<10), Version: 1}
	stream := encodeStream(t, 5, time.Time{}, []store.ExportNode{big})
	d := &decoded{}
	dec := d.decoder()
	peak := 0
	for off := 0; off < len(stream); off += 1 << 10 {
		if err := dec.Feed(stream[off:min(off+1<<10, len(stream))]); err != nil {
			t.Fatal(err)
		}
		peak = max(peak, len(dec.pending))
	}
	if err := dec.Finish(); err != nil {
		t.Fatal(err)
	}
	if len(d.nodes) != 1 || !bytes.Equal(d.nodes[0].Value, big.Value) {
		t.Fatal("large value not decoded")
	}
	if peak > len(big.Value)+64 || len(dec.pending) != 0 {
		t.Fatalf("decoder held up to %d bytes and %d at the end", peak, len(dec.pending))
	}
}

func TestEncoderRefusesOversizeNodes(t *testing.T) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	for _, n := range []store.ExportNode{
		{Key: make([]byte, maxKeyBytes+1), Value: []byte{1}, Version: 1},
		{Key: []byte("k"), Value: []byte{1}, Version: 0},
		{Key: []byte("k"), Value: []byte{1}, Version: 1, Height: -1},
	} {
		if err := enc.Node(n); err == nil {
			t.Errorf("encoded a node with a %d-byte key, version %d, height %d", len(n.Key), n.Version, n.Height)
		}
	}
}

// FuzzDecoder: no input panics the decoder, and where the input is
// cut makes no difference to what it decodes or rejects.
func FuzzDecoder(f *testing.F) {
	seed, err := encodeNodes(3, time.Unix(5, 0), sampleNodes())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed, 7)
	f.Add(append([]byte(magic), 1, 1, 0, itemEnd, 0), 17)
	f.Add([]byte(magic), 3)
	f.Fuzz(func(t *testing.T, stream []byte, cut int) {
		whole, errWhole := decodeIn(stream, nil)
		if cut <= 0 || cut >= len(stream) {
			return
		}
		split, errSplit := decodeIn(stream, []int{cut})
		if (errWhole == nil) != (errSplit == nil) {
			t.Fatalf("whole: %v; cut at %d: %v", errWhole, cut, errSplit)
		}
		if errWhole == nil && (whole.height != split.height || fmt.Sprint(whole.nodes) != fmt.Sprint(split.nodes)) {
			t.Fatal("cutting the stream changed what it decodes to")
		}
	})
}
