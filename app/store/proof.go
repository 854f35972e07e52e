package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/cosmos/iavl"
	ics23 "github.com/cosmos/ics23/go"

	"github.com/lineageledger/lineaged/app/store/proofv1"
)

// successor is the smallest key greater than k: nothing sorts between k
// and k || 0x00.
func successor(k []byte) []byte {
	out := make([]byte, len(k)+1)
	copy(out, k)
	return out
}

// span is the interval [start, end) of the key space. start is never nil
// (empty: the beginning of the key space); a nil end is unbounded.
type span struct {
	start, end []byte
}

func (s span) empty() bool { return s.end != nil && bytes.Compare(s.start, s.end) >= 0 }

func (s span) contains(k []byte) bool {
	return bytes.Compare(k, s.start) >= 0 && (s.end == nil || bytes.Compare(k, s.end) < 0)
}

// endAtLeast reports whether end a reaches at least as far as end b (nil is
// unbounded).
func endAtLeast(a, b []byte) bool {
	return a == nil || (b != nil && bytes.Compare(a, b) >= 0)
}

// mergeSpans sorts non-empty spans and merges those that overlap or touch,
// returning disjoint spans in ascending order with gaps between them.
func mergeSpans(in []span) []span {
	spans := slices.Clone(in)
	slices.SortFunc(spans, func(a, b span) int { return bytes.Compare(a.start, b.start) })
	var out []span
	for _, s := range spans {
		if n := len(out); n > 0 && (out[n-1].end == nil || bytes.Compare(s.start, out[n-1].end) <= 0) {
			if !endAtLeast(out[n-1].end, s.end) {
				out[n-1].end = s.end
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// covered is the interval the consumer of an iteration could have
// observed; false if it observed nothing.
func (it *iteration) covered() (span, bool) {
	start := it.start
	if start == nil {
		start = []byte{}
	}
	var s span
	switch {
	case it.exhausted:
		s = span{start, it.end}
	case len(it.keys) == 0:
		return span{}, false
	case !it.reverse:
		s = span{start, successor(it.keys[len(it.keys)-1])}
	default:
		s = span{it.keys[len(it.keys)-1], it.end}
	}
	return s, !s.empty()
}

// Proofs proves every read recorded so far against the recorded version,
// as an [proofv1.ProofBundle] rooted at its app hash: one ICS 23 commitment
// proof (IAVL spec, [ics23.IavlSpec]) per key, and one [proofv1.RangeProof]
// per interval of the key space the iterations covered. What an iteration
// covered is what its consumer could have observed:
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
// A nil start is the beginning of the key space (empty bytes) and a nil end
// is unbounded (an empty end field). Covered intervals that overlap or touch
// are merged into one RangeProof, so the ranges of a bundle are disjoint and
// ascending. A range lists its keys ascending, each with an existence proof,
// and closes every gap with a non-existence proof of a probe key whose
// neighbours are the keys around the gap (see [VerifyProofs] for the exact
// rules). A point read inside a proven range that found nothing needs no
// proof of its own; every other point read gets one. Keys are proven once,
// whatever number of reads and ranges needed them, and the keys of a bundle
// are sorted.
//
// Proofs fails if the version is empty (ICS 23 cannot prove anything about
// an empty tree), if a key read holds an empty value (ICS 23 cannot prove
// one), or if the database fails.
func (r *Recorder) Proofs() (*proofv1.ProofBundle, error) {
	if r.view == nil {
		return nil, errors.New("a recorder over proven data cannot make proofs")
	}
	t := r.view.tree
	if t.Size() == 0 {
		return nil, errors.New("cannot prove reads of an empty state")
	}
	b := &bundleBuilder{tree: t, keys: map[string]*proofv1.KeyProof{}}
	spans := r.spans()
	bundle := &proofv1.ProofBundle{Root: bytes.Clone(r.view.Hash())}
	for _, s := range spans {
		rp, err := b.proveSpan(s)
		if err != nil {
			return nil, err
		}
		bundle.Ranges = append(bundle.Ranges, rp)
	}

	points := make([]string, 0, len(r.points))
	for k := range r.points {
		points = append(points, k)
	}
	slices.Sort(points)
	for _, k := range points {
		key, value := []byte(k), r.points[k]
		kp, ok := b.keys[k]
		switch {
		case ok:
		case value == nil && slices.ContainsFunc(spans, func(s span) bool { return s.contains(key) }):
			continue // the range proves the absence
		case value == nil:
			var err error
			if kp, err = b.absent(key); err != nil {
				return nil, err
			}
		default:
			var err error
			if kp, err = b.exists(key); err != nil {
				return nil, err
			}
		}
		if kp.Exists != (value != nil) || !bytes.Equal(kp.Value, value) {
			return nil, fmt.Errorf("read of key %x saw %x, but version %d holds %x", key, value, r.view.Height(), kp.Value)
		}
	}

	bundle.Keys = make([]*proofv1.KeyProof, 0, len(b.keys))
	for _, kp := range b.keys {
		bundle.Keys = append(bundle.Keys, kp)
	}
	slices.SortFunc(bundle.Keys, func(a, b *proofv1.KeyProof) int { return bytes.Compare(a.Key, b.Key) })
	return bundle, nil
}

// spans are the merged intervals the recorded iterations covered.
func (r *Recorder) spans() []span {
	var covered []span
	for _, it := range r.iters {
		if s, ok := it.covered(); ok {
			covered = append(covered, s)
		}
	}
	return mergeSpans(covered)
}

// gapProbes are the keys whose absence closes the gaps of a range that
// holds keys (ascending): start unless it is the first key, and the
// successor of each key unless that is the next key or the range's end.
func gapProbes(s span, keys [][]byte) [][]byte {
	var out [][]byte
	cursor := s.start
	for _, k := range keys {
		if !bytes.Equal(cursor, k) {
			out = append(out, cursor)
		}
		cursor = successor(k)
	}
	if s.end == nil || bytes.Compare(cursor, s.end) < 0 {
		out = append(out, cursor)
	}
	return out
}

// bundleBuilder proves keys once each.
type bundleBuilder struct {
	tree *iavl.ImmutableTree
	keys map[string]*proofv1.KeyProof
}

// proveSpan lists the keys of s and proves them and the gaps between them.
func (b *bundleBuilder) proveSpan(s span) (*proofv1.RangeProof, error) {
	var start []byte
	if len(s.start) > 0 {
		start = s.start
	}
	it, err := b.tree.Iterator(start, s.end, true)
	if err != nil {
		return nil, fmt.Errorf("%w: failed to iterate state: %w", ErrIO, err)
	}
	rp := &proofv1.RangeProof{Start: bytes.Clone(s.start), End: bytes.Clone(s.end)}
	for ; it.Valid(); it.Next() {
		rp.Keys = append(rp.Keys, bytes.Clone(it.Key()))
	}
	err = it.Error()
	_ = it.Close()
	if err != nil {
		return nil, fmt.Errorf("%w: state iteration failed: %w", ErrIO, err)
	}

	for _, k := range rp.Keys {
		if _, err := b.exists(k); err != nil {
			return nil, err
		}
	}
	for _, p := range gapProbes(s, rp.Keys) {
		if _, err := b.absent(p); err != nil {
			return nil, err
		}
	}
	return rp, nil
}

// exists proves that key holds a value.
func (b *bundleBuilder) exists(key []byte) (*proofv1.KeyProof, error) {
	if kp, ok := b.keys[string(key)]; ok {
		return kp, nil
	}
	cp, err := b.tree.GetMembershipProof(key)
	if err != nil {
		return nil, fmt.Errorf("failed to prove key %x exists: %w", key, err)
	}
	value := cp.GetExist().GetValue()
	if len(value) == 0 {
		return nil, fmt.Errorf("key %x holds an empty value, which ICS 23 cannot prove", key)
	}
	return b.add(&proofv1.KeyProof{Key: bytes.Clone(key), Exists: true, Value: bytes.Clone(value)}, cp)
}

// absent proves that key holds no value.
func (b *bundleBuilder) absent(key []byte) (*proofv1.KeyProof, error) {
	if kp, ok := b.keys[string(key)]; ok {
		return kp, nil
	}
	cp, err := b.tree.GetNonMembershipProof(key)
	if err != nil {
		return nil, fmt.Errorf("failed to prove key %x absent: %w", key, err)
	}
	return b.add(&proofv1.KeyProof{Key: bytes.Clone(key)}, cp)
}

func (b *bundleBuilder) add(kp *proofv1.KeyProof, cp *ics23.CommitmentProof) (*proofv1.KeyProof, error) {
	raw, err := cp.Marshal()
	if err != nil {
		return nil, fmt.Errorf("failed to encode proof of key %x: %w", kp.Key, err)
	}
	kp.Proof = raw
	b.keys[string(kp.Key)] = kp
	return kp, nil
}
