package cli

import (
	"io"
	"slices"
	"testing"

	"github.com/spf13/cobra"

	"github.com/lineageledger/lineaged/app/modules"
)

// targets lists every route name and every ABCI query path of t.
func targets(t *modules.Table) []string {
	var out []string
	for _, r := range t.Routes() {
		out = append(out, r.Name)
	}
	return append(out, t.QueryPaths()...)
}

// TestAnnotationsNameTargets: every command's annotation names a route or
// query path of the module table, and no two commands name the same one.
func TestAnnotationsNameTargets(t *testing.T) {
	want := targets(modules.Default())
	for target, cmds := range coverage([]*cobra.Command{NewRootCmd(nil, io.Discard, io.Discard)}) {
		if !slices.Contains(want, target) {
			t.Errorf("%q names %s, which is neither a route nor a query path of the module table", cmds, target)
		}
		if len(cmds) > 1 {
			t.Errorf("%s is run by %d commands %q", target, len(cmds), cmds)
		}
	}
}
