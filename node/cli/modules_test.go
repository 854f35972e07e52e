package cli

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/lineageledger/lineaged/app/modules"
)

// targets lists every route name and every ABCI query path of t.
func targets(t *modules.Table) []string {
	var out []string
	for _, r := range t.Routes() {
		if !r.GovernanceOnly() { // proposed with tx gov propose, never sent
			out = append(out, r.Name)
		}
	}
	return append(out, t.QueryPaths()...)
}

// TestEveryTargetHasOneCommand: every route and query path of the table is
// reachable from exactly one command, and every command's annotation names
// one that exists.
func TestEveryTargetHasOneCommand(t *testing.T) {
	table := modules.Default()
	covered := coverage([]*cobra.Command{NewRootCmd(nil, io.Discard, io.Discard)})
	want := targets(table)
	for _, target := range want {
		if cmds := covered[target]; len(cmds) != 1 {
			t.Errorf("%s is run by %d commands %q, want exactly 1", target, len(cmds), cmds)
		}
	}
	for target, cmds := range covered {
		if !slices.Contains(want, target) {
			t.Errorf("%q names %s, which is neither a route nor a query path of the module table", cmds, target)
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

// TestGenericCommands: what no hand-written command covers gets a generic
// command in its module's group; with no hand-written groups at all, every
// route and query gets one, named after its field or method.
func TestGenericCommands(t *testing.T) {
	for _, tc := range []struct {
		name   string
		groups map[string]moduleGroups
		want   map[string]string // command path → route or query path
		absent []string
	}{
		{
			name:   "chain",
			groups: friendlyGroups,
			want:   map[string]string{"lineaged query gate policy": "/lineage.gate.v1.Query/Policy"},
			// app's only query is `query params`, and the gate has no routes.
			absent: []string{"lineaged query app", "lineaged tx app", "lineaged tx gate", "lineaged query gate check"},
		},
		{
			name: "no hand-written groups",
			want: map[string]string{
				"lineaged tx membership create-org":         "membership.create_org",
				"lineaged tx models register-model":         "models.register_model",
				"lineaged tx licenses revoke-grant":         "licenses.revoke_grant",
				"lineaged query models models-by-digest":    "/lineage.models.v1.Query/ModelsByDigest",
				"lineaged query licenses effective-license": "/lineage.licenses.v1.Query/EffectiveLicense",
				"lineaged query lineage runs-by-dataset":    "/lineage.lineage.v1.Query/RunsByDataset",
				"lineaged query membership account":         "/lineage.membership.v1.Query/Account",
				"lineaged query gate policy":                "/lineage.gate.v1.Query/Policy",
				"lineaged tx lineage register-dataset":      "lineage.register_dataset",
				"lineaged query lineage dataset-by-name":    "/lineage.lineage.v1.Query/DatasetByName",
				"lineaged tx models record-deployment":      "models.record_deployment",
				"lineaged query licenses licenses":          "/lineage.licenses.v1.Query/Licenses",
				"lineaged tx membership reinstate-account":  "membership.reinstate_account",
				"lineaged query models model-lineage":       "/lineage.models.v1.Query/ModelLineage",
				"lineaged tx licenses define-license":       "licenses.define_license",
				"lineaged query membership orgs":            "/lineage.membership.v1.Query/Orgs",
				"lineaged query lineage dataset-history":    "/lineage.lineage.v1.Query/DatasetHistory",
				"lineaged tx membership rotate-key":         "membership.rotate_key",
				"lineaged query models deployments":         "/lineage.models.v1.Query/Deployments",
				"lineaged query licenses grant":             "/lineage.licenses.v1.Query/Grant",
				"lineaged tx lineage record-run":            "lineage.record_run",
				"lineaged query membership org":             "/lineage.membership.v1.Query/Org",
				"lineaged query models model-versions":      "/lineage.models.v1.Query/ModelVersions",
				"lineaged tx models supersede-model":        "models.supersede_model",
				"lineaged query lineage lineage":            "/lineage.lineage.v1.Query/Lineage",
				"lineaged tx membership add-account":        "membership.add_account",
				"lineaged tx licenses grant-license":        "licenses.grant_license",
				"lineaged query licenses grants":            "/lineage.licenses.v1.Query/Grants",
				"lineaged tx models revoke-model":           "models.revoke_model",
				"lineaged tx membership set-roles":          "membership.set_roles",
				"lineaged query lineage dataset":            "/lineage.lineage.v1.Query/Dataset",
				"lineaged query lineage run":                "/lineage.lineage.v1.Query/Run",
				"lineaged tx membership suspend-account":    "membership.suspend_account",
				"lineaged query models model":               "/lineage.models.v1.Query/Model",
				"lineaged query licenses license":           "/lineage.licenses.v1.Query/License",
			},
			absent: []string{"lineaged query app", "lineaged tx gate", "lineaged query gate check"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := newRootCmd(nil, io.Discard, io.Discard, modules.Default(), tc.groups)
			cmds := commands(root)
			for path, target := range tc.want {
				c, ok := cmds[path]
				if !ok {
					t.Errorf("no command %q", path)
					continue
				}
				got := c.Annotations[annotationRoute] + c.Annotations[annotationQuery]
				if got != target {
					t.Errorf("%q runs %q, want %q", path, got, target)
				}
			}
			for _, path := range tc.absent {
				if _, ok := cmds[path]; ok {
					t.Errorf("command %q exists, want none", path)
				}
			}
			// Still exactly one command per route and query path.
			covered := coverage([]*cobra.Command{root})
			for _, target := range targets(modules.Default()) {
				if n := len(covered[target]); n != 1 {
					t.Errorf("%s is run by %d commands %q", target, n, covered[target])
				}
			}
			// No empty groups: a command either runs something or holds commands.
			for path, c := range cmds {
				if !c.Runnable() && !c.HasSubCommands() {
					t.Errorf("%q is an empty group", path)
				}
			}
		})
	}
}

// TestGenericHelp: a generic command's help lists its message's fields
// with their types, and its example is JSON its own parser takes.
func TestGenericHelp(t *testing.T) {
	root := newRootCmd(nil, io.Discard, io.Discard, modules.Default(), nil)
	cmds := commands(root)
	for path, want := range map[string][]string{
		"lineaged tx licenses grant-license": {
			"Fields of lineage.licenses.v1.MsgGrantLicense:",
			"  license_id ", "  subject ", "lineage.licenses.v1.Subject",
			"    dataset ", "(oneof kind: only one of dataset, model)",
			"  usage ", "    ai_training ", " bool",
			"  expiry_height ", " int64",
			"  expiry_time ", `timestamp ("2027-01-01T00:00:00Z")`,
			"(needs licensor)",
		},
		"lineaged tx membership add-account": {
			"  public_key ", "    type ", "enum KEY_TYPE_UNSPECIFIED | KEY_TYPE_ED25519",
			"    key ", "bytes (base64)", "  roles ", "list of enum ROLE_UNSPECIFIED |",
		},
		"lineaged tx lineage record-run": {"  new_outputs ", "list of lineage.lineage.v1.DatasetSpec", "    size_bytes ", "uint64"},
		"lineaged query gate policy":     {"lineage.gate.v1.QueryPolicyRequest has no fields", "lineage.gate.v1.QueryPolicyResponse"},
	} {
		c := cmds[path]
		if c == nil {
			t.Fatalf("no command %q", path)
		}
		help := c.Short + "\n" + c.Long
		for _, w := range want {
			if !strings.Contains(help, w) {
				t.Errorf("help of %q lacks %q:\n%s", path, w, help)
			}
		}
	}
	for _, r := range modules.Default().Routes() {
		md := r.Message()
		msg, err := newMessage(md)
		if err != nil {
			t.Fatal(err)
		}
		if err := protojson.Unmarshal([]byte(skeleton(md)), msg); err != nil {
			t.Errorf("the example of %s, %s, does not parse: %v", r.Name, skeleton(md), err)
		}
	}
}

func TestKebab(t *testing.T) {
	for in, want := range map[string]string{
		"register_model":   "register-model",
		"rotate_key":       "rotate-key",
		"policy":           "policy",
		"Policy":           "policy",
		"ModelsByDigest":   "models-by-digest",
		"EffectiveLicense": "effective-license",
		"ABCIInfo":         "abci-info",
		"GetV2Thing":       "get-v2-thing",
	} {
		if got := kebab(in); got != want {
			t.Errorf("kebab(%q) = %q, want %q", in, got, want)
		}
	}
}
