package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lineageledger/lineaged/node"
	"github.com/lineageledger/lineaged/node/client"
)

// The client settings every command that talks to a node reads, each from
// the first of: its flag, its LINEAGED_* variable, the home's
// config/client.toml, the default (see [node.ClientConfig]).
const (
	settingNode    = "node"
	settingChainID = "chain-id"
	settingOutput  = "output"
)

// settingEnv is the environment variable of each client setting.
var settingEnv = map[string]string{
	settingNode:    "LINEAGED_NODE",
	settingChainID: "LINEAGED_CHAIN_ID",
	settingOutput:  "LINEAGED_OUTPUT",
}

// clientFlags adds the flags that choose the node a command talks to.
func clientFlags(f *pflag.FlagSet) {
	f.String(settingNode, "", "CometBFT RPC address of the node (default: $LINEAGED_NODE, else the home's config/client.toml, else "+node.DefaultClientNode+")")
	f.String(settingChainID, "", "the chain the node must be on; a node of another chain is refused (default: $LINEAGED_CHAIN_ID, else the home's config/client.toml; empty: no check)")
}

// setting is a client setting's value and where it came from, for messages.
type setting struct {
	value  string
	source string // "--node", "$LINEAGED_NODE", the client.toml path, or "the default"
}

func (s setting) String() string { return s.value }

// clientConfig reads the home's client.toml once per command.
func (e *env) clientConfig() (*node.ClientConfig, bool, error) {
	if e.client == nil {
		c, exists, err := node.LoadClientConfig(e.home())
		if err != nil {
			return nil, false, err
		}
		e.client, e.clientExists = c, exists
	}
	return e.client, e.clientExists, nil
}

// setting resolves a client setting for cmd: its flag if given on the
// command line, else its environment variable if set, else the home's
// client.toml if it has one, else the default.
func (e *env) setting(cmd *cobra.Command, key string) (setting, error) {
	var f *pflag.Flag
	if key == settingOutput {
		// The global -o; a command may have an --output of its own.
		f = cmd.Root().PersistentFlags().Lookup(key)
	} else {
		f = cmd.Flags().Lookup(key)
	}
	if f != nil && f.Changed {
		return setting{value: f.Value.String(), source: "--" + key}, nil
	}
	if v := os.Getenv(settingEnv[key]); v != "" {
		return setting{value: v, source: "$" + settingEnv[key]}, nil
	}
	c, exists, err := e.clientConfig()
	if err != nil {
		return setting{}, err
	}
	v, err := c.Get(key)
	if err != nil {
		return setting{}, err
	}
	if exists {
		return setting{value: v, source: node.ClientConfigPath(e.home())}, nil
	}
	return setting{value: v, source: "the default"}, nil
}

// prepare runs before every command: it checks what cobra leaves to the
// command (required flags, flag groups) as usage, and resolves the output
// format.
func (e *env) prepare(cmd *cobra.Command) error {
	if err := cmd.ValidateRequiredFlags(); err != nil {
		return usageErr(err)
	}
	if err := cmd.ValidateFlagGroups(); err != nil {
		return usageErr(err)
	}
	// The home decides which client.toml is read: bind the command's own
	// --home (dev has its own default) before anything reads it.
	if f := cmd.Flags().Lookup("home"); f != nil {
		must(e.v.BindPFlag("home", f))
	}
	out, err := e.setting(cmd, settingOutput)
	if err != nil {
		if !isConfigSet(cmd) {
			return err
		}
		// config set is how a bad value in client.toml is repaired.
		out = setting{value: "text", source: "the default"}
	}
	o := strings.ToLower(out.value)
	if o != "text" && o != "json" {
		if out.source == "--output" {
			return usagef("--output %q: want text or json", out.value)
		}
		return fmt.Errorf("output %q (from %s): want text or json", out.value, out.source)
	}
	e.out = o
	root := cmd.Root()
	if root.Annotations == nil {
		root.Annotations = map[string]string{}
	}
	root.Annotations[annotationResolvedOutput] = o
	return nil
}

// outputFormat is the output format prepare resolved (flag, environment,
// client.toml), or the flag's for a command run without it.
func (e *env) outputFormat() string {
	if e.out != "" {
		return e.out
	}
	return strings.ToLower(e.v.GetString("output"))
}

// isConfigSet reports whether cmd is `lineaged config set`.
func isConfigSet(cmd *cobra.Command) bool {
	return cmd.Name() == "set" && cmd.HasParent() && cmd.Parent().Name() == "config" && cmd.Parent().Parent() == cmd.Root()
}

// dial connects to the node cmd's settings name, and checks that it is on
// the configured chain. Errors say what was tried and how to change it.
func (e *env) dial(ctx context.Context, cmd *cobra.Command) (*client.Client, error) {
	addr, err := e.setting(cmd, settingNode)
	if err != nil {
		return nil, err
	}
	if err := node.ValidateNodeAddress(addr.value); err != nil {
		if addr.source == "--node" {
			return nil, usagef("--node %q: %v", addr.value, err)
		}
		return nil, fmt.Errorf("node %q (from %s): %w", addr.value, addr.source, err)
	}
	want, err := e.setting(cmd, settingChainID)
	if err != nil {
		return nil, err
	}
	if err := node.ValidateChainID(want.value); err != nil {
		if want.source == "--chain-id" {
			return nil, usagef("--chain-id %q: %v", want.value, err)
		}
		return nil, fmt.Errorf("chain id %q (from %s): %w", want.value, want.source, err)
	}
	c, err := client.Dial(addr.value)
	if err != nil {
		return nil, err
	}
	got, err := c.ChainID(ctx)
	if err != nil {
		return nil, e.unreachable(addr, err)
	}
	if want.value != "" && got != want.value {
		return nil, chainMismatch(addr, want, got)
	}
	return c, nil
}

// howToSetNode says how to choose the node.
const howToSetNode = "set the node with --node, $LINEAGED_NODE or `lineaged config set node ADDRESS`"

// chainMismatch refuses a node of another chain than the one configured.
func chainMismatch(addr, want setting, got string) error {
	return fmt.Errorf("the node at %s (from %s) is on chain %q, not %q (from %s); refusing to talk to another chain.\n"+
		"Point lineaged at the right node (%s), or, if %q is the chain you mean, pass --chain-id %s or run `lineaged config set chain-id %s`",
		addr.value, addr.source, got, want.value, want.source, strings.TrimPrefix(howToSetNode, "set the node with "), got, got, got)
}

// unreachable explains why the node at addr did not answer as a node, and
// what to do about it.
func (e *env) unreachable(addr setting, err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(msg, "connection refused"):
		return fmt.Errorf("no node answers at %s (connection refused; the address is from %s). Is the node running? If it listens elsewhere, %s",
			addr.value, addr.source, howToSetNode)
	case strings.Contains(msg, "wrong ID") || strings.Contains(msg, "error in json rpc client"):
		return fmt.Errorf("%s (from %s) answered, but not as CometBFT's RPC: it looks like a node's REST API port. lineaged talks to the RPC port: %s; %s",
			addr.value, addr.source, e.rpcHint(), howToSetNode)
	case strings.Contains(msg, "malformed HTTP response") || strings.Contains(msg, "readLoopPeekFailLocked") ||
		strings.Contains(msg, "transport connection broken"):
		// An HTTP/2-only server (gRPC) speaks first, in frames: Go's
		// HTTP/1 client reads them as a malformed response, or as one
		// before it asked (then the error says only readLoopPeekFailLocked).
		return fmt.Errorf("%s (from %s) answered, but not as CometBFT's RPC: it looks like a node's gRPC port. lineaged talks to the RPC port: %s; %s",
			addr.value, addr.source, e.rpcHint(), howToSetNode)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Errorf("cannot resolve the node's host in %s (from %s): %v; %s", addr.value, addr.source, dnsErr, howToSetNode)
	}
	return fmt.Errorf("failed to reach the node at %s (from %s): %w; %s", addr.value, addr.source, err, howToSetNode)
}

// rpcHint says where the RPC is: this home's node's listener if the home
// has a node config, else CometBFT's default port.
func (e *env) rpcHint() string {
	if cfg, err := node.LoadCometConfig(e.home()); err == nil {
		return fmt.Sprintf("this home's node serves it at %s (26657 by default)", node.ClientNodeAddress(cfg.RPC.ListenAddress))
	}
	return "CometBFT's RPC listens on port 26657 by default"
}
