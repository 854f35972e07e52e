package gov

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	pb "github.com/lineageledger/lineaged/x/gov/govv1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/kittest"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// fakeOrgs are the member organisations, by id; fakeParams the
// governance parameters (nil: the defaults).
type fakeOrgs map[string]*membershippb.Org

func (f fakeOrgs) Org(_ kit.Reader, id string) (*membershippb.Org, bool) {
	o, ok := f[id]
	return o, ok
}

func (f fakeOrgs) EachOrg(_ kit.Reader, fn func(*membershippb.Org) bool) {
	for _, id := range []string{"alpha", "beta", "gamma", "delta"} {
		if o, ok := f[id]; ok && !fn(o) {
			return
		}
	}
}

type fakeParams struct{ p *pb.Params }

func (f fakeParams) GovParams(kit.Reader) *pb.Params { return f.p }

// fakeAuthority records what it is asked to execute and fails as told.
type fakeAuthority struct {
	executed []proto.Message
	failAt   int
	err      error
}

func (a *fakeAuthority) Execute(_ kit.Block, msgs []proto.Message) ([]kit.Event, int, error) {
	if a.err != nil {
		return nil, a.failAt, a.err
	}
	a.executed = append(a.executed, msgs...)
	return []kit.Event{kit.NewEvent("executed")}, -1, nil
}

var errExecution = kit.NewError("membership", 4, "organisation not found")

func fourOrgs() fakeOrgs {
	return fakeOrgs{
		"alpha": {Id: "alpha"}, "beta": {Id: "beta"}, "gamma": {Id: "gamma"},
		"delta": {Id: "delta", Suspended: true, SuspensionReason: "unpaid dues"},
	}
}

func admin(org string) kit.Signer { return kit.Signer{Address: "lin1" + org, OrgID: org} }

func policyMessage() *pb.ProposalMessage {
	return &pb.ProposalMessage{Msg: &pb.ProposalMessage_UpdateParams{UpdateParams: &pb.MsgUpdateParams{
		GatePolicy: &gatepb.Policy{RequireSignature: true}}}}
}

// notAllowed is a proposal message governance may not send: a model
// registration.
func notAllowed() *pb.ProposalMessage {
	return &pb.ProposalMessage{Msg: &pb.ProposalMessage_RegisterModel{RegisterModel: &modelspb.MsgRegisterModel{}}}
}

// unknownMessage is a proposal message holding only a field the chain does
// not know.
func unknownMessage() *pb.ProposalMessage {
	m := &pb.ProposalMessage{}
	raw := protowire.AppendTag(nil, 999, protowire.BytesType)
	raw = protowire.AppendBytes(raw, nil)
	if err := proto.Unmarshal(raw, m); err != nil {
		panic(err)
	}
	return m
}

const votingPeriod = 5

// env is the module over a whole state root, its own prefix st.
type env struct {
	k    Keeper
	root *kittest.MemStore
	st   kit.Store
	auth *fakeAuthority
}

func newEnv(orgs fakeOrgs, params *pb.Params) *env {
	if params == nil {
		params = DefaultParams()
		params.VotingPeriodBlocks = votingPeriod
	}
	root := kittest.NewMemStore()
	return &env{k: NewKeeper(0x03, orgs, fakeParams{params}), root: root, st: kit.Prefixed(root, []byte{0x03}), auth: &fakeAuthority{}}
}

func block(h int64) kit.Block { return kit.Block{Height: h, Rules: kit.RulesGovernance} }

func (e *env) submit(t *testing.T, h int64, signer kit.Signer, msgs ...*pb.ProposalMessage) error {
	t.Helper()
	_, err := e.k.SubmitProposal(e.st, e.root, block(h), signer, &pb.MsgSubmitProposal{Title: "t", Messages: msgs})
	return err
}

func (e *env) vote(h int64, signer kit.Signer, id uint64, o pb.VoteOption) error {
	_, err := e.k.Vote(e.st, e.root, block(h), signer, &pb.MsgVote{ProposalId: id, Option: o})
	return err
}

func (e *env) endBlocks(from, to int64) {
	for h := from; h <= to; h++ {
		e.k.EndBlock(e.st, e.root, block(h), e.auth)
	}
}

func (e *env) proposal(t *testing.T, id uint64) *pb.Proposal {
	t.Helper()
	resp, err := e.k.Querier(e.root, kit.Block{}).Proposal(context.Background(), &pb.QueryProposalRequest{ProposalId: id})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Proposal
}

const (
	yes     = pb.VoteOption_VOTE_OPTION_YES
	no      = pb.VoteOption_VOTE_OPTION_NO
	abstain = pb.VoteOption_VOTE_OPTION_ABSTAIN
)

// TestSubmitProposal: each rejection of a submission.
func TestSubmitProposal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		signer kit.Signer
		msg    *pb.MsgSubmitProposal
		want   error
	}{
		{"ok", admin("alpha"), &pb.MsgSubmitProposal{Title: "t", Messages: []*pb.ProposalMessage{policyMessage()}}, nil},
		{"message the authority may not send", admin("alpha"),
			&pb.MsgSubmitProposal{Title: "t", Messages: []*pb.ProposalMessage{policyMessage(), notAllowed()}}, ErrMessageNotAllowed},
		{"empty message", admin("alpha"), &pb.MsgSubmitProposal{Title: "t", Messages: []*pb.ProposalMessage{{}}}, ErrMessageNotAllowed},
		{"unknown message", admin("alpha"), &pb.MsgSubmitProposal{Title: "t", Messages: []*pb.ProposalMessage{unknownMessage()}}, ErrMessageNotAllowed},
		{"a vote, proposed", admin("alpha"), &pb.MsgSubmitProposal{Title: "t", Messages: []*pb.ProposalMessage{
			{Msg: &pb.ProposalMessage_Vote{Vote: &pb.MsgVote{ProposalId: 1, Option: yes}}}}}, ErrMessageNotAllowed},
		{"no messages", admin("alpha"), &pb.MsgSubmitProposal{Title: "t"}, ErrInvalidField},
		{"too many messages", admin("alpha"), &pb.MsgSubmitProposal{Title: "t", Messages: make([]*pb.ProposalMessage, MaxMessages+1)}, ErrInvalidField},
		{"no title", admin("alpha"), &pb.MsgSubmitProposal{Messages: []*pb.ProposalMessage{policyMessage()}}, ErrInvalidField},
		{"non-member", admin("omega"), &pb.MsgSubmitProposal{Title: "t", Messages: []*pb.ProposalMessage{policyMessage()}}, ErrNotMember},
		{"suspended org", admin("delta"), &pb.MsgSubmitProposal{Title: "t", Messages: []*pb.ProposalMessage{policyMessage()}}, ErrOrgSuspended},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(fourOrgs(), nil)
			_, err := e.k.SubmitProposal(e.st, e.root, block(10), tc.signer, tc.msg)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.want != nil {
				if e.root.Len() != 0 {
					t.Fatalf("a refused submission wrote %v", e.root.Snapshot())
				}
				return
			}
			p := e.proposal(t, 1)
			if p.Status != pb.ProposalStatus_PROPOSAL_STATUS_VOTING || p.VotingEndHeight != 10+votingPeriod-1 || p.ProposerOrg != "alpha" {
				t.Fatalf("stored %v", p)
			}
		})
	}
}

// TestVote: each rejection of a vote.
func TestVote(t *testing.T) {
	end := int64(10 + votingPeriod - 1)
	for _, tc := range []struct {
		name   string
		height int64
		signer kit.Signer
		id     uint64
		option pb.VoteOption
		want   error
	}{
		{"ok", 11, admin("beta"), 1, yes, nil},
		{"last block of the period", end, admin("beta"), 1, no, nil},
		{"after the period", end + 1, admin("beta"), 1, yes, ErrVotingClosed},
		{"non-member", 11, admin("omega"), 1, yes, ErrNotMember},
		{"suspended org", 11, admin("delta"), 1, yes, ErrOrgSuspended},
		{"no such proposal", 11, admin("beta"), 2, yes, ErrProposalNotFound},
		{"no option", 11, admin("beta"), 1, pb.VoteOption_VOTE_OPTION_UNSPECIFIED, ErrInvalidVote},
		{"unknown option", 11, admin("beta"), 1, pb.VoteOption(9), ErrInvalidVote},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(fourOrgs(), nil)
			if err := e.submit(t, 10, admin("alpha"), policyMessage()); err != nil {
				t.Fatal(err)
			}
			if err := e.vote(tc.height, tc.signer, tc.id, tc.option); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestDecide: the outcomes of a proposal with three active member
// organisations (delta is suspended), default quorum (1/2) and threshold
// (2/3), and what executes.
func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		name     string
		votes    map[string]pb.VoteOption
		failWith error
		want     pb.ProposalStatus
		executed bool
	}{
		{"passes", map[string]pb.VoteOption{"alpha": yes, "beta": yes, "gamma": yes}, nil, pb.ProposalStatus_PROPOSAL_STATUS_PASSED, true},
		{"threshold not met", map[string]pb.VoteOption{"alpha": yes, "beta": yes, "gamma": no}, nil, pb.ProposalStatus_PROPOSAL_STATUS_REJECTED, false},
		{"abstentions count for the quorum only", map[string]pb.VoteOption{"alpha": yes, "beta": abstain}, nil, pb.ProposalStatus_PROPOSAL_STATUS_REJECTED, false},
		{"quorum not met", map[string]pb.VoteOption{"alpha": yes}, nil, pb.ProposalStatus_PROPOSAL_STATUS_EXPIRED, false},
		{"no votes", nil, nil, pb.ProposalStatus_PROPOSAL_STATUS_EXPIRED, false},
		{"a message fails at execution", map[string]pb.VoteOption{"alpha": yes, "beta": yes, "gamma": yes},
			errExecution.Wrapf("nobody"), pb.ProposalStatus_PROPOSAL_STATUS_FAILED, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(fourOrgs(), nil)
			e.auth.err, e.auth.failAt = tc.failWith, 1
			if err := e.submit(t, 10, admin("alpha"), policyMessage(), policyMessage()); err != nil {
				t.Fatal(err)
			}
			for _, org := range []string{"alpha", "beta", "gamma"} {
				if o, ok := tc.votes[org]; ok {
					if err := e.vote(11, admin(org), 1, o); err != nil {
						t.Fatal(err)
					}
				}
			}
			end := int64(10 + votingPeriod - 1)
			e.endBlocks(10, end-1)
			if p := e.proposal(t, 1); p.Status != pb.ProposalStatus_PROPOSAL_STATUS_VOTING {
				t.Fatalf("decided before its period ended: %v", p)
			}
			e.endBlocks(end, end)
			p := e.proposal(t, 1)
			if p.Status != tc.want || p.DecidedHeight != end || p.FinalTally.MemberOrgs != 3 {
				t.Fatalf("got %v, want %v", p, tc.want)
			}
			if got := len(e.auth.executed) > 0; got != tc.executed {
				t.Fatalf("executed %v, want %v", e.auth.executed, tc.executed)
			}
			if tc.failWith != nil && (p.FailedMessage != 1 || p.FailureCodespace != "membership" || p.FailureCode != 4 || p.FailureLog == "") {
				t.Fatalf("failure not recorded: %v", p)
			}
			if e.st.Has(QueueKey(end, 1)) || !e.st.Has(StatusKey(tc.want, 1)) || e.st.Has(StatusKey(pb.ProposalStatus_PROPOSAL_STATUS_VOTING, 1)) {
				t.Fatal("queue or status index not updated")
			}
		})
	}
}

// TestSuspendedVoteDoesNotCount: an organisation suspended after voting
// is no member at the tally, and its vote does not count.
func TestSuspendedVoteDoesNotCount(t *testing.T) {
	orgs := fourOrgs()
	e := newEnv(orgs, nil)
	if err := e.submit(t, 10, admin("alpha"), policyMessage()); err != nil {
		t.Fatal(err)
	}
	for _, org := range []string{"alpha", "beta", "gamma"} {
		if err := e.vote(11, admin(org), 1, yes); err != nil {
			t.Fatal(err)
		}
	}
	orgs["gamma"].Suspended = true
	e.endBlocks(10+votingPeriod-1, 10+votingPeriod-1)
	// 2 yes of 2 members.
	if p := e.proposal(t, 1); p.Status != pb.ProposalStatus_PROPOSAL_STATUS_PASSED || p.FinalTally.Yes != 2 || p.FinalTally.MemberOrgs != 2 {
		t.Fatalf("got %v", p)
	}
}

// TestVoteChanges: the latest vote counts.
func TestVoteChanges(t *testing.T) {
	e := newEnv(fourOrgs(), nil)
	if err := e.submit(t, 10, admin("alpha"), policyMessage()); err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct {
		org string
		o   pb.VoteOption
	}{{"alpha", yes}, {"beta", yes}, {"gamma", yes}, {"gamma", no}} {
		if err := e.vote(12, admin(v.org), 1, v.o); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := e.k.Querier(e.root, kit.Block{}).Tally(context.Background(), &pb.QueryTallyRequest{ProposalId: 1})
	if err != nil {
		t.Fatal(err)
	}
	if tl := resp.Tally; tl.Yes != 2 || tl.No != 1 || tl.ThresholdMet {
		t.Fatalf("tally %v", tl)
	}
}

// TestProposalsQuery: listing by status, in pages.
func TestProposalsQuery(t *testing.T) {
	e := newEnv(fourOrgs(), nil)
	for h := int64(1); h <= 3; h++ {
		if err := e.submit(t, h, admin("alpha"), policyMessage()); err != nil {
			t.Fatal(err)
		}
	}
	e.endBlocks(1, votingPeriod) // proposal 1 expires
	q := e.k.Querier(e.root, kit.Block{})
	for _, tc := range []struct {
		req      *pb.QueryProposalsRequest
		wantIDs  []uint64
		wantNext uint64
	}{
		{&pb.QueryProposalsRequest{}, []uint64{1, 2, 3}, 0},
		{&pb.QueryProposalsRequest{Limit: 2}, []uint64{1, 2}, 2},
		{&pb.QueryProposalsRequest{StartAfter: 2}, []uint64{3}, 0},
		{&pb.QueryProposalsRequest{Status: pb.ProposalStatus_PROPOSAL_STATUS_VOTING}, []uint64{2, 3}, 0},
		{&pb.QueryProposalsRequest{Status: pb.ProposalStatus_PROPOSAL_STATUS_EXPIRED}, []uint64{1}, 0},
		{&pb.QueryProposalsRequest{Status: pb.ProposalStatus_PROPOSAL_STATUS_VOTING, Limit: 1}, []uint64{2}, 2},
	} {
		resp, err := q.Proposals(context.Background(), tc.req)
		if err != nil {
			t.Fatal(err)
		}
		var ids []uint64
		for _, p := range resp.Proposals {
			ids = append(ids, p.Id)
		}
		if len(ids) != len(tc.wantIDs) || resp.NextStartAfter != tc.wantNext {
			t.Errorf("%v: got %v next %d, want %v next %d", tc.req, ids, resp.NextStartAfter, tc.wantIDs, tc.wantNext)
			continue
		}
		for i := range ids {
			if ids[i] != tc.wantIDs[i] {
				t.Errorf("%v: got %v, want %v", tc.req, ids, tc.wantIDs)
			}
		}
	}
	if _, err := q.Proposals(context.Background(), &pb.QueryProposalsRequest{Limit: MaxPageLimit + 1}); !errors.Is(err, ErrInvalidQuery) {
		t.Errorf("oversize page: %v", err)
	}
}

// TestValidateParams: the parameters no chain should run with.
func TestValidateParams(t *testing.T) {
	f := func(n, d uint32) *pb.Fraction { return &pb.Fraction{Numerator: n, Denominator: d} }
	for _, tc := range []struct {
		name string
		p    *pb.Params
		ok   bool
	}{
		{"defaults", DefaultParams(), true},
		{"no voting period", &pb.Params{Quorum: f(1, 2), Threshold: f(2, 3)}, false},
		{"voting period too long", &pb.Params{VotingPeriodBlocks: MaxVotingPeriodBlocks + 1, Quorum: f(1, 2), Threshold: f(2, 3)}, false},
		{"no quorum", &pb.Params{VotingPeriodBlocks: 1, Threshold: f(2, 3)}, false},
		{"threshold above one", &pb.Params{VotingPeriodBlocks: 1, Quorum: f(1, 2), Threshold: f(4, 3)}, false},
		{"zero denominator", &pb.Params{VotingPeriodBlocks: 1, Quorum: f(0, 0), Threshold: f(2, 3)}, false},
		{"unanimity", &pb.Params{VotingPeriodBlocks: 1, Quorum: f(1, 1), Threshold: f(1, 1)}, true},
	} {
		if err := ValidateParams(tc.p); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
