package membership

import (
	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// AddAccount adds an account to the signer's organisation. The application
// has checked that the signer holds ROLE_ADMIN.
func (k Keeper) AddAccount(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgAddAccount) ([]kit.Event, error) {
	if err := validateText("label", msg.Label, 0, MaxLabelLen); err != nil {
		return nil, err
	}
	roles, err := normalizeRoles(msg.Roles)
	if err != nil {
		return nil, err
	}
	admin := signerAccount(st, signer)
	if err := checkGrant(admin, nil, roles); err != nil {
		return nil, err
	}
	acct, err := createAccount(st, blk, admin.OrgId, msg.PublicKey, roles, msg.Label)
	if err != nil {
		return nil, err
	}
	return []kit.Event{accountAddedEvent(acct)}, nil
}
