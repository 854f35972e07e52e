package app

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lineageledger/lineaged/app/modules"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/txv1"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	"github.com/lineageledger/lineaged/x/models"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// meteredChain is the test chain recording into a fresh registry.
func meteredChain(t *testing.T) (*chain, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	c := newChain(t)
	c.app.SetMetrics(m)
	return c, reg
}

// series finds the series of name with exactly the given label pairs;
// nil if there is none.
func series(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) *dto.Metric {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.Metric {
			if len(m.Label) != len(labels)/2 {
				continue
			}
			for i, l := range m.Label {
				if l.GetName() != labels[2*i] || l.GetValue() != labels[2*i+1] {
					continue metrics
				}
			}
			return m
		}
	}
	return nil
}

// counter is the value of a counter series, 0 if it does not exist.
func counter(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	return series(t, reg, name, labels...).GetCounter().GetValue()
}

// observations is the number of observations of a histogram series.
func observations(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) uint64 {
	t.Helper()
	return series(t, reg, name, labels...).GetHistogram().GetSampleCount()
}

func resultLabel(r *abci.ExecTxResult) string {
	if r.Code == 0 {
		return "ok"
	}
	return fmt.Sprintf("%s_%d", r.Codespace, r.Code)
}

// TestMetricsSeriesFromStart: every route and query path has its success
// series at zero before anything happens, and nothing else exists yet.
func TestMetricsSeriesFromStart(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	routes := (&txv1.TxBody{}).ProtoReflect().Descriptor().Oneofs().ByName("msg").Fields().Len()
	paths := len(modules.Default().QueryPaths()) + 2 // and SimulatePath, StateKeyPath
	for _, tc := range []struct {
		name string
		want int
	}{
		{"lineaged_txs_total", routes + 2}, // and the preamble
		{"lineaged_checktx_total", routes + 1},
		{"lineaged_queries_total", paths + 1},
		{"lineaged_query_seconds", paths + 1},
		{"lineaged_gate_checks_total", 3},
	} {
		if got := testutil.CollectAndCount(reg, tc.name); got != tc.want {
			t.Errorf("%s has %d series, want %d", tc.name, got, tc.want)
		}
	}
	if got := counter(t, reg, "lineaged_txs_total", "msg", "membership.add_account", "result", "ok"); got != 0 {
		t.Errorf("fresh counter at %v", got)
	}
	if series(t, reg, "lineaged_txs_total", "msg", "membership.add_account", "result", "ok") == nil ||
		series(t, reg, "lineaged_queries_total", "path", gatepb.Query_Check_FullMethodName, "result", "ok") == nil ||
		series(t, reg, "lineaged_queries_total", "path", SimulatePath, "result", "ok") == nil ||
		series(t, reg, "lineaged_queries_total", "path", StateKeyPath, "result", "ok") == nil ||
		series(t, reg, "lineaged_gate_checks_total", "verdict", "DENY") == nil {
		t.Error("a success series is missing")
	}
	// Histograms without labels exist from the start.
	for _, name := range []string{"lineaged_block_txs", "lineaged_block_execution_seconds", "lineaged_commit_seconds", "lineaged_proof_seconds"} {
		if got := testutil.CollectAndCount(reg, name); got != 1 {
			t.Errorf("%s has %d series, want 1", name, got)
		}
	}
}

// TestRouteNames: every message of the body has its own route name, none
// of them the label for unknown messages.
func TestRouteNames(t *testing.T) {
	names := routeNames(modules.Default())
	fields := (&txv1.TxBody{}).ProtoReflect().Descriptor().Oneofs().ByName("msg").Fields().Len()
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != fields || len(names) != fields {
		t.Fatalf("%d route names for %d messages: %q", len(names), fields, names)
	}
	if slices.Contains(names, labelUnknown) || !slices.Contains(names, "membership.add_account") {
		t.Fatalf("route names %q", names)
	}
}

// TestMetricsTransactions: finalized transactions count once each, by
// route and result, however the block reached FinalizeBlock; mempool checks
// count apart, rechecks not at all; proposals count nothing.
func TestMetricsTransactions(t *testing.T) {
	c, reg := meteredChain(t)
	txs := func(msg, result string) float64 {
		return counter(t, reg, "lineaged_txs_total", "msg", msg, "result", result)
	}
	checks := func(msg, result string) float64 {
		return counter(t, reg, "lineaged_checktx_total", "msg", msg, "result", result)
	}
	c.mustBlock()

	clerk := testKey(t, "clerk", keysv1.KeyType_KEY_TYPE_ED25519)
	add := c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: clerk.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}})
	// The same key again: admitted, but the handler refuses it.
	again := c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: clerk.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}})

	// Mempool: admitted, replayed (sequence reused), undecodable, and a
	// recheck, which does not count.
	if res := c.checkTx(add); res.Code != 0 {
		t.Fatalf("CheckTx: %s", res.Log)
	}
	if res := c.checkTx(add); res.Codespace != modules.Codespace || res.Code != modules.ErrSequenceReused.Code {
		t.Fatalf("replayed CheckTx = %s/%d", res.Codespace, res.Code)
	}
	if res := c.checkTx([]byte("not a transaction")); res.Code != modules.ErrMalformedTx.Code {
		t.Fatalf("garbage CheckTx = %s/%d", res.Codespace, res.Code)
	}
	c.recheck(again)
	if checks("membership.add_account", "ok") != 1 || checks("membership.add_account", "tx_9") != 1 || checks(labelUnknown, "tx_1") != 1 {
		t.Fatalf("checktx: ok %v, reused %v, malformed %v",
			checks("membership.add_account", "ok"), checks("membership.add_account", "tx_9"), checks(labelUnknown, "tx_1"))
	}
	if got := testutil.CollectAndCount(reg, "lineaged_checktx_total"); got != len(routeNames(modules.Default()))+1+2 {
		t.Errorf("checktx has %d series: a recheck or a proposal created one", got)
	}

	// A proposal processed but not decided counts nothing.
	if st := c.processProposal(add); st != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("proposal %v", st)
	}
	if txs("membership.add_account", "ok") != 0 {
		t.Fatal("ProcessProposal counted a transaction")
	}

	// A validator's block: ProcessProposal, then FinalizeBlock reusing it.
	res, _ := c.block(add, again)
	if res[0].Code != 0 || res[1].Code == 0 {
		t.Fatalf("results %s / %s", res[0].Log, res[1].Log)
	}
	failed := resultLabel(res[1])
	if !strings.HasPrefix(failed, "membership_") {
		t.Fatalf("handler failure %q, want a membership code", failed)
	}
	// A full node's block, executed in FinalizeBlock, with a transaction
	// that does not decode.
	res, _ = c.fullNodeBlock([]byte{0xff, 0x01})
	if resultLabel(res[0]) != "tx_1" {
		t.Fatalf("garbage in a block: %s", resultLabel(res[0]))
	}
	for _, tc := range []struct {
		msg, result string
		want        float64
	}{
		{"membership.add_account", "ok", 1},
		{"membership.add_account", failed, 1},
		{labelUnknown, "tx_1", 1},
		{"membership.create_org", "ok", 0},
	} {
		if got := txs(tc.msg, tc.result); got != tc.want {
			t.Errorf("txs_total{msg=%q,result=%q} = %v, want %v", tc.msg, tc.result, got, tc.want)
		}
	}
	// Blocks: the empty one, the validator's and the full node's.
	blockTxs := series(t, reg, "lineaged_block_txs").GetHistogram()
	if blockTxs.GetSampleCount() != 3 || blockTxs.GetSampleSum() != 3 {
		t.Errorf("block_txs: %d blocks, %v txs; want 3 and 3", blockTxs.GetSampleCount(), blockTxs.GetSampleSum())
	}
	for _, name := range []string{"lineaged_block_execution_seconds", "lineaged_commit_seconds"} {
		if got := observations(t, reg, name); got != 3 {
			t.Errorf("%s observed %d times, want 3", name, got)
		}
	}
	// Checks did not move with the blocks.
	if checks("membership.add_account", "ok") != 1 {
		t.Error("a block counted as a mempool check")
	}
}

// TestMetricsQueries: every query counts once by path and result, with its
// latency; unknown paths are one label; proofs are timed.
func TestMetricsQueries(t *testing.T) {
	c, reg := meteredChain(t)
	c.mustBlock()
	queries := func(path, result string) float64 {
		return counter(t, reg, "lineaged_queries_total", "path", path, "result", result)
	}
	account := membershippb.Query_Account_FullMethodName
	if c.account(c.admin.addr()) == nil {
		t.Fatal("no admin account")
	}
	if err := c.query(account, &membershippb.QueryAccountRequest{Address: "nobody"}, &membershippb.QueryAccountResponse{}); err == nil {
		t.Fatal("a bad address was answered")
	}
	res := c.rawQuery("/no.such.Service/Method", nil, 0)
	if res.Code != modules.ErrUnknownQuery.Code {
		t.Fatalf("unknown path: %s/%d", res.Codespace, res.Code)
	}
	c.rawQuery("/another/made-up/path", nil, 0)
	req := marshal(t, &membershippb.QueryAccountRequest{Address: c.admin.addr()})
	proven, err := c.app.Query(context.Background(), &abci.QueryRequest{Path: account, Data: req, Prove: true})
	if err != nil || proven.Code != 0 || proven.ProofOps == nil {
		t.Fatalf("proven query: %v %v", proven, err)
	}
	if _, bundle, _, err := c.app.ProveQuery(context.Background(), account, req, 0); err != nil || bundle == nil {
		t.Fatalf("ProveQuery: %v", err)
	}

	badAddress := fmt.Sprintf("membership_%d", 15)
	for _, tc := range []struct {
		path, result string
		want         float64
	}{
		{account, "ok", 3},
		{account, badAddress, 1},
		{labelUnknown, "tx_15", 2},
		{membershippb.Query_Org_FullMethodName, "ok", 0},
	} {
		if got := queries(tc.path, tc.result); got != tc.want {
			t.Errorf("queries_total{path=%q,result=%q} = %v, want %v", tc.path, tc.result, got, tc.want)
		}
	}
	if got := observations(t, reg, "lineaged_query_seconds", "path", account); got != 4 {
		t.Errorf("query_seconds{path=Account} observed %d times, want 4", got)
	}
	if got := observations(t, reg, "lineaged_query_seconds", "path", labelUnknown); got != 2 {
		t.Errorf("query_seconds{path=unknown} observed %d times, want 2", got)
	}
	if got := observations(t, reg, "lineaged_proof_seconds"); got != 2 {
		t.Errorf("proof_seconds observed %d times, want 2", got)
	}
	if strings.Contains(gatherText(t, reg), "made-up") {
		t.Error("a client's path became a label value")
	}
}

// gatherText is the registry's exposition, for searching.
func gatherText(t *testing.T, reg prometheus.Gatherer) string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range families {
		b.WriteString(f.String())
	}
	return b.String()
}

// gateFixture registers a licence, a dataset and a signed model under it:
// commercial use is allowed, redistribution is not.
func gateFixture(t *testing.T, c *chain) {
	t.Helper()
	c.mustBlock()
	d := "sha256:" + strings.Repeat("11", 32)
	manifest := "sha256:" + strings.Repeat("55", 32)
	sig, err := c.admin.key.Sign(models.ManifestSignBytes(manifest))
	if err != nil {
		t.Fatal(err)
	}
	c.mustBlock(c.tx(c.admin, &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{Id: "cc-by-4.0", SpdxId: "CC-BY-4.0",
		Usage: &licensespb.Usage{CommercialUse: true, Derivatives: true, AiTraining: true, AttributionRequired: true}}}))
	c.mustBlock(c.tx(c.admin, &lineagepb.MsgRegisterDataset{Dataset: &lineagepb.DatasetSpec{Digest: d, Namespace: "c", Name: "raw", Version: "1", LicenseIds: []string{"cc-by-4.0"}}}))
	c.mustBlock(c.tx(c.admin, &modelspb.MsgRegisterModel{Model: &modelspb.ModelSpec{Name: "alpha/bot", Version: "1.0", ManifestDigest: manifest,
		TrainingDatasets: []string{d}, LicenseIds: []string{"cc-by-4.0"}}, PublisherSignature: sig}))
}

// TestMetricsGateChecks: gate checks count by verdict, whichever way they
// were asked (ABCI, with proof, ProveQuery, gRPC); failed checks as error.
func TestMetricsGateChecks(t *testing.T) {
	c, reg := meteredChain(t)
	gateFixture(t, c)
	verdicts := func() [3]float64 {
		var out [3]float64
		for i, v := range []string{"ALLOW", "DENY", verdictError} {
			out[i] = counter(t, reg, "lineaged_gate_checks_total", "verdict", v)
		}
		return out
	}
	check := gatepb.Query_Check_FullMethodName
	commercial := &gatepb.CheckRequest{Model: "alpha/bot@1.0", Org: "alpha", Uses: []gatepb.Use{gatepb.Use_USE_COMMERCIAL}}
	redistribute := &gatepb.CheckRequest{Model: "alpha/bot@1.0", Org: "alpha", Uses: []gatepb.Use{gatepb.Use_USE_REDISTRIBUTION}}
	noUses := &gatepb.CheckRequest{Model: "alpha/bot@1.0", Org: "alpha"}

	var resp gatepb.CheckResponse
	if err := c.query(check, commercial, &resp); err != nil || resp.Verdict != gatepb.Verdict_VERDICT_ALLOW {
		t.Fatalf("commercial: %v %v", resp.Verdict, err)
	}
	if err := c.query(check, redistribute, &resp); err != nil || resp.Verdict != gatepb.Verdict_VERDICT_DENY {
		t.Fatalf("redistribution: %v %v", resp.Verdict, err)
	}
	if err := c.query(check, noUses, &resp); err == nil {
		t.Fatal("a check without uses was answered")
	}
	if got := verdicts(); got != [3]float64{1, 1, 1} {
		t.Fatalf("after ABCI checks: ALLOW, DENY, error = %v", got)
	}

	proven, err := c.app.Query(context.Background(), &abci.QueryRequest{Path: check, Data: marshal(t, redistribute), Prove: true})
	if err != nil || proven.Code != 0 {
		t.Fatalf("proven check: %v %v", proven, err)
	}
	if _, _, _, err := c.app.ProveQuery(context.Background(), check, marshal(t, commercial), 0); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.app.ProveQuery(context.Background(), check, marshal(t, noUses), 0); err == nil {
		t.Fatal("ProveQuery answered a check without uses")
	}
	if got := verdicts(); got != [3]float64{2, 2, 2} {
		t.Fatalf("after proven checks: ALLOW, DENY, error = %v", got)
	}

	client := gatepb.NewQueryClient(grpcConn(t, c.app))
	ctx := context.Background()
	if r, err := client.Check(ctx, commercial); err != nil || r.Verdict != gatepb.Verdict_VERDICT_ALLOW {
		t.Fatalf("gRPC check: %v %v", r, err)
	}
	if _, err := client.Check(ctx, noUses); err == nil {
		t.Fatal("gRPC answered a check without uses")
	}
	if got := verdicts(); got != [3]float64{3, 2, 3} {
		t.Fatalf("after gRPC checks: ALLOW, DENY, error = %v", got)
	}
	if got := counter(t, reg, "lineaged_queries_total", "path", check, "result", "ok"); got != 5 {
		t.Errorf("gate checks answered = %v, want 5", got)
	}
	if got := observations(t, reg, "lineaged_query_seconds", "path", check); got != 8 {
		t.Errorf("gate checks timed %d times, want 8", got)
	}
}

// grpcConn serves a's gRPC query API in memory and dials it.
func grpcConn(t *testing.T, a *App) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	a.RegisterGRPC(srv)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///app",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// TestNilMetrics: an App without metrics, or whose metrics were switched
// off, runs as before and records nothing; a nil *Metrics takes every call.
func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.checked(abci.CHECK_TX_TYPE_CHECK, "membership.add_account", &abci.ExecTxResult{})
	m.finalized(&executedBlock{results: []*abci.ExecTxResult{{}}, msgs: []string{"x"}}, time.Second)
	m.committed(time.Second)
	m.proved(time.Second)
	m.queryAnswered(gatepb.Query_Check_FullMethodName, &gatepb.CheckResponse{}, nil, time.Second)

	c, reg := meteredChain(t)
	c.app.SetMetrics(nil)
	gateFixture(t, c)
	var resp gatepb.CheckResponse
	if err := c.query(gatepb.Query_Check_FullMethodName, &gatepb.CheckRequest{Model: "alpha/bot@1.0", Org: "alpha", Uses: []gatepb.Use{gatepb.Use_USE_COMMERCIAL}}, &resp); err != nil {
		t.Fatal(err)
	}
	if c.checkTx(c.tx(c.admin, &membershippb.MsgSetRoles{Address: c.admin.addr(), Roles: allRoles()})).Code != 0 {
		t.Fatal("CheckTx failed")
	}
	if strings.Contains(gatherText(t, reg), "value:1") || observations(t, reg, "lineaged_block_txs") != 0 {
		t.Fatalf("metrics switched off recorded:\n%s", gatherText(t, reg))
	}
}

// TestNewMetricsRegistration: a second NewMetrics on the same registry
// shares the first one's collectors, also through a labelling wrapper; a
// clashing collector is an error.
func TestNewMetricsRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	wrapped := prometheus.WrapRegistererWith(prometheus.Labels{"chain_id": "c1"}, reg)
	first, err := NewMetrics(wrapped)
	if err != nil {
		t.Fatal(err)
	}
	second, err := NewMetrics(wrapped)
	if err != nil {
		t.Fatalf("second NewMetrics: %v", err)
	}
	first.committed(time.Millisecond)
	second.committed(time.Millisecond)
	first.checked(abci.CHECK_TX_TYPE_CHECK, "membership.add_account", &abci.ExecTxResult{Codespace: "tx", Code: 9})
	second.checked(abci.CHECK_TX_TYPE_CHECK, "membership.add_account", &abci.ExecTxResult{Codespace: "tx", Code: 9})
	if got := observations(t, reg, "lineaged_commit_seconds", "chain_id", "c1"); got != 2 {
		t.Errorf("shared histogram observed %d times, want 2", got)
	}
	if got := counter(t, reg, "lineaged_checktx_total", "chain_id", "c1", "msg", "membership.add_account", "result", "tx_9"); got != 2 {
		t.Errorf("shared counter = %v, want 2", got)
	}
	// Another chain in the same process gets its own series.
	if _, err := NewMetrics(prometheus.WrapRegistererWith(prometheus.Labels{"chain_id": "c2"}, reg)); err != nil {
		t.Fatal(err)
	}
	if got := counter(t, reg, "lineaged_checktx_total", "chain_id", "c2", "msg", "membership.add_account", "result", "tx_9"); got != 0 {
		t.Errorf("other chain's counter = %v", got)
	}

	clash := prometheus.NewRegistry()
	clash.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "lineaged_commit_seconds", Help: "something else"}))
	if _, err := NewMetrics(clash); err == nil {
		t.Fatal("NewMetrics accepted a clashing collector")
	}
}

func kitMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkCountTx: counting a finalized transaction allocates nothing,
// success or failure.
func BenchmarkCountTx(b *testing.B) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	ok := &abci.ExecTxResult{}
	failed := &abci.ExecTxResult{Codespace: "membership", Code: 5}
	b.ReportAllocs()
	for b.Loop() {
		m.txs.inc("membership.add_account", ok.Codespace, ok.Code)
		m.txs.inc("membership.add_account", failed.Codespace, failed.Code)
	}
}

// TestCountingAllocatesNothing: the per-transaction path, once a series has
// been seen, does not allocate.
func TestCountingAllocatesNothing(t *testing.T) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	res := &abci.ExecTxResult{Codespace: "membership", Code: 5}
	m.checked(abci.CHECK_TX_TYPE_CHECK, "membership.add_account", res)
	allocs := testing.AllocsPerRun(100, func() {
		m.checked(abci.CHECK_TX_TYPE_CHECK, "membership.add_account", res)
		m.checked(abci.CHECK_TX_TYPE_CHECK, "membership.add_account", &abci.ExecTxResult{})
		m.queryDone(membershippb.Query_Account_FullMethodName, "", 0, time.Millisecond)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per count", allocs)
	}
}
