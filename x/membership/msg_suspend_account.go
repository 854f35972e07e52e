package membership

import (
	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// SuspendAccount stops an account of the signer's organisation from
// signing. The application has checked that the signer holds ROLE_ADMIN.
// Under rule set [kit.RulesBoundNames] the signer must also hold every role
// the account holds, as for granting them.
func (k Keeper) SuspendAccount(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgSuspendAccount) ([]kit.Event, error) {
	if err := validateText("reason", msg.Reason, 1, MaxReasonLen); err != nil {
		return nil, err
	}
	admin := signerAccount(st, signer)
	acct, err := sameOrgAccount(st, admin, msg.Address)
	if err != nil {
		return nil, err
	}
	if blk.Rules >= kit.RulesBoundNames {
		if err := checkHoldsAll(admin, acct, "suspending"); err != nil {
			return nil, err
		}
	}
	if acct.Status != pb.AccountStatus_ACCOUNT_STATUS_ACTIVE {
		return nil, ErrWrongAccountStatus.Wrapf("%s is already suspended", acct.Address)
	}
	acct.Status = pb.AccountStatus_ACCOUNT_STATUS_SUSPENDED
	acct.SuspensionReason = msg.Reason
	if activeAdmins(st, acct.OrgId, acct) == 0 {
		return nil, ErrLastAdmin.Wrapf("%s is its last active admin", acct.Address)
	}
	saveAccount(st, acct)
	return []kit.Event{kit.NewEvent("membership.account_suspended",
		"address", acct.Address, "org_id", acct.OrgId, "reason", msg.Reason, "by", signer.Address).Searchable("address")}, nil
}
