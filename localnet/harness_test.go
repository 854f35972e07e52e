package localnet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/lineageledger/lineaged/node"
	"github.com/lineageledger/lineaged/node/client"
)

// faultsEnv selects the fault suite and its scale.
const faultsEnv = "LINEAGED_FAULTS"

// scale is how hard the fault tests push: "short" keeps each test around a
// minute on two cores, "long" runs the durations docs/reliability.md
// describes.
type scale struct{ long bool }

// faultScale skips the test unless LINEAGED_FAULTS asks for the fault
// suite, and returns its scale.
func faultScale(t *testing.T) scale {
	t.Helper()
	switch v := os.Getenv(faultsEnv); v {
	case "":
		t.Skipf("fault tests run only with %s=short or %s=long", faultsEnv, faultsEnv)
	case "short":
		return scale{}
	case "long":
		return scale{long: true}
	default:
		t.Fatalf("%s=%q: want short or long", faultsEnv, v)
	}
	return scale{}
}

func (s scale) dur(short, long time.Duration) time.Duration {
	if s.long {
		return long
	}
	return short
}

func (s scale) int(short, long int) int {
	if s.long {
		return long
	}
	return short
}

// binDir holds the lineaged binary the tests build; TestMain removes it.
var binDir string

// lineagedBinary compiles lineaged once per test binary.
var lineagedBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "lineaged-faults-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "lineaged")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/lineageledger/lineaged/cmd/lineaged").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// netOptions describe a network for one test.
type netOptions struct {
	validators, fullNodes int
	// startingIP is the first node's address. Each test uses its own
	// range, so that test packages may run side by side.
	startingIP string
	// blockTime is CometBFT's timeout_commit (0: the testnet default).
	blockTime time.Duration
	// namespaces, if set, runs every node in its own network namespace
	// (startingIP must then be ns.ip(0)).
	namespaces *namespaces
}

// network is a generated testnet whose nodes run as processes.
type network struct {
	t       *testing.T
	bin     string
	dir     string
	chainID string
	nodes   []*proc
}

// proc is one node process, restartable.
type proc struct {
	index   int
	info    node.TestnetNode
	home    string
	logPath string
	argv    []string
	rpc     *client.Client

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	paused  bool
	started time.Time
}

// newNetwork generates a network with `lineaged testnet` in a temporary
// directory. Nothing runs yet; every process started later is killed when
// the test ends, and if the test failed the tail of every node's log is
// printed and the logs are kept.
func newNetwork(t *testing.T, o netOptions) *network {
	t.Helper()
	bin, err := lineagedBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "net")
	args := []string{"testnet", "--validators", fmt.Sprint(o.validators), "--full-nodes", fmt.Sprint(o.fullNodes),
		"--output-dir", dir, "--starting-ip", o.startingIP, "--chain-id", "lineage-faults"}
	if o.blockTime > 0 {
		args = append(args, "--block-time", o.blockTime.String())
	}
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("lineaged %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	tn, err := node.LoadTestnet(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := &network{t: t, bin: bin, dir: dir, chainID: tn.ChainID}
	for i, info := range tn.Nodes {
		p := &proc{index: i, info: info, home: filepath.Join(dir, info.Home), logPath: filepath.Join(dir, info.Name+".log")}
		p.argv = []string{bin, "start", "--home", p.home}
		if o.namespaces != nil {
			p.argv = append(o.namespaces.exec(i), p.argv...)
		}
		if p.rpc, err = client.Dial(info.RPC); err != nil {
			t.Fatal(err)
		}
		n.nodes = append(n.nodes, p)
	}
	t.Cleanup(func() {
		for _, p := range n.nodes {
			p.kill()
		}
	})
	// Registered last, so it runs first: while the logs still exist.
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(n.logTails(40))
			t.Logf("node logs kept in %s", n.keepLogs())
		}
	})
	return n
}

// validators returns the indexes of the validators.
func (n *network) validators() []int {
	var v []int
	for i, p := range n.nodes {
		if p.info.Validator {
			v = append(v, i)
		}
	}
	return v
}

// startAll starts the given nodes and waits until each has committed
// height 1.
func (n *network) startAll(idx ...int) {
	n.t.Helper()
	for _, i := range idx {
		if err := n.nodes[i].start(); err != nil {
			n.t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for _, i := range idx {
		if err := n.nodes[i].rpc.WaitForHeight(ctx, 1); err != nil {
			n.t.Fatalf("%s did not start: %v", n.nodes[i].info.Name, err)
		}
	}
}

// start runs the node's process, appending to its log.
func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("%s is already running", p.info.Name)
	}
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "==== harness: starting %s at %s\n", p.info.Name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = tiedToParent()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("failed to start %s: %w", p.info.Name, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	p.cmd, p.exited, p.paused, p.started = cmd, exited, false, time.Now()
	return nil
}

// exitedUnasked reports whether the process ended without the harness
// stopping it.
func (p *proc) exitedUnasked() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// kill ends the process with SIGKILL: no chance to flush anything.
func (p *proc) kill() { p.end(syscall.SIGKILL, 0) }

// stop ends the process gracefully with SIGTERM, killing it after grace;
// it returns an error unless the node exited cleanly in time.
func (p *proc) stop(grace time.Duration) error { return p.end(syscall.SIGTERM, grace) }

func (p *proc) end(sig syscall.Signal, grace time.Duration) error {
	p.mu.Lock()
	cmd, exited, paused := p.cmd, p.exited, p.paused
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	cmd.Process.Signal(sig)
	if paused && sig != syscall.SIGKILL {
		cmd.Process.Signal(syscall.SIGCONT)
	}
	var err error
	if sig == syscall.SIGKILL {
		<-exited
	} else {
		select {
		case <-exited:
			if code := cmd.ProcessState.ExitCode(); code != 0 {
				err = fmt.Errorf("%s exited with status %d after %v", p.info.Name, code, sig)
			}
		case <-time.After(grace):
			cmd.Process.Kill()
			<-exited
			err = fmt.Errorf("%s did not stop within %v of %v", p.info.Name, grace, sig)
		}
	}
	p.mu.Lock()
	p.cmd, p.paused = nil, false
	p.mu.Unlock()
	return err
}

// pause stops the process with SIGSTOP: it holds its sockets and state but
// does nothing, like a node stuck in a long GC pause or a frozen VM.
func (p *proc) pause() error { return p.signal(syscall.SIGSTOP, true) }

// resume continues a paused process.
func (p *proc) resume() error { return p.signal(syscall.SIGCONT, false) }

func (p *proc) signal(sig syscall.Signal, paused bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return fmt.Errorf("%s is not running", p.info.Name)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("%v to %s: %w", sig, p.info.Name, err)
	}
	p.paused = paused
	return nil
}

// height is the node's last committed height and app hash, as its
// application reports them (ABCI info), within timeout.
func (p *proc) height(timeout time.Duration) (int64, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	info, err := p.rpc.RPC().ABCIInfo(ctx)
	if err != nil {
		return 0, nil, err
	}
	return info.Response.LastBlockHeight, info.Response.LastBlockAppHash, nil
}

// heights polls every node at once; an unreachable (stopped, paused) node
// reads -1.
func (n *network) heights(timeout time.Duration) []int64 {
	hs := make([]int64, len(n.nodes))
	var wg sync.WaitGroup
	for i, p := range n.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, _, err := p.height(timeout)
			if err != nil {
				h = -1
			}
			hs[i] = h
		}()
	}
	wg.Wait()
	return hs
}

// maxOf is the highest of the given nodes' heights.
func maxOf(hs []int64, idx []int) int64 {
	m := int64(-1)
	for _, i := range idx {
		m = max(m, hs[i])
	}
	return m
}

// others is every node index but the given ones.
func (n *network) others(except ...int) []int {
	var out []int
	for i := range n.nodes {
		skip := false
		for _, e := range except {
			skip = skip || e == i
		}
		if !skip {
			out = append(out, i)
		}
	}
	return out
}

// waitCaughtUp waits until node i has committed at least the height the
// reference nodes report in the same poll, and returns how long that took
// from since.
func (n *network) waitCaughtUp(i int, refs []int, since time.Time, timeout time.Duration) (time.Duration, error) {
	deadline := time.Now().Add(timeout)
	for {
		hs := n.heights(time.Second)
		ref := maxOf(hs, refs)
		if hs[i] >= ref && ref > 0 {
			return time.Since(since), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s did not catch up within %v: at height %d, the others at %d", n.nodes[i].info.Name, timeout, hs[i], ref)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitAdvance waits until one of the nodes commits a height above h and
// returns how long that took from since.
func (n *network) waitAdvance(idx []int, h int64, since time.Time, timeout time.Duration) (time.Duration, error) {
	deadline := time.Now().Add(timeout)
	for {
		if hs := n.heights(time.Second); maxOf(hs, idx) > h {
			return time.Since(since), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no node committed a height above %d within %v", h, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkAlive fails the test if a node ended that the harness did not stop:
// a node must not crash under faults.
func (n *network) checkAlive() {
	n.t.Helper()
	for _, p := range n.nodes {
		if p.exitedUnasked() {
			n.t.Errorf("%s exited on its own (see its log)", p.info.Name)
		}
	}
}

// logTails is the end of every node's log.
func (n *network) logTails(lines int) string {
	var b strings.Builder
	for _, p := range n.nodes {
		data, err := os.ReadFile(p.logPath)
		if err != nil {
			continue
		}
		all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		fmt.Fprintf(&b, "---- last %d lines of %s ----\n", min(lines, len(all)), p.logPath)
		b.WriteString(strings.Join(all[max(0, len(all)-lines):], "\n"))
		b.WriteByte('\n')
	}
	return b.String()
}

// keepLogs copies the node logs out of the test's temporary directory.
func (n *network) keepLogs() string {
	dst := filepath.Join(os.TempDir(), "lineaged-faults-logs", fmt.Sprintf("%s-%s", strings.ReplaceAll(n.t.Name(), "/", "_"), time.Now().Format("20060102-150405")))
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "(could not keep logs: " + err.Error() + ")"
	}
	for _, p := range n.nodes {
		if src, err := os.Open(p.logPath); err == nil {
			if out, err := os.Create(filepath.Join(dst, filepath.Base(p.logPath))); err == nil {
				io.Copy(out, src)
				out.Close()
			}
			src.Close()
		}
	}
	return dst
}

// logLines returns the lines of node i's log that contain any of words
// (case-insensitive), at most the last limit of them.
func (n *network) logLines(i, limit int, words ...string) []string {
	data, _ := os.ReadFile(n.nodes[i].logPath)
	var out []string
	for _, line := range bytes.Split(data, []byte("\n")) {
		l := strings.ToLower(string(line))
		for _, w := range words {
			if strings.Contains(l, strings.ToLower(w)) {
				out = append(out, string(line))
				break
			}
		}
	}
	return out[max(0, len(out)-limit):]
}

// editComet rewrites node i's config.toml through CometBFT's own config.
func (n *network) editComet(i int, edit func(*cmtcfg.Config)) {
	n.t.Helper()
	cfg, err := node.LoadCometConfig(n.nodes[i].home)
	if err != nil {
		n.t.Fatal(err)
	}
	edit(cfg)
	if err := cfg.ValidateBasic(); err != nil {
		n.t.Fatalf("%s config.toml: %v", n.nodes[i].info.Name, err)
	}
	cmtcfg.WriteConfigFile(filepath.Join(n.nodes[i].home, "config", "config.toml"), cfg)
}

// setAppKeys sets keys of one section of node i's app.toml, adding those
// the file does not have yet (settings newer than the file's template).
func (n *network) setAppKeys(i int, section string, kv map[string]string) {
	n.t.Helper()
	path := node.AppConfigPath(n.nodes[i].home)
	b, err := os.ReadFile(path)
	if err != nil {
		n.t.Fatal(err)
	}
	out, err := setTOMLKeys(string(b), section, kv)
	if err != nil {
		n.t.Fatalf("%s: %v", path, err)
	}
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		n.t.Fatal(err)
	}
}

// setTOMLKeys sets key = value lines inside [section] of a flat TOML file:
// existing keys are replaced in place, missing ones are added at the end
// of the section. Values are written as given (quote strings yourself).
func setTOMLKeys(doc, section string, kv map[string]string) (string, error) {
	lines := strings.Split(doc, "\n")
	start, end := -1, len(lines)
	for i, l := range lines {
		trimmed := strings.TrimSpace(l)
		if trimmed == "["+section+"]" {
			start = i
			continue
		}
		if start >= 0 && strings.HasPrefix(trimmed, "[") {
			end = i
			break
		}
	}
	if start < 0 {
		return "", fmt.Errorf("no [%s] section", section)
	}
	done := map[string]bool{}
	for i := start + 1; i < end; i++ {
		key, _, ok := strings.Cut(lines[i], "=")
		key = strings.TrimSpace(key)
		if v, set := kv[key]; ok && set && !strings.HasPrefix(key, "#") {
			lines[i] = key + " = " + v
			done[key] = true
		}
	}
	// Insert missing keys after the section's last non-blank line.
	at := end
	for at > start+1 && strings.TrimSpace(lines[at-1]) == "" {
		at--
	}
	var add []string
	for _, k := range slices.Sorted(maps.Keys(kv)) {
		if !done[k] {
			add = append(add, k+" = "+kv[k])
		}
	}
	lines = append(lines[:at], append(add, lines[at:]...)...)
	return strings.Join(lines, "\n"), nil
}

// TestSetTOMLKeys: keys are replaced inside their section only, and
// missing ones are added at the end of it, before the next section.
func TestSetTOMLKeys(t *testing.T) {
	doc := "# top\n[state]\n# comment\ndb_backend = \"pebbledb\"\nkeep_recent = 0\n\n[api]\nkeep_recent = 7\n"
	got, err := setTOMLKeys(doc, "state", map[string]string{"keep_recent": "5", "snapshot_interval": "100"})
	if err != nil {
		t.Fatal(err)
	}
	want := "# top\n[state]\n# comment\ndb_backend = \"pebbledb\"\nkeep_recent = 5\nsnapshot_interval = 100\n\n[api]\nkeep_recent = 7\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := setTOMLKeys(doc, "statesync", map[string]string{"enable": "true"}); err == nil {
		t.Fatal("a missing section was accepted")
	}
}
