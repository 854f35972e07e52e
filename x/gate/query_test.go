package gate

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/kit/kittest"
)

func TestQueryPolicy(t *testing.T) {
	w := newWorld()
	q := w.k.Querier(kittest.NewMemStore(), blk)
	resp, err := q.Policy(context.Background(), &gatev1.QueryPolicyRequest{})
	unset := &gatev1.Policy{MaxLineageNodes: DefaultMaxLineageNodes, RequireNamespaceOwner: true}
	if err != nil || !proto.Equal(resp.Policy, unset) {
		t.Fatalf("Policy of an unset parameter = %v, %v; want the default without deny_revoked_datasets", resp, err)
	}

	set := &gatev1.Policy{RequireSignature: true, AllowedPublisherOrgs: []string{"acme"}}
	w.params.policy = set
	resp, err = q.Policy(context.Background(), &gatev1.QueryPolicyRequest{})
	if err != nil || !proto.Equal(resp.Policy, set) {
		t.Fatalf("Policy = %v, %v; want %v", resp, err, set)
	}
	resp.Policy.AllowedPublisherOrgs[0] = "evil"
	if set.AllowedPublisherOrgs[0] != "acme" {
		t.Errorf("the answer aliases the parameter")
	}
}

func TestQueryCheck(t *testing.T) {
	w := newWorld()
	st := kittest.NewMemStore()
	req := &gatev1.CheckRequest{Model: llm, Org: "gamma", Uses: commercial()}
	got, err := w.k.Querier(st, blk).Check(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want, err := w.k.Check(st, blk, req)
	if err != nil || !proto.Equal(got, want) {
		t.Errorf("Querier.Check = %v; Keeper.Check = %v, %v", got, want, err)
	}
	if got.Height != blk.Height || got.Verdict != gatev1.Verdict_VERDICT_DENY {
		t.Errorf("height %d verdict %s", got.Height, got.Verdict)
	}
	if _, err := w.k.Querier(st, blk).Check(context.Background(), &gatev1.CheckRequest{}); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("empty request: %v, want ErrInvalidRequest", err)
	}
}
