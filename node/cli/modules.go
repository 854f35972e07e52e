package cli

import (
	"github.com/spf13/cobra"

	"github.com/lineageledger/lineaged/app/modules"
)

// Annotations naming what a command runs, so that every route and query
// path of the module table can be matched to the command that reaches it
// (see [coverage]).
const (
	// annotationRoute is the name of the route whose message the command
	// submits, e.g. "models.register_model".
	annotationRoute = "lineaged/route"
	// annotationQuery is the ABCI query path the command asks, e.g.
	// "/lineage.models.v1.Query/Model".
	annotationQuery = "lineaged/query"
)

func runsRoute(name string) map[string]string { return map[string]string{annotationRoute: name} }
func runsQuery(path string) map[string]string { return map[string]string{annotationQuery: path} }

// moduleGroups are the hand-written command groups of one module, under
// `lineaged tx` and `lineaged query`; either may be nil.
type moduleGroups struct {
	tx, query func(*env) *cobra.Command
}

// friendlyGroups are the modules' hand-written commands, by module name.
var friendlyGroups = map[string]moduleGroups{
	"membership": {tx: (*env).membershipTxCmd, query: (*env).membershipQueryCmd},
	"lineage":    {tx: (*env).lineageTxCmd, query: (*env).lineageQueryCmd},
	"models":     {tx: (*env).modelsTxCmd, query: (*env).modelsQueryCmd},
	"licenses":   {tx: (*env).licensesTxCmd, query: (*env).licensesQueryCmd},
}

// addModuleCmds gives each module of t, in table order, its hand-written
// groups from groups under tx and under query.
func (e *env) addModuleCmds(tx, query *cobra.Command, t *modules.Table, groups map[string]moduleGroups) {
	for _, m := range t.Modules() {
		if g := groups[m.Name].tx; g != nil {
			tx.AddCommand(g(e))
		}
		if g := groups[m.Name].query; g != nil {
			query.AddCommand(g(e))
		}
	}
}

// coverage walks the command trees and lists, for each route name and
// query path an annotation names (the two never look alike: a path starts
// with "/"), the commands that run it, by their paths ("lineaged tx models
// register").
func coverage(trees []*cobra.Command) map[string][]string {
	out := map[string][]string{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, key := range []string{annotationRoute, annotationQuery} {
			if v, ok := c.Annotations[key]; ok {
				out[v] = append(out[v], c.CommandPath())
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	for _, c := range trees {
		walk(c)
	}
	return out
}
