package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/store/proof"
	"github.com/lineageledger/lineaged/app/store/proofv1"
	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/node/receipt"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/models"
)

// receiptResult is the cost of verifying one real receipt.
type receiptResult struct {
	validators   int
	bytes        int
	keys, ranges int
	// proofOnly is proof.Verify; rerun adds the re-run of the query
	// on the proven reads (modules.Table.Answer); full is the light-client
	// path of `lineaged verify`: parse, every signature, proofs, re-run.
	proofOnly, rerun, full opStats
}

// measureReceipt fetches a receipt of a gate check on a model the load
// registered, from a running network, and times its verification offline
// against the chain's genesis, on one goroutine.
func measureReceipt(ctx context.Context, net *network, load *provenanceLoad, iters int) (receiptResult, error) {
	res := receiptResult{validators: len(net.nodes)}
	c, err := client.Dial(net.nodes[0].rpc)
	if err != nil {
		return res, err
	}
	name, version := load.modelRef(0, kindModel)
	req := &gatepb.CheckRequest{Model: models.Ref(name, version), Org: load.licensee[0], Uses: []gatepb.Use{gatepb.Use_USE_DERIVATIVES, gatepb.Use_USE_AI_TRAINING}}
	path := gatepb.Query_Check_FullMethodName
	rctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	r, err := c.Receipt(rctx, path, req, 0)
	if err != nil {
		return res, fmt.Errorf("receipt of %s: %w", path, err)
	}
	// The receipt must be about a registered model, or it proves little.
	var answer gatepb.CheckResponse
	if err := proto.Unmarshal(r.Answer, &answer); err != nil {
		return res, fmt.Errorf("gate answer: %w", err)
	}
	for _, f := range answer.Findings {
		if f.Reason == gatepb.Reason_REASON_MODEL_NOT_REGISTERED {
			return res, fmt.Errorf("the benchmark's receipt is about %s, which the load did not register", req.Model)
		}
	}
	data, err := receipt.Marshal(r)
	if err != nil {
		return res, err
	}
	res.bytes = len(data)
	gen, err := cmttypes.GenesisDocFromFile(filepath.Join(net.nodes[0].home, "config", "genesis.json"))
	if err != nil {
		return res, err
	}
	trust := receipt.Trust{Genesis: gen}
	verified, err := receipt.Verify(ctx, r, trust)
	if err != nil {
		return res, fmt.Errorf("the benchmark's receipt does not verify: %w", err)
	}
	res.keys, res.ranges = verified.Keys, verified.Ranges
	var bundle proofv1.ProofBundle
	if err := proto.Unmarshal(r.Proofs, &bundle); err != nil {
		return res, err
	}
	blk := kit.Block{ChainID: r.ChainID, Height: r.Height, Time: verified.Time}

	if res.proofOnly, err = measure(iters, 1, func(int) error {
		_, err := proof.Verify(&bundle, verified.AppHash)
		return err
	}); err != nil {
		return res, err
	}
	if res.rerun, err = measure(iters, 1, func(int) error {
		return verifyOffline(ctx, &bundle, verified.AppHash, path, r.Request, blk, r.Answer)
	}); err != nil {
		return res, err
	}
	res.full, err = measure(iters, 1, func(int) error {
		parsed, err := receipt.Parse(data)
		if err != nil {
			return err
		}
		_, err = receipt.Verify(ctx, parsed, trust)
		return err
	})
	return res, err
}
