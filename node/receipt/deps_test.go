package receipt

import (
	"os/exec"
	"strings"
	"testing"
)

// TestVerifierLinksNoDatabase: a program that verifies receipts links no
// state tree and no database, and none of the node; it needs the proofs'
// checks, CometBFT's header types and the module table's queries only.
func TestVerifierLinksNoDatabase(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasSuffix(dep, "/node/receipt") {
			continue // itself
		}
		for _, banned := range []string{"cosmos/iavl", "cometbft/cometbft/light\x00", "cockroachdb/pebble", "cosmos-db", "cometbft-db", "lineaged/app/store\x00", "lineaged/node/"} {
			if strings.Contains(dep+"\x00", banned) {
				t.Errorf("the verifier links %s", dep)
			}
		}
	}
}
