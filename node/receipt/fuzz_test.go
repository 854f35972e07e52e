package receipt

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"testing"

	cmttypes "github.com/cometbft/cometbft/types"
)

// fixture is a real gate-check receipt and the genesis of the chain that
// made it (regenerate: go test ./node -run TestGateReceipt -update-receipt-fixture).
func fixture(t testing.TB) ([]byte, Trust) {
	t.Helper()
	data, err := os.ReadFile("testdata/gate-receipt.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := cmttypes.GenesisDocFromFile("testdata/genesis.json")
	if err != nil {
		t.Fatal(err)
	}
	return data, Trust{Genesis: doc}
}

func TestFixtureVerifies(t *testing.T) {
	data, trust := fixture(t)
	r, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(context.Background(), r, trust)
	if err != nil {
		t.Fatalf("fixture receipt rejected: %v", err)
	}
	if res.Path != "/lineage.gate.v1.Query/Check" || res.Keys == 0 {
		t.Fatalf("result %+v", res)
	}
	// Byte-for-byte the same output from Marshal: the format is stable.
	again, err := Marshal(r)
	if err != nil || !bytes.Equal(again, data) {
		t.Fatalf("Marshal(Parse(fixture)) differs from the fixture")
	}
}

// FuzzVerify: receipts are untrusted input. The fuzzer replaces one part
// of a genuine receipt (its checksum recomputed, so the bytes reach the
// decoders and checks behind it): Verify never panics, and accepts only
// the genuine part.
func FuzzVerify(f *testing.F) {
	data, trust := fixture(f)
	orig, err := Parse(data)
	if err != nil {
		f.Fatal(err)
	}
	parts := []func(*Receipt) *[]byte{
		func(r *Receipt) *[]byte { return &r.Request },
		func(r *Receipt) *[]byte { return &r.Answer },
		func(r *Receipt) *[]byte { return &r.Proofs },
		func(r *Receipt) *[]byte { return &r.StateHeader },
		func(r *Receipt) *[]byte { return &r.SignedHeader },
		func(r *Receipt) *[]byte { return &r.Validators },
	}
	for i, part := range parts {
		f.Add(uint8(i), *part(orig))
	}
	f.Add(uint8(6), []byte{0x0a, 0x00}) // a trust path entry
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		r := *orig
		var genuine []byte
		if int(which) < len(parts) {
			p := parts[which](&r)
			genuine = *p
			*p = b
		} else {
			r.TrustPath = [][]byte{b}
		}
		out, err := Marshal(&r)
		if err != nil {
			return
		}
		parsed, err := Parse(out)
		if err != nil {
			return
		}
		if _, err := Verify(context.Background(), parsed, trust); err == nil && (genuine == nil || !bytes.Equal(b, genuine)) {
			if which == 0 {
				// Another request the proven state answers with the same
				// bytes (the gate's answer does not repeat the uses asked)
				// makes a true receipt of that request: verification
				// re-ran it.
				return
			}
			t.Fatalf("part %d replaced by %x still verifies", which, b)
		}
	})
}

// FuzzParse: any bytes at all never make Parse panic, and what it
// accepts has one meaning: its canonical form parses to the same receipt.
func FuzzParse(f *testing.F) {
	data, _ := fixture(f)
	f.Add(data)
	f.Add([]byte(`{"format":"lineage-receipt/v1"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := Parse(in)
		if err != nil {
			return
		}
		out, err := Marshal(r)
		if err != nil {
			t.Fatalf("Marshal of a parsed receipt: %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("canonical form of an accepted receipt refused: %v", err)
		}
		if !reflect.DeepEqual(normal(r), normal(again)) {
			t.Fatalf("canonical form means something else:\n%+v\n%+v", r, again)
		}
	})
}

// normal treats empty and missing byte fields alike, as the canonical
// form does for the optional ones.
func normal(r *Receipt) Receipt {
	c := *r
	if len(c.Answer) == 0 {
		c.Answer = nil
	}
	if len(c.TrustPath) == 0 {
		c.TrustPath = nil
	}
	return c
}
