package node

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/store"
)

// restUnrouted is the route label of a REST request answered before or
// without routing (see api.Config.ObserveRequest).
const restUnrouted = "unrouted"

// nodeMetrics are the node's own metrics. They sit beside the
// application's ([app.Metrics]) and CometBFT's on the registry CometBFT
// serves at instrumentation.prometheus_listen_addr, and carry the same
// chain_id label:
//
//	lineaged_receipt_seconds                   histogram  building a receipt (gRPC Receipts, REST ?prove=true and /v1/receipts)
//	lineaged_rest_requests_total{route, code}  counter    REST API requests answered
//	lineaged_db_write_stalls_total             counter    times the state database held writes back (flushes or compactions behind)
//	lineaged_db_write_stall_seconds_total      counter    time writes were held back in all
//	lineaged_db_node_cache_hits_total          counter    tree node reads answered by the node cache (state.node_cache_mib)
//	lineaged_db_node_cache_misses_total        counter    tree node reads it passed to the database
//	lineaged_db_node_cache_bytes               gauge      bytes of encoded nodes it holds
//
// receipt_seconds counts receipts built, not refusals (unknown path, a
// height not yet provable). For rest_requests_total, route is the HTTP
// method and path template of the route that answered ("GET /v1/gate/check",
// "GET /v1/models/{name=**}/versions/{version=*}"), or "unrouted" for a
// request refused by the middleware (rate limit, body size, malformed prove
// or height, CORS preflight) or matching no route; code is the HTTP status.
type nodeMetrics struct {
	receipt prometheus.Histogram
	rest    *prometheus.CounterVec
}

// dbCollector exports the state database's figures. The source is swapped,
// not the collector, when a node in the same process registers again (the
// registry keeps the first collector of a name).
type dbCollector struct {
	source                         atomic.Pointer[func() store.Stats]
	stalls, stallTime              *prometheus.Desc
	cacheHits, cacheMisses, cached *prometheus.Desc
}

func newDBCollector() *dbCollector {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(app.MetricsNamespace+"_db_"+name, help, nil, nil)
	}
	return &dbCollector{
		stalls:      desc("write_stalls_total", "Times the state database held writes back because its flushes or compactions fell behind."),
		stallTime:   desc("write_stall_seconds_total", "Time the state database held writes back, in all."),
		cacheHits:   desc("node_cache_hits_total", "Reads of tree nodes answered by the node cache."),
		cacheMisses: desc("node_cache_misses_total", "Reads of tree nodes the node cache passed to the database."),
		cached:      desc("node_cache_bytes", "Bytes of encoded tree nodes the node cache holds."),
	}
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.stalls, c.stallTime, c.cacheHits, c.cacheMisses, c.cached} {
		ch <- d
	}
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	src := c.source.Load()
	if src == nil {
		return
	}
	st := (*src)()
	ch <- prometheus.MustNewConstMetric(c.stalls, prometheus.CounterValue, float64(st.WriteStalls))
	ch <- prometheus.MustNewConstMetric(c.stallTime, prometheus.CounterValue, st.WriteStallTime.Seconds())
	ch <- prometheus.MustNewConstMetric(c.cacheHits, prometheus.CounterValue, float64(st.NodeCacheHits))
	ch <- prometheus.MustNewConstMetric(c.cacheMisses, prometheus.CounterValue, float64(st.NodeCacheMisses))
	ch <- prometheus.MustNewConstMetric(c.cached, prometheus.GaugeValue, float64(st.NodeCacheBytes))
}

func newNodeMetrics(reg prometheus.Registerer, stats func() store.Stats) (*nodeMetrics, error) {
	receipt := prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: app.MetricsNamespace, Name: "receipt_seconds",
		Help:    "Time to build a receipt: the proven query, the signed header and its commit.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
	})
	rest := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: app.MetricsNamespace, Name: "rest_requests_total",
		Help: "REST API requests answered, by route (method and path template, or unrouted) and HTTP status code.",
	}, []string{"route", "code"})
	m := &nodeMetrics{}
	var err error
	if m.receipt, err = app.RegisterCollector(reg, receipt); err != nil {
		return nil, err
	}
	if m.rest, err = app.RegisterCollector(reg, rest); err != nil {
		return nil, err
	}
	dc, err := app.RegisterCollector(reg, newDBCollector())
	if err != nil {
		return nil, err
	}
	dc.source.Store(&stats)
	if _, ok := HugePagesInUse(); ok {
		huge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: app.MetricsNamespace, Name: "process_huge_page_bytes",
			Help: "The process's anonymous memory backed by transparent huge pages (runtime.huge_pages).",
		}, func() float64 {
			n, _ := HugePagesInUse()
			return float64(n)
		})
		if _, err := app.RegisterCollector(reg, huge); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// enableMetrics registers the application's and the node's metrics with
// reg, labelled with the chain id as CometBFT labels its own, and turns
// them on. It runs before CometBFT is created, so that the blocks its
// handshake replays are counted like any other.
func (n *Node) enableMetrics(reg prometheus.Registerer) error {
	genesis, err := cmttypes.GenesisDocFromFile(n.cmtCfg.GenesisFile())
	if err != nil {
		return fmt.Errorf("failed to read the chain id for metrics: %w", err)
	}
	reg = prometheus.WrapRegistererWith(prometheus.Labels{"chain_id": genesis.ChainID}, reg)
	am, err := app.NewMetrics(reg)
	if err != nil {
		return err
	}
	nm, err := newNodeMetrics(reg, n.store.Stats)
	if err != nil {
		return err
	}
	n.app.SetMetrics(am)
	n.metrics = nm
	return nil
}

// receiptBuilt records a receipt built in elapsed.
func (m *nodeMetrics) receiptBuilt(elapsed time.Duration) {
	if m == nil {
		return
	}
	m.receipt.Observe(elapsed.Seconds())
}

// restObserver is the REST server's request observer; nil without metrics.
func (m *nodeMetrics) restObserver() func(route string, status int) {
	if m == nil {
		return nil
	}
	return func(route string, status int) {
		if route == "" {
			route = restUnrouted
		}
		m.rest.WithLabelValues(route, strconv.Itoa(status)).Inc()
	}
}
