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

// TestFriendlyGroupsAreModules: the hand-written groups are keyed by
// modules of the table, named after them, and each of their commands
// declares what it runs.
func TestFriendlyGroupsAreModules(t *testing.T) {
	table := modules.Default()
	e := &env{v: newCLIViper(), stdout: io.Discard, stderr: io.Discard}
	for name, g := range friendlyGroups {
		if _, ok := table.Module(name); !ok {
			t.Errorf("friendlyGroups has %q, which is no module of the table", name)
		}
		for _, build := range []func(*env) *cobra.Command{g.tx, g.query} {
			if build == nil {
				continue
			}
			group := build(e)
			if got := group.Name(); got != name {
				t.Errorf("friendlyGroups[%q] builds a group named %q", name, got)
			}
			// Every hand-written command says what it runs, or the
			// commands per route and query could not be counted.
			for path, c := range commands(group) {
				_, route := c.Annotations[annotationRoute]
				_, query := c.Annotations[annotationQuery]
				if c.Runnable() && route == query {
					t.Errorf("%q declares %d of a route and a query path, want 1", path, btoi(route)+btoi(query))
				}
			}
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// commands maps every command of root's tree by its path.
func commands(root *cobra.Command) map[string]*cobra.Command {
	out := map[string]*cobra.Command{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		out[c.CommandPath()] = c
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}
