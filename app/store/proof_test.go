package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	ics23 "github.com/cosmos/ics23/go"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/store/kv"
	"github.com/lineageledger/lineaged/app/store/proof"
	"github.com/lineageledger/lineaged/app/store/proofv1"
)

// openMem opens an empty in-memory store.
func openMem(t testing.TB) *Store {
	t.Helper()
	s, err := Open(Config{Backend: "memdb"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// commitWrites commits one version setting set (key → value) and deleting
// del, and returns its view.
func commitWrites(t testing.TB, s *Store, set map[string]string, del ...string) *View {
	t.Helper()
	c := NewCache(s.Committed())
	for k, v := range set {
		c.Set([]byte(k), []byte(v))
	}
	for _, k := range del {
		c.Delete([]byte(k))
	}
	if err := s.Apply(c); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Commit(time.Unix(1_700_000_000, 0)); err != nil {
		t.Fatal(err)
	}
	return s.Committed()
}

// values maps each key to "v" + key.
func values(keys ...string) map[string]string {
	m := map[string]string{}
	for _, k := range keys {
		m[k] = "v" + k
	}
	return m
}

// TestIAVLProofsVerifyUnderIavlSpec: the ICS 23 proofs iavl v1 builds
// verify with ics23.IavlSpec, for every key and every gap, in trees of any
// size and with nodes of many versions (varint prefixes over one byte).
func TestIAVLProofsVerifyUnderIavlSpec(t *testing.T) {
	s := openMem(t)
	var present []string
	for v := 0; v < 140; v++ {
		k := fmt.Sprintf("k%03d", (v*37)%140)
		present = append(present, k)
		view := commitWrites(t, s, values(k))
		if v > 4 && v%23 != 0 {
			continue
		}
		tree, root := view.tree, view.Hash()
		slices.Sort(present)
		for _, k := range present {
			cp, err := tree.GetMembershipProof([]byte(k))
			if err != nil {
				t.Fatalf("version %d: membership proof of %s: %v", view.Height(), k, err)
			}
			if !ics23.VerifyMembership(ics23.IavlSpec, root, cp, []byte(k), []byte("v"+k)) {
				t.Fatalf("version %d: membership proof of %s does not verify under IavlSpec", view.Height(), k)
			}
			if ics23.VerifyMembership(ics23.IavlSpec, root, cp, []byte(k), []byte("other")) {
				t.Fatalf("version %d: membership proof of %s verifies a wrong value", view.Height(), k)
			}
		}
		gaps := []string{"", "a", "k", "zz"}
		for _, k := range present {
			gaps = append(gaps, k+"\x00", k+"5")
		}
		for _, g := range gaps {
			cp, err := tree.GetNonMembershipProof([]byte(g))
			if err != nil {
				t.Fatalf("version %d: non-membership proof of %q: %v", view.Height(), g, err)
			}
			if !ics23.VerifyNonMembership(ics23.IavlSpec, root, cp, []byte(g)) {
				t.Fatalf("version %d: non-membership proof of %q does not verify under IavlSpec", view.Height(), g)
			}
			if other := present[len(present)/2]; ics23.VerifyNonMembership(ics23.IavlSpec, root, cp, []byte(other)) {
				t.Fatalf("version %d: non-membership proof of %q also 'proves' present key %s absent", view.Height(), g, other)
			}
		}
	}
}

// scan reads up to n positions of it (all if n < 0) the way queries do,
// and logs what it saw.
func scan(it kv.Iterator, n int) []string {
	defer it.Close()
	var out []string
	for ; n != 0 && it.Valid(); it.Next() {
		out = append(out, fmt.Sprintf("%q=%q", it.Key(), it.Value()))
		n--
	}
	if n != 0 {
		out = append(out, "end")
	}
	return out
}

func get(r kv.Reader, k string) string { return fmt.Sprintf("get %q=%q", k, r.Get([]byte(k))) }

func has(r kv.Reader, k string) string { return fmt.Sprintf("has %q=%v", k, r.Has([]byte(k))) }

func b(s string) []byte {
	if s == "<nil>" {
		return nil
	}
	return []byte(s)
}

// queryCase is a query: reads of a reader, logged.
type queryCase struct {
	name  string
	query func(r kv.Reader) []string
	// wantKeys and wantRanges, if set, are the exact proofs expected:
	// "+k" for an existence proof, "-k" for a non-existence proof, and
	// "[start,end):k1,k2" for a range (keys quoted with %q).
	wantKeys   []string
	wantRanges []string
	// unproven are reads the proofs must not answer.
	unproven []func(r kv.Reader)
}

// fixture is the state the round-trip cases read: "a" and "a\x00" are
// neighbours with nothing between them.
var fixture = []string{"a", "a\x00", "b", "c", "d", "e", "p/1", "p/2", "p/3", "q"}

func roundTripCases() []queryCase {
	return []queryCase{
		{
			name:     "present key",
			query:    func(r kv.Reader) []string { return []string{get(r, "b")} },
			wantKeys: []string{`+"b"`},
			unproven: []func(kv.Reader){
				func(r kv.Reader) { r.Get([]byte("c")) },
				func(r kv.Reader) { r.Iterator([]byte("b"), []byte("c"), false).Valid() },
			},
		},
		{
			name:     "absent keys",
			query:    func(r kv.Reader) []string { return []string{get(r, "bb"), has(r, "0"), has(r, "zzz")} },
			wantKeys: []string{`-"0"`, `-"bb"`, `-"zzz"`},
			unproven: []func(kv.Reader){func(r kv.Reader) { r.Has([]byte("bc")) }},
		},
		{
			name:     "same key read twice, present and via Has",
			query:    func(r kv.Reader) []string { return []string{get(r, "c"), has(r, "c"), get(r, "c")} },
			wantKeys: []string{`+"c"`},
		},
		{
			name:       "ascending, exhausted",
			query:      func(r kv.Reader) []string { return scan(r.Iterator(b("b"), b("d5"), false), -1) },
			wantKeys:   []string{`+"b"`, `-"b\x00"`, `+"c"`, `-"c\x00"`, `+"d"`, `-"d\x00"`},
			wantRanges: []string{`["b","d5"):"b","c","d"`},
			unproven: []func(kv.Reader){
				func(r kv.Reader) { r.Get([]byte("d5")) },
				func(r kv.Reader) { scan(r.Iterator(b("b"), b("e5"), false), -1) },
				func(r kv.Reader) { scan(r.Iterator(b("a"), b("c"), false), -1) },
			},
		},
		{
			name:       "ascending from a gap, stopped after two keys",
			query:      func(r kv.Reader) []string { return scan(r.Iterator(b("a5"), b("z"), false), 2) },
			wantKeys:   []string{`-"a5"`, `+"b"`, `-"b\x00"`, `+"c"`},
			wantRanges: []string{`["a5","c\x00"):"b","c"`},
			unproven: []func(kv.Reader){
				func(r kv.Reader) { scan(r.Iterator(b("a5"), b("z"), false), 3) },
				func(r kv.Reader) { r.Get([]byte("c5")) },
			},
		},
		{
			name:       "ascending over neighbours with no gap",
			query:      func(r kv.Reader) []string { return scan(r.Iterator(b("a"), b("b"), false), -1) },
			wantKeys:   []string{`+"a"`, `+"a\x00"`, `-"a\x00\x00"`},
			wantRanges: []string{`["a","b"):"a","a\x00"`},
		},
		{
			name:       "descending, exhausted",
			query:      func(r kv.Reader) []string { return scan(r.Iterator(b("b5"), b("d"), true), -1) },
			wantKeys:   []string{`-"b5"`, `+"c"`, `-"c\x00"`},
			wantRanges: []string{`["b5","d"):"c"`},
			unproven: []func(kv.Reader){
				func(r kv.Reader) { scan(r.Iterator(b("b"), b("d"), true), -1) },
				func(r kv.Reader) { scan(r.Iterator(b("b5"), b("d5"), true), -1) },
			},
		},
		{
			name:       "descending from the end, stopped after two keys",
			query:      func(r kv.Reader) []string { return scan(r.Iterator(nil, nil, true), 2) },
			wantKeys:   []string{`+"p/3"`, `-"p/3\x00"`, `+"q"`, `-"q\x00"`},
			wantRanges: []string{`["p/3",""):"p/3","q"`},
			unproven: []func(kv.Reader){
				func(r kv.Reader) { scan(r.Iterator(nil, nil, true), 3) },
				func(r kv.Reader) { r.Get([]byte("p/25")) },
			},
		},
		{
			name:       "whole key space, ascending",
			query:      func(r kv.Reader) []string { return scan(r.Iterator(nil, nil, false), -1) },
			wantRanges: []string{`["",""):"a","a\x00","b","c","d","e","p/1","p/2","p/3","q"`},
		},
		{
			name:       "empty range inside a gap",
			query:      func(r kv.Reader) []string { return scan(r.Iterator(b("e1"), b("e9"), false), -1) },
			wantKeys:   []string{`-"e1"`},
			wantRanges: []string{`["e1","e9"):`},
			unproven: []func(kv.Reader){
				func(r kv.Reader) { scan(r.Iterator(b("e1"), b("p"), false), -1) },
				func(r kv.Reader) { scan(r.Iterator(b("e"), b("e9"), true), -1) },
			},
		},
		{
			name:       "empty range past the last key",
			query:      func(r kv.Reader) []string { return scan(r.Iterator(b("r"), nil, true), -1) },
			wantKeys:   []string{`-"r"`},
			wantRanges: []string{`["r",""):`},
		},
		{
			name:       "empty range before the first key",
			query:      func(r kv.Reader) []string { return scan(r.Iterator(nil, b("0"), false), -1) },
			wantKeys:   []string{`-""`},
			wantRanges: []string{`["","0"):`},
		},
		{
			name: "inverted and empty bounds need no proof",
			query: func(r kv.Reader) []string {
				return append(scan(r.Iterator(b("d"), b("b"), false), -1), scan(r.Iterator(b("c"), b("c"), true), -1)...)
			},
		},
		{
			name: "stepping over keys without looking",
			query: func(r kv.Reader) []string {
				it := r.Iterator(b("a"), b("z"), false)
				defer it.Close()
				valid := it.Valid()
				it.Next()
				it.Next() // over a\x00, unseen
				return []string{fmt.Sprint(valid)}
			},
			wantRanges: []string{`["a","a\x00\x00"):"a","a\x00"`},
		},
		{
			name: "looking without Valid",
			query: func(r kv.Reader) []string {
				it := r.Iterator(b("c"), nil, true)
				defer it.Close()
				return []string{fmt.Sprintf("%q=%q", it.Key(), it.Value())}
			},
			wantKeys:   []string{`+"q"`, `-"q\x00"`},
			wantRanges: []string{`["q",""):"q"`},
		},
		{
			name:  "closed before looking",
			query: func(r kv.Reader) []string { r.Iterator(b("a"), b("z"), false).Close(); return nil },
		},
		{
			name:       "prefixed reader, exhausted",
			query:      func(r kv.Reader) []string { return scan(kv.PrefixedReader(r, b("p/")).Iterator(nil, nil, false), -1) },
			wantKeys:   []string{`-"p/"`, `+"p/1"`, `-"p/1\x00"`, `+"p/2"`, `-"p/2\x00"`, `+"p/3"`, `-"p/3\x00"`},
			wantRanges: []string{`["p/","p0"):"p/1","p/2","p/3"`},
		},
		{
			name: "prefixed cache, descending and stopped",
			query: func(r kv.Reader) []string {
				st := kv.Prefixed(NewCache(r), b("p/"))
				st.Set(b("9"), b("staged"))
				return append(scan(st.Iterator(nil, nil, true), 2), get(st, "1"))
			},
			wantKeys:   []string{`+"p/1"`, `+"p/2"`, `-"p/2\x00"`, `+"p/3"`, `-"p/3\x00"`},
			wantRanges: []string{`["p/2","p0"):"p/2","p/3"`},
		},
		{
			name: "overlapping and touching ranges merge",
			query: func(r kv.Reader) []string {
				out := scan(r.Iterator(b("b"), b("e"), false), -1)
				out = append(out, scan(r.Iterator(b("c"), b("e"), false), 1)...)
				out = append(out, scan(r.Iterator(b("p/"), b("q"), true), -1)...)
				out = append(out, scan(r.Iterator(b("e"), b("p/"), false), -1)...)
				return append(out, get(r, "c5"), get(r, "c"), get(r, "zz"))
			},
			wantKeys: []string{
				`+"b"`, `-"b\x00"`, `+"c"`, `-"c\x00"`, `+"d"`, `-"d\x00"`, `+"e"`, `-"e\x00"`,
				`+"p/1"`, `-"p/1\x00"`, `+"p/2"`, `-"p/2\x00"`, `+"p/3"`, `-"p/3\x00"`, `-"zz"`,
			},
			wantRanges: []string{`["b","q"):"b","c","d","e","p/1","p/2","p/3"`},
		},
		{
			name: "point reads inside and outside a range",
			query: func(r kv.Reader) []string {
				out := scan(r.Iterator(b("c"), b("e"), false), -1)
				return append(out, get(r, "c5"), get(r, "d"), get(r, "e"), get(r, "e5"))
			},
			wantKeys:   []string{`+"c"`, `-"c\x00"`, `+"d"`, `-"d\x00"`, `+"e"`, `-"e5"`},
			wantRanges: []string{`["c","e"):"c","d"`},
		},
	}
}

// describe renders a bundle in the notation of queryCase.
func describe(bundle *proofv1.ProofBundle) (keys, ranges []string) {
	for _, kp := range bundle.Keys {
		sign := "-"
		if kp.Exists {
			sign = "+"
		}
		keys = append(keys, fmt.Sprintf("%s%q", sign, kp.Key))
	}
	for _, rp := range bundle.Ranges {
		var ks []string
		for _, k := range rp.Keys {
			ks = append(ks, fmt.Sprintf("%q", k))
		}
		ranges = append(ranges, fmt.Sprintf("[%q,%q):%s", rp.Start, rp.End, strings.Join(ks, ",")))
	}
	return keys, ranges
}

// prove runs query over a recorder of view and returns its log and proofs.
func prove(t *testing.T, view *View, query func(kv.Reader) []string) ([]string, *proofv1.ProofBundle) {
	t.Helper()
	rec := NewRecorder(view)
	got := query(rec)
	bundle, err := rec.Proofs()
	if err != nil {
		t.Fatalf("Proofs: %v", err)
	}
	// Through the wire, as a verifier gets it.
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(bundle)
	if err != nil {
		t.Fatal(err)
	}
	var decoded proofv1.ProofBundle
	if err := proto.Unmarshal(raw, &decoded); err != nil {
		t.Fatal(err)
	}
	return got, &decoded
}

// runProven runs query over p, failing the test on an unproven read.
func runProven(t *testing.T, p *proof.Reader, query func(kv.Reader) []string) []string {
	t.Helper()
	var got []string
	if err := proof.Run(func() { got = query(p) }); err != nil {
		t.Fatalf("re-run over the proofs: %v", err)
	}
	return got
}

func TestProofRoundTrip(t *testing.T) {
	s := openMem(t)
	commitWrites(t, s, values("x", "y"))
	view := commitWrites(t, s, values(fixture...), "x", "y")
	for _, tc := range roundTripCases() {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.query(view)
			got, bundle := prove(t, view, tc.query)
			if !slices.Equal(got, want) {
				t.Fatalf("through the recorder: %q\nwant %q", got, want)
			}
			keys, ranges := describe(bundle)
			for i := 1; i < len(bundle.Keys); i++ {
				if bytes.Compare(bundle.Keys[i-1].Key, bundle.Keys[i].Key) >= 0 {
					t.Errorf("key proofs are not strictly ascending (a duplicate?): %q", keys)
				}
			}
			if tc.wantKeys != nil && !slices.Equal(keys, tc.wantKeys) {
				t.Errorf("key proofs %q\nwant %q", keys, tc.wantKeys)
			}
			if (tc.wantKeys != nil || tc.wantRanges != nil) && !slices.Equal(ranges, tc.wantRanges) {
				t.Errorf("ranges %q\nwant %q", ranges, tc.wantRanges)
			}
			if !bytes.Equal(bundle.Root, view.Hash()) {
				t.Fatalf("root %X, want the view's hash %X", bundle.Root, view.Hash())
			}
			p, err := proof.Verify(bundle, view.Hash())
			if err != nil {
				t.Fatalf("proof.Verify: %v", err)
			}
			if again := runProven(t, p, tc.query); !slices.Equal(again, want) {
				t.Fatalf("over the proofs: %q\nwant %q", again, want)
			}
			for i, read := range tc.unproven {
				err := proof.Run(func() { read(p) })
				if !errors.Is(err, proof.ErrUnproven) {
					t.Errorf("unproven read %d: error %v, want proof.ErrUnproven", i, err)
				}
			}
		})
	}
}

// TestProofsOfEmptyState: nothing can be proven of an empty tree.
func TestProofsOfEmptyState(t *testing.T) {
	s := openMem(t)
	rec := NewRecorder(s.Committed())
	if rec.Get([]byte("a")) != nil {
		t.Fatal("empty state holds a")
	}
	if _, err := rec.Proofs(); err == nil {
		t.Fatal("Proofs of an empty state succeeded")
	}
}

// TestProofsInTinyTrees: neighbour proofs in trees of one to three keys,
// where paths are shortest.
func TestProofsInTinyTrees(t *testing.T) {
	for n := 1; n <= 3; n++ {
		t.Run(fmt.Sprint(n, " keys"), func(t *testing.T) {
			s := openMem(t)
			view := commitWrites(t, s, values([]string{"b", "d", "f"}[:n]...))
			query := func(r kv.Reader) []string {
				out := scan(r.Iterator(nil, nil, false), -1)
				out = append(out, scan(r.Iterator(nil, nil, true), -1)...)
				return append(out, get(r, "a"), get(r, "c"), get(r, "e"), get(r, "g"), get(r, "b"))
			}
			want := query(view)
			got, bundle := prove(t, view, query)
			if !slices.Equal(got, want) {
				t.Fatalf("through the recorder: %q, want %q", got, want)
			}
			p, err := proof.Verify(bundle, view.Hash())
			if err != nil {
				t.Fatalf("proof.Verify: %v", err)
			}
			if again := runProven(t, p, query); !slices.Equal(again, want) {
				t.Fatalf("over the proofs: %q, want %q", again, want)
			}
		})
	}
}

// TestProofsWithin: a bound on the bundle's encoded size admits a bundle
// of exactly that size, refuses one a byte over it, and stops proving soon
// after the bound is passed rather than building the whole bundle first.
func TestProofsWithin(t *testing.T) {
	s := openMem(t)
	var keys []string
	for i := range 200 {
		keys = append(keys, fmt.Sprintf("k%03d", i))
	}
	view := commitWrites(t, s, values(keys...))
	read := func() *Recorder {
		rec := NewRecorder(view)
		for _, k := range keys {
			rec.Get([]byte(k))
		}
		rec.Get([]byte("absent"))
		it := rec.Iterator([]byte("k100"), []byte("k120"), true)
		for ; it.Valid(); it.Next() {
		}
		it.Close()
		return rec
	}
	whole, err := read().Proofs()
	if err != nil {
		t.Fatal(err)
	}
	size := proto.Size(whole)

	exact, err := read().ProofsWithin(size)
	if err != nil {
		t.Fatalf("bound of exactly the bundle's size (%d): %v", size, err)
	}
	if !proto.Equal(exact, whole) {
		t.Error("a bounded bundle differs from the unbounded one")
	}
	if _, err := read().ProofsWithin(size - 1); !errors.Is(err, ErrProofTooLarge) {
		t.Fatalf("bound one byte short: %v, want ErrProofTooLarge", err)
	}

	// A bound of a few key proofs stops after a few keys, of the 201.
	_, err = read().ProofsWithin(4 << 10)
	if !errors.Is(err, ErrProofTooLarge) {
		t.Fatalf("small bound: %v, want ErrProofTooLarge", err)
	}
	var proven int
	if _, serr := fmt.Sscanf(err.Error()[strings.Index(err.Error(), "after proving"):], "after proving %d keys", &proven); serr != nil {
		t.Fatalf("error %q does not say how far proving went: %v", err, serr)
	}
	if proven == 0 || proven > len(whole.Keys)/10 {
		t.Errorf("stopped after proving %d of %d keys, want a few", proven, len(whole.Keys))
	}

	if _, err := read().ProofsWithin(-1); err == nil || errors.Is(err, ErrProofTooLarge) {
		t.Errorf("negative bound: %v, want a plain error", err)
	}
}
