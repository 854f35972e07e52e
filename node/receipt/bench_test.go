package receipt

import (
	"context"
	"testing"
)

// BenchmarkVerify measures offline verification of a real gate receipt:
// parsing, every signature, every proof, and the re-run of the check.
func BenchmarkVerify(b *testing.B) {
	data, trust := fixture(b)
	for b.Loop() {
		r, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Verify(context.Background(), r, trust); err != nil {
			b.Fatal(err)
		}
	}
}
