package app

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/x/kit"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// blockingModule answers one query, which reads a key and then waits until
// release is closed, telling entered each time it starts: a proven query
// that takes as long as the test wants.
func blockingModule(entered chan<- struct{}, release <-chan struct{}) (modules.Module, string) {
	desc := &grpc.ServiceDesc{
		ServiceName: "lineage.test.Blocking",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Wait",
			Handler: func(srv any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
				var req appv1.QueryParamsRequest
				if err := dec(&req); err != nil {
					return nil, err
				}
				srv.(kit.Reader).Get([]byte("blocking"))
				entered <- struct{}{}
				<-release
				return &appv1.QueryParamsResponse{}, nil
			},
		}},
	}
	m := modules.Module{Name: "blocking", Services: []modules.Service{{
		Desc: desc,
		New:  func(r kit.Reader, _ kit.Block) any { return r },
	}}}
	return m, "/lineage.test.Blocking/Wait"
}

// TestProofConcurrencyIsBounded: with every slot taken by a proven query in
// progress, one more is refused at once with the busy error, whatever its
// path, while queries without proofs still run; a freed slot is usable
// again.
func TestProofConcurrencyIsBounded(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	blocking, waitPath := blockingModule(entered, release)
	c := newChainOn(t, mustMemStore(t), true, blocking)
	c.mustBlock()
	c.app.SetProofLimits(ProofLimits{MaxConcurrent: 2})
	ctx := context.Background()

	var wg sync.WaitGroup
	results := make([]*abci.QueryResponse, 2)
	for i := range results {
		wg.Go(func() {
			results[i], _ = c.app.Query(ctx, &abci.QueryRequest{Path: waitPath, Prove: true})
		})
	}
	for range results {
		select {
		case <-entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the blocking queries did not start")
		}
	}

	params := marshal(t, &appv1.QueryParamsRequest{})
	res, _ := c.app.Query(ctx, &abci.QueryRequest{Path: pathParams, Data: params, Prove: true})
	if res.Codespace != modules.Codespace || res.Code != modules.ErrProofBusy.Code {
		t.Fatalf("third proven query: %s/%d %q, want the busy error", res.Codespace, res.Code, res.Log)
	}
	if !strings.Contains(res.Log, "retry") || res.ProofOps != nil || res.Value != nil {
		t.Errorf("busy answer: log %q, proofs %v, value %x", res.Log, res.ProofOps, res.Value)
	}
	if _, _, _, err := c.app.ProveQuery(ctx, pathParams, params, 0); !isCode(err, modules.ErrProofBusy) {
		t.Errorf("ProveQuery while busy: %v, want the busy error", err)
	}
	if res, _ := c.app.Query(ctx, &abci.QueryRequest{Path: pathParams, Data: params}); res.Code != 0 {
		t.Errorf("a query without proofs while busy: %s/%d %q", res.Codespace, res.Code, res.Log)
	}

	close(release)
	wg.Wait()
	for i, r := range results {
		if r.Code != 0 || r.ProofOps == nil {
			t.Errorf("blocking query %d: %s/%d %q", i, r.Codespace, r.Code, r.Log)
		}
	}
	res, _ = c.app.Query(ctx, &abci.QueryRequest{Path: pathParams, Data: params, Prove: true})
	if res.Code != 0 {
		t.Fatalf("proven query after the others ended: %s/%d %q", res.Codespace, res.Code, res.Log)
	}
	view, _ := c.store.At(res.Height)
	verifyProvenQuery(t, pathParams, params, res, view)
}

func isCode(err error, want *kit.Error) bool {
	cs, code, ok := kit.CodeOf(err)
	return ok && cs == want.Codespace && code == want.Code
}

// TestProofSizeIsBounded: a lineage walk whose proofs exceed the bound is
// refused with an error saying how to narrow it, and the same walk cut to a
// few nodes is proven.
func TestProofSizeIsBounded(t *testing.T) {
	c := newChain(t)
	c.mustBlock()
	raw := contentDigest("raw")
	c.mustBlock(c.tx(c.admin, &lineagepb.MsgRegisterDataset{Dataset: &lineagepb.DatasetSpec{Digest: raw, Namespace: "n", Name: "raw", Version: "1"}}))
	var outs []*lineagepb.DatasetSpec
	for i := range 200 {
		outs = append(outs, &lineagepb.DatasetSpec{Digest: contentDigest(fmt.Sprint("out", i)), Namespace: "n", Name: fmt.Sprint("out", i), Version: "1"})
	}
	c.mustBlock(c.tx(c.admin, &lineagepb.MsgRecordRun{CodeDigest: contentDigest("code"), Inputs: []string{raw}, NewOutputs: outs}))
	c.mustBlock()
	const limit = 64 << 10
	c.app.SetProofLimits(ProofLimits{MaxBytes: limit})
	walk := func(maxNodes uint32) ([]byte, *abci.QueryResponse) {
		req := marshal(t, &lineagepb.QueryLineageRequest{Digest: raw, Direction: lineagepb.Direction_DIRECTION_DOWNSTREAM, MaxNodes: maxNodes})
		res, _ := c.app.Query(context.Background(), &abci.QueryRequest{Path: "/lineage.lineage.v1.Query/Lineage", Data: req, Prove: true})
		return req, res
	}

	_, res := walk(201)
	if res.Codespace != modules.Codespace || res.Code != modules.ErrProofTooLarge.Code {
		t.Fatalf("walk of 201 nodes: %s/%d %q, want the too-large error", res.Codespace, res.Code, res.Log)
	}
	for _, want := range []string{fmt.Sprint(limit), "max_nodes", "max_depth", "limit"} {
		if !strings.Contains(res.Log, want) {
			t.Errorf("error %q does not mention %s", res.Log, want)
		}
	}
	if res.ProofOps != nil || res.Value != nil {
		t.Error("a refused query still carries proofs or an answer")
	}
	// Without proofs the same walk is answered: the bound is on proofs.
	req := marshal(t, &lineagepb.QueryLineageRequest{Digest: raw, Direction: lineagepb.Direction_DIRECTION_DOWNSTREAM, MaxNodes: 201})
	if res, _ := c.app.Query(context.Background(), &abci.QueryRequest{Path: "/lineage.lineage.v1.Query/Lineage", Data: req}); res.Code != 0 {
		t.Errorf("the walk without proofs: %s/%d %q", res.Codespace, res.Code, res.Log)
	}

	req, res = walk(5)
	if res.Code != 0 {
		t.Fatalf("walk of 5 nodes: %s/%d %q", res.Codespace, res.Code, res.Log)
	}
	if n := len(res.Value) + len(res.ProofOps.Ops[0].Data); n > limit {
		t.Errorf("answer and proofs of %d bytes passed a bound of %d", n, limit)
	}
	view, _ := c.store.At(res.Height)
	verifyProvenQuery(t, "/lineage.lineage.v1.Query/Lineage", req, res, view)
	var resp lineagepb.QueryLineageResponse
	if err := proto.Unmarshal(res.Value, &resp); err != nil || len(resp.Nodes) != 5 {
		t.Errorf("walk of 5 answered %d nodes (%v)", len(resp.Nodes), err)
	}
}
