package store

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/lineageledger/lineaged/app/store/proofv1"
)

// CheckMinimal checks that a verified bundle proves exactly what a query
// re-run over it read — rec recorded that re-run (see [NewReadRecorder]) —
// and nothing else: the same ranges, and a key proof for exactly the keys
// those ranges list, the probes closing their gaps, and the point reads
// they do not cover. [VerifyProofs] already established that every fact is
// true; this makes the bundle the unique one for the query, so that no part
// of it can change (a range widened, a proof added or dropped) unnoticed.
func CheckMinimal(bundle *proofv1.ProofBundle, rec *Recorder) error {
	spans := rec.spans()
	if len(spans) != len(bundle.Ranges) {
		return fmt.Errorf("%w: the query covers %d ranges, the bundle proves %d", ErrInvalidProof, len(spans), len(bundle.Ranges))
	}
	want := map[string]bool{}
	for i, s := range spans {
		rp := bundle.Ranges[i]
		got := rangeSpan(rp)
		if !bytes.Equal(got.start, s.start) || !bytes.Equal(got.end, s.end) || (got.end == nil) != (s.end == nil) {
			return fmt.Errorf("%w: range %d is [%x, %x), the query covered [%x, %x)", ErrInvalidProof, i, got.start, got.end, s.start, s.end)
		}
		for _, k := range rp.Keys {
			want[string(k)] = true
		}
		for _, p := range gapProbes(s, rp.Keys) {
			want[string(p)] = true
		}
	}
	for k, v := range rec.points {
		key := []byte(k)
		if v != nil || !slices.ContainsFunc(spans, func(s span) bool { return s.contains(key) }) {
			want[k] = true
		}
	}
	if len(want) != len(bundle.Keys) {
		return fmt.Errorf("%w: the query needs %d key proofs, the bundle has %d", ErrInvalidProof, len(want), len(bundle.Keys))
	}
	for _, kp := range bundle.Keys {
		if !want[string(kp.Key)] {
			return fmt.Errorf("%w: the bundle proves key %x, which the query does not read", ErrInvalidProof, kp.Key)
		}
	}
	return nil
}
