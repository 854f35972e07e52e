package store

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStorageKnowsNoDomain: the store and its leaf packages import no
// module and none of the application's messages.
func TestStorageKnowsNoDomain(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "lineaged/x/") || strings.Contains(dep, "lineaged/app/appv1") || strings.HasSuffix(dep, "lineaged/app") {
			t.Errorf("storage links %s", dep)
		}
	}
}
