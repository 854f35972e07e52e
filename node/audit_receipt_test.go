package node

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/node/receipt"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// TestRevokedDatasetReceipt: once the dataset a model was trained on is
// revoked, the gate's DENY naming it comes with a receipt that verifies
// offline from the genesis alone, as does the impact answer listing the
// model; the receipt recomputes the node's own verdict.
func TestRevokedDatasetReceipt(t *testing.T) {
	n, admin := startTestNode(t)
	c := provenanceFixture(t, n, admin)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d := "sha256:" + strings.Repeat("11", 32) // alpha/bot@1.0 was trained on it
	raw, err := c.Build(ctx, keySigner{admin}, &lineagepb.MsgRevokeDataset{Digest: d,
		ReasonCode: lineagepb.DatasetRevocationReason_DATASET_REVOCATION_REASON_DATA, Reason: "holds personal data"}, client.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.Submit(ctx, raw); err != nil || !res.OK() {
		t.Fatalf("revoke: %+v %v", res, err)
	}
	trust := genesisTrust(t, n)

	req := &gatepb.CheckRequest{Model: "alpha/bot@1.0", Org: "alpha", Uses: []gatepb.Use{gatepb.Use_USE_COMMERCIAL}}
	r, err := c.Receipt(ctx, "/lineage.gate.v1.Query/Check", req, 0)
	if err != nil {
		t.Fatal(err)
	}
	data, err := receipt.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := receipt.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var verdict gatepb.CheckResponse
	if _, err := client.VerifyReceipt(ctx, parsed, trust, &verdict); err != nil {
		t.Fatalf("receipt of the denial rejected: %v", err)
	}
	if verdict.Verdict != gatepb.Verdict_VERDICT_DENY || len(verdict.Findings) != 1 ||
		verdict.Findings[0].Reason != gatepb.Reason_REASON_DATASET_REVOKED || verdict.Findings[0].Subject != "dataset:"+d {
		t.Fatalf("verdict from the receipt: %v", &verdict)
	}
	var direct gatepb.CheckResponse
	if _, err := c.Query(ctx, "/lineage.gate.v1.Query/Check", req, &direct, r.Height); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&verdict, &direct) {
		t.Fatalf("verdict from receipt %v, node says %v", &verdict, &direct)
	}

	ri, err := c.Receipt(ctx, "/lineage.models.v1.Query/Impact", &modelspb.QueryImpactRequest{Dataset: d}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var impact modelspb.QueryImpactResponse
	if _, err := client.VerifyReceipt(ctx, ri, trust, &impact); err != nil {
		t.Fatalf("receipt of the impact rejected: %v", err)
	}
	if len(impact.Models) != 1 || impact.Models[0].Model != "alpha/bot@1.0" || !impact.IndexComplete {
		t.Fatalf("impact from the receipt: %v", &impact)
	}
}
