package node

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	lighthttp "github.com/cometbft/cometbft/light/provider/http"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/lineageledger/lineaged/node/receipt"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
)

// TestReceiptFromOlderHeader: a receipt of a live chain verifies from a
// header older than the one it names, through headers a node supplies
// (untrusted) or its own trust path, and from the header of the height
// it names; and it follows the published JSON Schema.
func TestReceiptFromOlderHeader(t *testing.T) {
	n, admin := startTestNode(t)
	c := provenanceFixture(t, n, admin)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req := &gatepb.CheckRequest{Model: "alpha/bot@1.0", Org: "alpha", Uses: []gatepb.Use{gatepb.Use_USE_COMMERCIAL}}
	r, err := c.Receipt(ctx, "/lineage.gate.v1.Query/Check", req, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Height < 3 {
		t.Fatalf("receipt at height %d: the test needs an older header", r.Height)
	}
	src, err := lighthttp.New(r.ChainID, n.RPCAddress())
	if err != nil {
		t.Fatal(err)
	}
	first, err := src.LightBlock(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	pin := receipt.Trust{Height: 1, Hash: first.Hash()}

	// Not carried, no node: the trust root cannot check it.
	if _, err := receipt.Verify(ctx, r, pin); !errors.Is(err, receipt.ErrUnusable) {
		t.Fatalf("older header without a source: %v", err)
	}
	// A node supplies header 1; verification runs forward from it.
	withNode := pin
	withNode.Source = src
	res, err := receipt.Verify(ctx, r, withNode)
	if err != nil {
		t.Fatalf("older header from a node: %v", err)
	}
	if !slices.Equal(res.Verified, []int64{r.Height + 1}) {
		t.Fatalf("verified %v", res.Verified)
	}
	// The receipt carries header 1 in its trust path: offline again.
	lb, err := receipt.EncodeLightBlock(first)
	if err != nil {
		t.Fatal(err)
	}
	withPath := *r
	withPath.TrustPath = [][]byte{lb}
	data, err := receipt.Marshal(&withPath)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := receipt.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := receipt.Verify(ctx, parsed, pin); err != nil {
		t.Fatalf("older header in the trust path: %v", err)
	}
	// Both follow the published schema.
	schema, err := jsonschema.NewCompiler().Compile("../docs/spec/receipt.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := receipt.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range [][]byte{plain, data} {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Fatalf("a live receipt does not follow the schema: %v", err)
		}
	}
	// The header of the height the receipt names, as verify prints it.
	if _, err := receipt.Verify(ctx, r, receipt.Trust{Height: res.Height, Hash: res.StateHash}); err != nil {
		t.Fatalf("trusting the state header %d: %v", res.Height, err)
	}
	// A wrong hash for header 1 is caught whoever supplies it.
	wrong := withNode
	wrong.Hash = res.StateHash
	if _, err := receipt.Verify(ctx, r, wrong); !errors.Is(err, receipt.ErrInvalid) {
		t.Fatalf("wrong hash for header 1: %v", err)
	}
}
