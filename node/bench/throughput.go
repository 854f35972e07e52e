package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/lineageledger/lineaged/node"
	"github.com/lineageledger/lineaged/node/keyring"
)

// chainRun is one chain's throughput, latency and cost on one topology.
type chainRun struct {
	kind       string
	validators int
	steps      []stepResult
	// best is the step with the highest committed rate; latency the step
	// at 70% of it.
	best, latency stepResult
	// saturated says whether some step of the ramp saturated the chain;
	// if none did, best is only a lower bound of its capacity.
	saturated bool
	// observer is the mean time to fetch and decode a block and its
	// results: what "seen committed" adds beyond the polling interval.
	observer  time.Duration
	pollEvery time.Duration
	meanSize  float64
	profile   string
	top       string
}

// nodeCPUPerTx is the CPU all nodes spent per committed transaction in the
// best window.
func (r *chainRun) nodeCPUPerTx() time.Duration { return r.best.nodeCPUPerTx() }

// nodeCPU is the CPU all nodes spent during the step's window.
func (s *stepResult) nodeCPU() time.Duration {
	var total time.Duration
	for _, c := range s.cpu {
		total += c
	}
	return total
}

// nodeCPUPerTx is the CPU all nodes spent per transaction committed in
// the step's window.
func (s *stepResult) nodeCPUPerTx() time.Duration {
	txs := s.committed * s.window.Seconds()
	if txs == 0 {
		return 0
	}
	return time.Duration(float64(s.nodeCPU()) / txs)
}

// nodeCores is how many cores the nodes kept busy on average during the
// step's window: near the machine's count, the chain is CPU-bound.
func (s *stepResult) nodeCores() float64 {
	if s.window <= 0 {
		return 0
	}
	return s.nodeCPU().Seconds() / s.window.Seconds()
}

// addresses gives each network of a run its own loopback range, so that
// networks never share a port even while one is shutting down.
func (b *bench) address(slot int) net.IP {
	return net.ParseIP(fmt.Sprintf("%s.%d", b.opts.IPPrefix, 11+20*slot))
}

// runOurs starts a lineaged testnet of validators, sets up the load's
// accounts and licences, measures throughput and latency if asked, and
// the verification of a receipt from it if asked.
func (b *bench) runOurs(ctx context.Context, validators, slot int, throughput, proofs bool) (*chainRun, *receiptResult, error) {
	dir := filepath.Join(b.dir, fmt.Sprintf("lineaged-%dv", validators))
	nw, err := newOurNetwork(dir, validators, b.address(slot), b.opts.Lineaged)
	if err != nil {
		return nil, nil, err
	}
	b.logf("lineaged, %s: starting nodes at %s", validatorsLabel(validators), nw.nodes[0].ip)
	if err := nw.start(ctx); err != nil {
		return nil, nil, err
	}
	b.track(nw)
	defer nw.stop()
	var orgs []string
	for _, n := range nw.testnet.Nodes {
		if n.Validator {
			orgs = append(orgs, n.Org)
		}
	}
	load := newProvenanceLoad(nw.chainID, orgs, b.sz.Lanes)
	ldr := newLoader(load, nw.rpcs(), 0)
	defer ldr.close()
	metrics := fmt.Sprintf("%s:%d", nw.nodes[0].ip, node.TestnetMetricsPort)
	ldr.failures = func(ctx context.Context) (int, error) { return failedTxs(ctx, metrics) }
	if err := setupAccounts(ctx, nw, load, ldr); err != nil {
		return nil, nil, err
	}
	sizes := load.sizes()
	run := &chainRun{kind: chainOurs, validators: validators, pollEvery: ldr.pollEvery, meanSize: meanOf(sizes)}
	if throughput {
		if err := b.measureChain(ctx, ldr, nw, run); err != nil {
			return nil, nil, err
		}
	} else {
		// A little load, so that the receipt has records to prove: every
		// lane sends its first few transactions, which register the model
		// the receipt is about.
		if _, err := ldr.step(ctx, stepOptions{rate: float64(3 * b.sz.Lanes), warm: 0, window: 2 * time.Second, drain: 30 * time.Second}); err != nil {
			return nil, nil, err
		}
	}
	if !proofs {
		return run, nil, nil
	}
	rr, err := measureReceipt(ctx, nw, load, b.sz.ReceiptIters)
	if err != nil {
		return nil, nil, err
	}
	b.logf("lineaged, %s: receipt of %d bytes verifies in %v (proofs alone %v)", validatorsLabel(validators), rr.bytes, rr.full.p(0.5), rr.proofOnly.p(0.5))
	return run, &rr, nil
}

// setupAccounts adds the load's accounts, each organisation's admin adding
// its own, then has every account define its licence.
func setupAccounts(ctx context.Context, nw *network, load *provenanceLoad, ldr *loader) error {
	nodes := len(nw.nodes)
	admins := make([]keyring.Signer, nodes)
	for v := range nodes {
		kr := keyring.Open(filepath.Join(nw.nodes[v].home, "keyring"), keyring.Options{})
		s, err := kr.Signer("admin", "")
		if err != nil {
			return fmt.Errorf("%s admin key: %w", nw.nodes[v].name, err)
		}
		admins[v] = s
	}
	adds, licences := map[int][][]byte{}, map[int][][]byte{}
	seq := make([]uint64, nodes)
	for i, a := range load.accts {
		v := i % nodes
		tx, err := addAccountTx(nw.chainID, admins[v], seq[v], a, fmt.Sprintf("bench lane %d", i))
		if err != nil {
			return err
		}
		seq[v]++
		adds[v] = append(adds[v], tx)
		licences[v] = append(licences[v], load.setupTx(i))
	}
	if err := ldr.submitInOrder(ctx, adds, 60*time.Second); err != nil {
		return fmt.Errorf("adding load accounts: %w", err)
	}
	if err := ldr.submitInOrder(ctx, licences, 60*time.Second); err != nil {
		return fmt.Errorf("defining load licences: %w", err)
	}
	return nil
}

// runKVStore measures CometBFT's kvstore on the same topology, consensus
// settings and load method, with transactions of the same sizes.
func (b *bench) runKVStore(ctx context.Context, validators, slot int, sizes [kinds]int) (*chainRun, error) {
	dir := filepath.Join(b.dir, fmt.Sprintf("kvstore-%dv", validators))
	scratch, err := os.MkdirTemp(b.dir, "template-")
	if err != nil {
		return nil, err
	}
	template, err := templateConfig(scratch, b.address(slot))
	if err != nil {
		return nil, err
	}
	os.RemoveAll(scratch)
	nw, err := newKVNetwork(ctx, dir, validators, b.address(slot), b.opts.CometBFT, template)
	if err != nil {
		return nil, err
	}
	b.logf("kvstore, %s: starting nodes at %s", validatorsLabel(validators), nw.nodes[0].ip)
	if err := nw.start(ctx); err != nil {
		return nil, err
	}
	b.track(nw)
	defer nw.stop()
	load := &kvLoad{tag: fmt.Sprintf("kv%dv", validators), n: b.sz.Lanes, sizes: sizes}
	ldr := newLoader(load, nw.rpcs(), 0)
	defer ldr.close()
	run := &chainRun{kind: chainKVStore, validators: validators, pollEvery: ldr.pollEvery, meanSize: meanOf(sizes)}
	if err := b.measureChain(ctx, ldr, nw, run); err != nil {
		return nil, err
	}
	return run, nil
}

// settle waits, up to the drain time, until no node of nw has transactions
// waiting in its mempool, and says in the report if some still do.
func (b *bench) settle(ctx context.Context, nw *network, label string) error {
	start := time.Now()
	deadline := start.Add(b.sz.Drain)
	for {
		waiting := 0
		for _, n := range nw.nodes {
			p, err := newRPC(n.rpc).pending(ctx)
			if err != nil {
				return fmt.Errorf("%s: mempool size of %s: %w", label, n.name, err)
			}
			waiting += p
		}
		if waiting == 0 {
			if d := time.Since(start); d > time.Second {
				b.logf("%s: mempools empty after %v", label, d.Round(time.Second))
			}
			return nil
		}
		if time.Now().After(deadline) {
			b.note("%s: a step started with %d transactions still in the nodes' mempools after %v of waiting for the backlog of the one before.", label, waiting, b.sz.Drain)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// measureChain ramps the offered rate until the committed rate stops
// rising (or the mempool fills), then measures latency at 70% of the best
// committed rate, and, if asked, profiles the first node at the best rate.
func (b *bench) measureChain(ctx context.Context, ldr *loader, nw *network, run *chainRun) error {
	label := fmt.Sprintf("%s, %s", nw.kind, validatorsLabel(len(nw.nodes)))
	pids := nw.pids()
	// step offers rate and records the step; rated reports whether its
	// window held enough blocks for its committed rate to count.
	step := func(rate float64) (r stepResult, rated bool, err error) {
		r, err = ldr.step(ctx, stepOptions{rate: rate, warm: b.sz.Warm, window: b.sz.Window, drain: b.sz.Drain, pids: pids})
		if err != nil {
			return r, false, err
		}
		r.rated = r.blocks >= b.sz.MinRatedBlocks
		run.steps = append(run.steps, r)
		b.logf("%s: offered %.0f tx/s (accepted %.0f), committed %.0f tx/s (%d blocks of %.0f txs; %d mempool-full retries; latency p50 %v, p99 %v; broadcast p50 %v, p99 %v; send lag p99 %v; nodes %.2f cores, %v CPU per tx, peak RSS %d MiB)",
			label, r.offered, r.accepted, r.committed, r.blocks, r.blockTxs, r.fullRetries, r.p(0.5).Round(time.Millisecond), r.p(0.99).Round(time.Millisecond),
			percentile(r.rtt, 0.5).Round(100*time.Microsecond), percentile(r.rtt, 0.99).Round(100*time.Microsecond), percentile(r.lag, 0.99).Round(time.Millisecond),
			r.nodeCores(), r.nodeCPUPerTx().Round(10*time.Microsecond), r.peakRSS>>20)
		if r.rejected > 0 {
			b.logf("%s: %d transactions rejected, first: %s", label, r.rejected, r.firstRejected)
		}
		if r.failed > 0 {
			return r, false, fmt.Errorf("%s: %d load transactions failed in their handler", label, r.failed)
		}
		if r.sent == 0 {
			return r, false, errors.New(label + ": no transaction was accepted")
		}
		if !r.rated {
			// One or two blocks, after a stall, rate the stall's backlog
			// over a fraction of the window, not a pace the chain keeps.
			b.logf("%s: only %d blocks in the window; this step is not rated", label, r.blocks)
			return r, false, nil
		}
		if r.committed > run.best.committed {
			run.best = r
		}
		return r, true, nil
	}

	rate := b.sz.StartRate
	keptUp := 0.0 // the highest offered rate the chain kept up with
	saturatedAt := 0.0
	saturatedSteps := 0
	for i := 0; i < b.sz.MaxSteps; i++ {
		prevBest := run.best.committed
		r, rated, err := step(rate)
		if err != nil {
			return err
		}
		// The ramp stops once the chain is saturated and the committed rate
		// no longer rises by a tenth, or the mempool filled, or after a
		// second saturated step: past that point steps only build backlog.
		risen := rated && r.committed >= 1.1*prevBest
		if !r.saturated() {
			keptUp = rate
		} else {
			run.saturated = true
			saturatedAt = rate
			saturatedSteps++
			if !risen || r.fullRetries > 0 || saturatedSteps >= 2 {
				break
			}
		}
		rate *= b.sz.RateFactor
	}
	// The ramp's steps are coarse (each half as much again as the last):
	// the chain's pace lies somewhere between the last rate it kept up
	// with and the first it did not. One more step, halfway (geometrically)
	// and after the backlog has cleared, narrows that down.
	if b.sz.RefineSaturation && keptUp > 0 && saturatedAt > keptUp {
		if err := b.settle(ctx, nw, label); err != nil {
			return err
		}
		if _, _, err := step(math.Sqrt(keptUp * saturatedAt)); err != nil {
			return err
		}
	}
	if run.best.committed <= 0 {
		return errors.New(label + ": nothing was committed")
	}
	if !run.saturated {
		b.logf("%s: the ramp ended before the chain saturated; %.0f tx/s is a lower bound", label, run.best.committed)
	}
	// A ramp that ended past saturation leaves a backlog; latency measured
	// on top of it would be the backlog's.
	if err := b.settle(ctx, nw, label); err != nil {
		return err
	}
	lr, err := ldr.step(ctx, stepOptions{rate: 0.7 * run.best.committed, warm: b.sz.Warm, window: b.sz.LatencyWindow, drain: b.sz.Drain, pids: pids})
	if err != nil {
		return err
	}
	run.latency = lr
	if lr.failed > 0 || lr.rejected > 0 {
		return fmt.Errorf("%s: at 70%% load %d transactions failed and %d were rejected (first: %s)", label, lr.failed, lr.rejected, lr.firstRejected)
	}
	b.logf("%s: at %.0f tx/s (70%% of %.0f) committed %.0f tx/s, latency p50 %v, p99 %v (%d not seen committed)",
		label, lr.offered, run.best.committed, lr.committed, lr.p(0.5).Round(time.Millisecond), lr.p(0.99).Round(time.Millisecond), lr.unobserved)
	if b.opts.ProfileDir != "" {
		if err := os.MkdirAll(b.opts.ProfileDir, 0o755); err != nil {
			return err
		}
		path := filepath.Join(b.opts.ProfileDir, fmt.Sprintf("%s-%dv-node0.pprof", nw.kind, len(nw.nodes)))
		var perr error
		if _, err := ldr.step(ctx, stepOptions{rate: run.best.offered, warm: b.sz.Warm, window: b.sz.ProfileWindow, drain: b.sz.Drain,
			during: func(ctx context.Context, w time.Duration) { perr = captureProfile(ctx, nw.nodes[0].pprof, w, path) },
		}); err != nil {
			return err
		}
		if perr != nil {
			b.logf("%s: no CPU profile: %v", label, perr)
		} else {
			run.profile = path
			if top, err := profileTop(ctx, path, 30); err == nil {
				run.top = top
			} else {
				b.logf("%s: %v", label, err)
			}
		}
	}
	run.observer = ldr.observerCost()
	return nil
}

func meanOf(sizes [kinds]int) float64 {
	total := 0
	for _, s := range sizes {
		total += s
	}
	return float64(total) / kinds
}
