package store

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/store/kv"
	"github.com/lineageledger/lineaged/app/store/proof"
	"github.com/lineageledger/lineaged/app/store/proofv1"
)

// randomAlphabet makes keys that are often prefixes, successors (k||0x00)
// or neighbours of each other, and hit both ends of the byte range.
var randomAlphabet = []byte{0x00, 0x01, 'a', 'b', 0xfe, 0xff}

func randomKey(rng *rand.Rand) []byte {
	k := make([]byte, 1+rng.IntN(3))
	for i := range k {
		k[i] = randomAlphabet[rng.IntN(len(randomAlphabet))]
	}
	return k
}

// maybeKey is a random key, or nil one time in five.
func maybeKey(rng *rand.Rand) []byte {
	if rng.IntN(5) == 0 {
		return nil
	}
	return randomKey(rng)
}

// randomRead is one read of a random query.
type randomRead struct {
	kind       int // 0 Get, 1 Has, 2 Iterator
	key        []byte
	start, end []byte
	reverse    bool
	steps      int // positions to consume; -1 runs the iterator out
	look       int // 0 key and value, 1 key only, 2 Valid only
}

// randomQuery is a query: reads, possibly through a cache with staged
// writes and under a prefix.
type randomQuery struct {
	staged map[string][]byte // nil value: a staged delete
	cached bool
	prefix []byte
	reads  []randomRead
}

func newRandomRead(rng *rand.Rand) randomRead {
	rd := randomRead{kind: rng.IntN(3), key: randomKey(rng)}
	if rd.kind == 2 {
		rd.start, rd.end, rd.reverse = maybeKey(rng), maybeKey(rng), rng.IntN(2) == 0
		rd.steps, rd.look = rng.IntN(6)-1, rng.IntN(3)
	}
	return rd
}

func newRandomQuery(rng *rand.Rand) randomQuery {
	q := randomQuery{cached: rng.IntN(3) == 0}
	if q.cached {
		q.staged = map[string][]byte{}
		for range rng.IntN(4) {
			if rng.IntN(3) == 0 {
				q.staged[string(randomKey(rng))] = nil
			} else {
				q.staged[string(randomKey(rng))] = []byte("staged")
			}
		}
	}
	if rng.IntN(4) == 0 {
		q.prefix = []byte{randomAlphabet[rng.IntN(len(randomAlphabet))]}
	}
	for range 1 + rng.IntN(5) {
		q.reads = append(q.reads, newRandomRead(rng))
	}
	return q
}

// run performs the reads on r and logs what they saw.
func (q randomQuery) run(r kv.Reader) []string {
	if q.cached {
		c := NewCache(r)
		keys := make([]string, 0, len(q.staged))
		for k := range q.staged {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if v := q.staged[k]; v == nil {
				c.Delete([]byte(k))
			} else {
				c.Set([]byte(k), v)
			}
		}
		r = c
	}
	if q.prefix != nil {
		r = kv.PrefixedReader(r, q.prefix)
	}
	var out []string
	for _, rd := range q.reads {
		out = append(out, rd.run(r)...)
	}
	return out
}

func (rd randomRead) run(r kv.Reader) []string {
	switch rd.kind {
	case 0:
		return []string{fmt.Sprintf("get %x=%x", rd.key, r.Get(rd.key))}
	case 1:
		return []string{fmt.Sprintf("has %x=%v", rd.key, r.Has(rd.key))}
	}
	it := r.Iterator(rd.start, rd.end, rd.reverse)
	defer it.Close()
	out := []string{fmt.Sprintf("iterate [%x, %x) reverse %v", rd.start, rd.end, rd.reverse)}
	n := rd.steps
	for ; n != 0 && it.Valid(); it.Next() {
		switch rd.look {
		case 0:
			out = append(out, fmt.Sprintf("%x=%x", it.Key(), it.Value()))
		case 1:
			out = append(out, fmt.Sprintf("%x", it.Key()))
		default:
			out = append(out, "valid")
		}
		n--
	}
	if n != 0 {
		out = append(out, "end")
	}
	return out
}

// TestRandomQueriesProven builds random states and random queries and
// checks that every query re-runs over its proofs with the same result,
// that the proofs hold nothing but what was read, and that any other read
// of the proven reader is either answered exactly as the state would or
// refused as unproven — never answered wrongly.
func TestRandomQueriesProven(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x11ea9e))
			s := openMem(t)
			var live [][]byte
			var views []*View
			for range 3 {
				set := map[string]string{}
				for range 5 + rng.IntN(30) {
					set[string(randomKey(rng))] = fmt.Sprintf("v%d", rng.IntN(1000))
				}
				var del []string
				for _, k := range live {
					if rng.IntN(4) == 0 {
						del = append(del, string(k))
					}
				}
				views = append(views, commitWrites(t, s, set, del...))
				live = live[:0]
				it := views[len(views)-1].Iterator(nil, nil, false)
				for ; it.Valid(); it.Next() {
					live = append(live, bytes.Clone(it.Key()))
				}
				it.Close()
			}
			view, older := views[2], views[1]
			for qi := range 25 {
				q := newRandomQuery(rng)
				extra := []randomRead{newRandomRead(rng), newRandomRead(rng), newRandomRead(rng)}
				checkRandomQuery(t, fmt.Sprintf("query %d %+v", qi, q), view, older, q, extra)
			}
		})
	}
}

func checkRandomQuery(t *testing.T, name string, view, older *View, q randomQuery, extra []randomRead) {
	t.Helper()
	want := q.run(view)
	rec := NewRecorder(view)
	if got := q.run(rec); !slices.Equal(got, want) {
		t.Fatalf("%s: through the recorder %q, want %q", name, got, want)
	}
	bundle, err := rec.Proofs()
	if err != nil {
		t.Fatalf("%s: Proofs: %v", name, err)
	}
	checkBounded(t, name, rec, bundle)

	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(bundle)
	if err != nil {
		t.Fatal(err)
	}
	var decoded proofv1.ProofBundle
	if err := proto.Unmarshal(raw, &decoded); err != nil {
		t.Fatal(err)
	}
	p, err := proof.Verify(&decoded, view.Hash())
	if err != nil {
		t.Fatalf("%s: proof.Verify: %v", name, err)
	}
	var again []string
	if err := proof.Run(func() { again = q.run(p) }); err != nil {
		t.Fatalf("%s: re-run over the proofs: %v", name, err)
	}
	if !slices.Equal(again, want) {
		t.Fatalf("%s: over the proofs %q, want %q", name, again, want)
	}
	if !bytes.Equal(older.Hash(), view.Hash()) {
		if _, err := proof.Verify(&decoded, older.Hash()); err == nil {
			t.Fatalf("%s: proofs verify against the previous version's app hash", name)
		}
	}
	for _, rd := range extra {
		other := randomQuery{reads: []randomRead{rd}}
		var got []string
		err := proof.Run(func() { got = other.run(p) })
		if err != nil && !errors.Is(err, proof.ErrUnproven) {
			t.Fatalf("%s: extra read %+v: %v", name, rd, err)
		}
		if w := other.run(view); err == nil && !slices.Equal(got, w) {
			t.Fatalf("%s: extra read %+v answered %q over the proofs, but the state says %q", name, rd, got, w)
		}
	}
}

// checkBounded checks that a bundle proves no more than the recorder saw:
// each range lies within what an iteration covered, and each key is a
// point read, a key of a range, or a range's probe (its start or the
// successor of one of its keys).
func checkBounded(t *testing.T, name string, rec *Recorder, bundle *proofv1.ProofBundle) {
	t.Helper()
	covered := rec.Covered()
	allowed := map[string]bool{}
	for _, p := range rec.Points() {
		allowed[string(p.Key)] = true
	}
	for _, rp := range bundle.Ranges {
		s := rangeOf(rp)
		if !slices.ContainsFunc(covered, func(c proof.Span) bool {
			return bytes.Compare(c.Start, s.Start) <= 0 && (c.End == nil || (s.End != nil && bytes.Compare(c.End, s.End) >= 0))
		}) {
			t.Fatalf("%s: range [%x, %x) exceeds what the iterations covered", name, s.Start, s.End)
		}
		allowed[string(s.Start)] = true
		for _, k := range rp.Keys {
			allowed[string(k)] = true
			allowed[string(append(bytes.Clone(k), 0))] = true
		}
	}
	for i, kp := range bundle.Keys {
		if !allowed[string(kp.Key)] {
			t.Fatalf("%s: key %x is proven but neither read nor needed by a range", name, kp.Key)
		}
		if i > 0 && bytes.Compare(bundle.Keys[i-1].Key, kp.Key) >= 0 {
			t.Fatalf("%s: key proofs not strictly ascending at %x", name, kp.Key)
		}
	}
}

// rangeOf is the interval a RangeProof covers: an empty start is the
// beginning of the key space, an empty end unbounded.
func rangeOf(rp *proofv1.RangeProof) proof.Span {
	s := proof.Span{Start: rp.Start, End: rp.End}
	if s.Start == nil {
		s.Start = []byte{}
	}
	if len(s.End) == 0 {
		s.End = nil
	}
	return s
}
