package proof

import (
	"bytes"
	"slices"
)

// successor is the smallest key greater than k: nothing sorts between k
// and k || 0x00.
func successor(k []byte) []byte {
	out := make([]byte, len(k)+1)
	copy(out, k)
	return out
}

// Span is the interval [Start, End) of the key space. Start is never nil
// (empty: the beginning of the key space); a nil End is unbounded. It is
// what a [proofv1.RangeProof] covers.
type Span struct {
	Start, End []byte
}

func (s Span) empty() bool { return s.End != nil && bytes.Compare(s.Start, s.End) >= 0 }

// Contains reports whether k lies in s.
func (s Span) Contains(k []byte) bool {
	return bytes.Compare(k, s.Start) >= 0 && (s.End == nil || bytes.Compare(k, s.End) < 0)
}

// GapProbes are the keys whose absence closes the gaps of s when it holds
// keys (ascending) and no others: Start unless it is the first key, and
// the successor (k || 0x00) of each key unless that is the next key or the
// end of s. A bundle proves each probe absent (rule 7 of [Verify]); the
// prover and [CheckMinimal] both derive them here, so they cannot
// disagree.
func (s Span) GapProbes(keys [][]byte) [][]byte {
	var out [][]byte
	cursor := s.Start
	for _, k := range keys {
		if !bytes.Equal(cursor, k) {
			out = append(out, cursor)
		}
		cursor = successor(k)
	}
	if s.End == nil || bytes.Compare(cursor, s.End) < 0 {
		out = append(out, cursor)
	}
	return out
}

// endAtLeast reports whether end a reaches at least as far as end b (nil is
// unbounded).
func endAtLeast(a, b []byte) bool {
	return a == nil || (b != nil && bytes.Compare(a, b) >= 0)
}

// mergeSpans sorts non-empty spans and merges those that overlap or touch,
// returning disjoint spans in ascending order with gaps between them.
func mergeSpans(in []Span) []Span {
	spans := slices.Clone(in)
	slices.SortFunc(spans, func(a, b Span) int { return bytes.Compare(a.Start, b.Start) })
	var out []Span
	for _, s := range spans {
		if n := len(out); n > 0 && (out[n-1].End == nil || bytes.Compare(s.Start, out[n-1].End) <= 0) {
			if !endAtLeast(out[n-1].End, s.End) {
				out[n-1].End = s.End
			}
			continue
		}
		out = append(out, s)
	}
	return out
}
