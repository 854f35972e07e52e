package node

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/node/receipt"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// TestGateReceiptThroughAlias: a gate check through an alias makes a
// receipt that verifies offline from the genesis; the verdict recomputed
// from it names the version the alias pointed to then, and the alias; a
// pipeline expecting that version accepts it, one expecting another does
// not.
func TestGateReceiptThroughAlias(t *testing.T) {
	n, admin := startTestNode(t)
	c := provenanceFixture(t, n, admin)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	raw, err := c.Build(ctx, keySigner{admin}, &modelspb.MsgSetModelAlias{Name: "alpha/bot", Alias: "production", Version: "1.0"}, client.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.Submit(ctx, raw); err != nil || !res.OK() {
		t.Fatalf("set alias: %+v %v", res, err)
	}

	req := &gatepb.CheckRequest{Model: "alpha/bot", Alias: "production", Org: "alpha", Uses: []gatepb.Use{gatepb.Use_USE_COMMERCIAL}}
	r, err := c.Receipt(ctx, gatepb.Query_Check_FullMethodName, req, 0)
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
	var answer gatepb.CheckResponse
	res, err := client.VerifyReceipt(ctx, parsed, genesisTrust(t, n), &answer)
	if err != nil {
		t.Fatalf("receipt of a check through an alias rejected: %v", err)
	}
	if answer.Verdict != gatepb.Verdict_VERDICT_ALLOW || answer.Model != "alpha/bot@1.0" || answer.Alias != "production" {
		t.Fatalf("recomputed answer %v, want ALLOW of alpha/bot@1.0 through production", &answer)
	}
	var direct gatepb.CheckResponse
	if _, err := c.Query(ctx, gatepb.Query_Check_FullMethodName, req, &direct, r.Height); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&answer, &direct) {
		t.Fatalf("verdict from receipt %v, node says %v", &answer, &direct)
	}
	if err := res.Meets(receipt.Expect{Verdict: gatepb.Verdict_VERDICT_ALLOW, Model: "alpha/bot@1.0", ManifestDigest: answer.ManifestDigest}); err != nil {
		t.Fatalf("expectations of the version the alias named: %v", err)
	}
	if err := res.Meets(receipt.Expect{Model: "alpha/bot@2.0"}); err == nil {
		t.Fatal("a receipt of alpha/bot@1.0 meets an expectation of 2.0")
	}
	if err := res.Meets(receipt.Expect{ManifestDigest: "sha256:" + strings.Repeat("66", 32)}); !errors.Is(err, receipt.ErrOtherArtefact) {
		t.Fatalf("expectation of another artefact: %v", err)
	}
}
