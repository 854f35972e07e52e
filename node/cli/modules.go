package cli

import (
	"github.com/spf13/cobra"
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
