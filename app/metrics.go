package app

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/modules"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
)

// MetricsNamespace prefixes every metric of the application and the node,
// as CometBFT's own carry its instrumentation namespace ("cometbft").
const MetricsNamespace = "lineaged"

// Label values shared by several metrics.
const (
	// resultOK is the result label of a success; a failure's is
	// "<codespace>_<code>", e.g. "tx_9" or "licenses_5".
	resultOK = "ok"
	// labelUnknown stands for a message or query path the application does
	// not know, so that arbitrary input never becomes a label value.
	labelUnknown = "unknown"
	// verdictError is the gate_checks verdict of a check that failed.
	verdictError = "error"
)

// Metrics are the application's Prometheus metrics. They observe and never
// decide: nothing read from them reaches the state, and the wall-clock time
// they measure is taken around, never inside, what the state depends on.
//
// A nil *Metrics is valid and records nothing: that is what an App has
// until [App.SetMetrics], and what tests and offline verification
// (modules.Table.Answer) run with.
//
// # Metrics
//
// Every name carries the namespace [MetricsNamespace]; a node adds the
// label chain_id, as CometBFT does to its own.
//
//	lineaged_txs_total{msg, result}        counter    transactions in finalized blocks
//	lineaged_checktx_total{msg, result}    counter    transactions checked for the mempool (first checks only)
//	lineaged_block_txs                     histogram  transactions per finalized block
//	lineaged_block_execution_seconds       histogram  executing a finalized block and writing it to the working tree
//	lineaged_commit_seconds                histogram  persisting a block's state at Commit
//	lineaged_queries_total{path, result}   counter    queries answered (ABCI, gRPC, REST, receipts)
//	lineaged_query_seconds{path}           histogram  answering a query, proofs included
//	lineaged_gate_checks_total{verdict}    counter    deployment gate checks: ALLOW, DENY or error
//	lineaged_proof_seconds                 histogram  proving the reads of a query asked with prove
//
// # Labels
//
//   - msg: the message's route, as in the "tx" event ("membership.add_account",
//     "models.register_model", ...), "preamble" for a block's preamble (in
//     txs_total only), or "unknown" for a transaction that did not decode or
//     carries no known message.
//   - result: "ok", or "<codespace>_<code>" of the error ("tx_9": sequence
//     reused; "licenses_5": licence expired), the same pair the
//     transaction's or query's result carries.
//   - path: the query's full gRPC method name
//     ("/lineage.gate.v1.Query/Check"), or "unknown" for a path the
//     application does not serve.
//   - verdict: "ALLOW" or "DENY" for a check answered, "error" for a check
//     refused with an error.
//
// Every label value comes from a finite set fixed by the software: route
// names, query paths and error tables. Series for the successes of every
// route and path, and for each gate verdict, exist from the start, at zero.
//
// # When they count
//
// txs_total counts each transaction of a block once, when FinalizeBlock
// writes the block (not when a proposal is prepared or processed), whether
// ProcessProposal executed it or FinalizeBlock did. block_execution_seconds
// is the time of that execution, wherever it ran, plus the write into the
// working tree. checktx_total counts new transactions only: a recheck after
// each commit would count one transaction once per block it waits.
// Queries count once each, whichever API asked: the REST API and receipts go
// through ABCI queries, the gRPC API through its own handlers; offline
// verification (modules.Table.Answer) counts nothing.
type Metrics struct {
	txs        *resultCounters
	checkTxs   *resultCounters
	queries    *resultCounters
	blockTxs   prometheus.Histogram
	blockExec  prometheus.Histogram
	commit     prometheus.Histogram
	proof      prometheus.Histogram
	querySecs  map[string]prometheus.Observer // by query path, with labelUnknown
	gate       *prometheus.CounterVec
	allow      prometheus.Counter
	deny       prometheus.Counter
	gateErrors prometheus.Counter
}

// latencyBuckets span 0.5 ms to about 8 s, doubling.
var latencyBuckets = prometheus.ExponentialBuckets(0.0005, 2, 15)

// NewMetrics builds the application's metrics and registers them with reg.
// A collector reg already holds under the same name and labels (from an
// earlier NewMetrics on the same registry) is reused rather than refused,
// so that apps in one process can share a registry.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	var errs []error
	counters := func(name, help string, labels ...string) *prometheus.CounterVec {
		c, err := RegisterCollector(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: MetricsNamespace, Name: name, Help: help,
		}, labels))
		errs = append(errs, err)
		return c
	}
	histogram := func(name, help string, buckets []float64) prometheus.Histogram {
		h, err := RegisterCollector(reg, prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: MetricsNamespace, Name: name, Help: help, Buckets: buckets,
		}))
		errs = append(errs, err)
		return h
	}
	txs := counters("txs_total", "Transactions in finalized blocks, by message route and result (ok or <codespace>_<code>).", "msg", "result")
	checkTxs := counters("checktx_total", "Transactions checked for the mempool, rechecks excluded, by message route and result (ok or <codespace>_<code>).", "msg", "result")
	queries := counters("queries_total", "Queries answered, by path and result (ok or <codespace>_<code>).", "path", "result")
	gate := counters("gate_checks_total", "Deployment gate checks, by verdict: ALLOW, DENY, or error for a check refused.", "verdict")
	querySecs, err := RegisterCollector(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: MetricsNamespace, Name: "query_seconds", Help: "Time to answer a query, proofs included, by path.", Buckets: latencyBuckets,
	}, []string{"path"}))
	errs = append(errs, err)
	m := &Metrics{
		blockTxs:  histogram("block_txs", "Transactions per finalized block.", []float64{0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000}),
		blockExec: histogram("block_execution_seconds", "Time to execute a finalized block's transactions (in ProcessProposal or FinalizeBlock) and write them to the working tree.", latencyBuckets),
		commit:    histogram("commit_seconds", "Time to persist a block's state at Commit.", latencyBuckets),
		proof:     histogram("proof_seconds", "Time to prove the reads of a query asked with prove.", latencyBuckets),
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	// Pre-resolve every series a success can reach, so that the hot paths
	// only look them up.
	t := modules.Default()
	routes := append(routeNames(t), labelUnknown)
	paths := append(t.QueryPaths(), SimulatePath, StateKeyPath, labelUnknown)
	// A block's entries are transactions and its preamble; the mempool
	// sees transactions only.
	m.txs = newResultCounters(txs, append(routes, labelPreamble))
	m.checkTxs = newResultCounters(checkTxs, routes)
	m.queries = newResultCounters(queries, paths)
	m.querySecs = make(map[string]prometheus.Observer, len(paths))
	for _, p := range paths {
		m.querySecs[p] = querySecs.WithLabelValues(p)
	}
	m.gate = gate
	m.allow = gate.WithLabelValues(verdictLabel(gatepb.Verdict_VERDICT_ALLOW))
	m.deny = gate.WithLabelValues(verdictLabel(gatepb.Verdict_VERDICT_DENY))
	m.gateErrors = gate.WithLabelValues(verdictError)
	return m, nil
}

// RegisterCollector registers c with reg, or returns the equal collector
// reg already holds (a second node in the same process); the node's own
// metrics use it too.
func RegisterCollector[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("failed to register a lineaged metric: %w", err)
}

// routeNames lists the route of every message a transaction body can
// carry.
func routeNames(t *modules.Table) []string {
	var out []string
	for _, r := range t.Routes() {
		out = append(out, r.Name)
	}
	return out
}

// resultCounters is a counter vector labelled by a name (route or path) and
// a result, with the series resolved once: successes up front, failures on
// first sight, so that counting takes a map lookup and no allocation.
type resultCounters struct {
	vec *prometheus.CounterVec
	ok  map[string]prometheus.Counter // read-only: also the set of known names

	mu     sync.Mutex
	failed map[failureKey]prometheus.Counter
}

type failureKey struct {
	name      string
	codespace string
	code      uint32
}

func newResultCounters(vec *prometheus.CounterVec, names []string) *resultCounters {
	c := &resultCounters{vec: vec, ok: make(map[string]prometheus.Counter, len(names)), failed: map[failureKey]prometheus.Counter{}}
	for _, n := range names {
		c.ok[n] = vec.WithLabelValues(n, resultOK)
	}
	return c
}

// inc counts one result of name; code 0 is a success. A name not known
// from the start counts as labelUnknown.
func (c *resultCounters) inc(name, codespace string, code uint32) {
	okCounter, known := c.ok[name]
	if !known {
		name, okCounter = labelUnknown, c.ok[labelUnknown]
	}
	if code == 0 {
		okCounter.Inc()
		return
	}
	k := failureKey{name, codespace, code}
	c.mu.Lock()
	ctr, seen := c.failed[k]
	if !seen {
		ctr = c.vec.WithLabelValues(name, codespace+"_"+strconv.FormatUint(uint64(code), 10))
		c.failed[k] = ctr
	}
	c.mu.Unlock()
	ctr.Inc()
}

// SetMetrics makes the application record into m from now on; nil stops
// recording. It is safe to call at any time.
func (a *App) SetMetrics(m *Metrics) { a.metrics.Store(m) }

// checked counts a CheckTx of a new transaction.
func (m *Metrics) checked(typ abci.CheckTxType, msg string, res *abci.ExecTxResult) {
	if m == nil || typ == abci.CHECK_TX_TYPE_RECHECK {
		return
	}
	m.checkTxs.inc(msg, res.Codespace, res.Code)
}

// finalized records a block FinalizeBlock wrote into the working tree in
// apply, after executing it in eb.elapsed.
func (m *Metrics) finalized(eb *executedBlock, apply time.Duration) {
	if m == nil {
		return
	}
	for i, res := range eb.results {
		m.txs.inc(eb.msgs[i], res.Codespace, res.Code)
	}
	m.blockTxs.Observe(float64(len(eb.results)))
	m.blockExec.Observe((eb.elapsed + apply).Seconds())
}

// committed records the time Commit took to persist a block.
func (m *Metrics) committed(elapsed time.Duration) {
	if m == nil {
		return
	}
	m.commit.Observe(elapsed.Seconds())
}

// proved records the time a query's reads took to prove.
func (m *Metrics) proved(elapsed time.Duration) {
	if m == nil {
		return
	}
	m.proof.Observe(elapsed.Seconds())
}

// queryAnswered records a query, from any API, answered with resp or
// failed with err.
func (m *Metrics) queryAnswered(path string, resp proto.Message, err error, elapsed time.Duration) {
	if m == nil {
		return
	}
	cs, code := resultCode(err)
	m.queryDone(path, cs, code, elapsed)
	if path == gatepb.Query_Check_FullMethodName {
		r, _ := resp.(*gatepb.CheckResponse)
		m.gateChecked(code, r)
	}
}

func (m *Metrics) queryDone(path, codespace string, code uint32, elapsed time.Duration) {
	m.queries.inc(path, codespace, code)
	obs, ok := m.querySecs[path]
	if !ok {
		obs = m.querySecs[labelUnknown]
	}
	obs.Observe(elapsed.Seconds())
}

// gateChecked counts a gate check that ended with code; only a check that
// succeeded has a verdict.
func (m *Metrics) gateChecked(code uint32, resp *gatepb.CheckResponse) {
	if code != 0 {
		m.gateErrors.Inc()
		return
	}
	switch v := resp.GetVerdict(); v {
	case gatepb.Verdict_VERDICT_ALLOW:
		m.allow.Inc()
	case gatepb.Verdict_VERDICT_DENY:
		m.deny.Inc()
	default:
		// No answered check lacks a verdict; should one, it shows.
		m.gate.WithLabelValues(verdictLabel(v)).Inc()
	}
}

// verdictLabel is the verdict's name without its enum prefix: "ALLOW".
func verdictLabel(v gatepb.Verdict) string {
	return strings.TrimPrefix(v.String(), "VERDICT_")
}
