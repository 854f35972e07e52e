package cli

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/cometbft/cometbft/libs/log"
	"github.com/spf13/cobra"

	"github.com/lineageledger/lineaged/node"
	"github.com/lineageledger/lineaged/node/lightproxy"
)

func defaultLightHome() string {
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".lineaged-light")
	}
	return ".lineaged-light"
}

func (e *env) lightCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "light",
		Short: "Serve a node's RPC locally, verifying every answer with a light client",
		Long: `Run a CometBFT light-client proxy for this chain. Point any CometBFT RPC client
at it (--laddr) instead of the node: headers, commits and validator sets are
verified by CometBFT's light client from the trust root, and every abci_query
answer is checked against the app hash of a verified header before it is
passed on. A node that lies gets an error back to the client instead of its
answer.

  --trust genesis.json   the chain's genesis: its validators must sign the
                         first header
  --trust HEIGHT:HASH    the hash of a header you trust

abci_query is always answered with proofs, whatever the client's prove says:
  path "/store/key", data a raw state key   one ics23:iavl proof of the value
                                            or of its absence
  path a query method, data its request     the proofs of every read, and the
                                            query re-run over them

The light store (--light-home) keeps verified headers: a restart without
--trust continues from it. --trusting-period bounds how old a trusted header
may be to vouch for newer ones.`,
		Example: `  lineaged light --node tcp://10.0.0.5:26657 --trust genesis.json
  lineaged light --node https://rpc.example.org:443 --trust 42:5F0C...9A2B --trusting-period 336h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			var trust lightproxy.Trust
			if s := e.v.GetString("trust"); s != "" {
				var err error
				if trust, err = lightproxy.ParseTrust(expandHome(s)); err != nil {
					return fmt.Errorf("--trust: %w", err)
				}
			}
			level, err := log.AllowLevel(e.v.GetString("log-level"))
			if err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			logger := log.NewFilter(log.NewTMLogger(log.NewSyncWriter(e.stderr)), level)
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			home := expandHome(e.v.GetString("light-home"))
			upstream, want, err := e.lightUpstream(cmd)
			if err != nil {
				return err
			}
			p, err := lightproxy.New(ctx, lightproxy.Config{
				Node:           upstream.value,
				Witnesses:      e.v.GetStringSlice("witness"),
				Trust:          trust,
				TrustingPeriod: e.v.GetDuration("trusting-period"),
				Home:           home,
				ListenAddress:  e.v.GetString("laddr"),
				Logger:         logger,
			})
			if err != nil {
				return err
			}
			defer p.Close()
			if want.value != "" && p.ChainID() != want.value {
				return chainMismatch(upstream, want, p.ChainID())
			}
			fmt.Fprintf(e.stdout, "Lineage Ledger light proxy is running.\n  chain id:     %s\n  node:         %s\n  serving:      http://%s\n  light store:  %s\n",
				p.ChainID(), upstream.value, p.Addr(), home)
			go func() {
				<-ctx.Done()
				p.Close()
			}()
			return p.Serve()
		},
	}
	f := cmd.Flags()
	clientFlags(f)
	f.String("trust", "", "trust root: a genesis file, or HEIGHT:HASH of a trusted header (needed unless the light store holds one)")
	f.Duration("trusting-period", lightproxy.DefaultTrustingPeriod, "how long a verified header can vouch for newer ones")
	f.String("laddr", lightproxy.DefaultListenAddress, "address to serve the verified RPC on")
	f.String("light-home", defaultLightHome(), "directory of the light store (verified headers)")
	f.StringSlice("witness", nil, "more nodes to cross-check headers with, to detect forks (default: none, the node itself)")
	f.String("log-level", "error", "log level: debug, info, error or none")
	return cmd
}

// lightUpstream is the node the proxy verifies and the chain it must be on,
// from the client settings, refusing the proxy's own address: a client
// config pointed at the proxy must not make it proxy itself.
func (e *env) lightUpstream(cmd *cobra.Command) (upstream, chainID setting, err error) {
	if upstream, err = e.setting(cmd, settingNode); err != nil {
		return upstream, chainID, err
	}
	if chainID, err = e.setting(cmd, settingChainID); err != nil {
		return upstream, chainID, err
	}
	if err := node.ValidateNodeAddress(upstream.value); err != nil {
		return upstream, chainID, fmt.Errorf("node %q (from %s): %w", upstream.value, upstream.source, err)
	}
	hostPort := func(a string) string {
		_, rest, ok := strings.Cut(a, "://")
		if !ok {
			rest = a
		}
		return strings.TrimSuffix(rest, "/")
	}
	if hostPort(upstream.value) == hostPort(e.v.GetString("laddr")) {
		return upstream, chainID, usagef("the node to verify, %s (from %s), is the proxy's own --laddr: pass --node with the node's RPC address", upstream.value, upstream.source)
	}
	return upstream, chainID, nil
}
