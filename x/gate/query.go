package gate

import (
	"context"

	"github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/kit"
)

// Querier answers [gatev1.QueryServer] from one version of the state.
type Querier struct {
	k   Keeper
	r   kit.Reader
	blk kit.Block
}

var _ gatev1.QueryServer = Querier{}

// Querier answers queries from r, the whole state of one version, produced
// by blk: licence expiry is judged at blk, and the answer names its height
// and time.
func (k Keeper) Querier(r kit.Reader, blk kit.Block) Querier {
	return Querier{k: k, r: r, blk: blk}
}

// Check implements gatev1.QueryServer.
func (q Querier) Check(_ context.Context, req *gatev1.CheckRequest) (*gatev1.CheckResponse, error) {
	return q.k.Check(q.r, q.blk, req)
}

// Policy implements gatev1.QueryServer: the chain's policy as set, or the
// one the gate applies when it is unset ([DefaultPolicy] without
// deny_revoked_datasets).
func (q Querier) Policy(_ context.Context, _ *gatev1.QueryPolicyRequest) (*gatev1.QueryPolicyResponse, error) {
	return &gatev1.QueryPolicyResponse{Policy: q.k.chainPolicy(q.r)}, nil
}
