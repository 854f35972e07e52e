package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/cosmos/iavl"
	ics23 "github.com/cosmos/ics23/go"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/store/proof"
	"github.com/lineageledger/lineaged/app/store/proofv1"
)

// ErrProofTooLarge means the proofs of the reads recorded exceed the bound
// given to [Recorder.ProofsWithin].
var ErrProofTooLarge = errors.New("proofs too large")

// Recorder reads one version of the state and remembers every read, so
// that [Recorder.Proofs] can prove exactly what was read and no more. The
// recording is [proof.Recorder]'s, the same code a verifier re-runs the
// query through for [proof.CheckMinimal], so the prover and the verifier
// agree on what a read covers. It serves one query at a time: it is not
// safe for concurrent use.
type Recorder struct {
	*proof.Recorder
	view *View
}

// NewRecorder starts recording reads of v.
func NewRecorder(v *View) *Recorder {
	return &Recorder{Recorder: proof.NewRecorder(v), view: v}
}

// Proofs proves every read recorded so far against the recorded version,
// as a [proofv1.ProofBundle] rooted at its app hash: one ICS 23 commitment
// proof (IAVL spec, [ics23.IavlSpec]) per key, and one [proofv1.RangeProof]
// per interval of the key space the iterations covered, as
// [proof.Recorder.Covered] defines it: what each iteration's consumer could
// have observed, merged where intervals overlap or touch, so the ranges of
// a bundle are disjoint and ascending. A nil start is the beginning of the
// key space (empty bytes) and a nil end is unbounded (an empty end field).
// A range lists its keys ascending, each with an existence proof, and
// closes every gap with a non-existence proof of a probe key
// ([proof.Span.GapProbes]) whose neighbours are the keys around the gap
// (see [proof.Verify] for the exact rules). A point read inside a proven
// range that found nothing needs no proof of its own; every other point
// read gets one. Keys are proven once, whatever number of reads and ranges
// needed them, and the keys of a bundle are sorted.
//
// Proofs fails if the version is empty (ICS 23 cannot prove anything about
// an empty tree), if a key read holds an empty value (ICS 23 cannot prove
// one), or if the database fails.
func (r *Recorder) Proofs() (*proofv1.ProofBundle, error) { return r.ProofsWithin(0) }

// ProofsWithin is [Recorder.Proofs] for a bundle of at most maxBytes
// encoded (0: no bound). It counts the bundle's size as it proves each key
// and stops as soon as the bound is passed, failing with an error wrapping
// [ErrProofTooLarge], so that an oversized bundle costs about as much as
// one of maxBytes, not its own size.
func (r *Recorder) ProofsWithin(maxBytes int) (*proofv1.ProofBundle, error) {
	if maxBytes < 0 {
		return nil, fmt.Errorf("proof bound %d: must not be negative", maxBytes)
	}
	t := r.view.tree
	if t.Size() == 0 {
		return nil, errors.New("cannot prove reads of an empty state")
	}
	b := &bundleBuilder{tree: t, keys: map[string]*proofv1.KeyProof{}, maxBytes: maxBytes}
	spans := r.Covered()
	bundle := &proofv1.ProofBundle{Root: bytes.Clone(r.view.Hash())}
	if err := b.grow(fieldSize(len(bundle.Root))); err != nil {
		return nil, err
	}
	for _, s := range spans {
		rp, err := b.proveSpan(s)
		if err != nil {
			return nil, err
		}
		bundle.Ranges = append(bundle.Ranges, rp)
	}

	for _, p := range r.Points() {
		key, value := p.Key, p.Value
		kp, ok := b.keys[string(key)]
		switch {
		case ok:
		case value == nil && slices.ContainsFunc(spans, func(s proof.Span) bool { return s.Contains(key) }):
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
	// The running count leaves out a few bytes of framing; the bound holds
	// for the exact size.
	if size := proto.Size(bundle); maxBytes > 0 && size > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, over the bound of %d", ErrProofTooLarge, size, maxBytes)
	}
	return bundle, nil
}

// bundleBuilder proves keys once each, and counts the encoded size of what
// it has added to the bundle.
type bundleBuilder struct {
	tree *iavl.ImmutableTree
	keys map[string]*proofv1.KeyProof
	// maxBytes bounds size (0: no bound).
	maxBytes, size int
}

// fieldSize is the encoded size of a length-delimited field of n bytes:
// every field of a bundle that grows with it is one, numbered below 16.
// Empty ones count nothing (proto3 leaves out an empty singular field), so
// that the count never exceeds the exact size.
func fieldSize(n int) int {
	if n == 0 {
		return 0
	}
	return 1 + protowire.SizeBytes(n)
}

// grow counts n more bytes, failing once the bound is passed.
func (b *bundleBuilder) grow(n int) error {
	b.size += n
	if b.maxBytes > 0 && b.size > b.maxBytes {
		return fmt.Errorf("%w: over the bound of %d bytes after proving %d keys", ErrProofTooLarge, b.maxBytes, len(b.keys))
	}
	return nil
}

// proveSpan lists the keys of s and proves them and the gaps between them.
func (b *bundleBuilder) proveSpan(s proof.Span) (*proofv1.RangeProof, error) {
	var start []byte
	if len(s.Start) > 0 {
		start = s.Start
	}
	it, err := b.tree.Iterator(start, s.End, true)
	if err != nil {
		return nil, fmt.Errorf("%w: failed to iterate state: %w", ErrIO, err)
	}
	rp := &proofv1.RangeProof{Start: bytes.Clone(s.Start), End: bytes.Clone(s.End)}
	err = b.grow(fieldSize(len(rp.Start)) + fieldSize(len(rp.End)))
	for ; err == nil && it.Valid(); it.Next() {
		rp.Keys = append(rp.Keys, bytes.Clone(it.Key()))
		err = b.grow(fieldSize(len(it.Key())))
	}
	if err == nil {
		if err = it.Error(); err != nil {
			err = fmt.Errorf("%w: state iteration failed: %w", ErrIO, err)
		}
	}
	_ = it.Close()
	if err != nil {
		return nil, err
	}

	for _, k := range rp.Keys {
		if _, err := b.exists(k); err != nil {
			return nil, err
		}
	}
	for _, p := range s.GapProbes(rp.Keys) {
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
	if err := b.grow(fieldSize(proto.Size(kp))); err != nil {
		return nil, err
	}
	return kp, nil
}
