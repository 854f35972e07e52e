package node

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// startMeteredNode runs a test node (as startTestNode) with CometBFT's
// Prometheus endpoint on, and returns the endpoint's URL. CometBFT registers
// its metrics with the default registry once per node, so the test gets a
// fresh default registry (and gatherer) for the node's life.
func startMeteredNode(t *testing.T) (*Node, *keys.PrivateKey, string) {
	t.Helper()
	reg := prometheus.NewRegistry()
	oldReg, oldGatherer := prometheus.DefaultRegisterer, prometheus.DefaultGatherer
	prometheus.DefaultRegisterer, prometheus.DefaultGatherer = reg, reg
	// Cleanups run last first: this one after the node has stopped.
	t.Cleanup(func() { prometheus.DefaultRegisterer, prometheus.DefaultGatherer = oldReg, oldGatherer })

	home := t.TempDir()
	admin, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
	if _, err := Init(InitOptions{Home: home, ChainID: "node-test", OrgID: "alpha", OrgName: "Alpha", Admin: admin.Public(), Dev: true}); err != nil {
		t.Fatal(err)
	}
	cmt, err := LoadCometConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	cmt.RPC.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t))
	cmt.P2P.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t))
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmt.Instrumentation.Prometheus = true
	cmt.Instrumentation.PrometheusListenAddr = metricsAddr
	cfg, err := LoadConfig(home, NewViper())
	if err != nil {
		t.Fatal(err)
	}
	cfg.API.GRPCAddress = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg.API.RESTAddress = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	logger, _ := NewLogger(io.Discard, cfg.Log)
	n, err := New(home, cmt, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Stop(); err != nil {
			t.Error(err)
		}
	})
	return n, admin, "http://" + metricsAddr + "/metrics"
}

// TestMetricsEndpoint: with Prometheus on, CometBFT's /metrics lists the
// application's and the node's metrics beside its own, with the chain id,
// and they move with a transaction, a REST request and a receipt.
func TestMetricsEndpoint(t *testing.T) {
	n, admin, metricsURL := startMeteredNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := client.Dial(n.RPCAddress())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	newKey, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_P256)
	raw, err := c.Build(ctx, keySigner{admin}, &membershippb.MsgAddAccount{PublicKey: newKey.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}}, client.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.Submit(ctx, raw); err != nil || !res.OK() {
		t.Fatalf("tx: %+v %v", res, err)
	}
	rest := "http://" + n.RESTAddress()
	for _, path := range []string{"/v1/params", "/v1/membership/orgs/alpha?prove=true", "/v1/no-such-route"} {
		resp, err := http.Get(rest + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("GET %s = %d %s", path, resp.StatusCode, body)
		}
	}

	want := []string{
		// Ours, on CometBFT's endpoint, with its chain_id label.
		`lineaged_txs_total{chain_id="node-test",msg="membership.add_account",result="ok"} 1`,
		`lineaged_checktx_total{chain_id="node-test",msg="membership.add_account",result="ok"} 1`,
		`lineaged_block_txs_count{chain_id="node-test"}`,
		`lineaged_block_execution_seconds_bucket{chain_id="node-test"`,
		`lineaged_commit_seconds_count{chain_id="node-test"}`,
		`lineaged_queries_total{chain_id="node-test",path="/lineage.app.v1.Query/Params",result="ok"} 1`,
		`lineaged_query_seconds_count{chain_id="node-test",path="/lineage.membership.v1.Query/Org"}`,
		`lineaged_proof_seconds_count{chain_id="node-test"}`,
		`lineaged_gate_checks_total{chain_id="node-test",verdict="ALLOW"} 0`,
		`lineaged_receipt_seconds_count{chain_id="node-test"} 1`,
		`lineaged_rest_requests_total{chain_id="node-test",code="200",route="GET /v1/params"} 1`,
		`lineaged_rest_requests_total{chain_id="node-test",code="200",route="GET /v1/membership/orgs/{org_id=*}"} 1`,
		`lineaged_rest_requests_total{chain_id="node-test",code="404",route="unrouted"} 1`,
		`lineaged_db_write_stalls_total{chain_id="node-test"} `,
		`lineaged_db_write_stall_seconds_total{chain_id="node-test"} `,
		`lineaged_db_node_cache_hits_total{chain_id="node-test"} `,
		`lineaged_db_node_cache_misses_total{chain_id="node-test"} `,
		`lineaged_db_node_cache_bytes{chain_id="node-test"} `,
		// CometBFT's own.
		`cometbft_consensus_height{chain_id="node-test"}`,
	}
	if _, ok := HugePagesInUse(); ok {
		want = append(want, `lineaged_process_huge_page_bytes{chain_id="node-test"} `)
	}
	// The REST observer runs once a response is sent: allow it a moment.
	var text string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		text = scrape(t, metricsURL)
		missing := 0
		for _, w := range want {
			if !strings.Contains(text, w) {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			break
		}
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("/metrics lacks %s", w)
		}
	}
	var ours []string
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, "lineaged_") && !strings.Contains(line, "_bucket") {
			ours = append(ours, line)
		}
	}
	t.Logf("lineaged series:\n%s", strings.Join(ours, ""))
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}
