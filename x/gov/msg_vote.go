package gov

import (
	"strconv"

	pb "github.com/lineageledger/lineaged/x/gov/govv1"
	"github.com/lineageledger/lineaged/x/kit"
)

// Vote casts the signer's organisation's vote on a proposal, or changes
// it, until the end of the proposal's voting period. The application has
// checked that the signer holds ROLE_ADMIN; its organisation must be an
// active member.
func (k Keeper) Vote(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgVote) ([]kit.Event, error) {
	if _, known := pb.VoteOption_name[int32(msg.Option)]; !known || msg.Option == pb.VoteOption_VOTE_OPTION_UNSPECIFIED {
		return nil, ErrInvalidVote.Wrapf("%d: vote yes, no or abstain", int32(msg.Option))
	}
	p, ok := loadProposal(st, msg.ProposalId)
	if !ok {
		return nil, ErrProposalNotFound.Wrapf("%d", msg.ProposalId)
	}
	if p.Status != pb.ProposalStatus_PROPOSAL_STATUS_VOTING || blk.Height > p.VotingEndHeight {
		return nil, ErrVotingClosed.Wrapf("proposal %d is %s; its voting period ended at height %d", p.Id, p.Status, p.VotingEndHeight)
	}
	if err := k.memberOrg(view, signer.OrgID); err != nil {
		return nil, err
	}
	kit.Save(st, VoteKey(p.Id, signer.OrgID), &pb.Vote{
		ProposalId: p.Id, OrgId: signer.OrgID, Option: msg.Option, Voter: signer.Address, Height: blk.Height,
	})
	return []kit.Event{kit.NewEvent("gov.vote",
		"proposal_id", strconv.FormatUint(p.Id, 10), "org_id", signer.OrgID, "option", msg.Option.String(),
		"voter", signer.Address).Searchable("proposal_id")}, nil
}
