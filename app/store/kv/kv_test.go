package kv_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/lineageledger/lineaged/app/store/kv"
)

// mapStore is an ordered in-memory store, just enough for these tests.
type mapStore map[string][]byte

func (m mapStore) Get(k []byte) []byte { return m[string(k)] }
func (m mapStore) Has(k []byte) bool   { return m[string(k)] != nil }
func (m mapStore) Set(k, v []byte)     { m[string(k)] = bytes.Clone(v) }
func (m mapStore) Delete(k []byte)     { delete(m, string(k)) }

func (m mapStore) Iterator(start, end []byte, reverse bool) kv.Iterator {
	var keys []string
	for k := range m {
		if (start == nil || k >= string(start)) && (end == nil || k < string(end)) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if reverse {
		slices.Reverse(keys)
	}
	return &sliceIterator{m: m, keys: keys}
}

type sliceIterator struct {
	m    mapStore
	keys []string
}

func (it *sliceIterator) Valid() bool   { return len(it.keys) > 0 }
func (it *sliceIterator) Next()         { it.keys = it.keys[1:] }
func (it *sliceIterator) Key() []byte   { return []byte(it.keys[0]) }
func (it *sliceIterator) Value() []byte { return it.m[it.keys[0]] }
func (it *sliceIterator) Close()        {}

func keys(it kv.Iterator) []string {
	defer it.Close()
	var out []string
	for ; it.Valid(); it.Next() {
		out = append(out, fmt.Sprintf("%s=%s", it.Key(), it.Value()))
	}
	return out
}

// TestReadOnly: the wrapper reads like the store it wraps, but cannot be
// asserted back to a Store, even when the store underneath is one.
func TestReadOnly(t *testing.T) {
	s := mapStore{"a": []byte("1"), "b": []byte("2")}
	var under kv.Reader = s
	if _, ok := under.(kv.Store); !ok {
		t.Fatal("the test store is not a kv.Store; the test proves nothing")
	}
	r := kv.ReadOnly(s)
	if _, ok := r.(kv.Store); ok {
		t.Fatal("kv.ReadOnly(store) can be asserted to kv.Store")
	}
	if _, ok := r.(interface{ Set(k, v []byte) }); ok {
		t.Fatal("kv.ReadOnly(store) has a Set method")
	}
	if _, ok := kv.ReadOnly(r).(kv.Store); ok {
		t.Fatal("kv.ReadOnly of a read-only reader can be asserted to kv.Store")
	}
	if got := string(r.Get([]byte("a"))); got != "1" || !r.Has([]byte("b")) || r.Has([]byte("c")) {
		t.Fatalf("reads through the wrapper: Get(a) = %q, Has(b) = %v, Has(c) = %v", got, r.Has([]byte("b")), r.Has([]byte("c")))
	}
	if got, want := keys(r.Iterator(nil, nil, true)), []string{"b=2", "a=1"}; !slices.Equal(got, want) {
		t.Fatalf("iterator through the wrapper %q, want %q", got, want)
	}
}

func TestPrefixEnd(t *testing.T) {
	cases := []struct{ prefix, want []byte }{
		{[]byte("a"), []byte("b")},
		{[]byte("a\xff"), []byte("b")},
		{[]byte("a\xfe"), []byte("a\xff")},
		{[]byte{0xff, 0xff}, nil},
		{[]byte{}, nil},
	}
	for _, tc := range cases {
		if got := kv.PrefixEnd(tc.prefix); !bytes.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("PrefixEnd(%x) = %x, want %x", tc.prefix, got, tc.want)
		}
	}
}

// TestPrefixed: a prefixed view reads and writes only under its prefix,
// with the prefix stripped from the keys it shows.
func TestPrefixed(t *testing.T) {
	s := mapStore{"a": []byte("0"), "p/1": []byte("1"), "p/2": []byte("2"), "q": []byte("3")}
	p := kv.Prefixed(s, []byte("p/"))
	p.Set([]byte("3"), []byte("x"))
	p.Delete([]byte("1"))
	if got, want := keys(p.Iterator(nil, nil, false)), []string{"2=2", "3=x"}; !slices.Equal(got, want) {
		t.Fatalf("prefixed view %q, want %q", got, want)
	}
	if got, want := keys(s.Iterator(nil, nil, false)), []string{"a=0", "p/2=2", "p/3=x", "q=3"}; !slices.Equal(got, want) {
		t.Fatalf("store under the view %q, want %q", got, want)
	}
	r := kv.PrefixedReader(s, []byte("p/"))
	if _, ok := r.(kv.Store); ok {
		t.Fatal("a prefixed reader can be asserted to kv.Store")
	}
	if got := string(r.Get([]byte("2"))); got != "2" || r.Has([]byte("q")) {
		t.Fatalf("prefixed reader: Get(2) = %q, Has(q) = %v", got, r.Has([]byte("q")))
	}
}
