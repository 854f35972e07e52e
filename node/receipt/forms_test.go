package receipt

import (
	"testing"

	"github.com/lineageledger/lineaged/app/modules"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
)

// TestSameAnswerEarlierForms: a gate answer recorded before the gate named
// the publisher still matches its re-run; any other difference does not.
func TestSameAnswerEarlierForms(t *testing.T) {
	enc := func(r *gatepb.CheckResponse) []byte {
		b, err := modules.Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	current := &gatepb.CheckResponse{Verdict: gatepb.Verdict_VERDICT_ALLOW, Model: "dev/bot@1.0", Height: 7, PublisherOrg: "dev"}
	rerun := enc(current)
	for _, tc := range []struct {
		name     string
		recorded *gatepb.CheckResponse
		path     string
		want     bool
	}{
		{"the same", current, gatepb.Query_Check_FullMethodName, true},
		{"without the publisher, as recorded before it was named", &gatepb.CheckResponse{Verdict: gatepb.Verdict_VERDICT_ALLOW, Model: "dev/bot@1.0", Height: 7}, gatepb.Query_Check_FullMethodName, true},
		{"another publisher", &gatepb.CheckResponse{Verdict: gatepb.Verdict_VERDICT_ALLOW, Model: "dev/bot@1.0", Height: 7, PublisherOrg: "beta"}, gatepb.Query_Check_FullMethodName, false},
		{"another verdict, no publisher", &gatepb.CheckResponse{Verdict: gatepb.Verdict_VERDICT_DENY, Model: "dev/bot@1.0", Height: 7}, gatepb.Query_Check_FullMethodName, false},
		{"no earlier form for other queries", &gatepb.CheckResponse{Verdict: gatepb.Verdict_VERDICT_ALLOW, Model: "dev/bot@1.0", Height: 7}, gatepb.Query_Policy_FullMethodName, false},
	} {
		if got := sameAnswer(tc.path, rerun, enc(tc.recorded)); got != tc.want {
			t.Errorf("%s: sameAnswer = %v, want %v", tc.name, got, tc.want)
		}
	}
}
