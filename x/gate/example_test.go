package gate_test

import (
	"fmt"

	"github.com/lineageledger/lineaged/x/gate"
)

func ExampleParseUses() {
	uses, err := gate.ParseUses("ai-training,fine-tune,commercial")
	if err != nil {
		panic(err)
	}
	for _, u := range uses {
		fmt.Println(u, gate.UseName(u))
	}
	// Output:
	// USE_COMMERCIAL commercial
	// USE_DERIVATIVES derivatives
	// USE_AI_TRAINING ai-training
}
