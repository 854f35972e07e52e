package proof

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"

	ics23 "github.com/cosmos/ics23/go"

	"github.com/lineageledger/lineaged/app/store/kv"
	"github.com/lineageledger/lineaged/app/store/proofv1"
)

// OpType is the type of the one proof operation an ABCI query with Prove
// set carries: its Key is the query path and its Data the deterministic
// encoding of a [proofv1.ProofBundle] proving every read the query made.
// The name predates the move of the message to lineage.proof.v1 and is
// kept for compatibility: it is on the wire of ABCI query responses, and
// the bundle's encoding did not change.
const OpType = "lineage.app.v1.ProofBundle"

// ICS23OpType is the type of the one proof operation an ABCI query of a
// single state key carries with Prove set, the type Cosmos SDK chains and
// IBC tools use for IAVL stores: its Key is the state key and its Data the
// encoding of one ICS 23 CommitmentProof under [ics23.IavlSpec], an
// existence proof of the key and its value or a non-existence proof of the
// key ([VerifyKeyProof]). The chain's state is a single tree, so the root
// it leads to is the app hash itself: no second operation follows.
const ICS23OpType = "ics23:iavl"

// ErrInvalid means a proof bundle does not prove what it claims against
// the app hash it was checked with.
var ErrInvalid = errors.New("invalid state proof")

// ErrUnproven marks a read of a [Reader] that its proofs do not answer.
// kv.Reader has no error returns, so such a read panics with an error
// wrapping ErrUnproven; run the reading code under [Run] to get it back as
// an error.
var ErrUnproven = errors.New("read not covered by the proofs")

// fact is what a verified KeyProof establishes about its key.
type fact struct {
	exists bool
	value  []byte
	// left and right are the neighbours a non-existence proof names: the
	// nearest keys below and above, nil where the proof names none.
	left, right []byte
}

// Verify checks a bundle against the app hash of the version it claims to
// prove, and returns a reader answering from the proven facts alone. Every
// failure wraps [ErrInvalid].
//
// A bundle is valid when all of the following hold:
//
//  1. appHash is not empty and bundle.Root equals it.
//  2. No key has more than one KeyProof.
//  3. Each KeyProof's proof is the canonical encoding of an ICS 23
//     CommitmentProof that verifies under [ics23.IavlSpec] against appHash:
//     if exists is set, an ExistenceProof of exactly key and value (value
//     not empty; ics23.VerifyMembership); otherwise value is empty and it is
//     a NonExistenceProof whose key is exactly key
//     (ics23.VerifyNonMembership). ICS 23 checks that a non-existence
//     proof's left and right neighbours are proven, adjacent leaves of the
//     tree with left < key < right; either may be missing only at the edge
//     of the key space.
//  4. Each RangeProof covers [S, E), where S is its start (empty: the
//     beginning of the key space) and E its end (empty: unbounded). If E is
//     bounded, S < E.
//  5. A range's keys k1 < k2 < ... < kn are strictly ascending, lie in
//     [S, E), and each has a KeyProof with exists set.
//  6. No other key with an existence KeyProof lies in [S, E). (Rule 7
//     implies it while ICS 23 is sound; checking it costs little and makes
//     overlapping ranges agree outright.)
//  7. A range's gaps are closed. Walk a cursor c from S, with no previous
//     key p. For each ki in order: if c == ki there is no gap; otherwise
//     there must be a non-existence KeyProof of c whose right neighbour is
//     exactly ki and, if p is set, whose left neighbour is exactly p; then
//     p = ki and c = successor(ki) = ki || 0x00. After the last key, unless
//     E is bounded and c >= E, there must be a non-existence KeyProof of c
//     whose right neighbour is missing or (E bounded) >= E and, if p is
//     set, whose left neighbour is exactly p.
//
// Rule 7 proves that the tree holds no key in [S, E) but the keys listed: a
// non-existence proof of c with neighbours l and r shows there is no key
// strictly between l and r, and l < c, so none in [c, r); and nothing sorts
// strictly between ki and ki || 0x00.
//
// Ranges may overlap or touch; rule 6 makes them agree wherever they do,
// and the reader answers from their union.
func Verify(bundle *proofv1.ProofBundle, appHash []byte) (*Reader, error) {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	switch {
	case bundle == nil:
		return nil, invalid("no proof bundle")
	case len(appHash) == 0:
		return nil, invalid("no app hash to verify against")
	case !bytes.Equal(bundle.Root, appHash):
		return nil, invalid("bundle is rooted at %X, not app hash %X", bundle.Root, appHash)
	}
	facts := make(map[string]fact, len(bundle.Keys))
	var existing [][]byte
	for i, kp := range bundle.Keys {
		if kp == nil {
			return nil, invalid("key proof %d is empty", i)
		}
		if _, dup := facts[string(kp.Key)]; dup {
			return nil, invalid("key %x is proven more than once", kp.Key)
		}
		f, err := verifyKeyProof(kp, appHash)
		if err != nil {
			return nil, fmt.Errorf("%w: key %x: %w", ErrInvalid, kp.Key, err)
		}
		facts[string(kp.Key)] = f
		if f.exists {
			existing = append(existing, kp.Key)
		}
	}
	slices.SortFunc(existing, bytes.Compare)

	spans := make([]Span, 0, len(bundle.Ranges))
	for i, rp := range bundle.Ranges {
		if rp == nil {
			return nil, invalid("range proof %d is empty", i)
		}
		s := rangeSpan(rp)
		if err := checkRange(s, rp.Keys, facts, existing); err != nil {
			return nil, fmt.Errorf("%w: range %d [%x, %x): %w", ErrInvalid, i, s.Start, s.End, err)
		}
		spans = append(spans, s)
	}

	p := &Reader{facts: facts}
	for _, s := range mergeSpans(spans) {
		lo, hi := keysIn(existing, s)
		p.spans = append(p.spans, provenSpan{Span: s, keys: existing[lo:hi]})
	}
	return p, nil
}

// rangeSpan is the interval a RangeProof covers.
func rangeSpan(rp *proofv1.RangeProof) Span {
	s := Span{Start: rp.Start}
	if s.Start == nil {
		s.Start = []byte{}
	}
	if len(rp.End) > 0 {
		s.End = rp.End
	}
	return s
}

// keysIn is the index range of the sorted keys that lie in s.
func keysIn(sorted [][]byte, s Span) (lo, hi int) {
	lo = sort.Search(len(sorted), func(i int) bool { return bytes.Compare(sorted[i], s.Start) >= 0 })
	hi = len(sorted)
	if s.End != nil {
		hi = sort.Search(len(sorted), func(i int) bool { return bytes.Compare(sorted[i], s.End) >= 0 })
	}
	return lo, max(lo, hi)
}

// VerifyKeyProof checks one canonically encoded ICS 23 commitment proof
// of key against root, under [ics23.IavlSpec]: with a value, an existence
// proof that key holds exactly value; with an empty one, a non-existence
// proof of key (ICS 23 cannot prove an empty value). It is rule 3 of
// [Verify] for a single key, what an [ICS23OpType] operation proves.
// Every failure wraps [ErrInvalid].
func VerifyKeyProof(encoded, root, key, value []byte) error {
	if len(root) == 0 {
		return fmt.Errorf("%w: no root to verify against", ErrInvalid)
	}
	kp := &proofv1.KeyProof{Key: key, Exists: len(value) > 0, Value: value, Proof: encoded}
	if _, err := verifyKeyProof(kp, root); err != nil {
		return fmt.Errorf("%w: key %x: %w", ErrInvalid, key, err)
	}
	return nil
}

// KeyProofRoot is the root an encoded ICS 23 commitment proof leads to,
// whatever it proves: what a verifier compares with the app hash it
// trusts after [VerifyKeyProof] has checked the proof against it. Errors
// wrap [ErrInvalid].
func KeyProofRoot(encoded []byte) (root []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			root, err = nil, fmt.Errorf("%w: malformed proof: %v", ErrInvalid, p)
		}
	}()
	var cp ics23.CommitmentProof
	if err := cp.Unmarshal(encoded); err != nil {
		return nil, fmt.Errorf("%w: undecodable proof: %w", ErrInvalid, err)
	}
	root, err = cp.Calculate()
	if err != nil {
		return nil, fmt.Errorf("%w: proof leads to no root: %w", ErrInvalid, err)
	}
	return root, nil
}

// verifyKeyProof checks rule 3 of [Verify] for one key. ICS 23 panics on
// some malformed neighbour paths; that is a failed proof too.
func verifyKeyProof(kp *proofv1.KeyProof, root []byte) (f fact, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = fact{}, fmt.Errorf("malformed proof: %v", p)
		}
	}()
	var cp ics23.CommitmentProof
	if err := cp.Unmarshal(kp.Proof); err != nil {
		return fact{}, fmt.Errorf("undecodable proof: %w", err)
	}
	if canon, err := cp.Marshal(); err != nil || !bytes.Equal(canon, kp.Proof) {
		return fact{}, errors.New("proof is not canonically encoded")
	}
	if kp.Exists {
		if cp.GetExist() == nil {
			return fact{}, errors.New("claimed present, but the proof is not an existence proof")
		}
		if len(kp.Value) == 0 {
			return fact{}, errors.New("claimed present with an empty value")
		}
		if !ics23.VerifyMembership(ics23.IavlSpec, root, &cp, kp.Key, kp.Value) {
			return fact{}, errors.New("existence proof does not verify")
		}
		return fact{exists: true, value: kp.Value}, nil
	}
	if len(kp.Value) != 0 {
		return fact{}, errors.New("claimed absent, but carries a value")
	}
	ne := cp.GetNonexist()
	if ne == nil {
		return fact{}, errors.New("claimed absent, but the proof is not a non-existence proof")
	}
	if !bytes.Equal(ne.Key, kp.Key) {
		return fact{}, fmt.Errorf("non-existence proof is of key %x", ne.Key)
	}
	if !ics23.VerifyNonMembership(ics23.IavlSpec, root, &cp, kp.Key) {
		return fact{}, errors.New("non-existence proof does not verify")
	}
	if ne.Left != nil {
		f.left = ne.Left.Key
	}
	if ne.Right != nil {
		f.right = ne.Right.Key
	}
	return f, nil
}

// checkRange checks rules 4 to 7 of [Verify] for one range.
func checkRange(s Span, keys [][]byte, facts map[string]fact, existing [][]byte) error {
	if s.empty() {
		return errors.New("interval is empty")
	}
	for i, k := range keys {
		if i > 0 && bytes.Compare(keys[i-1], k) >= 0 {
			return fmt.Errorf("keys are not strictly ascending at %x", k)
		}
		if !s.Contains(k) {
			return fmt.Errorf("key %x lies outside the interval", k)
		}
		if f, ok := facts[string(k)]; !ok || !f.exists {
			return fmt.Errorf("key %x is listed without an existence proof", k)
		}
	}
	// The listed keys are distinct, proven present and inside, so the same
	// count means the same set.
	if lo, hi := keysIn(existing, s); hi-lo != len(keys) {
		return fmt.Errorf("lists %d keys, but %d keys inside it are proven present", len(keys), hi-lo)
	}

	// gap checks the non-existence proof of probe c closing the gap after
	// prev (nil: none) up to next (nil: the end of the interval).
	gap := func(c, prev, next []byte) error {
		f, ok := facts[string(c)]
		if !ok || f.exists {
			return fmt.Errorf("gap at %x is not closed by a non-existence proof", c)
		}
		if prev != nil && !bytes.Equal(f.left, prev) {
			return fmt.Errorf("non-existence proof of %x has left neighbour %x, want %x", c, f.left, prev)
		}
		switch {
		case next != nil && !bytes.Equal(f.right, next):
			return fmt.Errorf("non-existence proof of %x has right neighbour %x, want %x", c, f.right, next)
		case next == nil && f.right != nil && (s.End == nil || bytes.Compare(f.right, s.End) < 0):
			return fmt.Errorf("non-existence proof of %x has right neighbour %x inside the interval", c, f.right)
		}
		return nil
	}
	c := s.Start
	var prev []byte
	for _, k := range keys {
		if !bytes.Equal(c, k) {
			if err := gap(c, prev, k); err != nil {
				return err
			}
		}
		prev, c = k, successor(k)
	}
	if s.End == nil || bytes.Compare(c, s.End) < 0 {
		return gap(c, prev, nil)
	}
	return nil
}

// Reader answers reads from verified proofs only (see [Verify]). Get and
// Has of a key with a KeyProof, or inside a proven range, answer from the
// facts; an iterator yields the proven keys of the proven ranges. A read
// the proofs do not answer — a key outside every range without a KeyProof,
// or an iterator stepping beyond the proven intervals — panics with an
// error wrapping [ErrUnproven]; run readers under [Run]. A Reader is
// immutable and safe for concurrent use; its iterators are not. The zero
// Reader holds no proofs: it answers only reads that need none (an
// iterator over an empty interval).
type Reader struct {
	facts map[string]fact
	// spans are the proven intervals, merged, disjoint and ascending, each
	// with all the keys it holds.
	spans []provenSpan
}

var _ kv.Reader = (*Reader)(nil)

type provenSpan struct {
	Span
	keys [][]byte
}

func unproven(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnproven, fmt.Sprintf(format, args...))
}

// Get implements kv.Reader.
func (p *Reader) Get(key []byte) []byte {
	if f, ok := p.facts[string(key)]; ok {
		return f.value
	}
	if p.spanAt(key) != nil {
		return nil
	}
	panic(unproven("read of key %x", key))
}

// Has implements kv.Reader.
func (p *Reader) Has(key []byte) bool { return p.Get(key) != nil }

// Iterator implements kv.Reader. Positions are resolved when the consumer
// looks at them (Valid, Key, Value) or steps over them (Next), never ahead,
// matching what a [Recorder] records, and so what the prover proves.
func (p *Reader) Iterator(start, end []byte, reverse bool) kv.Iterator {
	it := &provenIterator{p: p, start: bytes.Clone(start), end: bytes.Clone(end), reverse: reverse}
	if it.start == nil {
		it.start = []byte{}
	}
	if reverse {
		it.cursor, it.top = it.end, it.end == nil
	} else {
		it.cursor = it.start
	}
	return it
}

// spanAt is the proven span holding key, or nil.
func (p *Reader) spanAt(key []byte) *provenSpan {
	i := sort.Search(len(p.spans), func(i int) bool { return bytes.Compare(p.spans[i].Start, key) > 0 }) - 1
	if i < 0 || !p.spans[i].Contains(key) {
		return nil
	}
	return &p.spans[i]
}

// spanBelow is the proven span holding every key just below c (top: the
// span reaching the end of the key space), or nil.
func (p *Reader) spanBelow(c []byte, top bool) *provenSpan {
	if top {
		if n := len(p.spans); n > 0 && p.spans[n-1].End == nil {
			return &p.spans[n-1]
		}
		return nil
	}
	i := sort.Search(len(p.spans), func(i int) bool { return bytes.Compare(p.spans[i].Start, c) >= 0 }) - 1
	if i < 0 || !endAtLeast(p.spans[i].End, c) {
		return nil
	}
	return &p.spans[i]
}

// first is the smallest key in [c, end) (end nil: unbounded); false if
// there is none.
func (p *Reader) first(c, end []byte) ([]byte, bool) {
	if end != nil && bytes.Compare(c, end) >= 0 {
		return nil, false
	}
	s := p.spanAt(c)
	if s == nil {
		panic(unproven("iteration reaches key %x, outside every proven range", c))
	}
	i := sort.Search(len(s.keys), func(i int) bool { return bytes.Compare(s.keys[i], c) >= 0 })
	if i < len(s.keys) {
		if end == nil || bytes.Compare(s.keys[i], end) < 0 {
			return s.keys[i], true
		}
		return nil, false
	}
	if endAtLeast(s.End, end) {
		return nil, false
	}
	panic(unproven("iteration continues past key %x, the end of the proven range", s.End))
}

// last is the greatest key in [start, c) (top: c is unbounded); false if
// there is none.
func (p *Reader) last(c []byte, top bool, start []byte) ([]byte, bool) {
	if !top && bytes.Compare(c, start) <= 0 {
		return nil, false
	}
	s := p.spanBelow(c, top)
	if s == nil {
		if top {
			panic(unproven("descending iteration from the end of the key space, which no range proves"))
		}
		panic(unproven("descending iteration reaches below key %x, outside every proven range", c))
	}
	i := len(s.keys)
	if !top {
		i = sort.Search(len(s.keys), func(i int) bool { return bytes.Compare(s.keys[i], c) >= 0 })
	}
	if i > 0 {
		if k := s.keys[i-1]; bytes.Compare(k, start) >= 0 {
			return k, true
		}
		return nil, false
	}
	if bytes.Compare(s.Start, start) <= 0 {
		return nil, false
	}
	panic(unproven("descending iteration continues below key %x, the start of the proven range", s.Start))
}

// provenIterator walks proven keys lazily, like the recorder observes them.
type provenIterator struct {
	p          *Reader
	start, end []byte
	reverse    bool
	// cursor bounds the next position: ascending, it is the smallest key it
	// may hold; descending, the key it must lie below (top: unbounded).
	cursor []byte
	top    bool
	// resolved says key and valid describe the current position.
	resolved bool
	valid    bool
	key      []byte
}

func (it *provenIterator) resolve() {
	if it.resolved {
		return
	}
	if it.reverse {
		it.key, it.valid = it.p.last(it.cursor, it.top, it.start)
	} else {
		it.key, it.valid = it.p.first(it.cursor, it.end)
	}
	it.resolved = true
}

func (it *provenIterator) Valid() bool {
	it.resolve()
	return it.valid
}

// Next implements kv.Iterator; past the end it does nothing, like the
// state tree's iterators.
func (it *provenIterator) Next() {
	it.resolve()
	if !it.valid {
		return
	}
	if it.reverse {
		it.cursor, it.top = it.key, false
	} else {
		it.cursor = successor(it.key)
	}
	it.resolved = false
}

// Key implements kv.Iterator; nil past the end.
func (it *provenIterator) Key() []byte {
	it.resolve()
	return it.key
}

// Value implements kv.Iterator; nil past the end.
func (it *provenIterator) Value() []byte {
	it.resolve()
	if !it.valid {
		return nil
	}
	return it.p.facts[string(it.key)].value
}

func (it *provenIterator) Close() {}

// Run runs fn, which reads a [Reader], and returns the [ErrUnproven] error
// a read panicked with, or nil. Any other panic goes on.
func Run(fn func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if e, ok := p.(error); ok && errors.Is(e, ErrUnproven) {
				err = e
				return
			}
			panic(p)
		}
	}()
	fn()
	return nil
}
