package gov

import (
	"context"
	"encoding/binary"

	pb "github.com/lineageledger/lineaged/x/gov/govv1"
	"github.com/lineageledger/lineaged/x/kit"
)

// Query bounds.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// Querier answers [pb.QueryServer] from one version of the state.
type Querier struct {
	k    Keeper
	root kit.Reader // the whole state, for membership and the parameters
	r    kit.Reader // this module's part of it
}

var _ pb.QueryServer = Querier{}

// Querier answers queries from r, the whole state of one version. Nothing
// it answers depends on the block, which is taken for uniformity.
func (k Keeper) Querier(r kit.Reader, _ kit.Block) Querier {
	return Querier{k: k, root: r, r: k.reader(r)}
}

// Proposal implements pb.QueryServer.
func (q Querier) Proposal(_ context.Context, req *pb.QueryProposalRequest) (*pb.QueryProposalResponse, error) {
	p, ok := loadProposal(q.r, req.ProposalId)
	if !ok {
		return nil, ErrProposalNotFound.Wrapf("%d", req.ProposalId)
	}
	return &pb.QueryProposalResponse{Proposal: p}, nil
}

// Proposals implements pb.QueryServer: proposals in id order, all of them
// or those of one status (through the status index).
func (q Querier) Proposals(_ context.Context, req *pb.QueryProposalsRequest) (*pb.QueryProposalsResponse, error) {
	limit, err := kit.Bound("limit", req.Limit, DefaultPageLimit, MaxPageLimit)
	if err != nil {
		return nil, ErrInvalidQuery.Wrapf("%v", err)
	}
	if _, known := pb.ProposalStatus_name[int32(req.Status)]; !known {
		return nil, ErrInvalidQuery.Wrapf("unknown status %d", int32(req.Status))
	}
	prefix := []byte{prefixProposal}
	if req.Status != pb.ProposalStatus_PROPOSAL_STATUS_UNSPECIFIED {
		prefix = StatusPrefix(req.Status)
	}
	start := prefix
	switch req.StartAfter {
	case 0:
	case ^uint64(0): // no id comes after it
		return &pb.QueryProposalsResponse{}, nil
	default:
		start = make([]byte, len(prefix)+8)
		copy(start, prefix)
		binary.BigEndian.PutUint64(start[len(prefix):], req.StartAfter+1)
	}
	resp := &pb.QueryProposalsResponse{}
	it := q.r.Iterator(start, kit.PrefixEnd(prefix), false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		id := binary.BigEndian.Uint64(it.Key()[len(prefix):])
		if len(resp.Proposals) == limit {
			resp.NextStartAfter = resp.Proposals[limit-1].Id
			break
		}
		p, ok := loadProposal(q.r, id)
		if !ok {
			panic("gov: the status index names a missing proposal")
		}
		resp.Proposals = append(resp.Proposals, p)
	}
	return resp, nil
}

// Votes implements pb.QueryServer: the organisations' latest votes, in
// key order (shorter organisation ids first, then by id).
func (q Querier) Votes(_ context.Context, req *pb.QueryVotesRequest) (*pb.QueryVotesResponse, error) {
	limit, err := kit.Bound("limit", req.Limit, DefaultPageLimit, MaxPageLimit)
	if err != nil {
		return nil, ErrInvalidQuery.Wrapf("%v", err)
	}
	if !q.r.Has(ProposalKey(req.ProposalId)) {
		return nil, ErrProposalNotFound.Wrapf("%d", req.ProposalId)
	}
	prefix := VotesPrefix(req.ProposalId)
	start := prefix
	if req.StartAfter != "" {
		if err := kit.ValidateOrgID("start_after", req.StartAfter); err != nil {
			return nil, ErrInvalidQuery.Wrapf("%v", err)
		}
		start = append(VoteKey(req.ProposalId, req.StartAfter), 0)
	}
	resp := &pb.QueryVotesResponse{}
	it := q.r.Iterator(start, kit.PrefixEnd(prefix), false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if len(resp.Votes) == limit {
			resp.NextStartAfter = resp.Votes[limit-1].OrgId
			break
		}
		var v pb.Vote
		kit.Decode(it.Key(), it.Value(), &v)
		resp.Votes = append(resp.Votes, &v)
	}
	return resp, nil
}

// Tally implements pb.QueryServer: the final tally of a decided proposal,
// the running one (as it would be decided on this state) of one open for
// votes.
func (q Querier) Tally(_ context.Context, req *pb.QueryTallyRequest) (*pb.QueryTallyResponse, error) {
	p, ok := loadProposal(q.r, req.ProposalId)
	if !ok {
		return nil, ErrProposalNotFound.Wrapf("%d", req.ProposalId)
	}
	if p.Status != pb.ProposalStatus_PROPOSAL_STATUS_VOTING {
		return &pb.QueryTallyResponse{Tally: p.FinalTally, Status: p.Status}, nil
	}
	return &pb.QueryTallyResponse{Tally: q.k.tally(q.r, q.root, p.Id), Status: p.Status}, nil
}
