package gov

import (
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/lineageledger/lineaged/x/gov/govv1"
	"github.com/lineageledger/lineaged/x/kit"
)

// Keeper executes governance's messages and decides proposals at the end
// of blocks. Its handlers write the store they are given, the module's own
// prefix of the state; what a passed proposal changes elsewhere it
// changes through the [kit.Authority] the application gives
// [Keeper.EndBlock].
type Keeper struct {
	prefix []byte
	orgs   Orgs
	params Params
}

// NewKeeper returns the keeper of the module stored under prefix.
func NewKeeper(prefix byte, orgs Orgs, params Params) Keeper {
	return Keeper{prefix: []byte{prefix}, orgs: orgs, params: params}
}

func (k Keeper) reader(r kit.Reader) kit.Reader { return kit.PrefixedReader(r, k.prefix) }

// Limits on proposals.
const (
	MaxTitleLen   = 140
	MaxSummaryLen = 4096
	MaxMessages   = 16
)

// DefaultParams are governance's parameters on a chain that sets none:
// 600 blocks to vote, a quorum of half the member organisations, and more
// than two thirds of them voting yes to pass.
func DefaultParams() *pb.Params {
	return &pb.Params{
		VotingPeriodBlocks: 600,
		Quorum:             &pb.Fraction{Numerator: 1, Denominator: 2},
		Threshold:          &pb.Fraction{Numerator: 2, Denominator: 3},
	}
}

// MaxVotingPeriodBlocks bounds the voting period (about a year of one-second
// blocks).
const MaxVotingPeriodBlocks = 1 << 25

// ValidateParams checks governance's parameters: a voting period of 1 to
// [MaxVotingPeriodBlocks] blocks, and quorum and threshold fractions in
// (0, 1].
func ValidateParams(p *pb.Params) error {
	if p.VotingPeriodBlocks < 1 || p.VotingPeriodBlocks > MaxVotingPeriodBlocks {
		return ErrInvalidParams.Wrapf("voting_period_blocks %d outside [1, %d]", p.VotingPeriodBlocks, MaxVotingPeriodBlocks)
	}
	for _, f := range []struct {
		name string
		f    *pb.Fraction
	}{{"quorum", p.Quorum}, {"threshold", p.Threshold}} {
		if n, d := f.f.GetNumerator(), f.f.GetDenominator(); n == 0 || n > d {
			return ErrInvalidParams.Wrapf("%s %d/%d: want 0 < numerator <= denominator", f.name, n, d)
		}
	}
	return nil
}

func (k Keeper) govParams(r kit.Reader) *pb.Params {
	if p := k.params.GovParams(r); p != nil {
		return p
	}
	return DefaultParams()
}

// Messages are the messages a proposal executes, in order: each the value
// of its oneof. An entry with none set (an unknown message) is nil.
func Messages(p *pb.Proposal) []proto.Message {
	out := make([]proto.Message, len(p.Messages))
	for i, m := range p.Messages {
		out[i] = messageOf(m)
	}
	return out
}

func messageOf(m *pb.ProposalMessage) proto.Message {
	fd := messageField(m)
	if fd == nil {
		return nil
	}
	return m.ProtoReflect().Get(fd).Message().Interface()
}

// messageField is the field of the oneof m sets; nil if none.
func messageField(m *pb.ProposalMessage) protoreflect.FieldDescriptor {
	r := m.ProtoReflect()
	return r.WhichOneof(r.Descriptor().Oneofs().ByName("msg"))
}

func loadProposal(r kit.Reader, id uint64) (*pb.Proposal, bool) {
	var p pb.Proposal
	if !kit.Load(r, ProposalKey(id), &p) {
		return nil, false
	}
	return &p, true
}

// saveProposal saves p and moves its entry of the status index from old
// (UNSPECIFIED: none yet) to p.Status.
func saveProposal(st kit.Store, p *pb.Proposal, old pb.ProposalStatus) {
	if old != p.Status {
		if old != pb.ProposalStatus_PROPOSAL_STATUS_UNSPECIFIED {
			st.Delete(StatusKey(old, p.Id))
		}
		st.Set(StatusKey(p.Status, p.Id), []byte{})
	}
	kit.Save(st, ProposalKey(p.Id), p)
}

// nextID takes the next proposal id (the first is 1).
func nextID(st kit.Store) uint64 {
	id := uint64(1)
	if b := st.Get(NextIDKey()); b != nil {
		if len(b) != 8 {
			panic(fmt.Sprintf("gov: corrupt next proposal id %x", b))
		}
		id = binary.BigEndian.Uint64(b)
	}
	next := make([]byte, 8)
	binary.BigEndian.PutUint64(next, id+1)
	st.Set(NextIDKey(), next)
	return id
}

// memberOrg checks that orgID is an active member organisation.
func (k Keeper) memberOrg(view kit.Reader, orgID string) error {
	org, ok := k.orgs.Org(view, orgID)
	if !ok {
		return ErrNotMember.Wrapf("%q", orgID)
	}
	if org.Suspended {
		return ErrOrgSuspended.Wrapf("%s: %s", orgID, org.SuspensionReason)
	}
	return nil
}

// validateText checks free text (see [kit.ValidateText]).
func validateText(field, s string, min, max int) error {
	if err := kit.ValidateText(field, s, min, max); err != nil {
		return ErrInvalidField.Wrapf("%v", err)
	}
	return nil
}
