package gov

import (
	"slices"
	"strconv"

	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/lineageledger/lineaged/x/gov/govv1"
	"github.com/lineageledger/lineaged/x/kit"
)

// SubmitProposal opens a proposal for votes. The application has checked
// that the signer holds ROLE_ADMIN; its organisation must be an active
// member. Every message must be one governance may send (the
// lineage.gov.v1.ProposalMessage oneof); whether it will succeed is known
// only when it executes, on the state of the deciding block.
func (k Keeper) SubmitProposal(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgSubmitProposal) ([]kit.Event, error) {
	if err := validateText("title", msg.Title, 1, MaxTitleLen); err != nil {
		return nil, err
	}
	if err := validateText("summary", msg.Summary, 0, MaxSummaryLen); err != nil {
		return nil, err
	}
	if err := CheckMessages(msg.Messages); err != nil {
		return nil, err
	}
	if err := k.memberOrg(view, signer.OrgID); err != nil {
		return nil, err
	}
	period := k.govParams(view).VotingPeriodBlocks
	p := &pb.Proposal{
		Id:              nextID(st),
		Title:           msg.Title,
		Summary:         msg.Summary,
		Messages:        msg.Messages,
		Proposer:        signer.Address,
		ProposerOrg:     signer.OrgID,
		SubmitHeight:    blk.Height,
		VotingEndHeight: blk.Height + int64(period) - 1,
		Status:          pb.ProposalStatus_PROPOSAL_STATUS_VOTING,
	}
	saveProposal(st, p, pb.ProposalStatus_PROPOSAL_STATUS_UNSPECIFIED)
	st.Set(QueueKey(p.VotingEndHeight, p.Id), []byte{})
	return []kit.Event{kit.NewEvent("gov.proposal_submitted",
		"proposal_id", strconv.FormatUint(p.Id, 10), "proposer", signer.Address, "org_id", signer.OrgID,
		"voting_end_height", strconv.FormatInt(p.VotingEndHeight, 10)).Searchable("proposal_id")}, nil
}

// Allowed names what governance may send: the fields of the
// lineage.gov.v1.ProposalMessage oneof a proposal may use. The oneof names
// every message of the chain, so that one outside this list is refused
// with [ErrMessageNotAllowed] rather than as a field the chain does not
// know.
var Allowed = []protoreflect.Name{"update_params", "create_org", "suspend_org", "reinstate_org", "set_account_roles"}

// CheckMessages checks a proposal's messages: 1 to [MaxMessages] of them,
// each one governance may send ([Allowed]).
func CheckMessages(msgs []*pb.ProposalMessage) error {
	if len(msgs) == 0 || len(msgs) > MaxMessages {
		return ErrInvalidField.Wrapf("messages: %d, want 1 to %d", len(msgs), MaxMessages)
	}
	for i, m := range msgs {
		fd := messageField(m)
		if fd == nil {
			return ErrMessageNotAllowed.Wrapf("messages[%d] carries no message; governance may send %s", i, allowList)
		}
		if !slices.Contains(Allowed, fd.Name()) {
			return ErrMessageNotAllowed.Wrapf("messages[%d] is %s; governance may send only %s", i, fd.Name(), allowList)
		}
	}
	return nil
}

// allowList names the messages governance may send, for error messages.
var allowList = func() string {
	s := ""
	for i, name := range Allowed {
		if i > 0 {
			s += ", "
		}
		s += string(name)
	}
	return s
}()
