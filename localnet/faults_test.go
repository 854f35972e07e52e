package localnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
)

// The fault tests run 4-validator networks as processes under a steady
// signed load, inject one kind of fault each, and check at the end that
// nothing the network acknowledged was lost or executed twice, that no
// node forked, and that every node computed the same app hash at every
// height. Each prints one FIGURES line; docs/reliability.md explains them.
//
// They run only with LINEAGED_FAULTS=short or long, one after the other
// (they measure, so they must not share the CPU). Each uses its own
// addresses, so other packages' tests may run beside them.

// loadRate is the offered load of every fault test, in transactions per
// second across the four admin accounts.
const loadRate = 20

// graceAfterFault lets a block whose votes were already in flight when a
// fault hit finish before the test asserts that the chain stopped.
const graceAfterFault = 2 * time.Second

// figures prints one summary line: "FIGURES name: k=v k=v ...".
func figures(name string, kv ...any) {
	var b strings.Builder
	fmt.Fprintf(&b, "FIGURES %s:", name)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, " %v=%v", kv[i], kv[i+1])
	}
	// Straight to stdout, so that the line can be grepped as is.
	fmt.Println(b.String())
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

// requireClean fails the test on any loss, double execution, fork, app
// hash disagreement, unexpected mempool refusal, failed transaction, or
// transaction the network never committed.
func requireClean(t *testing.T, c consistency, st loadStats, unconfirmed int) {
	t.Helper()
	if !c.ok() {
		t.Errorf("at height %d: lost=%d double=%d forks=%d hash_mismatches=%d\n  %s",
			c.height, c.lost, c.double, c.forks, c.hashMismatches, strings.Join(c.problems, "\n  "))
	}
	if len(st.doubles) > 0 {
		t.Errorf("transactions observed at two heights:\n  %s", strings.Join(st.doubles, "\n  "))
	}
	if len(st.rejections) > 0 {
		t.Errorf("unexpected mempool refusals:\n  %s", strings.Join(st.rejections, "\n  "))
	}
	if st.failed > 0 {
		t.Errorf("%d committed transactions failed", st.failed)
	}
	if st.foreign > 0 {
		t.Errorf("%d transactions in blocks were not the load's", st.foreign)
	}
	if unconfirmed > 0 {
		t.Errorf("%d signed transactions were never committed", unconfirmed)
	}
	if st.acked == 0 {
		t.Error("no transaction was committed: the load did not run")
	}
}

// newRand returns a seeded generator and logs its seed.
func newRand(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	return rand.New(rand.NewPCG(seed, seed>>1))
}

func names(n *network, idx []int) string {
	var s []string
	for _, i := range idx {
		s = append(s, n.nodes[i].info.Name)
	}
	return strings.Join(s, ",")
}

// TestFaultsBaseline: four validators under steady signed load, no fault —
// block rate, commit latency as the client sees it, and equal app hashes
// at every height.
func TestFaultsBaseline(t *testing.T) {
	sc := faultScale(t)
	dur := sc.dur(30*time.Second, 60*time.Second)
	net := newNetwork(t, netOptions{validators: 4, startingIP: "127.0.61.11"})
	vals := net.validators()
	net.startAll(vals...)
	l := startLoad(t, net, loadConfig{rate: loadRate})
	time.Sleep(dur)
	unconfirmed := l.drain(60 * time.Second)
	st := l.stats()
	c := net.verify(l, vals)
	net.checkAlive()
	figures("baseline", "validators", len(vals), "duration", dur, "rate", fmt.Sprintf("%d/s", loadRate),
		"blocks/min", fmt.Sprintf("%.1f", st.blocksPerMin), "commit_p50", secs(st.p50), "commit_p99", secs(st.p99),
		"longest_block_gap", secs(st.longestGap), "txs", st.acked, "resent", st.resent, "lost", c.lost, "double", c.double,
		"forks", c.forks, "hashes_equal", c.hashMismatches == 0, "heights_checked", c.compared)
	requireClean(t, c, st, unconfirmed)
}

// TestFaultsCrashRestart: SIGKILL a random validator every ~10 s under load
// and restart it after a short downtime — longest block gap, catch-up time
// of each restart, and nothing acknowledged lost or executed twice.
func TestFaultsCrashRestart(t *testing.T) {
	sc := faultScale(t)
	dur := sc.dur(45*time.Second, 3*time.Minute)
	rng := newRand(t)
	net := newNetwork(t, netOptions{validators: 4, startingIP: "127.0.62.11"})
	vals := net.validators()
	net.startAll(vals...)
	l := startLoad(t, net, loadConfig{rate: loadRate})

	var catchups []time.Duration
	var killed []string
	end := time.Now().Add(dur)
	for time.Now().Before(end) {
		cycle := time.Now().Add(8*time.Second + time.Duration(rng.IntN(4000))*time.Millisecond)
		time.Sleep(3 * time.Second)
		v := vals[rng.IntN(len(vals))]
		net.nodes[v].kill()
		killed = append(killed, net.nodes[v].info.Name)
		time.Sleep(500*time.Millisecond + time.Duration(rng.IntN(2000))*time.Millisecond)
		restart := time.Now()
		if err := net.nodes[v].start(); err != nil {
			t.Fatal(err)
		}
		d, err := net.waitCaughtUp(v, net.others(v), restart, 90*time.Second)
		if err != nil {
			t.Fatalf("after SIGKILL %d: %v", len(killed), err)
		}
		catchups = append(catchups, d)
		time.Sleep(time.Until(cycle))
	}
	unconfirmed := l.drain(60 * time.Second)
	st := l.stats()
	c := net.verify(l, vals)
	net.checkAlive()
	sorted := slices.Clone(catchups)
	slices.Sort(sorted)
	var list []string
	for _, d := range catchups {
		list = append(list, fmt.Sprintf("%.1f", d.Seconds()))
	}
	figures("crash-restart", "validators", len(vals), "duration", dur, "kills", len(killed),
		"longest_block_gap", secs(st.longestGap), "catchup_p50", secs(percentile(sorted, 50)), "catchup_max", secs(sorted[len(sorted)-1]),
		"catchups_s", "["+strings.Join(list, ",")+"]", "blocks/min", fmt.Sprintf("%.1f", st.blocksPerMin),
		"commit_p99", secs(st.p99), "txs", st.acked, "resent", st.resent, "lost", c.lost, "double", c.double,
		"forks", c.forks, "hashes_equal", c.hashMismatches == 0)
	t.Logf("killed in turn: %s", strings.Join(killed, " "))
	requireClean(t, c, st, unconfirmed)
}

// haltCheck reports whether the given nodes stayed at or below h in every
// sample between from and to, and the highest height seen.
func haltCheck(l *load, idx []int, h int64, from, to time.Time) (bool, int64) {
	top := h
	for _, s := range l.samplesBetween(from, to) {
		top = max(top, maxOf(s.heights, idx))
	}
	return top == h, top
}

// TestFaultsPause: SIGSTOP one validator (the chain keeps going), SIGCONT
// it; then SIGSTOP two of four (no quorum: the chain must halt), SIGCONT
// both — heights, and the time to the first block after recovery.
func TestFaultsPause(t *testing.T) {
	sc := faultScale(t)
	pause := sc.dur(10*time.Second, 20*time.Second)
	rng := newRand(t)
	net := newNetwork(t, netOptions{validators: 4, startingIP: "127.0.63.11"})
	vals := net.validators()
	net.startAll(vals...)
	l := startLoad(t, net, loadConfig{rate: loadRate})
	time.Sleep(5 * time.Second)

	// One paused: three of four hold more than 2/3 of the power.
	v := vals[rng.IntN(len(vals))]
	live := net.others(v)
	h0 := maxOf(net.heights(time.Second), live)
	if err := net.nodes[v].pause(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(pause)
	h1 := maxOf(net.heights(time.Second), live)
	if err := net.nodes[v].resume(); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	oneCatchup, err := net.waitCaughtUp(v, live, resumed, 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if minAdvance := int64(sc.int(2, 5)); h1-h0 < minAdvance {
		t.Errorf("with %s paused the chain went from %d to %d in %v: want at least %d blocks", net.nodes[v].info.Name, h0, h1, pause, minAdvance)
	}
	time.Sleep(3 * time.Second)

	// Two paused: the other two hold half the power, no quorum.
	perm := rng.Perm(len(vals))
	two := []int{vals[perm[0]], vals[perm[1]]}
	live = net.others(two...)
	for _, i := range two {
		if err := net.nodes[i].pause(); err != nil {
			t.Fatal(err)
		}
	}
	paused := time.Now()
	time.Sleep(graceAfterFault)
	haltHeight := maxOf(net.heights(time.Second), live)
	time.Sleep(pause - graceAfterFault)
	haltEnd := time.Now()
	endHeight := maxOf(net.heights(time.Second), live)
	halted, top := haltCheck(l, live, haltHeight, paused.Add(graceAfterFault), haltEnd)
	halted = halted && endHeight == haltHeight
	for _, i := range two {
		if err := net.nodes[i].resume(); err != nil {
			t.Fatal(err)
		}
	}
	resumed = time.Now()
	firstBlock, err := net.waitAdvance(vals, max(endHeight, top), resumed, 2*time.Minute)
	if err != nil {
		t.Fatalf("after SIGCONT of %s: %v", names(net, two), err)
	}
	var twoCatchups []string
	for _, i := range two {
		d, err := net.waitCaughtUp(i, live, resumed, 90*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		twoCatchups = append(twoCatchups, secs(d))
	}

	unconfirmed := l.drain(60 * time.Second)
	st := l.stats()
	c := net.verify(l, vals)
	net.checkAlive()
	figures("pause", "validators", len(vals), "pause", pause,
		"one_paused", net.nodes[v].info.Name, "one_heights", fmt.Sprintf("%d->%d", h0, h1), "one_catchup", secs(oneCatchup),
		"two_paused", names(net, two), "two_halted_at", haltHeight, "two_highest_seen", max(top, endHeight), "two_halted", halted,
		"first_block_after_resume", secs(firstBlock), "two_catchups", "["+strings.Join(twoCatchups, ",")+"]",
		"longest_block_gap", secs(st.longestGap), "txs", st.acked, "lost", c.lost, "double", c.double,
		"forks", c.forks, "hashes_equal", c.hashMismatches == 0)
	if !halted {
		t.Errorf("with %s paused the chain moved from height %d to %d: two of four validators must not make a quorum", names(net, two), haltHeight, max(top, endHeight))
	}
	requireClean(t, c, st, unconfirmed)
}

// TestFaultsPartition: cut the network 2|2 (no side has a quorum: halt),
// heal, then 3|1 (the majority goes on, the minority does not), heal (the
// minority catches up) — no fork, nothing acknowledged lost. Each node
// runs in its own network namespace; where namespaces are unavailable the
// minority side is paused instead, and the figures say so.
func TestFaultsPartition(t *testing.T) {
	sc := faultScale(t)
	// Long enough for the majority to make blocks even when the isolated
	// node's turns to propose cost a timeout each.
	dur := sc.dur(15*time.Second, 20*time.Second)
	rng := newRand(t)
	method, ip := "netns", "198.18.64.11"
	var ns *namespaces
	if why := namespacesUnavailable(); why != "" {
		method, ip = "pause-fallback", "127.0.64.11"
		t.Logf("network namespaces unavailable (%s): partitions are simulated by pausing the minority side", why)
	} else {
		ns = newNamespaces(t, 64, 4)
	}
	net := newNetwork(t, netOptions{validators: 4, startingIP: ip, namespaces: ns})
	vals := net.validators()
	net.startAll(vals...)
	l := startLoad(t, net, loadConfig{rate: loadRate})
	time.Sleep(5 * time.Second)

	split := func(a, b []int) {
		t.Helper()
		if ns != nil {
			if err := ns.partition(a, b); err != nil {
				t.Fatal(err)
			}
			return
		}
		for _, i := range b {
			if err := net.nodes[i].pause(); err != nil {
				t.Fatal(err)
			}
		}
	}
	heal := func(b []int) {
		t.Helper()
		if ns != nil {
			if err := ns.heal(); err != nil {
				t.Fatal(err)
			}
			return
		}
		for _, i := range b {
			if err := net.nodes[i].resume(); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Nodes the harness can still ask during a split.
	visible := func(b []int) []int {
		if ns != nil {
			return vals
		}
		return net.others(b...)
	}

	// 2|2.
	perm := rng.Perm(len(vals))
	a, b := []int{vals[perm[0]], vals[perm[1]]}, []int{vals[perm[2]], vals[perm[3]]}
	split(a, b)
	cut := time.Now()
	time.Sleep(graceAfterFault)
	haltHeight := maxOf(net.heights(time.Second), visible(b))
	time.Sleep(dur - graceAfterFault)
	healed := time.Now()
	endHeight := maxOf(net.heights(time.Second), visible(b))
	halted, top := haltCheck(l, visible(b), haltHeight, cut.Add(graceAfterFault), healed)
	halted = halted && endHeight == haltHeight
	heal(b)
	healed = time.Now()
	resume22, err := net.waitAdvance(vals, max(top, endHeight), healed, 2*time.Minute)
	if err != nil {
		t.Fatalf("after healing %s|%s: %v", names(net, a), names(net, b), err)
	}
	for _, i := range vals {
		if _, err := net.waitCaughtUp(i, net.others(i), healed, 2*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(3 * time.Second)

	// 3|1.
	m := vals[rng.IntN(len(vals))]
	majority := net.others(m)
	split(majority, []int{m})
	cut = time.Now()
	time.Sleep(graceAfterFault)
	hs := net.heights(time.Second)
	maj0, min0 := maxOf(hs, majority), hs[m]
	time.Sleep(dur - graceAfterFault)
	healed = time.Now()
	hs = net.heights(time.Second)
	maj1, min1 := maxOf(hs, majority), hs[m]
	minorityStill := true
	minorityAdvanced := "n/a(paused)"
	if ns != nil {
		still, topMinor := haltCheck(l, []int{m}, min0, cut.Add(graceAfterFault), healed)
		minorityStill = still && min1 == min0
		minorityAdvanced = fmt.Sprint(max(topMinor, min1) - min0)
	}
	heal([]int{m})
	healed = time.Now()
	minorityCatchup, err := net.waitCaughtUp(m, majority, healed, 2*time.Minute)
	if err != nil {
		t.Fatalf("after healing the 3|1 split: %v", err)
	}

	unconfirmed := l.drain(60 * time.Second)
	st := l.stats()
	c := net.verify(l, vals)
	net.checkAlive()
	figures("partition", "method", method, "validators", len(vals), "split_duration", dur,
		"split22", names(net, a)+"|"+names(net, b), "split22_halted", halted, "split22_halt_height", haltHeight,
		"split22_resume_after_heal", secs(resume22),
		"split31_minority", net.nodes[m].info.Name, "split31_majority_advanced", maj1-maj0,
		"split31_minority_advanced", minorityAdvanced, "split31_minority_catchup", secs(minorityCatchup),
		"txs", st.acked, "resent", st.resent, "lost", c.lost, "double", c.double, "forks", c.forks,
		"hashes_equal", c.hashMismatches == 0)
	if !halted {
		t.Errorf("split %s|%s: the chain moved from height %d to %d without a quorum on either side", names(net, a), names(net, b), haltHeight, max(top, endHeight))
	}
	if minAdvance := int64(sc.int(2, 5)); maj1-maj0 < minAdvance {
		t.Errorf("split 3|1: the majority went from %d to %d in %v: want at least %d blocks", maj0, maj1, dur, minAdvance)
	}
	if !minorityStill {
		t.Errorf("split 3|1: the minority %s advanced from height %d (to %s more) while cut off", net.nodes[m].info.Name, min0, minorityAdvanced)
	}
	requireClean(t, c, st, unconfirmed)
}

// snapshotRestored finds the height in CometBFT's "Snapshot restored" log
// line.
var snapshotRestored = regexp.MustCompile(`Snapshot restored.*height=(\d+)`)

// TestFaultsStateSync: a fresh full node joins a network that has made
// many blocks, through a snapshot offered by the validators, and reaches
// the tip with the same app hash — the time it takes to join.
//
// The validators take snapshots per app.toml's state.snapshot_interval
// (keeping state.snapshot_keep_recent); the joining node uses CometBFT's
// [statesync] section, trusting a recent header of the running chain.
func TestFaultsStateSync(t *testing.T) {
	sc := faultScale(t)
	interval := sc.int(50, 500)
	target := int64(sc.int(250, 3000))
	blockTime := 100 * time.Millisecond
	net := newNetwork(t, netOptions{validators: 4, fullNodes: 1, startingIP: "127.0.65.11", blockTime: blockTime})
	vals := net.validators()
	joiner := len(net.nodes) - 1
	for _, i := range vals {
		net.setAppKeys(i, "state", map[string]string{"snapshot_interval": strconv.Itoa(interval), "snapshot_keep_recent": "2"})
	}
	// Blocks keep coming without transactions, and votes and block parts
	// are gossiped without CometBFT's 100 ms idle sleep, so heights pile
	// up fast.
	for i := range net.nodes {
		net.editComet(i, func(c *cmtcfg.Config) {
			c.Consensus.CreateEmptyBlocksInterval = 0
			c.Consensus.PeerGossipSleepDuration = 10 * time.Millisecond
		})
	}
	net.startAll(vals...)
	l := startLoad(t, net, loadConfig{rate: loadRate / 2})
	grow := time.Now()
	for maxOf(net.heights(time.Second), vals) < target {
		if time.Since(grow) > sc.dur(4*time.Minute, 20*time.Minute) {
			t.Fatalf("the chain did not reach height %d: %v", target, net.heights(time.Second))
		}
		time.Sleep(time.Second)
	}
	tip := maxOf(net.heights(time.Second), vals)
	grown := time.Since(grow)

	// Trust a recent header, as an operator would after checking it.
	trustHeight := tip - 5
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	commit, err := net.nodes[vals[0]].rpc.RPC().Commit(ctx, &trustHeight)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	net.editComet(joiner, func(c *cmtcfg.Config) {
		c.StateSync.Enable = true
		c.StateSync.RPCServers = []string{net.nodes[vals[0]].info.RPC, net.nodes[vals[1]].info.RPC}
		c.StateSync.TrustHeight = trustHeight
		c.StateSync.TrustHash = commit.SignedHeader.Hash().String()
		c.StateSync.TrustPeriod = 168 * time.Hour
		c.StateSync.DiscoveryTime = 5 * time.Second
	})
	joinStart := time.Now()
	if err := net.nodes[joiner].start(); err != nil {
		t.Fatal(err)
	}
	joinTime, err := net.waitCaughtUp(joiner, vals, joinStart, sc.dur(2*time.Minute, 5*time.Minute))
	if err != nil {
		lines := net.logLines(joiner, 15, "snapshot", "statesync", "state sync", "light")
		t.Fatalf("STATE SYNC FAILED: %v.\nThe validators were configured with app.toml state.snapshot_interval=%d, "+
			"state.snapshot_keep_recent=2; if the joining node never discovered a snapshot, the lineaged binary does not "+
			"offer snapshots (ABCI ListSnapshots/LoadSnapshotChunk/OfferSnapshot/ApplySnapshotChunk) or does not read those keys.\n"+
			"The joining node's state-sync log:\n%s", err, interval, strings.Join(lines, "\n"))
	}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	status, err := net.nodes[joiner].rpc.RPC().Status(ctx)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	earliest := status.SyncInfo.EarliestBlockHeight
	snapshotHeight := "unknown"
	if lines := net.logLines(joiner, 1, "Snapshot restored"); len(lines) > 0 {
		if m := snapshotRestored.FindStringSubmatch(lines[0]); m != nil {
			snapshotHeight = m[1]
		}
	}

	unconfirmed := l.drain(60 * time.Second)
	st := l.stats()
	all := append(slices.Clone(vals), joiner)
	c := net.verify(l, all)
	net.checkAlive()
	figures("statesync", "validators", len(vals), "block_time", blockTime, "blocks_at_join", tip,
		"grown_in", secs(grown), "snapshot_interval", interval, "trust_height", trustHeight, "snapshot_height", snapshotHeight,
		"joiner_earliest_block", earliest, "join_time", secs(joinTime), "final_height", c.height,
		"heights_checked", c.compared, "app_hash_equal", c.hashMismatches == 0, "txs", st.acked,
		"lost", c.lost, "double", c.double, "forks", c.forks)
	if earliest <= 1 {
		t.Errorf("%s holds blocks from height %d: it replayed the chain instead of restoring a snapshot", net.nodes[joiner].info.Name, earliest)
	}
	requireClean(t, c, st, unconfirmed)
}

// replayReport is `lineaged replay -o json`.
type replayReport struct {
	Agreed         bool    `json:"agreed"`
	From           int64   `json:"from,string"`
	To             int64   `json:"to,string"`
	Blocks         int64   `json:"blocks,string"`
	Txs            int     `json:"txs"`
	Seconds        float64 `json:"seconds"`
	HeadersChecked int64   `json:"headers_checked,string"`
	StateChecked   bool    `json:"state_store_checked"`
	AppStateHeight int64   `json:"app_state_height,string"`
	Error          string  `json:"error"`
	Mismatch       *struct {
		Height    int64  `json:"height,string"`
		What      string `json:"what"`
		Reference string `json:"reference"`
	} `json:"mismatch"`
}

// runReplay runs `lineaged replay` on a home and returns its report and
// exit status.
func runReplay(t *testing.T, bin, home string, extra ...string) (replayReport, int) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"replay", "--home", home, "-o", "json"}, extra...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var r replayReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("lineaged replay printed %q (stderr %q): %v", out, stderr.String(), err)
	}
	if code != 0 {
		t.Logf("lineaged replay %s exited %d: %s", strings.Join(extra, " "), code, strings.TrimSpace(stderr.String()))
	}
	return r, code
}

// TestFaultsDeterminism: after a loaded run, a validator is stopped and
// `lineaged replay` re-executes its whole chain on a fresh in-memory
// state; every app hash must equal the one the network agreed on.
func TestFaultsDeterminism(t *testing.T) {
	sc := faultScale(t)
	dur := sc.dur(20*time.Second, 3*time.Minute)
	// Short blocks: more heights to replay for the same load.
	net := newNetwork(t, netOptions{validators: 4, startingIP: "127.0.66.11", blockTime: 250 * time.Millisecond})
	vals := net.validators()
	net.startAll(vals...)
	l := startLoad(t, net, loadConfig{rate: loadRate})
	time.Sleep(dur)
	unconfirmed := l.drain(60 * time.Second)
	st := l.stats()
	c := net.verify(l, vals)
	net.checkAlive()

	v := vals[len(vals)-1]
	if err := net.nodes[v].stop(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	full, code := runReplay(t, net.bin, net.nodes[v].home)
	mid := c.height / 2
	part, partCode := runReplay(t, net.bin, net.nodes[v].home, "--to", strconv.FormatInt(mid, 10))
	mismatch := "none"
	if full.Mismatch != nil {
		mismatch = fmt.Sprintf("height-%d-%s", full.Mismatch.Height, strings.ReplaceAll(full.Mismatch.What, " ", "-"))
	}
	rate := 0.0
	if full.Seconds > 0 {
		rate = float64(full.Blocks) / full.Seconds
	}
	figures("determinism", "validators", len(vals), "block_time", 250*time.Millisecond, "load", dur, "replayed_node", net.nodes[v].info.Name,
		"heights", fmt.Sprintf("%d-%d", full.From, full.To), "blocks", full.Blocks, "txs_replayed", full.Txs,
		"replay_time", fmt.Sprintf("%.2fs", full.Seconds), "replay_blocks/s", fmt.Sprintf("%.0f", rate),
		"headers_checked", full.HeadersChecked, "app_state_checked_at", full.AppStateHeight, "mismatch", mismatch,
		"exit", code, "txs", st.acked, "lost", c.lost, "double", c.double, "forks", c.forks, "hashes_equal", c.hashMismatches == 0)
	if code != 0 || !full.Agreed {
		t.Errorf("lineaged replay exited %d: %+v", code, full)
	}
	if full.To < c.height || full.Blocks != full.To || full.Txs < st.acked || full.AppStateHeight != full.To {
		t.Errorf("replay covered heights %d-%d (%d blocks, %d txs, app state at %d); the network agreed on height %d with %d load txs",
			full.From, full.To, full.Blocks, full.Txs, full.AppStateHeight, c.height, st.acked)
	}
	if partCode != 0 || !part.Agreed || part.To != mid || part.AppStateHeight != mid {
		t.Errorf("lineaged replay --to %d exited %d: %+v", mid, partCode, part)
	}
	requireClean(t, c, st, unconfirmed)
}
