package store

import (
	"bytes"

	"github.com/lineageledger/lineaged/app/store/kv"
)

// Recorder reads one version of the state and remembers every read, so
// that [Recorder.Proofs] can prove exactly what was read and no more. It
// serves one query at a time: it is not safe for concurrent use.
type Recorder struct {
	// r is what reads go to; view is the version proofs are made against
	// (nil for a recorder over proven data, which only checks shapes).
	r    kv.Reader
	view *View
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

// NewRecorder starts recording reads of v.
func NewRecorder(v *View) *Recorder {
	return &Recorder{r: v, view: v, points: map[string][]byte{}}
}

// NewReadRecorder records the reads made through r, typically a
// [ProvenReader], for [CheckMinimal]; it cannot make proofs.
func NewReadRecorder(r kv.Reader) *Recorder {
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
