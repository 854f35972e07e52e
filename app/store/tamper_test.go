package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/store/kv"
	"github.com/lineageledger/lineaged/app/store/proof"
	"github.com/lineageledger/lineaged/app/store/proofv1"
)

// tamperQuery reads present and absent keys and iterates both ways, early
// stopped and exhausted, so that its bundle holds every kind of proof.
func tamperQuery(r kv.Reader) []string {
	out := []string{get(r, "b"), get(r, "bb"), has(r, "zz"), get(r, "")}
	out = append(out, scan(r.Iterator(b("a5"), b("z"), false), 2)...)
	out = append(out, scan(r.Iterator(b("d5"), b("p/3"), true), -1)...)
	return append(out, scan(kv.PrefixedReader(r, b("a")).Iterator(nil, nil, false), -1)...)
}

// tamperFixture proves tamperQuery over the fixture state at version 2,
// and returns the view, the bundle, and the app hash of version 1.
func tamperFixture(t *testing.T) (*View, *proofv1.ProofBundle, []byte) {
	t.Helper()
	s := openMem(t)
	old := commitWrites(t, s, values(fixture[:5]...))
	view := commitWrites(t, s, values(fixture...))
	_, bundle := prove(t, view, tamperQuery)
	if _, err := proof.Verify(bundle, view.Hash()); err != nil {
		t.Fatalf("untampered bundle: %v", err)
	}
	return view, bundle, old.Hash()
}

// mustReject fails unless proof.Verify rejects bundle with proof.ErrInvalid.
func mustReject(t *testing.T, what string, bundle *proofv1.ProofBundle, root []byte) {
	t.Helper()
	p, err := proof.Verify(bundle, root)
	if err == nil {
		t.Fatalf("%s: proof.Verify accepted the tampered bundle", what)
	}
	if !errors.Is(err, proof.ErrInvalid) || p != nil {
		t.Fatalf("%s: proof.Verify returned (%v, %v), want (nil, proof.ErrInvalid)", what, p, err)
	}
}

func TestVerifyRejectsFlippedBytes(t *testing.T) {
	view, bundle, _ := tamperFixture(t)
	root := view.Hash()
	flips := 0
	for i := range bundle.Keys {
		for _, field := range []string{"proof", "value", "key"} {
			n := map[string]int{"proof": len(bundle.Keys[i].Proof), "value": len(bundle.Keys[i].Value), "key": len(bundle.Keys[i].Key)}[field]
			for j := 0; j < n; j++ {
				for _, mask := range []byte{0x01, 0x80, 0xff} {
					tb := proto.Clone(bundle).(*proofv1.ProofBundle)
					kp := tb.Keys[i]
					switch field {
					case "proof":
						kp.Proof[j] ^= mask
					case "value":
						kp.Value[j] ^= mask
					case "key":
						kp.Key[j] ^= mask
					}
					mustReject(t, fmt.Sprintf("key proof %d (%q): %s byte %d ^ %#x", i, bundle.Keys[i].Key, field, j, mask), tb, root)
					flips++
				}
			}
		}
	}
	if flips < 1000 {
		t.Fatalf("only %d flips tried; the fixture should hold more proof bytes", flips)
	}
}

func TestVerifyRejectsTamperedBundles(t *testing.T) {
	view, bundle, oldHash := tamperFixture(t)
	root := view.Hash()
	keyIndex := func(k string) int {
		i := slices.IndexFunc(bundle.Keys, func(kp *proofv1.KeyProof) bool { return string(kp.Key) == k })
		if i < 0 {
			t.Fatalf("fixture bundle has no proof of %q", k)
		}
		return i
	}
	cases := []struct {
		name   string
		tamper func(tb *proofv1.ProofBundle) []byte // returns the root to verify against
	}{
		{"root changed", func(tb *proofv1.ProofBundle) []byte { tb.Root[0] ^= 1; return root }},
		{"another version's app hash", func(tb *proofv1.ProofBundle) []byte { tb.Root = oldHash; return oldHash }},
		{"no app hash", func(tb *proofv1.ProofBundle) []byte { tb.Root = nil; return nil }},
		{"existence flag cleared", func(tb *proofv1.ProofBundle) []byte { tb.Keys[keyIndex("b")].Exists = false; return root }},
		{"existence flag cleared with the value", func(tb *proofv1.ProofBundle) []byte {
			kp := tb.Keys[keyIndex("b")]
			kp.Exists, kp.Value = false, nil
			return root
		}},
		{"absent key claimed present", func(tb *proofv1.ProofBundle) []byte {
			kp := tb.Keys[keyIndex("zz")]
			kp.Exists, kp.Value = true, []byte("x")
			return root
		}},
		{"absent key with a value", func(tb *proofv1.ProofBundle) []byte { tb.Keys[keyIndex("zz")].Value = []byte("x"); return root }},
		{"value replaced", func(tb *proofv1.ProofBundle) []byte { tb.Keys[keyIndex("b")].Value = []byte("vc"); return root }},
		{"value extended", func(tb *proofv1.ProofBundle) []byte {
			kp := tb.Keys[keyIndex("b")]
			kp.Value = append(kp.Value, 0)
			return root
		}},
		{"key extended", func(tb *proofv1.ProofBundle) []byte {
			kp := tb.Keys[keyIndex("zz")]
			kp.Key = append(kp.Key, 0)
			return root
		}},
		{"proof of another absent key", func(tb *proofv1.ProofBundle) []byte {
			tb.Keys[keyIndex("zz")].Proof = bytes.Clone(tb.Keys[keyIndex("")].Proof)
			return root
		}},
		{"proof of another present key", func(tb *proofv1.ProofBundle) []byte {
			tb.Keys[keyIndex("b")].Proof = bytes.Clone(tb.Keys[keyIndex("c")].Proof)
			return root
		}},
		{"proof with trailing bytes", func(tb *proofv1.ProofBundle) []byte {
			kp := tb.Keys[keyIndex("b")]
			kp.Proof = append(kp.Proof, 0x2a, 0x00) // an empty unknown field 5
			return root
		}},
		{"empty proof", func(tb *proofv1.ProofBundle) []byte { tb.Keys[keyIndex("b")].Proof = nil; return root }},
		{"duplicate key proof inside a range", func(tb *proofv1.ProofBundle) []byte {
			tb.Keys = append(tb.Keys, proto.Clone(tb.Keys[keyIndex("b")]).(*proofv1.KeyProof))
			return root
		}},
		{"duplicate key proof of a point read", func(tb *proofv1.ProofBundle) []byte {
			tb.Keys = append(tb.Keys, proto.Clone(tb.Keys[keyIndex("zz")]).(*proofv1.KeyProof))
			return root
		}},
		{"nil key proof", func(tb *proofv1.ProofBundle) []byte { tb.Keys = append(tb.Keys, nil); return root }},
		{"nil range", func(tb *proofv1.ProofBundle) []byte { tb.Ranges = append(tb.Ranges, nil); return root }},
		{"range key dropped", func(tb *proofv1.ProofBundle) []byte {
			tb.Ranges[0].Keys = tb.Ranges[0].Keys[1:]
			return root
		}},
		{"range key dropped with its proof", func(tb *proofv1.ProofBundle) []byte {
			tb.Ranges[0].Keys = slices.Delete(tb.Ranges[0].Keys, 2, 3) // b
			tb.Keys = slices.Delete(tb.Keys, keyIndex("b"), keyIndex("b")+1)
			return root
		}},
		{"first range key dropped with its proof", func(tb *proofv1.ProofBundle) []byte {
			tb.Ranges[0].Keys = tb.Ranges[0].Keys[1:] // a
			tb.Keys = slices.Delete(tb.Keys, keyIndex("a"), keyIndex("a")+1)
			return root
		}},
		{"last range key dropped with its proof", func(tb *proofv1.ProofBundle) []byte {
			rp := tb.Ranges[1] // e, p/1, p/2
			rp.Keys = rp.Keys[:len(rp.Keys)-1]
			tb.Keys = slices.Delete(tb.Keys, keyIndex("p/2"), keyIndex("p/2")+1)
			return root
		}},
		{"range key added, present but outside", func(tb *proofv1.ProofBundle) []byte {
			rp := tb.Ranges[0]
			rp.Keys = append(rp.Keys, []byte("p/1"))
			return root
		}},
		{"range key added, unproven", func(tb *proofv1.ProofBundle) []byte {
			rp := tb.Ranges[0] // a, a\x00, b, c: b5 sorts before c
			rp.Keys = slices.Insert(rp.Keys, len(rp.Keys)-1, []byte("b5"))
			return root
		}},
		{"range keys swapped", func(tb *proofv1.ProofBundle) []byte {
			rp := tb.Ranges[0]
			rp.Keys[0], rp.Keys[1] = rp.Keys[1], rp.Keys[0]
			return root
		}},
		{"range key repeated", func(tb *proofv1.ProofBundle) []byte {
			rp := tb.Ranges[0]
			rp.Keys = append(rp.Keys[:1], rp.Keys...)
			return root
		}},
		{"range end extended", func(tb *proofv1.ProofBundle) []byte { tb.Ranges[0].End = []byte("z"); return root }},
		{"range end made unbounded", func(tb *proofv1.ProofBundle) []byte { tb.Ranges[0].End = nil; return root }},
		{"range end cut", func(tb *proofv1.ProofBundle) []byte {
			rp := tb.Ranges[0]
			rp.End = rp.Keys[len(rp.Keys)-1]
			return root
		}},
		{"range start moved down", func(tb *proofv1.ProofBundle) []byte { tb.Ranges[0].Start = []byte("0"); return root }},
		{"range start moved up", func(tb *proofv1.ProofBundle) []byte {
			rp := tb.Ranges[0]
			rp.Start = append(bytes.Clone(rp.Start), 0x00)
			return root
		}},
		{"range inverted", func(tb *proofv1.ProofBundle) []byte {
			rp := tb.Ranges[0]
			rp.Start, rp.End = rp.End, rp.Start
			return root
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tb := proto.Clone(bundle).(*proofv1.ProofBundle)
			mustReject(t, tc.name, tb, tc.tamper(tb))
		})
	}
	t.Run("nil bundle", func(t *testing.T) { mustReject(t, "nil bundle", nil, root) })
	t.Run("empty app hash", func(t *testing.T) { mustReject(t, "empty app hash", bundle, nil) })
}

// TestVerifyDroppedProofs: dropping a key proof a range relies on breaks
// verification; dropping any other (a point read's) leaves a valid bundle
// that cannot answer the query. Either way the query is not answered.
func TestVerifyDroppedProofs(t *testing.T) {
	view, bundle, _ := tamperFixture(t)
	want := tamperQuery(view)
	rangeRelies := func(k []byte) bool {
		return slices.ContainsFunc(bundle.Ranges, func(rp *proofv1.RangeProof) bool { return rangeOf(rp).Contains(k) })
	}
	var rejected, unanswered int
	for i := range bundle.Keys {
		tb := proto.Clone(bundle).(*proofv1.ProofBundle)
		dropped := tb.Keys[i].Key
		tb.Keys = slices.Delete(tb.Keys, i, i+1)
		p, err := proof.Verify(tb, view.Hash())
		if rangeRelies(dropped) {
			if err == nil {
				t.Errorf("dropping the proof of %q, which a range relies on, still verifies", dropped)
			}
			rejected++
			continue
		}
		if err != nil {
			t.Errorf("dropping the proof of point read %q: %v; want a valid, smaller bundle", dropped, err)
			continue
		}
		var got []string
		err = proof.Run(func() { got = tamperQuery(p) })
		if !errors.Is(err, proof.ErrUnproven) {
			t.Errorf("without the proof of %q the query still answers %q (error %v)", dropped, got, err)
		}
		unanswered++
	}
	for i := range bundle.Ranges {
		tb := proto.Clone(bundle).(*proofv1.ProofBundle)
		tb.Ranges = slices.Delete(tb.Ranges, i, i+1)
		p, err := proof.Verify(tb, view.Hash())
		if err != nil {
			t.Fatalf("dropping range %d: %v; want a valid, smaller bundle", i, err)
		}
		if err := proof.Run(func() { tamperQuery(p) }); !errors.Is(err, proof.ErrUnproven) {
			t.Errorf("without range %d the query still answers (error %v)", i, err)
		}
	}
	if rejected == 0 || unanswered == 0 {
		t.Fatalf("fixture should have both range and point proofs: %d range, %d point", rejected, unanswered)
	}
	// The untampered bundle answers exactly like the state.
	p, err := proof.Verify(bundle, view.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if got := runProven(t, p, tamperQuery); !slices.Equal(got, want) {
		t.Fatalf("over the proofs: %q\nwant %q", got, want)
	}
}

// TestVerifyAcceptsOverlappingRanges: ranges proven separately may overlap;
// they must agree, and the reader answers from their union.
func TestVerifyAcceptsOverlappingRanges(t *testing.T) {
	s := openMem(t)
	view := commitWrites(t, s, values(fixture...))
	_, first := prove(t, view, func(r kv.Reader) []string { return scan(r.Iterator(b("b"), b("d5"), false), -1) })
	_, second := prove(t, view, func(r kv.Reader) []string { return scan(r.Iterator(b("c"), b("p/2"), false), -1) })
	both := proto.Clone(first).(*proofv1.ProofBundle)
	for _, kp := range second.Keys {
		if !slices.ContainsFunc(both.Keys, func(o *proofv1.KeyProof) bool { return bytes.Equal(o.Key, kp.Key) }) {
			both.Keys = append(both.Keys, kp)
		}
	}
	both.Ranges = append(both.Ranges, second.Ranges...)
	p, err := proof.Verify(both, view.Hash())
	if err != nil {
		t.Fatalf("overlapping ranges: %v", err)
	}
	query := func(r kv.Reader) []string { return scan(r.Iterator(b("b"), b("p/2"), true), -1) }
	if got, want := runProven(t, p, query), query(view); !slices.Equal(got, want) {
		t.Fatalf("over the union: %q, want %q", got, want)
	}

	// A range that omits a key another range proves present is rejected.
	tb := proto.Clone(both).(*proofv1.ProofBundle)
	tb.Ranges[0].Keys = slices.DeleteFunc(tb.Ranges[0].Keys, func(k []byte) bool { return string(k) == "d" })
	mustReject(t, "range omitting a key proven present", tb, view.Hash())
}
