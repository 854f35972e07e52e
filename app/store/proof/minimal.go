package proof

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/lineageledger/lineaged/app/store/proofv1"
)

// CheckMinimal checks that a verified bundle proves exactly what a query
// re-run over it read — rec recorded that re-run (see [NewRecorder]) — and
// nothing else: the same ranges, and a key proof for exactly the keys those
// ranges list, the probes closing their gaps, and the point reads they do
// not cover. [Verify] already established that every fact is true; this
// makes the bundle the unique one for the query, so that no part of it can
// change (a range widened, a proof added or dropped) unnoticed. Every
// failure wraps [ErrInvalid].
func CheckMinimal(bundle *proofv1.ProofBundle, rec *Recorder) error {
	spans := rec.Covered()
	if len(spans) != len(bundle.Ranges) {
		return fmt.Errorf("%w: the query covers %d ranges, the bundle proves %d", ErrInvalid, len(spans), len(bundle.Ranges))
	}
	want := map[string]bool{}
	for i, s := range spans {
		rp := bundle.Ranges[i]
		got := rangeSpan(rp)
		if !bytes.Equal(got.Start, s.Start) || !bytes.Equal(got.End, s.End) || (got.End == nil) != (s.End == nil) {
			return fmt.Errorf("%w: range %d is [%x, %x), the query covered [%x, %x)", ErrInvalid, i, got.Start, got.End, s.Start, s.End)
		}
		for _, k := range rp.Keys {
			want[string(k)] = true
		}
		for _, p := range s.GapProbes(rp.Keys) {
			want[string(p)] = true
		}
	}
	for _, p := range rec.Points() {
		if p.Value != nil || !slices.ContainsFunc(spans, func(s Span) bool { return s.Contains(p.Key) }) {
			want[string(p.Key)] = true
		}
	}
	if len(want) != len(bundle.Keys) {
		return fmt.Errorf("%w: the query needs %d key proofs, the bundle has %d", ErrInvalid, len(want), len(bundle.Keys))
	}
	for _, kp := range bundle.Keys {
		if !want[string(kp.Key)] {
			return fmt.Errorf("%w: the bundle proves key %x, which the query does not read", ErrInvalid, kp.Key)
		}
	}
	return nil
}
