package proof

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/app/store/proofv1"
)

// The tests that need real proofs, built by the state tree, are in package
// store (proof_test.go, tamper_test.go, minimal_test.go, random_test.go):
// this package must not import the tree. These check what can be checked
// on hand-made facts and recordings.

func b(s string) []byte {
	if s == "<nil>" {
		return nil
	}
	return []byte(s)
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

func TestRun(t *testing.T) {
	if err := Run(func() {}); err != nil {
		t.Fatalf("Run of a clean run: %v", err)
	}
	err := Run(func() { panic(fmt.Errorf("%w: test", ErrUnproven)) })
	if !errors.Is(err, ErrUnproven) {
		t.Fatalf("Run returned %v, want ErrUnproven", err)
	}
	defer func() {
		if p := recover(); p != "other" {
			t.Fatalf("recovered %v, want the other panic to go on", p)
		}
	}()
	_ = Run(func() { panic("other") })
	t.Fatal("Run swallowed an unrelated panic")
}
