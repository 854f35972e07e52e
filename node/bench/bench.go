package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lineageledger/lineaged/app/store"
)

// Workloads a run can select, in the order they run.
const (
	WorkloadThroughput = "throughput"
	WorkloadProofs     = "proofs"
	WorkloadGate       = "gate"
	WorkloadLineage    = "lineage"
	WorkloadGrowth     = "growth"
)

// throughputTarget is the project's goal for the committed-tx/s ratio to
// kvstore on 4 validators.
const throughputTarget = 0.6

// Workloads lists every workload.
var Workloads = []string{WorkloadThroughput, WorkloadProofs, WorkloadGate, WorkloadLineage, WorkloadGrowth}

// Options configure a run.
type Options struct {
	// Quick runs the smaller sizes and shorter windows of [QuickSizes].
	Quick bool
	// Sizes, if set, replaces the full or quick sizes.
	Sizes *Sizes
	// WorkDir holds the networks' homes and the state databases; empty: a
	// temporary directory, removed afterwards.
	WorkDir string
	// Lineaged is the binary the lineaged nodes run (and the state-growth
	// worker).
	Lineaged string
	// CometBFT is the cometbft binary of the kvstore baseline; empty runs
	// no baseline.
	CometBFT string
	// IPPrefix is the first three octets of the loopback addresses the
	// networks listen on, e.g. "127.0.3".
	IPPrefix string
	// Only selects workloads (nil: all of [Workloads]).
	Only []string
	// ProfileDir, if set, receives a CPU profile of the first node of each
	// network at its saturation rate.
	ProfileDir string
	// GrowthInProcess measures state growth in this process rather than in
	// a worker process of its own (whose resident memory is then only the
	// state's).
	GrowthInProcess bool
	// Log receives progress lines.
	Log io.Writer
}

// Sizes are how much each workload does.
type Sizes struct {
	// Topologies are the validator counts the throughput runs on.
	Topologies []int
	// Lanes is the number of signing accounts (and of concurrent senders).
	Lanes int
	// StartRate is the first offered rate of the ramp, multiplied by
	// RateFactor each step, for at most MaxSteps steps.
	StartRate, RateFactor float64
	MaxSteps              int
	// Warm precedes each measuring Window; LatencyWindow and ProfileWindow
	// are the windows of the latency and profile steps; Drain bounds the
	// wait for accepted transactions after a step.
	Warm, Window, LatencyWindow, ProfileWindow, Drain time.Duration
	// GateModels are the population sizes the gate is measured at, with
	// GateOps operations each.
	GateModels []int
	GateOps    int
	// MinRatedBlocks is how many blocks a throughput step's window must
	// hold for its committed rate to count as the chain's pace.
	MinRatedBlocks int
	// RefineSaturation adds a step between the last rate the chain kept
	// up with and the first it did not.
	RefineSaturation bool
	// LineageDepth is the depth of the fan-out-3 tree; LineageReps the
	// queries timed per node limit.
	LineageDepth, LineageReps int
	// GrowthCheckpoints are the record counts state growth is measured at,
	// in blocks of GrowthBlock records.
	GrowthCheckpoints []int
	GrowthBlock       int
	// ReceiptIters is how often a receipt is verified.
	ReceiptIters int
}

// FullSizes are the default run's.
func FullSizes() Sizes {
	return Sizes{
		Topologies: []int{1, 4}, Lanes: 64, StartRate: 200, RateFactor: 1.5, MaxSteps: 10,
		Warm: 5 * time.Second, Window: 25 * time.Second, LatencyWindow: 25 * time.Second, ProfileWindow: 20 * time.Second, Drain: 60 * time.Second,
		MinRatedBlocks: 3, RefineSaturation: true, GateModels: []int{10_000, 100_000}, GateOps: 4000,
		LineageDepth: 10, LineageReps: 200,
		GrowthCheckpoints: []int{10_000, 100_000, 1_000_000}, GrowthBlock: 1000,
		ReceiptIters: 300,
	}
}

// QuickSizes are --quick's: a smoke test of every workload in a minute or
// two.
func QuickSizes() Sizes {
	return Sizes{
		Topologies: []int{1, 4}, Lanes: 32, StartRate: 300, RateFactor: 2, MaxSteps: 3,
		Warm: time.Second, Window: 3 * time.Second, LatencyWindow: 3 * time.Second, ProfileWindow: 3 * time.Second, Drain: 15 * time.Second,
		MinRatedBlocks: 1, GateModels: []int{1000, 5000}, GateOps: 400,
		LineageDepth: 6, LineageReps: 10,
		GrowthCheckpoints: []int{2000, 10_000, 20_000}, GrowthBlock: 1000,
		ReceiptIters: 50,
	}
}

// Row is one line of the report's table.
type Row struct {
	Workload string `json:"workload"`
	Setting  string `json:"setting"`
	Metric   string `json:"metric"`
	Ours     string `json:"lineage_ledger"`
	Baseline string `json:"kvstore,omitempty"`
	Ratio    string `json:"ratio,omitempty"`
}

// Report is what a run measured.
type Report struct {
	// Mode is "full", "quick" or "custom" (sizes given).
	Mode     string    `json:"mode"`
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"`
	Machine  Machine   `json:"machine"`
	Rows     []Row     `json:"rows"`
	Notes    []string  `json:"notes"`
	Profiles []string  `json:"profiles,omitempty"`
	// Steps lists every load step: chain, topology, offered and committed.
	Steps []string `json:"steps,omitempty"`
}

type bench struct {
	opts   Options
	sz     Sizes
	dir    string
	report *Report

	mu   sync.Mutex
	mine map[int]bool
}

func (b *bench) logf(format string, args ...any) {
	if b.opts.Log != nil {
		fmt.Fprintf(b.opts.Log, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
}

// track remembers a network's processes as this run's.
func (b *bench) track(n *network) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range n.pids() {
		b.mine[p] = true
	}
}

// watchOtherNodes samples, every 5 s until stopped, how many lineaged
// nodes this run did not start are running, and keeps the most seen.
func (b *bench) watchOtherNodes() (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			b.mu.Lock()
			mine := maps.Clone(b.mine)
			b.mu.Unlock()
			n := otherNodes(mine)
			b.mu.Lock()
			b.report.Machine.OtherNodesMax = max(b.report.Machine.OtherNodesMax, n)
			b.mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); <-finished }) }
}

func (b *bench) selected(w string) bool {
	return len(b.opts.Only) == 0 || slices.Contains(b.opts.Only, w)
}

func (b *bench) note(format string, args ...any) {
	b.report.Notes = append(b.report.Notes, fmt.Sprintf(format, args...))
}

func (b *bench) row(r Row) { b.report.Rows = append(b.report.Rows, r) }

// Run runs the selected workloads and reports what they measured.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.IPPrefix == "" {
		opts.IPPrefix = "127.0.3"
	}
	for _, w := range opts.Only {
		if !slices.Contains(Workloads, w) {
			return nil, fmt.Errorf("unknown workload %q (want some of %s)", w, strings.Join(Workloads, ", "))
		}
	}
	b := &bench{opts: opts, mine: map[int]bool{}, report: &Report{Started: time.Now()}}
	switch {
	case opts.Sizes != nil:
		b.sz, b.report.Mode = *opts.Sizes, "custom"
	case opts.Quick:
		b.sz, b.report.Mode = QuickSizes(), "quick"
	default:
		b.sz, b.report.Mode = FullSizes(), "full"
	}
	needsNodes := b.selected(WorkloadThroughput) || b.selected(WorkloadProofs)
	if needsNodes || (b.selected(WorkloadGrowth) && !opts.GrowthInProcess) {
		if opts.Lineaged == "" {
			return nil, errors.New("no lineaged binary to run nodes with")
		}
	}
	b.report.Machine = describeMachine()
	b.report.Machine.OtherNodesAtStart = otherNodes(nil)
	if opts.WorkDir == "" {
		dir, err := os.MkdirTemp("", "lineaged-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		b.dir = dir
	} else {
		if err := os.MkdirAll(opts.WorkDir, 0o755); err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp(opts.WorkDir, "run-")
		if err != nil {
			return nil, err
		}
		b.dir = dir
	}
	// Read the machine description before the watcher starts writing to it.
	b.logf("machine: %s", b.report.Machine)
	if n := b.report.Machine.OtherNodesAtStart; n > 0 {
		b.logf("WARNING: %d other lineaged nodes are running on this machine; they compete for the CPU", n)
	}
	stopWatch := b.watchOtherNodes()
	defer stopWatch()

	if err := b.throughputAndProofs(ctx); err != nil {
		return nil, err
	}
	if b.selected(WorkloadGate) {
		if err := b.gate(ctx); err != nil {
			return nil, fmt.Errorf("gate: %w", err)
		}
	}
	if b.selected(WorkloadLineage) {
		if err := b.lineage(ctx); err != nil {
			return nil, fmt.Errorf("lineage: %w", err)
		}
	}
	if b.selected(WorkloadGrowth) {
		if err := b.growth(ctx); err != nil {
			return nil, fmt.Errorf("state growth: %w", err)
		}
	}
	stopWatch()
	b.report.Machine.OtherNodesAtEnd = otherNodes(b.mine)
	b.report.Seconds = time.Since(b.report.Started).Seconds()
	return b.report, nil
}

func (b *bench) throughputAndProofs(ctx context.Context) error {
	throughput, proofs := b.selected(WorkloadThroughput), b.selected(WorkloadProofs)
	if !throughput && !proofs {
		return nil
	}
	baseline := throughput && b.opts.CometBFT != ""
	if throughput && !baseline {
		b.note("No kvstore baseline: no cometbft binary was given (scripts/bench.sh installs the pinned one).")
	}
	var sizes [kinds]int
	for i, v := range b.sz.Topologies {
		ours, rr, err := b.runOurs(ctx, v, 2*i, throughput, proofs)
		if err != nil {
			return fmt.Errorf("lineaged, %s: %w", validatorsLabel(v), err)
		}
		if rr != nil {
			b.receiptRows(rr)
		}
		if !throughput {
			continue
		}
		sizes = newProvenanceLoad("lineage-bench", []string{"org0"}, 1).sizes()
		var kv *chainRun
		if baseline {
			if kv, err = b.runKVStore(ctx, v, 2*i+1, sizes); err != nil {
				return fmt.Errorf("kvstore, %s: %w", validatorsLabel(v), err)
			}
		}
		b.throughputRows(ours, kv)
	}
	if throughput {
		var parts []string
		for k := range kinds {
			parts = append(parts, fmt.Sprintf("%s %d B", kindNames[k], sizes[k]))
		}
		b.note("Load: %d signing accounts (Ed25519), each a lane sending its own transactions in order to its organisation's validator by broadcast_tx_sync; "+
			"a repeating cycle of %s; the kvstore load sends unique key=value transactions of the same sizes. Transactions are signed and JSON-encoded before each step. "+
			"The baseline is `cometbft start --proxy_app=kvstore`, whose state lives in memory; this chain's nodes verify a signature per transaction and write an IAVL tree to pebble, fsynced at every commit.",
			b.sz.Lanes, strings.Join(parts, ", "))
	}
	return nil
}

// latencyOf is a latency percentile at 70% load; transactions never seen
// committed are said, since the percentile leaves them out.
func latencyOf(run *chainRun, q float64) string {
	s := fmtDur(run.latency.p(q))
	if n := run.latency.unobserved; n > 0 {
		s += fmt.Sprintf(" (%d never seen)", n)
	}
	return s
}

func (b *bench) throughputRows(ours, kv *chainRun) {
	setting := validatorsLabel(ours.validators)
	ratio := func(a, c float64) string {
		if c == 0 {
			return ""
		}
		return fmt.Sprintf("%.2f", a/c)
	}
	// A ramp that never saturated its chain measured a lower bound.
	capacity := func(run *chainRun) string {
		if run.saturated {
			return fmtCount(run.best.committed)
		}
		return "≥ " + fmtCount(run.best.committed)
	}
	r := Row{Workload: "throughput", Setting: setting + ", saturation", Metric: fmt.Sprintf("committed tx/s (best %v window)", b.sz.Window),
		Ours: capacity(ours)}
	if kv != nil {
		r.Baseline, r.Ratio = capacity(kv), ratio(ours.best.committed, kv.best.committed)
		switch {
		case !kv.saturated && !ours.saturated:
			r.Ratio = "n/a (neither saturated)"
		case !kv.saturated:
			r.Ratio = "≤ " + r.Ratio
		case !ours.saturated:
			r.Ratio = "≥ " + r.Ratio
		}
	}
	b.row(r)
	for _, q := range []struct {
		name string
		q    float64
	}{{"p50", 0.5}, {"p99", 0.99}} {
		setting := fmt.Sprintf("%s, 70%% of own saturation (%s tx/s offered", validatorsLabel(ours.validators), fmtCount(ours.latency.offered))
		if kv != nil {
			setting += fmt.Sprintf("; kvstore %s", fmtCount(kv.latency.offered))
		}
		r := Row{Workload: "latency", Setting: setting + ")", Metric: "commit latency " + q.name + " (scheduled send → executed)", Ours: latencyOf(ours, q.q)}
		if kv != nil {
			r.Baseline = latencyOf(kv, q.q)
			r.Ratio = ratio(float64(ours.latency.p(q.q)), float64(kv.latency.p(q.q)))
		}
		b.row(r)
	}
	if kv != nil && ours.validators == 4 && kv.best.committed > 0 {
		ratio := ours.best.committed / kv.best.committed
		verdict := "this meets the target"
		switch {
		case !kv.saturated || !ours.saturated:
			verdict = "a ramp ended before its chain saturated, so this does not tell whether the target is met"
		case ratio < throughputTarget:
			verdict = "this does NOT meet the target"
		}
		b.note("Target: committed tx/s on 4 validators at least %.1f× kvstore's. Measured %.2f× (%s vs %s tx/s): %s.",
			throughputTarget, ratio, fmtCount(ours.best.committed), fmtCount(kv.best.committed), verdict)
		if note, ok := budgetNote(kv, ours, throughputTarget); ok {
			b.note("%s", note)
		}
	}
	r = Row{Workload: "cost", Setting: setting + ", best window", Metric: "node CPU per committed tx (all nodes)", Ours: fmtDur(ours.nodeCPUPerTx())}
	if kv != nil {
		r.Baseline, r.Ratio = fmtDur(kv.nodeCPUPerTx()), ratio(float64(ours.nodeCPUPerTx()), float64(kv.nodeCPUPerTx()))
	}
	b.row(r)
	for _, run := range []*chainRun{ours, kv} {
		if run == nil {
			continue
		}
		for _, s := range run.steps {
			b.report.Steps = append(b.report.Steps, fmt.Sprintf("%s, %s: offered %s tx/s (accepted %s tx/s) → committed %s tx/s; %d blocks of %.0f txs; %d mempool-full retries; latency p50 %s, p99 %s; broadcast_tx_sync p50 %s; send lag p99 %s; nodes busy %.2f cores, %s CPU per committed tx; largest node's peak RSS %s",
				run.kind, validatorsLabel(run.validators), fmtCount(s.offered), fmtCount(s.accepted), fmtCount(s.committed), s.blocks, s.blockTxs, s.fullRetries,
				fmtDur(s.p(0.5)), fmtDur(s.p(0.99)), fmtDur(percentile(s.rtt, 0.5)), fmtDur(percentile(s.lag, 0.99)), s.nodeCores(), fmtDur(s.nodeCPUPerTx()), fmtBytes(float64(s.peakRSS))))
		}
		b.note("%s, %s: a transaction counts as committed when the first node's application reports its block's height (/abci_info, polled every %v, so up to that much late; "+
			"this chain reports after its Commit, kvstore after FinalizeBlock); its block is then fetched and scanned (%v on average). Generator CPU during the best window: %.0f%% of one core; "+
			"%d of %d latency-window transactions not seen committed.",
			run.kind, validatorsLabel(run.validators), run.pollEvery, run.observer.Round(10*time.Microsecond),
			100*run.best.selfCPU.Seconds()/run.best.window.Seconds(), run.latency.unobserved, run.latency.unobserved+len(run.latency.latencies))
		if run.profile != "" {
			b.report.Profiles = append(b.report.Profiles, run.profile)
		}
	}
}

func (b *bench) receiptRows(rr *receiptResult) {
	setting := fmt.Sprintf("gate-check receipt, %s (%s, %d keys, %d ranges)", validatorsLabel(rr.validators), fmtBytes(float64(rr.bytes)), rr.keys, rr.ranges)
	for _, m := range []struct {
		name string
		s    opStats
	}{
		{"VerifyProofs only: p50 · p99", rr.proofOnly},
		{"VerifyProofs + OfflineQuery re-run: p50 · p99", rr.rerun},
		{"full receipt.Verify (parse, signatures, proofs, re-run): p50 · p99", rr.full},
	} {
		b.row(Row{Workload: "proofs", Setting: setting, Metric: m.name, Ours: fmtDur(m.s.p(0.5)) + " · " + fmtDur(m.s.p(0.99))})
	}
}

func (b *bench) gate(ctx context.Context) error {
	res, err := runGate(ctx, b.dir, b.sz.GateModels, b.sz.GateOps, b.logf)
	if err != nil {
		return err
	}
	for _, g := range res {
		setting := fmtCount(float64(g.models)) + " models"
		for _, m := range []struct {
			name string
			s    opStats
		}{
			{"plain check (the query)", g.plain},
			{"with receipts: build proofs", g.prove},
			{"with receipts: verify offline (VerifyProofs + OfflineQuery)", g.verify},
		} {
			b.row(Row{Workload: "gate", Setting: setting, Metric: m.name + ": ops/s · p50 · p99",
				Ours: fmt.Sprintf("%s/s · %s · %s", fmtCount(m.s.perSecond), fmtDur(m.s.p(0.5)), fmtDur(m.s.p(0.99)))})
		}
		b.row(Row{Workload: "gate", Setting: setting, Metric: "proofs per check: keys · encoded size",
			Ours: fmt.Sprintf("%.0f · %s", g.proofKeys, fmtBytes(g.proofBytes))})
		b.logf("gate: %d models: %d ALLOW / %d DENY among the checked requests", g.models, g.allow, g.deny)
	}
	b.note("Gate: state populated in-process through the application (blocks of signed transactions, FinalizeBlock + Commit on pebble), "+
		"in families of one training dataset and %d fine-tuned versions across 4 organisations; half under grant-required licences with no grant, so checks come out ALLOW and DENY. "+
		"Each check asks for the newest version of a random family (lineage of %d models and a dataset); %d workers (GOMAXPROCS).", gateVersions, gateVersions, runtime.GOMAXPROCS(0))
	return nil
}

func (b *bench) lineage(ctx context.Context) error {
	limits := []int{1000, 10_000}
	res, err := runLineage(ctx, b.dir, b.sz.LineageDepth, limits, b.sz.LineageReps, b.logf)
	if err != nil {
		return err
	}
	for _, w := range res {
		trunc := ""
		if w.truncated {
			trunc = ", truncated"
		}
		b.row(Row{Workload: "lineage", Setting: fmt.Sprintf("upstream, depth %d, fan-out %d (%s datasets), max_nodes %s", w.depth, lineageFanOut, fmtCount(float64(w.datasets)), fmtCount(float64(w.maxNodes))),
			Metric: "time per Lineage query p50 · p99; nodes visited",
			Ours:   fmt.Sprintf("%s · %s; %s nodes, %s edges%s", fmtDur(w.stats.p(0.5)), fmtDur(w.stats.p(0.99)), fmtCount(float64(w.visited)), fmtCount(float64(w.edges)), trunc)})
	}
	return nil
}

func (b *bench) growth(ctx context.Context) error {
	var res *growthResult
	if b.opts.GrowthInProcess {
		var err error
		if res, err = runGrowth(ctx, b.dir, b.sz.GrowthCheckpoints, b.sz.GrowthBlock, b.logf); err != nil {
			return err
		}
	} else {
		var cps []string
		for _, c := range b.sz.GrowthCheckpoints {
			cps = append(cps, strconv.Itoa(c))
		}
		cmd := exec.CommandContext(ctx, b.opts.Lineaged, "bench", "--growth-worker", b.dir,
			"--growth-checkpoints", strings.Join(cps, ","), "--growth-block", strconv.Itoa(b.sz.GrowthBlock))
		cmd.Stderr = b.opts.Log
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("growth worker: %w", err)
		}
		res = &growthResult{}
		if err := json.Unmarshal(out, res); err != nil {
			return fmt.Errorf("growth worker output: %w", err)
		}
	}
	for _, p := range res.Points {
		setting := fmtCount(float64(p.Records)) + " dataset records"
		b.row(Row{Workload: "state growth", Setting: setting, Metric: fmt.Sprintf("FinalizeBlock · Commit per %s-record block", fmtCount(float64(res.BlockRecords))),
			Ours: fmt.Sprintf("%.1f ms · %.1f ms", p.FinalizeMS, p.CommitMS)})
		b.row(Row{Workload: "state growth", Setting: setting, Metric: "disk per record · resident memory (process; Go heap)",
			Ours: fmt.Sprintf("%s · %s (%s)", fmtBytes(float64(p.DiskBytes)/float64(p.Records)), fmtBytes(float64(p.RSSBytes)), fmtBytes(float64(p.HeapBytes)))})
	}
	where := "in a worker process of its own"
	if b.opts.GrowthInProcess {
		where = "in the benchmark's own process"
	}
	b.note("State growth: dataset registrations (~%d B transactions) signed by 8 accounts and executed in blocks of %d through the application (FinalizeBlock + Commit), "+
		"%s, on pebble with fsync on commit and every version kept (a node's defaults); each block is signed before it is timed. "+
		"Resident memory is read after a full GC with free memory returned to the system (%s before the store opened); it includes the IAVL node caches (%s nodes for each of the two trees), the cache of encoded nodes (%d MiB, outside the Go heap) and pebble's block cache (%d MiB). Took %.0f s.",
		res.TxBytes, res.BlockRecords, where, fmtBytes(float64(res.BaseRSSBytes)), fmtCount(store.DefaultCacheSize), store.DefaultNodeBytesMiB, store.DefaultDBCacheMiB, res.Seconds)
	return nil
}

// GrowthWorker runs the state-growth workload in dir and writes its result
// as JSON to w: `lineaged bench` runs it in a process of its own, so that
// the resident memory it reports is the state's.
func GrowthWorker(ctx context.Context, dir string, checkpoints []int, perBlock int, w, log io.Writer) error {
	b := &bench{opts: Options{Log: log}}
	res, err := runGrowth(ctx, dir, checkpoints, perBlock, b.logf)
	if err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(res)
}
