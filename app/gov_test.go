package app

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/x/gate"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/gov"
	govpb "github.com/lineageledger/lineaged/x/gov/govv1"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// govChain is a chain of the latest rules whose proposals are open for
// three blocks.
func govChain(t *testing.T) *chain {
	c := newChainOn(t, mustMemStore(t), false)
	g := testGenesis(c.admin, c.steward, c.beta)
	g.Params.Gov.VotingPeriodBlocks = 3
	c.initChain(g)
	return c
}

func (c *chain) proposal(id uint64) *govpb.Proposal {
	c.t.Helper()
	var resp govpb.QueryProposalResponse
	if err := c.query("/lineage.gov.v1.Query/Proposal", &govpb.QueryProposalRequest{ProposalId: id}, &resp); err != nil {
		c.t.Fatal(err)
	}
	return resp.Proposal
}

func updateGatePolicy(p *gatepb.Policy) *govpb.ProposalMessage {
	return &govpb.ProposalMessage{Msg: &govpb.ProposalMessage_UpdateParams{UpdateParams: &govpb.MsgUpdateParams{GatePolicy: p}}}
}

// TestGovernanceLifecycle: a proposal to require publisher signatures and
// admit an organisation is submitted, voted on (a vote changed), passes at
// the end of its last voting block and changes the parameters and the
// membership; the new organisation can then sign and vote.
func TestGovernanceLifecycle(t *testing.T) {
	c := govChain(t)
	gamma := &actor{key: testKey(t, "gamma-admin", keysv1.KeyType_KEY_TYPE_ED25519)}
	strict := gate.DefaultPolicy()
	strict.RequireSignature = true
	c.mustBlock(c.tx(c.admin, &govpb.MsgSubmitProposal{Title: "Require signatures; admit Gamma", Messages: []*govpb.ProposalMessage{
		updateGatePolicy(strict),
		{Msg: &govpb.ProposalMessage_CreateOrg{CreateOrg: &membershippb.MsgCreateOrg{OrgId: "gamma", Name: "Gamma AI",
			AdminPublicKey: gamma.key.Public(), AdminRoles: []membershippb.Role{membershippb.Role_ROLE_ADMIN}}}},
	}}))
	submitted := c.height
	p := c.proposal(1)
	if p.Status != govpb.ProposalStatus_PROPOSAL_STATUS_VOTING || p.VotingEndHeight != submitted+2 {
		t.Fatalf("after submission: %v", p)
	}
	c.mustBlock(c.tx(c.admin, &govpb.MsgVote{ProposalId: 1, Option: govpb.VoteOption_VOTE_OPTION_YES}),
		c.tx(c.beta, &govpb.MsgVote{ProposalId: 1, Option: govpb.VoteOption_VOTE_OPTION_NO}))
	var tally govpb.QueryTallyResponse
	if err := c.query("/lineage.gov.v1.Query/Tally", &govpb.QueryTallyRequest{ProposalId: 1}, &tally); err != nil {
		t.Fatal(err)
	}
	if got := tally.Tally; got.Yes != 1 || got.No != 1 || got.MemberOrgs != 2 || !got.QuorumMet || got.ThresholdMet {
		t.Fatalf("running tally: %v", got)
	}
	if modules.LoadParams(c.store.Committed()).GatePolicy.RequireSignature {
		t.Fatal("the policy changed before the proposal was decided")
	}
	c.mustBlock(c.tx(c.beta, &govpb.MsgVote{ProposalId: 1, Option: govpb.VoteOption_VOTE_OPTION_YES}))

	p = c.proposal(1)
	if p.Status != govpb.ProposalStatus_PROPOSAL_STATUS_PASSED || p.DecidedHeight != submitted+2 || p.FinalTally.Yes != 2 {
		t.Fatalf("decided: %v", p)
	}
	if !modules.LoadParams(c.store.Committed()).GatePolicy.RequireSignature {
		t.Fatal("the passed proposal did not change the gate policy")
	}
	if org, err := c.app.mods.Accounts().Org(c.store.Committed(), "gamma"); err != nil || org.CreatedHeight != submitted+2 {
		t.Fatalf("gamma: %v %v", org, err)
	}
	// Gamma's admin signs: a vote on a closed proposal is refused by gov.
	res, _ := c.block(c.tx(gamma, &govpb.MsgVote{ProposalId: 1, Option: govpb.VoteOption_VOTE_OPTION_YES}))
	if res[0].Codespace != gov.Codespace || res[0].Code != gov.ErrVotingClosed.Code {
		t.Fatalf("vote after the period: %s/%d %s", res[0].Codespace, res[0].Code, res[0].Log)
	}
}

// TestGovernanceFailureKeepsNothing: a proposal whose second message fails
// at execution is FAILED with that message's error, and its first
// message's writes (a changed parameter) do not stay.
func TestGovernanceFailureKeepsNothing(t *testing.T) {
	c := govChain(t)
	strict := gate.DefaultPolicy()
	strict.RequireSignature = true
	c.mustBlock(c.tx(c.admin, &govpb.MsgSubmitProposal{Title: "Half good", Messages: []*govpb.ProposalMessage{
		updateGatePolicy(strict),
		{Msg: &govpb.ProposalMessage_SuspendOrg{SuspendOrg: &membershippb.MsgSuspendOrg{OrgId: "nobody", Reason: "no such org"}}},
	}}))
	before := modules.LoadParams(c.store.Committed())
	c.mustBlock(c.tx(c.admin, &govpb.MsgVote{ProposalId: 1, Option: govpb.VoteOption_VOTE_OPTION_YES}),
		c.tx(c.beta, &govpb.MsgVote{ProposalId: 1, Option: govpb.VoteOption_VOTE_OPTION_YES}))
	c.mustBlock()
	p := c.proposal(1)
	if p.Status != govpb.ProposalStatus_PROPOSAL_STATUS_FAILED || p.FailedMessage != 1 ||
		p.FailureCodespace != "membership" || p.FailureCode != 4 {
		t.Fatalf("decided: %v", p)
	}
	after := modules.LoadParams(c.store.Committed())
	if after.GatePolicy.RequireSignature != before.GatePolicy.RequireSignature {
		t.Fatal("a failed proposal's first message kept its write")
	}
}

// TestGovernanceOnlyMessagesRefused: no account, whatever its roles, can
// send a message only governance may send.
func TestGovernanceOnlyMessagesRefused(t *testing.T) {
	c := govChain(t)
	one := uint32(2048)
	res := c.checkTx(c.tx(c.admin, &govpb.MsgUpdateParams{MaxMemoBytes: &one}))
	if res.Codespace != modules.Codespace || res.Code != modules.ErrGovernanceOnly.Code {
		t.Fatalf("update_params from the consortium admin: %s/%d %s", res.Codespace, res.Code, res.Log)
	}
	c.admin.seq-- // refused: the sequence was not spent
	res = c.checkTx(c.tx(c.admin, &membershippb.MsgSuspendOrg{OrgId: "beta", Reason: "spite"}))
	if res.Code != modules.ErrGovernanceOnly.Code {
		t.Fatalf("suspend_org from the consortium admin: %s/%d %s", res.Codespace, res.Code, res.Log)
	}
}

// TestGovernanceDeterministic: two applications fed the same governance
// blocks reach the same app hash at every height.
func TestGovernanceDeterministic(t *testing.T) {
	a, b := goldenChain(t, governanceGenesis), goldenChain(t, governanceGenesis)
	blocks := goldenHistory(t, a)
	for id, want := range []govpb.ProposalStatus{govpb.ProposalStatus_PROPOSAL_STATUS_PASSED,
		govpb.ProposalStatus_PROPOSAL_STATUS_FAILED, govpb.ProposalStatus_PROPOSAL_STATUS_EXPIRED} {
		if got := a.proposal(uint64(id + 1)); got.Status != want {
			t.Fatalf("golden proposal %d: %v, want %v", id+1, got, want)
		}
	}
	for i, blk := range blocks {
		b.fullNodeBlock(blk.txs...)
		if !bytes.Equal(b.blocks[i].hash, blk.hash) {
			t.Fatalf("height %d: %X and %X", i+1, blk.hash, b.blocks[i].hash)
		}
	}
}

// TestSuspendedOrgCannotSign: once governance suspends an organisation,
// its accounts' transactions are refused at admission, until governance
// reinstates it.
func TestSuspendedOrgCannotSign(t *testing.T) {
	c := govChain(t)
	c.mustBlock(c.tx(c.admin, &govpb.MsgSubmitProposal{Title: "Suspend beta", Messages: []*govpb.ProposalMessage{
		{Msg: &govpb.ProposalMessage_SuspendOrg{SuspendOrg: &membershippb.MsgSuspendOrg{OrgId: "beta", Reason: "unpaid dues"}}},
	}}))
	c.mustBlock(c.tx(c.admin, &govpb.MsgVote{ProposalId: 1, Option: govpb.VoteOption_VOTE_OPTION_YES}),
		c.tx(c.beta, &govpb.MsgVote{ProposalId: 1, Option: govpb.VoteOption_VOTE_OPTION_YES}))
	c.mustBlock()
	if p := c.proposal(1); p.Status != govpb.ProposalStatus_PROPOSAL_STATUS_PASSED {
		t.Fatalf("decided: %v", p)
	}
	res := c.checkTx(c.tx(c.beta, &govpb.MsgSubmitProposal{Title: "Reinstate beta", Messages: []*govpb.ProposalMessage{
		{Msg: &govpb.ProposalMessage_ReinstateOrg{ReinstateOrg: &membershippb.MsgReinstateOrg{OrgId: "beta"}}},
	}}))
	if res.Codespace != modules.Codespace || res.Code != modules.ErrSignerSuspended.Code {
		t.Fatalf("beta signing while suspended: %s/%d %s", res.Codespace, res.Code, res.Log)
	}
}

// TestProposalOffTheAllowList: a proposal naming a message governance may
// not send is refused at submission by governance, saying what it may
// send.
func TestProposalOffTheAllowList(t *testing.T) {
	c := govChain(t)
	res, _ := c.block(c.tx(c.admin, &govpb.MsgSubmitProposal{Title: "Revoke a model by decree", Messages: []*govpb.ProposalMessage{
		{Msg: &govpb.ProposalMessage_RevokeModel{RevokeModel: &modelspb.MsgRevokeModel{Name: "acme/x", Version: "1"}}},
	}}))
	if r := res[0]; r.Codespace != gov.Codespace || r.Code != gov.ErrMessageNotAllowed.Code || !strings.Contains(r.Log, "revoke_model") {
		t.Fatalf("got %s/%d %s", r.Codespace, r.Code, r.Log)
	}
}
