package modules

import (
	"errors"
	"testing"

	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	govpb "github.com/lineageledger/lineaged/x/gov/govv1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/kittest"
)

// TestUpdateParams: governance's change of parameters replaces what it
// sets, keeps the rest, and refuses a change to nothing or to parameters
// no chain should run with.
func TestUpdateParams(t *testing.T) {
	u32 := func(v uint32) *uint32 { return &v }
	for _, tc := range []struct {
		name string
		msg  *govpb.MsgUpdateParams
		want error
	}{
		{"gate policy", &govpb.MsgUpdateParams{GatePolicy: &gatepb.Policy{RequireSignature: true}}, nil},
		{"memo limit", &govpb.MsgUpdateParams{MaxMemoBytes: u32(512)}, nil},
		{"voting period", &govpb.MsgUpdateParams{Gov: &govpb.Params{VotingPeriodBlocks: 10,
			Quorum: &govpb.Fraction{Numerator: 1, Denominator: 1}, Threshold: &govpb.Fraction{Numerator: 1, Denominator: 2}}}, nil},
		{"nothing", &govpb.MsgUpdateParams{}, ErrInvalidParams},
		{"tx limit too small", &govpb.MsgUpdateParams{MaxTxBytes: u32(10)}, ErrInvalidParams},
		{"memo above half the tx limit", &govpb.MsgUpdateParams{MaxMemoBytes: u32(40 << 10)}, ErrInvalidParams},
		{"bad gate policy", &govpb.MsgUpdateParams{GatePolicy: &gatepb.Policy{MaxLineageNodes: 1 << 20}}, ErrInvalidParams},
		{"bad governance", &govpb.MsgUpdateParams{Gov: &govpb.Params{}}, ErrInvalidParams},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := kittest.NewMemStore()
			kit.Save(root, keyParams, DefaultParams())
			_, err := updateParams(kit.Prefixed(root, []byte{prefixApp}), root, kit.Block{}, kit.GovernanceAuthority, tc.msg)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.want != nil {
				return
			}
			got, def := LoadParams(root), DefaultParams()
			switch {
			case tc.msg.GatePolicy != nil:
				if !got.GatePolicy.RequireSignature || got.MaxMemoBytes != def.MaxMemoBytes {
					t.Fatalf("got %v", got)
				}
			case tc.msg.MaxMemoBytes != nil:
				if got.MaxMemoBytes != 512 || !got.GatePolicy.DenyRevokedDatasets || got.Rules != def.Rules {
					t.Fatalf("got %v", got)
				}
			case tc.msg.Gov != nil:
				if got.Gov.VotingPeriodBlocks != 10 || got.MaxTxBytes != def.MaxTxBytes {
					t.Fatalf("got %v", got)
				}
			}
		})
	}
}
