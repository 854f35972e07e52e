package cli

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lineageledger/lineaged/node"
)

func (e *env) configCmd() *cobra.Command {
	keys := strings.Join(node.ClientConfigKeys, ", ")
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show or change how lineaged talks to a node (the home's config/client.toml)",
		Long: `Show or change the client settings in HOME/config/client.toml: which node
commands talk to, the chain that node must be on, and the output format.
"lineaged init", "dev" and "testnet" write it from the listeners the node uses.

  node      CometBFT RPC address: tcp://HOST:PORT, http(s)://HOST[:PORT][/PATH]
            or unix://PATH (default ` + node.DefaultClientNode + `)
  chain-id  the chain the node must report; a node of another chain is
            refused. Empty turns the check off
  output    text or json

Each command takes a setting from its flag (--node, --chain-id, -o), else
from LINEAGED_NODE, LINEAGED_CHAIN_ID or LINEAGED_OUTPUT, else from
client.toml, else the default.`,
	}
	get := &cobra.Command{
		Use:   "get [KEY]",
		Short: "Print the value a setting has for commands run now (all of them, with where each comes from, without KEY)",
		Long: `Print the value each setting (` + keys + `) has for a command run now, from
LINEAGED_* variables, client.toml or the default. With KEY, print that value
alone; without, list every setting with where its value comes from.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			if len(args) == 1 {
				key := strings.ReplaceAll(strings.ToLower(args[0]), "_", "-")
				if _, known := settingEnv[key]; !known {
					return usagef("unknown setting %q: want one of %s", args[0], keys)
				}
				s, err := e.setting(cmd, key)
				if err != nil {
					return err
				}
				if e.json() {
					return printJSON(e.stdout, map[string]string{key: s.value})
				}
				fmt.Fprintln(e.stdout, s.value)
				return nil
			}
			all := make(map[string]string, len(node.ClientConfigKeys))
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			for _, key := range node.ClientConfigKeys {
				s, err := e.setting(cmd, key)
				if err != nil {
					return err
				}
				all[key] = s.value
				value := s.value
				if value == "" {
					value = `""`
				}
				fmt.Fprintf(tw, "%s\t%s\t(%s)\n", key, value, s.source)
			}
			if e.json() {
				return printJSON(e.stdout, all)
			}
			return tw.Flush()
		},
	}
	set := &cobra.Command{
		Use:   "set KEY VALUE",
		Short: "Change a setting in the home's client.toml (" + keys + ")",
		Long: `Check VALUE and write it as KEY (` + keys + `) in HOME/config/client.toml,
creating the file if the home has none. An empty chain-id ("") turns the
chain check off.`,
		Example: `  lineaged config set node tcp://127.0.0.1:26657
  lineaged config set chain-id lineage-dev
  lineaged config set output json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			key, value := strings.ReplaceAll(strings.ToLower(args[0]), "_", "-"), args[1]
			if err := node.ValidateClientSetting(key, value); err != nil {
				return usageErr(err)
			}
			home := e.home()
			_, after, err := node.UpdateClientConfig(home, func(c *node.ClientConfig) { _ = c.Set(key, value) })
			if err != nil {
				return err
			}
			v, _ := after.Get(key)
			if e.json() {
				if err := printJSON(e.stdout, map[string]string{"key": key, "value": v, "file": node.ClientConfigPath(home)}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(e.stderr, "%s = %q in %s\n", key, v, node.ClientConfigPath(home))
			}
			if env := settingEnv[key]; os.Getenv(env) != "" {
				fmt.Fprintf(e.stderr, "note: $%s is set (%q) and takes precedence over client.toml\n", env, os.Getenv(env))
			}
			return nil
		},
	}
	cmd.AddCommand(get, set)
	return cmd
}
