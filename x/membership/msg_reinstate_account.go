package membership

import (
	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// ReinstateAccount lets a suspended account of the signer's organisation
// sign again. The application has checked that the signer holds ROLE_ADMIN.
// Under rule set [kit.RulesBoundNames] the signer must also hold every role
// the account holds, as for granting them.
func (k Keeper) ReinstateAccount(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgReinstateAccount) ([]kit.Event, error) {
	admin := signerAccount(st, signer)
	acct, err := sameOrgAccount(st, admin, msg.Address)
	if err != nil {
		return nil, err
	}
	if blk.Rules >= kit.RulesBoundNames {
		if err := checkHoldsAll(admin, acct, "reinstating"); err != nil {
			return nil, err
		}
	}
	if acct.Status != pb.AccountStatus_ACCOUNT_STATUS_SUSPENDED {
		return nil, ErrWrongAccountStatus.Wrapf("%s is not suspended", acct.Address)
	}
	acct.Status = pb.AccountStatus_ACCOUNT_STATUS_ACTIVE
	acct.SuspensionReason = ""
	saveAccount(st, acct)
	return []kit.Event{kit.NewEvent("membership.account_reinstated",
		"address", acct.Address, "org_id", acct.OrgId, "by", signer.Address).Searchable("address")}, nil
}
