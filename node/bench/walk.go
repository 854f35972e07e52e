package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"google.golang.org/protobuf/proto"

	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// lineageFanOut is how many parents each dataset of the lineage tree has.
const lineageFanOut = 3

// walkResult is the upstream walk from the root of a lineage tree with one
// node limit.
type walkResult struct {
	depth, datasets, maxNodes int
	visited, edges            int
	truncated                 bool
	stats                     opStats
}

// treeNode is the digest of node j at level l of the tree (level 0 is the
// root; level depth the leaves, registered as raw datasets).
func treeNode(l, j int) string { return digestOf("lineage tree ", l, " ", j) }

// runLineage builds a complete tree of datasets: each dataset above the
// leaves is the output of a run over three parent datasets, depth levels
// deep, and times the upstream Lineage query from the root with each node
// limit. Everything is registered through signed transactions in blocks.
func runLineage(ctx context.Context, dir string, depth int, limits []int, reps int, logf func(string, ...any)) ([]walkResult, error) {
	stewards := []*benchAccount{newAccount("lineage steward 0", "org0"), newAccount("lineage steward 1", "org0"),
		newAccount("lineage steward 2", "org0"), newAccount("lineage steward 3", "org0")}
	c, err := openLocalChain(filepath.Join(dir, "lineage"), stewards)
	if err != nil {
		return nil, err
	}
	defer c.close()
	if _, err := c.execute(c.sign([]txPlan{{acct: stewards[0], msg: licenceMsg("org0/corpus")}})); err != nil {
		return nil, err
	}

	// Every dataset, leaves first, then each level up: a flat list of
	// (level, index) in an order where parents precede children.
	type item struct{ l, j int }
	var items []item
	width := 1
	for l := 0; l < depth; l++ {
		width *= lineageFanOut
	}
	for l := depth; l >= 0; l-- {
		for j := 0; j < width; j++ {
			items = append(items, item{l, j})
		}
		width /= lineageFanOut
	}
	start := time.Now()
	const perBlock = 1000
	err = c.populate(ctx, true, func(b int) []txPlan {
		lo := b * perBlock
		if lo >= len(items) {
			return nil
		}
		var plans []txPlan
		for k := lo; k < min(lo+perBlock, len(items)); k++ {
			it := items[k]
			steward := stewards[k%len(stewards)]
			spec := &lineagepb.DatasetSpec{
				Digest: treeNode(it.l, it.j), Namespace: "org0/tree", Name: fmt.Sprintf("l%02d-%07d", it.l, it.j), Version: "1",
				SizeBytes: 1 << 30, MediaType: "application/x-parquet", LicenseIds: []string{"org0/corpus"},
			}
			if it.l == depth {
				plans = append(plans, txPlan{acct: steward, msg: &lineagepb.MsgRegisterDataset{Dataset: spec}})
				continue
			}
			var inputs []string
			for p := 0; p < lineageFanOut; p++ {
				inputs = append(inputs, treeNode(it.l+1, it.j*lineageFanOut+p))
			}
			plans = append(plans, txPlan{acct: steward, msg: &lineagepb.MsgRecordRun{
				CodeDigest: digestOf("merge code"), Inputs: inputs, NewOutputs: []*lineagepb.DatasetSpec{spec},
				Executor: fmt.Sprintf("airflow/merge level %d node %d", it.l, it.j),
			}})
		}
		return plans
	}, nil)
	if err != nil {
		return nil, err
	}
	logf("lineage: tree of depth %d, %d datasets, built in %v", depth, len(items), time.Since(start).Round(time.Second))

	var out []walkResult
	for _, limit := range limits {
		req, err := proto.Marshal(&lineagepb.QueryLineageRequest{
			Digest: treeNode(0, 0), Direction: lineagepb.Direction_DIRECTION_UPSTREAM, MaxDepth: uint32(depth), MaxNodes: uint32(limit),
		})
		if err != nil {
			return nil, err
		}
		var answer []byte
		st, err := measure(reps, 1, func(int) error {
			b, qerr := c.rawQuery(lineagepb.Query_Lineage_FullMethodName, req)
			answer = b
			return qerr
		})
		if err != nil {
			return nil, err
		}
		var resp lineagepb.QueryLineageResponse
		if err := proto.Unmarshal(answer, &resp); err != nil {
			return nil, err
		}
		out = append(out, walkResult{
			depth: depth, datasets: len(items), maxNodes: limit,
			visited: len(resp.Nodes), edges: len(resp.Edges), truncated: resp.Truncated, stats: st,
		})
	}
	return out, nil
}
