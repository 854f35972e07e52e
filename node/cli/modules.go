package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/modules"
)

// Annotations naming what a command runs, so that every route and query
// path of the module table can be matched to the one command that reaches
// it (see [coverage]).
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

// declares checks that cmd's annotation key names target, the route or
// query path cmd is about to run. The annotations are how the tests match
// every route and query to its one command, so one that does not say what
// its command runs is a bug, and the command refuses to run.
func declares(cmd *cobra.Command, key, target string) error {
	if got := cmd.Annotations[key]; got != target {
		return fmt.Errorf("command %q runs %s but its annotation %s names %q", cmd.CommandPath(), target, key, got)
	}
	return nil
}

// routeOf is the name of the route that executes msg; "" if none does.
func (e *env) routeOf(msg proto.Message) string {
	name := msg.ProtoReflect().Descriptor().FullName()
	for _, r := range e.mods.Routes() {
		if r.Message().FullName() == name {
			return r.Name
		}
	}
	return ""
}

// moduleGroups are the hand-written command groups of one module, under
// `lineaged tx` and `lineaged query`; either may be nil.
type moduleGroups struct {
	tx, query func(*env) *cobra.Command
}

// friendlyGroups are the modules' hand-written commands, by module name.
// A module needs no entry: whatever route or query of the table no command
// covers gets a generic command (generic.go) in its module's group.
var friendlyGroups = map[string]moduleGroups{
	"membership": {tx: (*env).membershipTxCmd, query: (*env).membershipQueryCmd},
	"lineage":    {tx: (*env).lineageTxCmd, query: (*env).lineageQueryCmd},
	"models":     {tx: (*env).modelsTxCmd, query: (*env).modelsQueryCmd},
	"licenses":   {tx: (*env).licensesTxCmd, query: (*env).licensesQueryCmd},
	"gov":        {tx: (*env).govTxCmd, query: (*env).govQueryCmd},
}

// addModuleCmds gives each module of t, in table order, its group under tx
// and under query: its hand-written group from groups, if any, plus a
// generic command for each of its routes and query methods that no command
// in root's tree covers. A module left with nothing to run gets no group.
// root must hold every other command already, tx and query included.
func (e *env) addModuleCmds(root, tx, query *cobra.Command, t *modules.Table, groups map[string]moduleGroups) {
	mods := t.Modules()
	txGroups := make([]*cobra.Command, len(mods))
	queryGroups := make([]*cobra.Command, len(mods))
	var friendly []*cobra.Command
	for i, m := range mods {
		if g := groups[m.Name].tx; g != nil {
			txGroups[i] = g(e)
			friendly = append(friendly, txGroups[i])
		}
		if g := groups[m.Name].query; g != nil {
			queryGroups[i] = g(e)
			friendly = append(friendly, queryGroups[i])
		}
	}
	covered := coverage(append(friendly, root))

	for i, m := range mods {
		for _, r := range m.Routes {
			// A message only governance sends is proposed (tx gov
			// propose), never sent: it has no command of its own.
			if len(covered[r.Name]) > 0 || r.GovernanceOnly() {
				continue
			}
			if txGroups[i] == nil {
				txGroups[i] = genericGroup(m.Name, "Transactions of the %s module, given as JSON")
			}
			txGroups[i].AddCommand(e.genericTxCmd(r))
		}
		for _, q := range queryMethods(m) {
			if len(covered[q.path]) > 0 {
				continue
			}
			if queryGroups[i] == nil {
				queryGroups[i] = genericGroup(m.Name, "Queries of the %s module, asked in JSON")
			}
			queryGroups[i].AddCommand(e.genericQueryCmd(m.Name, q))
		}
		if g := txGroups[i]; g != nil && g.HasSubCommands() {
			tx.AddCommand(g)
		}
		if g := queryGroups[i]; g != nil && g.HasSubCommands() {
			query.AddCommand(g)
		}
	}
}

func genericGroup(module, short string) *cobra.Command {
	return &cobra.Command{Use: module, Short: fmt.Sprintf(short, module)}
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
