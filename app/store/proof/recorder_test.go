package proof

import (
	"fmt"
	"slices"
	"testing"
)

func TestCoveredAndMerged(t *testing.T) {
	cases := []struct {
		name string
		it   iteration
		want string // "" when nothing is covered
	}{
		{"exhausted ascending", iteration{start: b("a"), end: b("c"), exhausted: true, keys: [][]byte{b("b")}}, `["a","c")`},
		{"exhausted descending, unbounded", iteration{reverse: true, exhausted: true}, `["","")`},
		{"stopped ascending", iteration{start: b("a"), end: b("z"), keys: [][]byte{b("b"), b("c")}}, `["a","c\x00")`},
		{"stopped descending", iteration{start: b("a"), end: b("z"), reverse: true, keys: [][]byte{b("y"), b("x")}}, `["x","z")`},
		{"nothing observed", iteration{start: b("a"), end: b("z")}, ""},
		{"inverted bounds", iteration{start: b("c"), end: b("a"), exhausted: true}, ""},
		{"empty end bound", iteration{start: b("c"), end: []byte{}, exhausted: true}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := tc.it.covered()
			got := ""
			if ok {
				got = fmt.Sprintf("[%q,%q)", s.Start, s.End)
			}
			if got != tc.want {
				t.Fatalf("covered %s, want %s", got, tc.want)
			}
		})
	}

	merged := mergeSpans([]Span{
		{b("m"), b("p")}, {b("a"), b("c")}, {b("c"), b("d")}, {b("b"), b("c5")}, {b("x"), nil}, {b("y"), b("z")}, {b("e"), b("f")},
	})
	var got []string
	for _, s := range merged {
		got = append(got, fmt.Sprintf("[%q,%q)", s.Start, s.End))
	}
	want := []string{`["a","d")`, `["e","f")`, `["m","p")`, `["x","")`}
	if !slices.Equal(got, want) {
		t.Fatalf("merged %q, want %q", got, want)
	}
}
