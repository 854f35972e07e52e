package models

import (
	"slices"
	"testing"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// TestRegisterIndexesImpact: under rule set 2 a registration indexes the
// version under each training dataset and under its base model; under
// earlier rule sets it writes exactly what it always wrote.
func TestRegisterIndexesImpact(t *testing.T) {
	spec := &pb.ModelSpec{Name: "acme/tuned", Version: "2.0", ManifestDigest: dg(60),
		BaseModel: "acme/base@1.0", TrainingDatasets: []string{dg(3), dg(2)}}
	impactKeys := [][]byte{
		TrainedOnKey(dg(3), "acme/tuned", "2.0"),
		TrainedOnKey(dg(2), "acme/tuned", "2.0"),
		FineTuneKey("acme/base", "1.0", "acme/tuned", "2.0"),
	}
	cases := []struct {
		name    string
		rules   uint32
		indexed bool
	}{
		{"first release", kit.RulesInitial, false},
		{"bound names", kit.RulesBoundNames, false},
		{"impact index", kit.RulesImpactIndex, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			before := f.st.Snapshot()
			b := blk
			b.Rules = c.rules
			if _, err := f.k.RegisterModel(f.k.own(f.st), f.st, b, alice, &pb.MsgRegisterModel{Model: spec}); err != nil {
				t.Fatal(err)
			}
			var written [][]byte
			for key := range f.st.Snapshot() {
				if _, old := before[key]; !old {
					written = append(written, []byte(key))
				}
			}
			want := [][]byte{
				append([]byte{0x05}, ModelKey("acme/tuned", "2.0")...),
				append([]byte{0x05}, ByDigestKey(dg(60), "acme/tuned", "2.0")...),
				append([]byte{0x05}, VersionKey("acme/tuned", blk.Height, "2.0")...),
			}
			if c.indexed {
				for _, k := range impactKeys {
					want = append(want, append([]byte{0x05}, k...))
				}
			}
			slices.SortFunc(written, func(a, b []byte) int { return slices.Compare(a, b) })
			slices.SortFunc(want, func(a, b []byte) int { return slices.Compare(a, b) })
			if !slices.EqualFunc(written, want, slices.Equal) {
				t.Fatalf("written keys:\n%x\nwant:\n%x", written, want)
			}
		})
	}
}
