package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"
	rpclocal "github.com/cometbft/cometbft/rpc/client/local"
	cmttypes "github.com/cometbft/cometbft/types"
	gogoproto "github.com/cosmos/gogoproto/proto"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/node/receipt"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/kit/keys"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	"github.com/lineageledger/lineaged/x/models"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// provenanceFixture registers a licence, a dataset and a signed model on a
// running node, and returns a client.
func provenanceFixture(t *testing.T, n *Node, admin *keys.PrivateKey) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := client.Dial(n.RPCAddress())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	d := "sha256:" + strings.Repeat("11", 32)
	manifest := "sha256:" + strings.Repeat("55", 32)
	sig, _ := admin.Sign(models.ManifestSignBytes(manifest))
	for _, msg := range []proto.Message{
		&licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{Id: "cc-by-4.0", SpdxId: "CC-BY-4.0", Usage: &licensespb.Usage{CommercialUse: true, Derivatives: true, AiTraining: true, AttributionRequired: true}}},
		&lineagepb.MsgRegisterDataset{Dataset: &lineagepb.DatasetSpec{Digest: d, Namespace: "c", Name: "raw", Version: "1", LicenseIds: []string{"cc-by-4.0"}}},
		&modelspb.MsgRegisterModel{Model: &modelspb.ModelSpec{Name: "alpha/bot", Version: "1.0", ManifestDigest: manifest, TrainingDatasets: []string{d}, LicenseIds: []string{"cc-by-4.0"}}, PublisherSignature: sig},
	} {
		raw, err := c.Build(ctx, keySigner{admin}, msg, client.TxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Submit(ctx, raw)
		if err != nil || !res.OK() {
			t.Fatalf("%T: %+v %v", msg, res, err)
		}
	}
	return c
}

func genesisTrust(t *testing.T, n *Node) receipt.Trust {
	t.Helper()
	doc, err := cmttypes.GenesisDocFromFile(n.cmtCfg.GenesisFile())
	if err != nil {
		t.Fatal(err)
	}
	return receipt.Trust{Genesis: doc}
}

// TestGateReceipt: a gate check's receipt verifies offline from the
// genesis, the verdict recomputed from it equals the node's own answer,
// and no tampering with any part of it goes unnoticed.
func TestGateReceipt(t *testing.T) {
	n, admin := startTestNode(t)
	c := provenanceFixture(t, n, admin)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req := &gatepb.CheckRequest{Model: "alpha/bot@1.0", Org: "alpha", Uses: []gatepb.Use{gatepb.Use_USE_COMMERCIAL, gatepb.Use_USE_REDISTRIBUTION}}
	r, err := c.Receipt(ctx, "/lineage.gate.v1.Query/Check", req, 0)
	if err != nil {
		t.Fatal(err)
	}
	data, err := receipt.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	trust := genesisTrust(t, n)
	if *updateFixture {
		writeFixture(t, n, data)
	}
	parsed, err := receipt.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var fromReceipt gatepb.CheckResponse
	if _, err := client.VerifyReceipt(ctx, parsed, trust, &fromReceipt); err != nil {
		t.Fatalf("valid receipt rejected: %v", err)
	}
	// The node's own answer at the same height is the verdict recomputed.
	var direct gatepb.CheckResponse
	if _, err := c.Query(ctx, "/lineage.gate.v1.Query/Check", req, &direct, r.Height); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&fromReceipt, &direct) {
		t.Fatalf("verdict from receipt %v, node says %v", &fromReceipt, &direct)
	}
	if fromReceipt.Verdict != gatepb.Verdict_VERDICT_DENY || len(fromReceipt.Findings) == 0 || fromReceipt.Findings[0].Reason != gatepb.Reason_REASON_LICENCE_FORBIDS_USE {
		t.Fatalf("expected a licence denial for redistribution, got %v", &fromReceipt)
	}

	// Any byte flipped anywhere fails.
	for i := range data {
		bad := bytes.Clone(data)
		bad[i] ^= 0x01
		if p, err := receipt.Parse(bad); err == nil {
			if _, err := receipt.Verify(ctx, p, trust); err == nil {
				t.Fatalf("receipt with byte %d flipped verifies", i)
			}
		}
	}

	// Deeper: change one field, recompute the checksum so the document is
	// intact, and the content must still be refused.
	fields := map[string]func(*receipt.Receipt) *[]byte{
		"answer":        func(r *receipt.Receipt) *[]byte { return &r.Answer },
		"proofs":        func(r *receipt.Receipt) *[]byte { return &r.Proofs },
		"state_header":  func(r *receipt.Receipt) *[]byte { return &r.StateHeader },
		"signed_header": func(r *receipt.Receipt) *[]byte { return &r.SignedHeader },
		"validators":    func(r *receipt.Receipt) *[]byte { return &r.Validators },
	}
	for name, field := range fields {
		t.Run("flip "+name, func(t *testing.T) {
			n := len(*field(parsed))
			for i := 0; i < n; i++ {
				tampered := *parsed
				b := bytes.Clone(*field(parsed))
				b[i] ^= 0x01
				*field(&tampered) = b
				if _, err := reverify(ctx, &tampered, trust); err == nil {
					t.Fatalf("%s byte %d of %d flipped, receipt still verifies", name, i, n)
				}
			}
		})
	}
	for name, edit := range map[string]func(*receipt.Receipt){
		"height up":   func(r *receipt.Receipt) { r.Height++ },
		"height down": func(r *receipt.Receipt) { r.Height-- },
		"chain id":    func(r *receipt.Receipt) { r.ChainID = "other-chain" },
		"path":        func(r *receipt.Receipt) { r.Path = "/lineage.gate.v1.Query/Policy" },
		"error claimed": func(r *receipt.Receipt) {
			r.Answer, r.Error = nil, &receipt.AnswerError{Codespace: "gate", Code: 1, Log: "invalid request"}
		},
	} {
		tampered := *parsed
		edit(&tampered)
		if _, err := reverify(ctx, &tampered, trust); err == nil {
			t.Fatalf("%s: tampered receipt verifies", name)
		}
	}

	// Trust roots: a trusted header hash works; a wrong one, or another
	// chain's genesis, does not.
	hdrHash := signedHeaderHash(t, parsed)
	if _, err := receipt.Verify(ctx, parsed, receipt.Trust{Height: parsed.Height + 1, Hash: hdrHash}); err != nil {
		t.Fatalf("trusted header hash rejected: %v", err)
	}
	wrong := bytes.Clone(hdrHash)
	wrong[0] ^= 1
	if _, err := receipt.Verify(ctx, parsed, receipt.Trust{Height: parsed.Height + 1, Hash: wrong}); !errors.Is(err, receipt.ErrInvalid) {
		t.Fatalf("wrong trusted hash: %v", err)
	}
	other, _ := startTestNode(t)
	if _, err := receipt.Verify(ctx, parsed, genesisTrust(t, other)); !errors.Is(err, receipt.ErrInvalid) {
		t.Fatalf("another chain's genesis: %v", err)
	}
}

// updateFixture rewrites the receipt and genesis that node/receipt's
// fuzz target starts from.
var updateFixture = flag.Bool("update-receipt-fixture", false, "rewrite node/receipt/testdata from a live gate check")

func writeFixture(t *testing.T, n *Node, data []byte) {
	t.Helper()
	gen, err := os.ReadFile(n.cmtCfg.GenesisFile())
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll("receipt/testdata", 0o755)
	if err := os.WriteFile("receipt/testdata/gate-receipt.json", data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("receipt/testdata/genesis.json", gen, 0o644); err != nil {
		t.Fatal(err)
	}
}

// reverify re-marshals a receipt (fresh checksum) and verifies it.
func reverify(ctx context.Context, r *receipt.Receipt, trust receipt.Trust) (*receipt.Result, error) {
	data, err := receipt.Marshal(r)
	if err != nil {
		return nil, err
	}
	p, err := receipt.Parse(data)
	if err != nil {
		return nil, err
	}
	return receipt.Verify(ctx, p, trust)
}

// signedHeaderHash is the hash of the receipt's signed header, as an
// operator would read it off their own node.
func signedHeaderHash(t *testing.T, r *receipt.Receipt) []byte {
	t.Helper()
	var shp cmtproto.SignedHeader
	if err := gogoproto.Unmarshal(r.SignedHeader, &shp); err != nil {
		t.Fatal(err)
	}
	sh, err := cmttypes.SignedHeaderFromProto(&shp)
	if err != nil {
		t.Fatal(err)
	}
	return sh.Hash()
}

// TestReceiptOfAbsence: a query that fails (a model that does not exist)
// is provable too, and verifies with that error.
func TestReceiptOfAbsence(t *testing.T) {
	n, admin := startTestNode(t)
	c := provenanceFixture(t, n, admin)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := c.Receipt(ctx, "/lineage.models.v1.Query/Model", &modelspb.QueryModelRequest{Name: "alpha/ghost", Version: "9"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Error == nil || r.Error.Codespace != "models" {
		t.Fatalf("receipt error = %+v", r.Error)
	}
	res, err := receipt.Verify(ctx, r, genesisTrust(t, n))
	if err != nil {
		t.Fatalf("receipt of absence rejected: %v", err)
	}
	if res.Error == nil || res.Keys == 0 {
		t.Fatalf("result %+v", res)
	}
}

// TestRESTRoutes reaches the REST API of a real node: plain answers,
// errors with their codes, a receipt through ?prove=true and POST
// /v1/receipts, the gate, and the OpenAPI document.
func TestRESTRoutes(t *testing.T) {
	n, admin := startTestNode(t)
	provenanceFixture(t, n, admin)
	base := "http://" + n.RESTAddress()
	get := func(path string) (int, []byte) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	cases := []struct {
		path string
		code int
		want string
	}{
		{"/v1/params", 200, `"max_tx_bytes":65536`},
		{"/v1/membership/orgs/alpha", 200, `"id":"alpha"`},
		{"/v1/models/alpha/bot/versions/1.0", 200, `"manifest_digest":"sha256:5555`},
		{"/v1/datasets/sha256:" + strings.Repeat("11", 32), 200, `"name":"raw"`},
		{"/v1/licenses/cc-by-4.0", 200, `"spdx_id":"CC-BY-4.0"`},
		{"/v1/models/alpha/nobody/versions/1.0", 404, `models/16`},
		{"/v1/gate/policy", 200, `"max_lineage_nodes":1000`},
		{"/v1/openapi.json", 200, `"swagger"`},
	}
	for _, c := range cases {
		code, body := get(c.path)
		if code != c.code || !strings.Contains(strings.ReplaceAll(string(body), " ", ""), c.want) {
			t.Errorf("GET %s = %d %s; want %d with %s", c.path, code, body, c.code, c.want)
		}
	}
	code, body := get("/v1/models/alpha/bot/versions/1.0?prove=true")
	if code != 200 {
		t.Fatalf("prove=true: %d %s", code, body)
	}
	r, err := receipt.Parse(body)
	if err != nil {
		t.Fatalf("prove=true did not return a receipt: %v", err)
	}
	if _, err := receipt.Verify(context.Background(), r, genesisTrust(t, n)); err != nil {
		t.Fatalf("REST receipt rejected: %v", err)
	}
	// A missing record is 404 with prove too, and the body is the receipt
	// proving its absence.
	code, body = get("/v1/models/alpha/nobody/versions/1.0?prove=true")
	if code != http.StatusNotFound {
		t.Fatalf("prove=true of a missing model: %d %s", code, body)
	}
	r, err = receipt.Parse(body)
	if err != nil {
		t.Fatalf("prove=true of a missing model did not return a receipt: %v", err)
	}
	if res, err := receipt.Verify(context.Background(), r, genesisTrust(t, n)); err != nil || res.Error == nil || res.Error.Codespace != "models" || res.Error.Code != 16 {
		t.Fatalf("receipt of absence: %+v, %v; want it to prove models/16", res, err)
	}
	gateReq, _ := json.Marshal(map[string]any{"model": "alpha/bot@1.0", "org": "alpha", "uses": []string{"USE_COMMERCIAL"}})
	resp, err := http.Post(base+"/v1/gate/check", "application/json", bytes.NewReader(gateReq))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "VERDICT_ALLOW") {
		t.Fatalf("POST /v1/gate/check = %d %s", resp.StatusCode, b)
	}
	reqBytes, _ := proto.Marshal(&gatepb.CheckRequest{Model: "alpha/bot@1.0", Org: "alpha", Uses: []gatepb.Use{gatepb.Use_USE_COMMERCIAL}})
	rr, _ := json.Marshal(map[string]any{"path": "/lineage.gate.v1.Query/Check", "request": reqBytes})
	resp, err = http.Post(base+"/v1/receipts", "application/json", bytes.NewReader(rr))
	if err != nil {
		t.Fatal(err)
	}
	var out appv1.ReceiptResponse
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	var asJSON struct {
		Receipt []byte `json:"receipt"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(b, &asJSON) != nil {
		t.Fatalf("POST /v1/receipts = %d %s", resp.StatusCode, b)
	}
	out.Receipt = asJSON.Receipt
	if r, err := receipt.Parse(out.Receipt); err != nil {
		t.Fatalf("receipts endpoint: %v", err)
	} else if _, err := receipt.Verify(context.Background(), r, genesisTrust(t, n)); err != nil {
		t.Fatalf("receipts endpoint receipt rejected: %v", err)
	}
}

// TestReceiptSizeIsBounded: a lineage walk whose receipt would exceed
// api.max_receipt_bytes is refused on every way a receipt or proven answer
// is made — REST prove=true, POST /v1/receipts, gRPC Receipts, and an ABCI
// query with prove through CometBFT's RPC — with an error saying how to ask
// for less, while the same walk cut short is proven.
func TestReceiptSizeIsBounded(t *testing.T) {
	const limit = 64 << 10
	n, admin := startTestNode(t, func(c *Config) { c.API.MaxReceiptBytes = limit })
	c := provenanceFixture(t, n, admin)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	raw := "sha256:" + strings.Repeat("11", 32)
	var outs []*lineagepb.DatasetSpec
	for i := range 60 {
		outs = append(outs, &lineagepb.DatasetSpec{Digest: fmt.Sprintf("sha256:%064x", i+1), Namespace: "c", Name: fmt.Sprint("out", i), Version: "1"})
	}
	tx, err := c.Build(ctx, keySigner{admin}, &lineagepb.MsgRecordRun{CodeDigest: "sha256:" + strings.Repeat("22", 32), Inputs: []string{raw}, NewOutputs: outs}, client.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.Submit(ctx, tx); err != nil || !res.OK() {
		t.Fatalf("record run: %+v %v", res, err)
	}
	const path = lineagepb.Query_Lineage_FullMethodName
	wide := &lineagepb.QueryLineageRequest{Digest: raw, Direction: lineagepb.Direction_DIRECTION_DOWNSTREAM}
	narrow := &lineagepb.QueryLineageRequest{Digest: raw, Direction: lineagepb.Direction_DIRECTION_DOWNSTREAM, MaxNodes: 3}
	checkMessage := func(how, msg string) {
		t.Helper()
		for _, want := range []string{"tx/21", "answer too large to prove", "max_nodes", "max_depth"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: message %q does not say %q", how, msg, want)
			}
		}
	}

	base := "http://" + n.RESTAddress()
	lineageURL := base + "/v1/datasets/" + raw + "/lineage?direction=downstream&prove=true"
	resp, err := http.Get(lineageURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if resp.StatusCode != http.StatusRequestEntityTooLarge || json.Unmarshal(body, &e) != nil || e.Code != int(codes.ResourceExhausted) {
		t.Fatalf("REST prove=true of 61 nodes: %d %s", resp.StatusCode, body)
	}
	checkMessage("REST", e.Message)
	if !strings.Contains(e.Message, "api.max_receipt_bytes") {
		t.Errorf("REST message %q does not name the setting", e.Message)
	}

	resp, err = http.Get(lineageURL + "&max_nodes=3")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(body) > limit {
		t.Fatalf("REST prove=true of 3 nodes: %d, %d bytes", resp.StatusCode, len(body))
	}
	r, err := receipt.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := receipt.Verify(ctx, r, genesisTrust(t, n)); err != nil {
		t.Fatalf("receipt of the narrowed walk: %v", err)
	}

	wideBytes, _ := proto.Marshal(wide)
	rr, _ := json.Marshal(map[string]any{"path": path, "request": wideBytes})
	resp, err = http.Post(base+"/v1/receipts", "application/json", bytes.NewReader(rr))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("POST /v1/receipts of 61 nodes: %d %s", resp.StatusCode, body)
	}

	conn, err := grpc.NewClient(n.APIAddress(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = appv1.NewReceiptsClient(conn).Receipt(ctx, &appv1.ReceiptRequest{Path: path, Request: wideBytes})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("gRPC Receipt of 61 nodes: %v, want ResourceExhausted", err)
	}
	checkMessage("gRPC", status.Convert(err).Message())

	// Through CometBFT's RPC the application bounds the proofs itself.
	_, err = c.Receipt(ctx, path, wide, 0)
	qe, ok := errors.AsType[*client.QueryError](err)
	if !ok || qe.Codespace != modules.ErrProofTooLarge.Codespace || qe.Code != modules.ErrProofTooLarge.Code {
		t.Fatalf("receipt through the RPC of 61 nodes: %v, want tx/21", err)
	}
	checkMessage("RPC", fmt.Sprintf("%s/%d: %s", qe.Codespace, qe.Code, qe.Log))
	if _, err := c.Receipt(ctx, path, narrow, 0); err != nil {
		t.Fatalf("receipt through the RPC of 3 nodes: %v", err)
	}

	// A receipt whose proofs pass the application's bound but which is
	// over the node's once assembled is refused too.
	narrowBytes, _ := proto.Marshal(narrow)
	small := newReceiptService(n.app, rpclocal.New(n.cmt), 4<<10, nil)
	_, err = small.Receipt(ctx, &appv1.ReceiptRequest{Path: path, Request: narrowBytes})
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "bytes exceeds this node's bound of 4096 bytes") {
		t.Fatalf("assembled receipt over the bound: %v", err)
	}
	checkMessage("assembled", status.Convert(err).Message())
}

// TestStatusOfProofBounds: the application's refusals of proven queries
// get the gRPC codes the APIs map to 413 and to 503 with Retry-After.
func TestStatusOfProofBounds(t *testing.T) {
	st := status.Convert(statusOf(modules.ErrProofTooLarge.Codespace, modules.ErrProofTooLarge.Code, "answer too large to prove: ..."))
	if st.Code() != codes.ResourceExhausted || len(st.Details()) != 0 {
		t.Errorf("too large: %v %v, want ResourceExhausted without details", st.Code(), st.Details())
	}
	st = status.Convert(statusOf(modules.ErrProofBusy.Codespace, modules.ErrProofBusy.Code, "too many proven queries at once: ..."))
	if st.Code() != codes.Unavailable || len(st.Details()) != 1 {
		t.Fatalf("busy: %v %v, want Unavailable with RetryInfo", st.Code(), st.Details())
	}
	if ri, ok := st.Details()[0].(*errdetails.RetryInfo); !ok || ri.GetRetryDelay().AsDuration() != proofBusyRetry {
		t.Errorf("busy: details %v, want RetryInfo of %v", st.Details(), proofBusyRetry)
	}
	if !strings.HasPrefix(st.Message(), "tx/22: ") {
		t.Errorf("busy: message %q", st.Message())
	}
}
