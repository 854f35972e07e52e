package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/lineageledger/lineaged/node"
)

// holdHome takes home's lock for this command, unless it holds it already:
// a second process running a node with the home is told who holds it.
func (e *env) holdHome(home string) error {
	if e.homeLock != nil {
		return nil
	}
	l, err := node.LockHome(home)
	if err != nil {
		return err
	}
	e.homeLock = l
	return nil
}

// releaseHome gives up the home's lock, if this command holds it.
func (e *env) releaseHome() {
	_ = e.homeLock.Release()
	e.homeLock = nil
}

// holdStoppedHome holds the home of a command that needs its node
// stopped (replay), if the home has a data directory to hold.
func (e *env) holdStoppedHome() error {
	if _, err := os.Stat(filepath.Join(e.home(), "data")); err != nil {
		return nil // nothing to protect; the command says what is missing
	}
	if err := e.holdHome(e.home()); err != nil {
		return fmt.Errorf("%w (this command needs the node stopped)", err)
	}
	return nil
}

// probeHome fails if a process holds home's lock.
func probeHome(home string) error {
	if _, err := os.Stat(node.HomeLockPath(home)); err != nil {
		return nil // never run: nothing holds it
	}
	l, err := node.LockHome(home)
	if err != nil {
		return err
	}
	return l.Release()
}

// explainLocked adds to a database's "resource temporarily unavailable"
// what it means: something outside this home's lock (a lineaged from
// before it, a tool) has the home's databases open.
func explainLocked(home string, err error) error {
	if !errors.Is(err, syscall.EAGAIN) && !strings.Contains(err.Error(), "resource temporarily unavailable") {
		return err
	}
	return fmt.Errorf("%w: another process has the databases in %s open (another lineaged running with this home?); stop it first, or use another --home",
		err, filepath.Join(home, "data"))
}

// devListenerFlags are dev's listener flags and the config file each is
// kept in.
var devListenerFlags = []struct {
	flag, file string
	field      func(*node.Listeners) *string
}{
	{"rpc.laddr", "config.toml", func(l *node.Listeners) *string { return &l.RPC }},
	{"p2p.laddr", "config.toml", func(l *node.Listeners) *string { return &l.P2P }},
	{"api.grpc_address", "app.toml", func(l *node.Listeners) *string { return &l.GRPC }},
	{"api.rest_address", "app.toml", func(l *node.Listeners) *string { return &l.REST }},
}

// keepDevListeners stores the listen addresses given as flags in the dev
// home's config, saying so, so that the next `lineaged dev` listens there
// too without them. (Their LINEAGED_* variables apply to one run.)
func (e *env) keepDevListeners(cmd *cobra.Command, home string) error {
	stored, err := node.ReadListeners(home)
	if err != nil {
		return err
	}
	var set node.Listeners
	for _, l := range devListenerFlags {
		if !cmd.Flags().Changed(l.flag) {
			continue
		}
		v, _ := cmd.Flags().GetString(l.flag)
		if was := *l.field(&stored); v != "" && v != was {
			*l.field(&set) = v
			fmt.Fprintf(e.stderr, "note: %s %s (was %s) is kept in %s: later runs of lineaged dev listen there too\n",
				l.flag, v, was, filepath.Join(home, "config", l.file))
		}
	}
	if set == (node.Listeners{}) {
		return nil
	}
	if err := node.WriteListeners(home, set); err != nil {
		return err
	}
	if set.RPC == "" {
		return nil
	}
	// The note above says where the RPC moved; client.toml follows it.
	_, _, err = node.UpdateClientConfig(home, func(c *node.ClientConfig) { c.Node = node.ClientNodeAddress(set.RPC) })
	return err
}

// pointClientAt writes the dev home's client.toml from the node as it
// runs: its RPC listener and its chain. A change is noted.
func (e *env) pointClientAt(home string, n *node.Node) error {
	before, after, err := node.UpdateClientConfig(home, func(c *node.ClientConfig) {
		c.Node, c.ChainID = node.ClientNodeAddress(n.RPCAddress()), n.ChainID()
	})
	if err != nil {
		return err
	}
	if before.Node != after.Node || before.ChainID != after.ChainID {
		fmt.Fprintf(e.stderr, "note: %s now points lineaged at %s (chain %s)\n", node.ClientConfigPath(home), after.Node, after.ChainID)
	}
	return nil
}

// noteClientConfig warns when the home's client.toml points lineaged at
// another node or chain than the one `lineaged start` runs: the operator's
// file is theirs to change, but commands run with this home will not reach
// this node.
func (e *env) noteClientConfig(home string, n *node.Node) {
	c, exists, err := node.LoadClientConfig(home)
	if errors.Is(err, os.ErrNotExist) || !exists {
		return
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "warning: %v\n", err)
		return
	}
	rpc := node.ClientNodeAddress(n.RPCAddress())
	if c.Node != rpc {
		fmt.Fprintf(e.stderr, "note: %s points lineaged at %s, but this node's RPC is %s; to reach it: lineaged config set node %s\n",
			node.ClientConfigPath(home), c.Node, rpc, rpc)
	}
	if c.ChainID != "" && c.ChainID != n.ChainID() {
		fmt.Fprintf(e.stderr, "note: %s expects chain %s, but this node is on %s; commands will refuse it until: lineaged config set chain-id %s\n",
			node.ClientConfigPath(home), c.ChainID, n.ChainID(), n.ChainID())
	}
}
