package proof

import (
	"bytes"
	"slices"

	"github.com/lineageledger/lineaged/app/store/kv"
)

// Recorder reads through another reader and remembers every read: the
// point reads ([Recorder.Points]) and what the consumer of each iterator
// observed ([Recorder.Covered]). Over a [Reader], it records a query's
// re-run for [CheckMinimal]; package store wraps one over a version of the
// state to prove exactly what a query read and no more. It serves one
// query at a time: it is not safe for concurrent use.
type Recorder struct {
	r kv.Reader
	// points maps each key read by Get or Has to the value it held (nil:
	// absent).
	points map[string][]byte
	iters  []*iteration
}

var _ kv.Reader = (*Recorder)(nil)

// iteration is what the consumer of one iterator observed.
type iteration struct {
	// start and end are the iterator's bounds, copied; nil is unbounded.
	start, end []byte
	reverse    bool
	// keys are the positions the consumer reached, in iteration order.
	keys [][]byte
	// exhausted says the consumer saw the iterator run out (Valid false);
	// otherwise it stopped after the last of keys.
	exhausted bool
}

// NewRecorder records the reads made through r.
func NewRecorder(r kv.Reader) *Recorder {
	return &Recorder{r: r, points: map[string][]byte{}}
}

// Get implements kv.Reader.
func (r *Recorder) Get(key []byte) []byte {
	v := r.r.Get(key)
	r.points[string(key)] = v
	return v
}

// Has implements kv.Reader.
func (r *Recorder) Has(key []byte) bool { return r.Get(key) != nil }

// Iterator implements kv.Reader.
func (r *Recorder) Iterator(start, end []byte, reverse bool) kv.Iterator {
	it := &iteration{start: bytes.Clone(start), end: bytes.Clone(end), reverse: reverse}
	r.iters = append(r.iters, it)
	return &recordingIterator{it: r.r.Iterator(start, end, reverse), rec: it}
}

// Point is one key read by Get or Has, and the value it held (nil:
// absent).
type Point struct {
	Key, Value []byte
}

// Points are the keys read by Get or Has so far, each once and in
// ascending order, with the values they held.
func (r *Recorder) Points() []Point {
	out := make([]Point, 0, len(r.points))
	for k, v := range r.points {
		out = append(out, Point{Key: []byte(k), Value: v})
	}
	slices.SortFunc(out, func(a, b Point) int { return bytes.Compare(a.Key, b.Key) })
	return out
}

// Covered are the intervals of the key space the iterations so far
// covered, merged where they overlap or touch: disjoint and ascending, one
// [proofv1.RangeProof] each. What an iteration covered is what its
// consumer could have observed:
//
//   - an iteration that ran out (Valid returned false), in either
//     direction, covers [start, end);
//   - an ascending one stopped after key k covers [start, k], written as
//     [start, successor(k)) where successor(k) = k || 0x00, the smallest key
//     greater than k;
//   - a descending one stopped after key k (the smallest it reached) covers
//     [k, end);
//   - one stopped before reaching any key covers nothing.
//
// A nil start is the beginning of the key space (empty bytes) and a nil
// end is unbounded.
func (r *Recorder) Covered() []Span {
	var covered []Span
	for _, it := range r.iters {
		if s, ok := it.covered(); ok {
			covered = append(covered, s)
		}
	}
	return mergeSpans(covered)
}

// covered is the interval the consumer of an iteration could have
// observed (see [Recorder.Covered]); false if it observed nothing.
func (it *iteration) covered() (Span, bool) {
	start := it.start
	if start == nil {
		start = []byte{}
	}
	var s Span
	switch {
	case it.exhausted:
		s = Span{start, it.end}
	case len(it.keys) == 0:
		return Span{}, false
	case !it.reverse:
		s = Span{start, successor(it.keys[len(it.keys)-1])}
	default:
		s = Span{it.keys[len(it.keys)-1], it.end}
	}
	return s, !s.empty()
}

// recordingIterator passes an iterator through and records each position
// the consumer looks at or steps over. A position the consumer never
// reaches (it closes the iterator right after Next) is not recorded, so the
// proofs do not cover it.
type recordingIterator struct {
	it  kv.Iterator
	rec *iteration
	// observed says the current position is already recorded.
	observed bool
}

func (i *recordingIterator) observe() {
	if i.observed {
		return
	}
	i.observed = true
	if i.it.Valid() {
		i.rec.keys = append(i.rec.keys, bytes.Clone(i.it.Key()))
	} else {
		i.rec.exhausted = true
	}
}

func (i *recordingIterator) Valid() bool {
	i.observe()
	return i.it.Valid()
}

func (i *recordingIterator) Next() {
	i.observe()
	i.it.Next()
	i.observed = false
}

func (i *recordingIterator) Key() []byte {
	i.observe()
	return i.it.Key()
}

func (i *recordingIterator) Value() []byte {
	i.observe()
	return i.it.Value()
}

func (i *recordingIterator) Close() { i.it.Close() }
