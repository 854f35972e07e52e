package app

import (
	"github.com/lineageledger/lineaged/app/txv1"
	"github.com/lineageledger/lineaged/x/kit"
	mpb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// One-byte state prefixes, one per module. Consensus: never reuse or change.
// 0x03 is kept for governance, 0x07 for federated learning, 0x08 for anchors.
const (
	prefixApp        byte = 0x01
	prefixMembership byte = 0x02
	prefixLineage    byte = 0x04
	prefixModels     byte = 0x05
	prefixLicenses   byte = 0x06
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
	mk, lk, mok, lck := a.membership, a.lineage, a.models, a.licenses
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

	case *txv1.TxBody_RegisterDataset:
		return route{"lineage.register_dataset", mpb.Role_ROLE_DATA_STEWARD, func(st kit.Store, blk kit.Block, s kit.Signer) ([]kit.Event, error) {
			return lk.RegisterDataset(st, blk, s, m.RegisterDataset)
		}}, true
	case *txv1.TxBody_RecordRun:
		return route{"lineage.record_run", mpb.Role_ROLE_DATA_STEWARD, func(st kit.Store, blk kit.Block, s kit.Signer) ([]kit.Event, error) {
			return lk.RecordRun(st, blk, s, m.RecordRun)
		}}, true

	case *txv1.TxBody_RegisterModel:
		return route{"models.register_model", mpb.Role_ROLE_MODEL_PUBLISHER, func(st kit.Store, blk kit.Block, s kit.Signer) ([]kit.Event, error) {
			return mok.RegisterModel(st, blk, s, m.RegisterModel)
		}}, true
	case *txv1.TxBody_RevokeModel:
		return route{"models.revoke_model", mpb.Role_ROLE_MODEL_PUBLISHER, func(st kit.Store, blk kit.Block, s kit.Signer) ([]kit.Event, error) {
			return mok.RevokeModel(st, blk, s, m.RevokeModel)
		}}, true
	case *txv1.TxBody_SupersedeModel:
		return route{"models.supersede_model", mpb.Role_ROLE_MODEL_PUBLISHER, func(st kit.Store, blk kit.Block, s kit.Signer) ([]kit.Event, error) {
			return mok.SupersedeModel(st, blk, s, m.SupersedeModel)
		}}, true
	case *txv1.TxBody_RecordDeployment:
		return route{"models.record_deployment", mpb.Role_ROLE_DEPLOYER, func(st kit.Store, blk kit.Block, s kit.Signer) ([]kit.Event, error) {
			return mok.RecordDeployment(st, blk, s, m.RecordDeployment)
		}}, true

	case *txv1.TxBody_DefineLicense:
		return route{"licenses.define_license", mpb.Role_ROLE_LICENSOR, func(st kit.Store, blk kit.Block, s kit.Signer) ([]kit.Event, error) {
			return lck.DefineLicense(st, blk, s, m.DefineLicense)
		}}, true
	case *txv1.TxBody_GrantLicense:
		return route{"licenses.grant_license", mpb.Role_ROLE_LICENSOR, func(st kit.Store, blk kit.Block, s kit.Signer) ([]kit.Event, error) {
			return lck.GrantLicense(st, blk, s, m.GrantLicense)
		}}, true
	case *txv1.TxBody_RevokeGrant:
		return route{"licenses.revoke_grant", mpb.Role_ROLE_LICENSOR, func(st kit.Store, blk kit.Block, s kit.Signer) ([]kit.Event, error) {
			return lck.RevokeGrant(st, blk, s, m.RevokeGrant)
		}}, true
	}
	return route{}, false
}

// changesAdmission reports whether a message can change what [App.admit]
// decides for the transactions after it: which organisations and accounts
// exist, their status, keys and roles. CheckTx runs these handlers even
// when it runs no others, so that a transaction queued behind one (an
// account's first, a rotated key's first) is admitted or refused in the
// mempool as it will be in the block. They are rare and cheap.
func changesAdmission(body *txv1.TxBody) bool {
	switch body.Msg.(type) {
	case *txv1.TxBody_CreateOrg, *txv1.TxBody_AddAccount, *txv1.TxBody_SetRoles,
		*txv1.TxBody_SuspendAccount, *txv1.TxBody_ReinstateAccount, *txv1.TxBody_RotateKey:
		return true
	}
	return false
}
