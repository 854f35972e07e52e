package gov

import (
	"encoding/binary"
	"strconv"

	pb "github.com/lineageledger/lineaged/x/gov/govv1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// EndBlock decides the proposals whose voting period ends with this block,
// found in the height-keyed queue (never by scanning proposals), in id
// order. Each is tallied: without a quorum it EXPIRED, without enough yes
// votes it is REJECTED; otherwise its messages execute through authority,
// all or nothing, and it PASSED, or FAILED with the failing message's
// error recorded and none of their writes kept.
//
// Votes can change until the period ends, so an outcome is never certain
// earlier: every proposal is decided at the end of its last voting block.
func (k Keeper) EndBlock(st kit.Store, view kit.Reader, blk kit.Block, authority kit.Authority) ([]kit.Event, []kit.ValidatorUpdate) {
	if blk.Rules < kit.RulesGovernance {
		return nil, nil
	}
	prefix := QueuePrefix(blk.Height)
	var ids []uint64
	it := st.Iterator(prefix, kit.PrefixEnd(prefix), false)
	for ; it.Valid(); it.Next() {
		ids = append(ids, binary.BigEndian.Uint64(it.Key()[len(prefix):]))
	}
	it.Close()
	var events []kit.Event
	for _, id := range ids {
		events = append(events, k.decide(st, view, blk, authority, id)...)
		st.Delete(QueueKey(blk.Height, id))
	}
	return events, nil
}

func (k Keeper) decide(st kit.Store, view kit.Reader, blk kit.Block, authority kit.Authority, id uint64) []kit.Event {
	p, ok := loadProposal(st, id)
	if !ok || p.Status != pb.ProposalStatus_PROPOSAL_STATUS_VOTING {
		panic("gov: the queue names a proposal that is not open for votes")
	}
	tally := k.tally(st, view, id)
	p.FinalTally, p.DecidedHeight = tally, blk.Height
	var events []kit.Event
	switch {
	case !tally.QuorumMet:
		p.Status = pb.ProposalStatus_PROPOSAL_STATUS_EXPIRED
	case !tally.ThresholdMet:
		p.Status = pb.ProposalStatus_PROPOSAL_STATUS_REJECTED
	default:
		executed, failed, err := authority.Execute(blk, Messages(p))
		if err != nil {
			p.Status = pb.ProposalStatus_PROPOSAL_STATUS_FAILED
			p.FailedMessage = uint32(failed)
			p.FailureCodespace, p.FailureCode, _ = kit.CodeOf(err)
			p.FailureLog = err.Error()
		} else {
			p.Status = pb.ProposalStatus_PROPOSAL_STATUS_PASSED
			events = executed
		}
	}
	saveProposal(st, p, pb.ProposalStatus_PROPOSAL_STATUS_VOTING)
	attrs := []string{"proposal_id", strconv.FormatUint(id, 10), "status", p.Status.String(),
		"yes", u32(tally.Yes), "no", u32(tally.No), "abstain", u32(tally.Abstain), "member_orgs", u32(tally.MemberOrgs)}
	if p.Status == pb.ProposalStatus_PROPOSAL_STATUS_FAILED {
		attrs = append(attrs, "failure", p.FailureLog)
	}
	decided := kit.NewEvent("gov.proposal_decided", attrs...).Searchable("proposal_id")
	return append([]kit.Event{decided}, events...)
}

// tally counts the votes on proposal id of the organisations that are
// active members now: a suspended organisation's vote does not count, nor
// does it count among the members.
func (k Keeper) tally(st, view kit.Reader, id uint64) *pb.Tally {
	t := &pb.Tally{}
	k.orgs.EachOrg(view, func(org *membershipv1.Org) bool {
		if !org.Suspended {
			t.MemberOrgs++
		}
		return true
	})
	prefix := VotesPrefix(id)
	it := st.Iterator(prefix, kit.PrefixEnd(prefix), false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		var v pb.Vote
		kit.Decode(it.Key(), it.Value(), &v)
		if org, ok := k.orgs.Org(view, v.OrgId); !ok || org.Suspended {
			continue
		}
		switch v.Option {
		case pb.VoteOption_VOTE_OPTION_YES:
			t.Yes++
		case pb.VoteOption_VOTE_OPTION_NO:
			t.No++
		case pb.VoteOption_VOTE_OPTION_ABSTAIN:
			t.Abstain++
		}
	}
	params := k.govParams(view)
	members, voters := uint64(t.MemberOrgs), uint64(t.Yes+t.No+t.Abstain)
	q, th := params.Quorum, params.Threshold
	t.QuorumMet = members > 0 && voters*uint64(q.Denominator) >= uint64(q.Numerator)*members
	t.ThresholdMet = members > 0 && uint64(t.Yes)*uint64(th.Denominator) > uint64(th.Numerator)*members
	return t
}

func u32(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
