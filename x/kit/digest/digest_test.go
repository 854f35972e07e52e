package digest

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	sha := "sha256:" + strings.Repeat("ab", 32)
	cases := []struct {
		in   string
		ok   bool
		algo string
	}{
		{sha, true, SHA256},
		{"sha512:" + strings.Repeat("0f", 64), true, SHA512},
		{"blake2b-256:" + strings.Repeat("01", 32), true, Blake2b256},
		{"SHA256:" + strings.Repeat("ab", 32), false, ""},
		{"sha256:" + strings.Repeat("AB", 32), false, ""},
		{"sha256:" + strings.Repeat("ab", 31), false, ""},
		{"sha256:" + strings.Repeat("zz", 32), false, ""},
		{"md5:" + strings.Repeat("ab", 16), false, ""},
		{strings.Repeat("ab", 32), false, ""},
		{"", false, ""},
	}
	for _, c := range cases {
		d, err := Parse(c.in)
		if c.ok != (err == nil) {
			t.Errorf("Parse(%q) error = %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		if !c.ok {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse(%q) error %v is not ErrInvalid", c.in, err)
			}
			continue
		}
		if d.Algorithm != c.algo || d.String() != c.in {
			t.Errorf("Parse(%q) = %v, round trip %q", c.in, d, d.String())
		}
	}
}

func TestOf(t *testing.T) {
	// Known answers for "abc".
	want := map[string]string{
		SHA256:     "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		SHA512:     "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
		Blake2b256: "blake2b-256:bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
	}
	for algo, w := range want {
		d, err := Of(algo, []byte("abc"))
		if err != nil || d.String() != w {
			t.Errorf("Of(%s, abc) = %s, %v; want %s", algo, d, err, w)
		}
	}
}

// FuzzParse: Parse never panics, and what it accepts prints back exactly.
func FuzzParse(f *testing.F) {
	f.Add("sha256:" + strings.Repeat("ab", 32))
	f.Add("blake2b-256:" + strings.Repeat("0", 64))
	f.Add("sha512:")
	f.Add(":")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) error %v is not ErrInvalid", s, err)
			}
			return
		}
		if d.String() != s || len(d.Value) != sizes[d.Algorithm] {
			t.Fatalf("Parse(%q) accepted a non-canonical form: %v", s, d)
		}
	})
}
