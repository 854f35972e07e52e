package node

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lineageledger/lineaged/app"
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

// stallCollector exports the state database's write stalls. The source is
// swapped, not the collector, when a node in the same process registers
// again (the registry keeps the first collector of a name).
type stallCollector struct {
	source       atomic.Pointer[func() (int64, time.Duration)]
	count, total *prometheus.Desc
}

func newStallCollector() *stallCollector {
	return &stallCollector{
		count: prometheus.NewDesc(app.MetricsNamespace+"_db_write_stalls_total",
			"Times the state database held writes back because its flushes or compactions fell behind.", nil, nil),
		total: prometheus.NewDesc(app.MetricsNamespace+"_db_write_stall_seconds_total",
			"Time the state database held writes back, in all.", nil, nil),
	}
}

func (c *stallCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.count; ch <- c.total }

func (c *stallCollector) Collect(ch chan<- prometheus.Metric) {
	src := c.source.Load()
	if src == nil {
		return
	}
	n, total := (*src)()
	ch <- prometheus.MustNewConstMetric(c.count, prometheus.CounterValue, float64(n))
	ch <- prometheus.MustNewConstMetric(c.total, prometheus.CounterValue, total.Seconds())
}

func newNodeMetrics(reg prometheus.Registerer, stalls func() (int64, time.Duration)) (*nodeMetrics, error) {
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
	sc, err := app.RegisterCollector(reg, newStallCollector())
	if err != nil {
		return nil, err
	}
	sc.source.Store(&stalls)
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
	nm, err := newNodeMetrics(reg, n.store.WriteStalls)
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
