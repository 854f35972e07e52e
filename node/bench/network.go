package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/lineageledger/lineaged/node"
	"github.com/lineageledger/lineaged/node/keyring"
)

// Chains a network can run.
const (
	chainOurs    = "lineaged"
	chainKVStore = "kvstore"
)

// pprofPort is where every benchmark node serves Go's profiler, on its own
// address.
const pprofPort = 6060

// network is a local network of node processes.
type network struct {
	kind    string
	dir     string
	chainID string
	nodes   []*nodeProc
	// testnet is what `lineaged testnet` generated (ours only).
	testnet *node.Testnet
}

// nodeProc is one node process.
type nodeProc struct {
	name  string
	ip    string
	home  string
	rpc   string
	pprof string
	argv  []string
	cmd   *exec.Cmd
	log   *os.File
	done  chan struct{}
}

// ipAt is the i-th address after base.
func ipAt(base net.IP, i int) net.IP {
	b := base.To4()
	return net.IPv4(b[0], b[1], b[2], b[3]+byte(i))
}

// newOurNetwork generates a lineaged testnet — what `lineaged testnet
// --validators N --starting-ip IP` writes, default block time — and
// enables each node's profiler.
func newOurNetwork(dir string, validators int, ip net.IP, bin string) (*network, error) {
	tn, err := node.InitTestnet(node.TestnetOptions{
		Validators: validators, OutputDir: dir, StartingIP: ip, ChainID: "lineage-bench",
		Keyring: func(home string) (*keyring.Keyring, error) { return keyring.CreateDev(home, io.Discard) },
	})
	if err != nil {
		return nil, err
	}
	n := &network{kind: chainOurs, dir: dir, chainID: tn.ChainID, testnet: tn}
	for _, info := range tn.Nodes {
		home := filepath.Join(dir, info.Home)
		pp := fmt.Sprintf("%s:%d", info.IP, pprofPort)
		if err := editCometConfig(home, func(c *cmtcfg.Config) { c.RPC.PprofListenAddress = pp }); err != nil {
			return nil, err
		}
		n.nodes = append(n.nodes, &nodeProc{
			name: info.Name, ip: info.IP, home: home, rpc: info.RPC, pprof: pp,
			argv: []string{bin, "start", "--home", home},
		})
	}
	return n, nil
}

// newKVNetwork generates CometBFT's own testnet (`cometbft testnet`) for
// its kvstore application on the same topology, with every consensus,
// mempool, indexing and instrumentation setting copied from template (a
// lineaged node's config), so that the application is the only difference.
func newKVNetwork(ctx context.Context, dir string, validators int, ip net.IP, bin string, template *cmtcfg.Config) (*network, error) {
	out, err := exec.CommandContext(ctx, bin, "testnet", "--v", fmt.Sprint(validators), "--o", dir,
		"--starting-ip-address", ip.String()).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("cometbft testnet: %w\n%s", err, out)
	}
	n := &network{kind: chainKVStore, dir: dir}
	for i := 0; i < validators; i++ {
		addr := ipAt(ip, i).String()
		name := fmt.Sprintf("node%d", i)
		home := filepath.Join(dir, name)
		pp := fmt.Sprintf("%s:%d", addr, pprofPort)
		err := editCometConfig(home, func(c *cmtcfg.Config) {
			copyTuning(c, template)
			c.P2P.ListenAddress = fmt.Sprintf("tcp://%s:%d", addr, node.TestnetP2PPort)
			c.P2P.ExternalAddress = fmt.Sprintf("%s:%d", addr, node.TestnetP2PPort)
			c.RPC.ListenAddress = fmt.Sprintf("tcp://%s:%d", addr, node.TestnetRPCPort)
			c.RPC.PprofListenAddress = pp
			c.Instrumentation.PrometheusListenAddr = fmt.Sprintf("%s:%d", addr, node.TestnetMetricsPort)
		})
		if err != nil {
			return nil, err
		}
		n.nodes = append(n.nodes, &nodeProc{
			name: name, ip: addr, home: home, rpc: fmt.Sprintf("tcp://%s:%d", addr, node.TestnetRPCPort), pprof: pp,
			argv: []string{bin, "start", "--home", home, "--proxy_app=kvstore"},
		})
	}
	return n, nil
}

// copyTuning makes c run consensus, mempool, indexing and metrics exactly
// as template does.
func copyTuning(c, template *cmtcfg.Config) {
	root, wal := c.Consensus.RootDir, c.Consensus.WalPath
	cons := *template.Consensus
	cons.RootDir, cons.WalPath = root, wal
	*c.Consensus = cons
	mroot, mwal := c.Mempool.RootDir, c.Mempool.WalPath
	mem := *template.Mempool
	mem.RootDir, mem.WalPath = mroot, mwal
	*c.Mempool = mem
	*c.TxIndex = *template.TxIndex
	*c.Instrumentation = *template.Instrumentation
	c.P2P.AddrBookStrict = template.P2P.AddrBookStrict
	c.P2P.AllowDuplicateIP = template.P2P.AllowDuplicateIP
	c.P2P.SendRate, c.P2P.RecvRate = template.P2P.SendRate, template.P2P.RecvRate
	c.BaseConfig.DBBackend = template.BaseConfig.DBBackend
	c.BaseConfig.LogLevel = template.BaseConfig.LogLevel
	c.BaseConfig.LogFormat = template.BaseConfig.LogFormat
	c.Storage.DiscardABCIResponses = template.Storage.DiscardABCIResponses
}

// editCometConfig rewrites a home's config.toml through CometBFT's own
// config type.
func editCometConfig(home string, edit func(*cmtcfg.Config)) error {
	cfg, err := node.LoadCometConfig(home)
	if err != nil {
		return err
	}
	edit(cfg)
	if err := cfg.ValidateBasic(); err != nil {
		return fmt.Errorf("%s: %w", home, err)
	}
	cmtcfg.WriteConfigFile(filepath.Join(home, "config", "config.toml"), cfg)
	return nil
}

// templateConfig is the config.toml `lineaged testnet` writes for a
// validator, generated in a scratch directory.
func templateConfig(scratch string, ip net.IP) (*cmtcfg.Config, error) {
	tn, err := node.InitTestnet(node.TestnetOptions{
		Validators: 1, OutputDir: scratch, StartingIP: ip, ChainID: "lineage-template",
		Keyring: func(home string) (*keyring.Keyring, error) { return keyring.CreateDev(home, io.Discard) },
	})
	if err != nil {
		return nil, err
	}
	return node.LoadCometConfig(filepath.Join(scratch, tn.Nodes[0].Home))
}

// start starts every node and waits until each has committed a block.
func (n *network) start(ctx context.Context) error {
	// Write back first what earlier work left dirty in the page cache (the
	// build before the run, the last network's state): this network's
	// commits wait for the disk, and would otherwise queue behind it.
	flushDisks()
	for _, p := range n.nodes {
		f, err := os.Create(filepath.Join(n.dir, p.name+".log"))
		if err != nil {
			return err
		}
		p.log = f
		p.cmd = exec.Command(p.argv[0], p.argv[1:]...)
		p.cmd.Stdout, p.cmd.Stderr = f, f
		// If this process dies, its nodes die with it (on Linux).
		p.cmd.SysProcAttr = tiedToParent()
		if err := p.cmd.Start(); err != nil {
			n.stop()
			return fmt.Errorf("starting %s: %w", p.name, err)
		}
		p.done = make(chan struct{})
		go func(p *nodeProc) { _ = p.cmd.Wait(); close(p.done) }(p)
	}
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	for _, p := range n.nodes {
		c := newRPC(p.rpc)
		for {
			h, err := c.status(ctx)
			if err == nil && h >= 1 {
				break
			}
			select {
			case <-p.done:
				n.stop()
				return fmt.Errorf("%s %s exited during startup; the end of %s:\n%s", n.kind, p.name, p.log.Name(), logTail(p.log.Name(), 20))
			case <-ctx.Done():
				n.stop()
				return fmt.Errorf("%s %s did not commit a block: %w (last error: %v); the end of %s:\n%s", n.kind, p.name, ctx.Err(), err, p.log.Name(), logTail(p.log.Name(), 20))
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// stop ends every node: SIGTERM, then SIGKILL after 20 s.
func (n *network) stop() {
	for _, p := range n.nodes {
		if p.cmd != nil && p.cmd.Process != nil {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, p := range n.nodes {
		if p.done == nil {
			continue
		}
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		p.log.Close()
	}
}

// pids are the node processes' ids.
func (n *network) pids() []int {
	var out []int
	for _, p := range n.nodes {
		if p.cmd != nil && p.cmd.Process != nil {
			out = append(out, p.cmd.Process.Pid)
		}
	}
	return out
}

func (n *network) rpcs() []*rpcClient {
	var out []*rpcClient
	for _, p := range n.nodes {
		out = append(out, newRPC(p.rpc))
	}
	return out
}

// label is how reports name the network: "4 validators".
func validatorsLabel(n int) string {
	if n == 1 {
		return "1 validator"
	}
	return fmt.Sprintf("%d validators", n)
}

// logTail is the end of a node's log, for error reports.
func logTail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}
