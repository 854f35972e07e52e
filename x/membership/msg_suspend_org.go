package membership

import (
	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// SuspendOrg suspends a member organisation: its accounts cannot sign and
// it cannot vote until reinstated. Only governance sends it (the
// application refuses it from any account).
func (k Keeper) SuspendOrg(st kit.Store, _ kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgSuspendOrg) ([]kit.Event, error) {
	if err := requireAuthority(signer); err != nil {
		return nil, err
	}
	if err := validateText("reason", msg.Reason, 1, MaxReasonLen); err != nil {
		return nil, err
	}
	org, err := loadOrg(st, msg.OrgId)
	if err != nil {
		return nil, err
	}
	if org.Suspended {
		return nil, ErrWrongOrgStatus.Wrapf("%s is already suspended", org.Id)
	}
	org.Suspended, org.SuspensionReason, org.StatusHeight = true, msg.Reason, blk.Height
	kit.Save(st, OrgKey(org.Id), org)
	return []kit.Event{kit.NewEvent("membership.org_suspended", "org_id", org.Id, "reason", msg.Reason).Searchable("org_id")}, nil
}

// ReinstateOrg lifts an organisation's suspension. Only governance sends
// it.
func (k Keeper) ReinstateOrg(st kit.Store, _ kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgReinstateOrg) ([]kit.Event, error) {
	if err := requireAuthority(signer); err != nil {
		return nil, err
	}
	org, err := loadOrg(st, msg.OrgId)
	if err != nil {
		return nil, err
	}
	if !org.Suspended {
		return nil, ErrWrongOrgStatus.Wrapf("%s is not suspended", org.Id)
	}
	org.Suspended, org.SuspensionReason, org.StatusHeight = false, "", blk.Height
	kit.Save(st, OrgKey(org.Id), org)
	return []kit.Event{kit.NewEvent("membership.org_reinstated", "org_id", org.Id).Searchable("org_id")}, nil
}

// requireAuthority refuses a governance-only message signed by an account.
// The application never routes one from a user; this is the handler's own
// guard.
func requireAuthority(signer kit.Signer) error {
	if !signer.Authority {
		return ErrNotAuthority.Wrapf("signed by %s", signer.Address)
	}
	return nil
}
