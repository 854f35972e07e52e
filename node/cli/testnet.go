package cli

import (
	"context"
	"fmt"
	"net"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lineageledger/lineaged/node"
	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/node/keyring"
)

func (e *env) testnetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "Generate the homes of a local multi-node network",
		Long: `Generate one home per node for a network of validators (and full nodes) on
consecutive addresses — 127.0.0.11, 127.0.0.12, ... by default, which Linux
routes on loopback — each listening on the standard ports, with every other
node as a persistent peer, one shared genesis and a consortium of one
organisation per validator (org0's admin also admits new organisations).
Each validator's home holds a keyring with its organisation's "admin" key:
a dev keyring (unencrypted, marked) unless --encrypt-keys, which encrypts
them under the keyring passphrase. testnet.json lists what was made.

Start the nodes with "lineaged start --home DIR/nodeN" (localnet/localnet.sh
does it all), and watch them with "lineaged testnet status DIR".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			ip := net.ParseIP(e.v.GetString("starting-ip"))
			if ip == nil {
				return fmt.Errorf("--starting-ip %q is not an IP address", e.v.GetString("starting-ip"))
			}
			out := expandHome(e.v.GetString("output-dir"))
			encrypt := e.v.GetBool("encrypt-keys")
			open := func(dir string) (*keyring.Keyring, error) {
				if !encrypt {
					return keyring.CreateDev(dir, nil)
				}
				return keyring.Open(dir, keyring.Options{
					Passphrase: func(confirm bool) (string, error) { return e.passphrase("Keyring passphrase for the testnet", confirm) },
				}), nil
			}
			tn, err := node.InitTestnet(node.TestnetOptions{
				Validators: e.v.GetInt("validators"), FullNodes: e.v.GetInt("full-nodes"),
				OutputDir: out, StartingIP: ip, ChainID: e.v.GetString("chain-id"),
				Keyring: open, BlockTime: e.v.GetDuration("block-time"),
			})
			if err != nil {
				return err
			}
			if e.json() {
				return printJSON(e.stdout, tn)
			}
			fmt.Fprintf(e.stdout, "testnet %s in %s\n", tn.ChainID, out)
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NODE\tROLE\tADDRESS\tORG\tRPC")
			for _, n := range tn.Nodes {
				role := "full node"
				if n.Validator {
					role = "validator"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n.Name, role, n.IP, n.Org, n.RPC)
			}
			tw.Flush()
			if !encrypt {
				fmt.Fprintln(e.stderr, "WARNING: the nodes' admin keys are in DEV-ONLY keyrings (unencrypted); use --encrypt-keys for anything real")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.Int("validators", 4, "number of validators")
	f.Int("full-nodes", 0, "number of non-validating full nodes")
	f.String("output-dir", "./localnet/run", "directory for the node homes (must be empty or absent)")
	f.String("starting-ip", "127.0.0.11", "address of the first node; the others follow")
	f.String("chain-id", "lineage-localnet", "chain id")
	f.Duration("block-time", 0, "consensus timeout_commit (0: CometBFT's default of 1s)")
	f.Bool("encrypt-keys", false, "encrypt the admin keys under the keyring passphrase")
	f.String("passphrase-file", "", "with --encrypt-keys: read the passphrase from this file")

	status := &cobra.Command{
		Use:   "status DIR",
		Short: "Show every node's height and app hash side by side",
		Long: `Show every node's last committed height, app hash, peers and sync state side
by side. Exit status: 0 when every node answered, on the testnet's chain; 1
otherwise (the ERROR column says why), so a script can wait on it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			tn, err := node.LoadTestnet(expandHome(args[0]))
			if err != nil {
				return err
			}
			rows := testnetStatus(cmd.Context(), tn)
			if e.json() {
				if err := printJSON(e.stdout, rows); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NODE\tHEIGHT\tAPP HASH\tPEERS\tCATCHING UP\tERROR")
				for _, r := range rows {
					fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%v\t%s\n", r.Node, r.Height, r.AppHash, r.Peers, r.CatchingUp, r.Error)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			var failed []string
			for _, r := range rows {
				if r.Error != "" {
					failed = append(failed, r.Node)
				}
			}
			if len(failed) > 0 {
				return fmt.Errorf("%d of %d nodes did not answer as nodes of %s: %s", len(failed), len(rows), tn.ChainID, strings.Join(failed, ", "))
			}
			return nil
		},
	}
	cmd.AddCommand(status)
	return cmd
}

// nodeStatus is one line of testnet status.
type nodeStatus struct {
	Node       string `json:"node"`
	Height     int64  `json:"height,string"`
	AppHash    string `json:"app_hash"`
	Peers      int    `json:"peers"`
	CatchingUp bool   `json:"catching_up"`
	Error      string `json:"error,omitempty"`
}

// testnetStatus asks every node of a testnet for its last committed height,
// app hash and peers, each within a few seconds.
func testnetStatus(ctx context.Context, tn *node.Testnet) []nodeStatus {
	rows := make([]nodeStatus, len(tn.Nodes))
	for i, n := range tn.Nodes {
		rows[i].Node = n.Name
		c, err := client.Dial(n.RPC)
		if err != nil {
			rows[i].Error = err.Error()
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		info, err := c.RPC().ABCIInfo(qctx)
		if err == nil {
			rows[i].Height, rows[i].AppHash = info.Response.LastBlockHeight, fmt.Sprintf("%X", info.Response.LastBlockAppHash)
			if st, serr := c.RPC().Status(qctx); serr == nil {
				rows[i].CatchingUp = st.SyncInfo.CatchingUp
				if st.NodeInfo.Network != tn.ChainID {
					rows[i].Error = fmt.Sprintf("on chain %q, not %q", st.NodeInfo.Network, tn.ChainID)
				}
			}
			if ni, nerr := c.RPC().NetInfo(qctx); nerr == nil {
				rows[i].Peers = ni.NPeers
			}
		} else {
			rows[i].Error = "unreachable"
		}
		cancel()
	}
	return rows
}
