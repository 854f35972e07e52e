package kit_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/kittest"
)

// nameKey is base 0x01 | len(name) | name | len(v) | v, the shape NameRanges
// serves.
func nameKey(name, v string) []byte {
	k := []byte{0x01, byte(len(name))}
	k = append(k, name...)
	k = append(k, byte(len(v)))
	return append(k, v...)
}

// names reads name@version back from nameKey keys.
func names(t *testing.T, keys [][]byte) []string {
	t.Helper()
	var out []string
	for _, k := range keys {
		n := int(k[1])
		out = append(out, string(k[2:2+n])+"@"+string(k[3+n:]))
	}
	return out
}

func ExampleNameRanges() {
	for _, r := range kit.NameRanges([]byte{0x01}, "ab", 4) {
		fmt.Printf("[%x, %x)\n", r.Start, r.End)
	}
	fmt.Println(len(kit.NameRanges([]byte{0x01}, "", 128)))
	// Output:
	// [01026162, 01026163)
	// [01036162, 01036163)
	// [01046162, 01046163)
	// 1
}

func TestScanPage(t *testing.T) {
	st := kittest.NewMemStore()
	for _, nv := range []string{"a/x@1", "a/x@2", "a/yy@1", "a/b@1", "b/x@1", "a/zzz@1", "ab@1"} {
		n, v, _ := strings.Cut(nv, "@")
		st.Set(nameKey(n, v), []byte(n))
	}
	st.Set([]byte{0x02, 0x00}, []byte("another prefix"))
	all := func([]byte, []byte) bool { return true }
	onlyX := func(k, _ []byte) bool { return strings.HasSuffix(names(t, [][]byte{k})[0], "x@1") }

	cases := []struct {
		name           string
		prefix         string
		after          []byte
		limit, maxScan int
		match          func(k, v []byte) bool
		want           []string
		last           string
		scanned        int
		more, bounded  bool
	}{
		{"everything, key order: shorter names first", "", nil, 100, 100, all,
			[]string{"ab@1", "a/b@1", "a/x@1", "a/x@2", "b/x@1", "a/yy@1", "a/zzz@1"}, "a/zzz@1", 7, false, false},
		{"a prefix, over every length", "a/", nil, 100, 100, all,
			[]string{"a/b@1", "a/x@1", "a/x@2", "a/yy@1", "a/zzz@1"}, "a/zzz@1", 5, false, false},
		{"limit reached with more after it", "a/", nil, 2, 100, all,
			[]string{"a/b@1", "a/x@1"}, "a/x@1", 2, true, false},
		{"limit reached at the last record", "a/", nil, 5, 100, all,
			[]string{"a/b@1", "a/x@1", "a/x@2", "a/yy@1", "a/zzz@1"}, "a/zzz@1", 5, false, false},
		{"after a cursor, into the next length", "a/", nameKey("a/x", "2"), 100, 100, all,
			[]string{"a/yy@1", "a/zzz@1"}, "a/zzz@1", 2, false, false},
		{"after a cursor outside the prefix", "a/", nameKey("a/yy", "0"), 100, 100, all,
			[]string{"a/yy@1", "a/zzz@1"}, "a/zzz@1", 2, false, false},
		{"after the last record", "a/", nameKey("a/zzz", "1"), 100, 100, all, nil, "", 0, false, false},
		{"a filter examines what it skips", "", nil, 100, 100, onlyX,
			[]string{"a/x@1", "b/x@1"}, "a/zzz@1", 7, false, false},
		{"the scan bound cuts a page short", "", nil, 100, 3, onlyX,
			[]string{"a/x@1"}, "a/x@1", 3, true, true},
		{"the bound and the limit at once: the page is full", "", nil, 1, 3, onlyX,
			[]string{"a/x@1"}, "a/x@1", 3, true, false},
		{"no match", "c/", nil, 100, 100, all, nil, "", 0, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var matched [][]byte
			p := kit.ScanPage(st, kit.NameRanges([]byte{0x01}, tc.prefix, 8), tc.after, tc.limit, tc.maxScan, func(k, v []byte) bool {
				if tc.match(k, v) {
					matched = append(matched, k)
					return true
				}
				return false
			})
			if got := names(t, matched); !slices.Equal(got, tc.want) {
				t.Errorf("matched %q, want %q", got, tc.want)
			}
			last := ""
			if p.Last != nil {
				last = names(t, [][]byte{p.Last})[0]
			}
			if last != tc.last || p.Scanned != tc.scanned || p.More != tc.more || p.Bounded != tc.bounded {
				t.Errorf("page last %q scanned %d more %v bounded %v, want %q %d %v %v",
					last, p.Scanned, p.More, p.Bounded, tc.last, tc.scanned, tc.more, tc.bounded)
			}
		})
	}
}

// TestScanPageResumes: following the cursor page after page visits every
// record once, whatever the page size and bound.
func TestScanPageResumes(t *testing.T) {
	st := kittest.NewMemStore()
	var want []string
	for i := range 30 {
		n := "p/" + strings.Repeat("n", 1+i%5) + fmt.Sprint(i)
		st.Set(nameKey(n, "1"), []byte{byte(i)})
	}
	ranges := kit.NameRanges([]byte{0x01}, "p/", 16)
	kit.ScanPage(st, ranges, nil, 1000, 1000, func(k, _ []byte) bool {
		want = append(want, names(t, [][]byte{k})[0])
		return true
	})
	if len(want) != 30 {
		t.Fatalf("one page holds %d records, want 30", len(want))
	}
	for _, size := range []struct{ limit, maxScan int }{{1, 100}, {7, 100}, {100, 4}, {3, 5}} {
		var got []string
		var after []byte
		for pages := 0; ; pages++ {
			if pages > 40 {
				t.Fatalf("limit %d bound %d: no end after %d pages", size.limit, size.maxScan, pages)
			}
			p := kit.ScanPage(st, ranges, after, size.limit, size.maxScan, func(k, _ []byte) bool {
				got = append(got, names(t, [][]byte{k})[0])
				return true
			})
			if !p.More {
				break
			}
			after = p.Last
		}
		if !slices.Equal(got, want) {
			t.Errorf("limit %d bound %d: pages visit %q, want %q", size.limit, size.maxScan, got, want)
		}
	}
}

func TestValidateModelAlias(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"production", true},
		{"canary-eu_2", true},
		{"v2", true},
		{"p", true},
		{"", false},
		{"2024", false},
		{"Production", false},
		{"prod.1", false},
		{"prod@1", false},
		{"prod-", false},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
	} {
		if err := kit.ValidateModelAlias("alias", tc.in); (err == nil) != tc.ok {
			t.Errorf("ValidateModelAlias(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}
