package app

import (
	"github.com/lineageledger/lineaged/app/txv1"
	"github.com/lineageledger/lineaged/x/kit"
	mpb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// One-byte state prefixes, one per module. Consensus: never reuse or change.
const (
	prefixApp        byte = 0x01
	prefixMembership byte = 0x02
)

// route is how one message type executes: the role its signer must hold
// (ROLE_UNSPECIFIED: any active account) and the module handler that runs it
// against the whole state.
type route struct {
	name string
	role mpb.Role
	run  func(st kit.Store, blk kit.Block, signer kit.Signer) ([]kit.Event, error)
}

// routeOf is the single table of who may do what. Every message type of
// the TxBody oneof must have a case here; the authorisation test checks it.
func (a *App) routeOf(body *txv1.TxBody) (route, bool) {
	mk := a.membership
	switch m := body.Msg.(type) {
	case *txv1.TxBody_CreateOrg:
		return route{"membership.create_org", mpb.Role_ROLE_CONSORTIUM_ADMIN, func(st kit.Store, blk kit.Block, s kit.Signer) ([]kit.Event, error) {
			return mk.CreateOrg(st, blk, s, m.CreateOrg)
		}}, true
	case *txv1.TxBody_AddAccount:
		return route{"membership.add_account", mpb.Role_ROLE_ADMIN, func(st kit.Store, blk kit.Block, s kit.Signer) ([]kit.Event, error) {
			return mk.AddAccount(st, blk, s, m.AddAccount)
		}}, true
	case *txv1.TxBody_SetRoles:
		return route{"membership.set_roles", mpb.Role_ROLE_ADMIN, func(st kit.Store, blk kit.Block, s kit.Signer) ([]kit.Event, error) {
			return mk.SetRoles(st, blk, s, m.SetRoles)
		}}, true
	case *txv1.TxBody_SuspendAccount:
		return route{"membership.suspend_account", mpb.Role_ROLE_ADMIN, func(st kit.Store, blk kit.Block, s kit.Signer) ([]kit.Event, error) {
			return mk.SuspendAccount(st, blk, s, m.SuspendAccount)
		}}, true
	case *txv1.TxBody_ReinstateAccount:
		return route{"membership.reinstate_account", mpb.Role_ROLE_ADMIN, func(st kit.Store, blk kit.Block, s kit.Signer) ([]kit.Event, error) {
			return mk.ReinstateAccount(st, blk, s, m.ReinstateAccount)
		}}, true
	case *txv1.TxBody_RotateKey:
		return route{"membership.rotate_key", mpb.Role_ROLE_UNSPECIFIED, func(st kit.Store, blk kit.Block, s kit.Signer) ([]kit.Event, error) {
			return mk.RotateKey(st, blk, s, m.RotateKey)
		}}, true

	}
	return route{}, false
}
