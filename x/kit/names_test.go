package kit

import (
	"strings"
	"testing"
)

// TestNameTable: names read in any case, values name themselves, unknown
// values say so, and the list keeps the table's order.
func TestNameTable(t *testing.T) {
	type colour int32
	table := NameTable[colour]{{Name: "red", Value: 1}, {Name: "green", Value: 2}}
	for _, tc := range []struct {
		in   string
		want colour
		ok   bool
	}{{"red", 1, true}, {"GREEN", 2, true}, {"blue", 0, false}, {"", 0, false}} {
		if got, ok := table.Lookup(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if table.Name(2) != "green" || table.Name(9) != "unknown(9)" {
		t.Errorf("Name: %q, %q", table.Name(2), table.Name(9))
	}
	if !table.Has(1) || table.Has(0) {
		t.Error("Has")
	}
	if got := strings.Join(table.Names(), ","); got != "red,green" {
		t.Errorf("Names = %s", got)
	}
}
