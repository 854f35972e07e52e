package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/store/kv"
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
	if _, err := VerifyProofs(bundle, view.Hash()); err != nil {
		t.Fatalf("untampered bundle: %v", err)
	}
	return view, bundle, old.Hash()
}

// mustReject fails unless VerifyProofs rejects bundle with ErrInvalidProof.
func mustReject(t *testing.T, what string, bundle *proofv1.ProofBundle, root []byte) {
	t.Helper()
	p, err := VerifyProofs(bundle, root)
	if err == nil {
		t.Fatalf("%s: VerifyProofs accepted the tampered bundle", what)
	}
	if !errors.Is(err, ErrInvalidProof) || p != nil {
		t.Fatalf("%s: VerifyProofs returned (%v, %v), want (nil, ErrInvalidProof)", what, p, err)
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
		return slices.ContainsFunc(bundle.Ranges, func(rp *proofv1.RangeProof) bool { return rangeSpan(rp).contains(k) })
	}
	var rejected, unanswered int
	for i := range bundle.Keys {
		tb := proto.Clone(bundle).(*proofv1.ProofBundle)
		dropped := tb.Keys[i].Key
		tb.Keys = slices.Delete(tb.Keys, i, i+1)
		p, err := VerifyProofs(tb, view.Hash())
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
		err = RunProven(func() { got = tamperQuery(p) })
		if !errors.Is(err, ErrUnproven) {
			t.Errorf("without the proof of %q the query still answers %q (error %v)", dropped, got, err)
		}
		unanswered++
	}
	for i := range bundle.Ranges {
		tb := proto.Clone(bundle).(*proofv1.ProofBundle)
		tb.Ranges = slices.Delete(tb.Ranges, i, i+1)
		p, err := VerifyProofs(tb, view.Hash())
		if err != nil {
			t.Fatalf("dropping range %d: %v; want a valid, smaller bundle", i, err)
		}
		if err := RunProven(func() { tamperQuery(p) }); !errors.Is(err, ErrUnproven) {
			t.Errorf("without range %d the query still answers (error %v)", i, err)
		}
	}
	if rejected == 0 || unanswered == 0 {
		t.Fatalf("fixture should have both range and point proofs: %d range, %d point", rejected, unanswered)
	}
	// The untampered bundle answers exactly like the state.
	p, err := VerifyProofs(bundle, view.Hash())
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
	p, err := VerifyProofs(both, view.Hash())
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

// TestCheckRangeRules checks each rule of a range on hand-made facts, so
// that one rule at a time is broken (with real proofs most breaks trip
// several rules at once).
func TestCheckRangeRules(t *testing.T) {
	present := func(ks ...string) map[string]fact {
		m := map[string]fact{}
		for _, k := range ks {
			m[k] = fact{exists: true, value: []byte("v" + k)}
		}
		return m
	}
	// absent adds a non-existence fact of probe with neighbours l and r
	// ("" for none).
	absent := func(m map[string]fact, probe, l, r string) map[string]fact {
		m[probe] = fact{left: b(l), right: b(r)}
		if l == "" {
			m[probe] = fact{right: b(r)}
		}
		if r == "" {
			m[probe] = fact{left: b(l)}
		}
		return m
	}
	// valid is [b, m) holding c and d, in a tree a, c, d, x.
	valid := func() map[string]fact {
		m := present("c", "d")
		absent(m, "b", "a", "c")
		absent(m, "c\x00", "c", "d")
		return absent(m, "d\x00", "d", "x")
	}
	cases := []struct {
		name  string
		start string
		end   string // "" unbounded
		keys  []string
		facts map[string]fact
		want  string // "" valid, else a fragment of the error
	}{
		{"valid", "b", "m", []string{"c", "d"}, valid(), ""},
		{"valid, unbounded end with no right neighbour", "b", "", []string{"c", "d"}, absent(valid(), "d\x00", "d", ""), ""},
		{"valid, start on a key", "c", "m", []string{"c", "d"}, valid(), ""},
		{"valid, end right after the last key", "b", "d\x00", []string{"c", "d"}, func() map[string]fact { m := valid(); delete(m, "d\x00"); return m }(), ""},
		{"valid, empty", "e", "f", nil, absent(map[string]fact{}, "e", "d", "x"), ""},
		{"empty interval", "m", "b", nil, absent(map[string]fact{}, "m", "d", "x"), "interval is empty"},
		{"keys unsorted", "b", "m", []string{"d", "c"}, absent(absent(valid(), "b", "a", "d"), "d\x00", "d", "c"), "not strictly ascending"},
		{"key repeated", "b", "m", []string{"c", "c", "d"}, absent(valid(), "c\x00", "c", "c"), "not strictly ascending"},
		{"key before start", "c\x00", "m", []string{"c", "d"}, absent(valid(), "c\x00", "b", "c"), "outside the interval"},
		{"key at end", "b", "d", []string{"c", "d"}, valid(), "outside the interval"},
		{"key without existence proof", "b", "m", []string{"c", "d"}, absent(valid(), "c", "b", "d"), "without an existence proof"},
		{"present key not listed", "b", "m", []string{"c"}, func() map[string]fact {
			m := valid()
			m["c\x00"] = fact{left: b("c"), right: b("x")}
			return m
		}(), "proven present"},
		{"start gap open", "b", "m", []string{"c", "d"}, func() map[string]fact { m := valid(); delete(m, "b"); return m }(), "gap at 62"},
		{"start gap neighbour wrong", "b", "m", []string{"c", "d"}, absent(valid(), "b", "a", "d"), "right neighbour 64, want 63"},
		{"middle gap open", "b", "m", []string{"c", "d"}, func() map[string]fact { m := valid(); delete(m, "c\x00"); return m }(), "gap at 6300"},
		{"middle gap left neighbour wrong", "b", "m", []string{"c", "d"}, absent(valid(), "c\x00", "b", "d"), "left neighbour 62, want 63"},
		{"end gap open", "b", "m", []string{"c", "d"}, func() map[string]fact { m := valid(); delete(m, "d\x00"); return m }(), "gap at 6400"},
		{"end gap neighbour inside", "b", "m", []string{"c", "d"}, absent(valid(), "d\x00", "d", "e"), "inside the interval"},
		{"unbounded end gap with a right neighbour", "b", "", []string{"c", "d"}, valid(), "inside the interval"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var existing [][]byte
			for k, f := range tc.facts {
				if f.exists {
					existing = append(existing, []byte(k))
				}
			}
			slices.SortFunc(existing, bytes.Compare)
			var keys [][]byte
			for _, k := range tc.keys {
				keys = append(keys, []byte(k))
			}
			err := checkRange(rangeSpan(&proofv1.RangeProof{Start: b(tc.start), End: b(tc.end)}), keys, tc.facts, existing)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("valid range rejected: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("range accepted, want an error with %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %q, want one with %q", err, tc.want)
			}
		})
	}
}
