package store

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/store/proof"
	"github.com/lineageledger/lineaged/app/store/proofv1"
)

// benchKey is shaped like a module key: a sub-prefix, a length byte and a
// digest-sized identifier.
func benchKey(i int) []byte {
	sum := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
	return append([]byte{'l', 0x01, byte(len(sum))}, sum[:]...)
}

// benchValue is the size of a typical record (a dataset, ~300 bytes).
func benchValue(i int) []byte {
	v := make([]byte, 300)
	binary.BigEndian.PutUint64(v, uint64(i))
	return v
}

var benchTime = time.Unix(1_800_000_000, 0)

// benchStore opens a store of the backend (pebbledb in a temporary
// directory, with fsync on commit as a node has it) holding n keys,
// committed in blocks of 10,000.
func benchStore(b *testing.B, backend string, n int) *Store {
	b.Helper()
	cfg := Config{Backend: backend}
	if backend == "pebbledb" {
		cfg.Dir, cfg.SyncWrites = b.TempDir(), true
	}
	s, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	for lo := 0; lo < n; lo += 10_000 {
		c := NewCache(s.Committed())
		for i := lo; i < min(lo+10_000, n); i++ {
			c.Set(benchKey(i), benchValue(i))
		}
		if err := s.Apply(c); err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.Commit(benchTime); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// BenchmarkBlockWrites measures what a block's state writes cost the tree:
// 1,000 new keys applied to the working tree (Store.Apply) and committed
// as a new version (Store.Commit), over trees of 10,000 and 100,000 keys,
// in memory and on pebble with fsync.
func BenchmarkBlockWrites(b *testing.B) {
	const perBlock = 1000
	for _, backend := range []string{"memdb", "pebbledb"} {
		for _, existing := range []int{10_000, 100_000} {
			b.Run(fmt.Sprintf("%s/%dk-keys", backend, existing/1000), func(b *testing.B) {
				s := benchStore(b, backend, existing)
				next := existing
				var apply, commit time.Duration
				for b.Loop() {
					b.StopTimer()
					c := NewCache(s.Committed())
					for i := next; i < next+perBlock; i++ {
						c.Set(benchKey(i), benchValue(i))
					}
					next += perBlock
					b.StartTimer()
					t0 := time.Now()
					if err := s.Apply(c); err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					if _, _, err := s.Commit(benchTime); err != nil {
						b.Fatal(err)
					}
					apply, commit = apply+t1.Sub(t0), commit+time.Since(t1)
				}
				b.ReportMetric(float64(apply.Microseconds())/float64(b.N)/1000, "apply-ms/block")
				b.ReportMetric(float64(commit.Microseconds())/float64(b.N)/1000, "commit-ms/block")
				b.ReportMetric(float64(perBlock*b.N)/b.Elapsed().Seconds(), "keys/s")
			})
		}
	}
}

// proofShapes are the reads a query makes, as the proofs see them: one
// key that exists, one that does not, and an iteration over ten keys
// stopped after the tenth.
var proofShapes = []struct {
	name string
	read func(r *Recorder, i int)
}{
	{"present-key", func(r *Recorder, i int) { r.Get(benchKey(i)) }},
	{"absent-key", func(r *Recorder, i int) { r.Get(append(benchKey(i), 0xff)) }},
	{"range-10-keys", func(r *Recorder, i int) {
		it := r.Iterator(benchKey(i), nil, false)
		for n := 0; n < 10 && it.Valid(); n++ {
			it.Next()
		}
		it.Close()
	}},
}

// BenchmarkProofs measures building the proofs of a query's reads
// (Recorder.Proofs) over a tree of 100,000 keys.
func BenchmarkProofs(b *testing.B) {
	s := benchStore(b, "memdb", 100_000)
	for _, shape := range proofShapes {
		b.Run(shape.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				r := NewRecorder(s.Committed())
				shape.read(r, i%100_000)
				if _, err := r.Proofs(); err != nil {
					b.Fatal(err)
				}
				i += 7919
			}
		})
	}
}

// BenchmarkVerifyProofs measures checking such proofs against the app
// hash (proof.Verify), as a receipt's verifier does.
func BenchmarkVerifyProofs(b *testing.B) {
	s := benchStore(b, "memdb", 100_000)
	hash := s.Committed().Hash()
	for _, shape := range proofShapes {
		b.Run(shape.name, func(b *testing.B) {
			bundles := make([]*proofv1.ProofBundle, 64)
			size := 0
			for k := range bundles {
				r := NewRecorder(s.Committed())
				shape.read(r, k*1543)
				bundle, err := r.Proofs()
				if err != nil {
					b.Fatal(err)
				}
				bundles[k] = bundle
				size += proto.Size(bundle)
			}
			b.ReportMetric(float64(size)/float64(len(bundles)), "proof-bytes")
			i := 0
			for b.Loop() {
				if _, err := proof.Verify(bundles[i%len(bundles)], hash); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
