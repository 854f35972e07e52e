// Package membership keeps the consortium: member organisations, their
// accounts, and the roles that authorise every message on the chain.
//
// # Accounts
//
// An account's address is derived from the public key it was created with
// (see [github.com/lineageledger/lineaged/x/kit/keys.Address]) and never changes. The account can later rotate to a
// new key with [Keeper.RotateKey], signed by the old key and carrying a
// proof of possession by the new one over [RotationSignBytes]. No public key
// is ever accepted twice, even after it was rotated out, so a retired key
// can never come back as a new account.
//
// Each account carries the sequence its next transaction must use; the
// application spends it on every included transaction (replay protection).
//
// # Authority
//
// Accounts belong to exactly one organisation. ROLE_ADMIN lets an account
// manage the accounts of its own organisation only; ROLE_CONSORTIUM_ADMIN
// admits new organisations. Nobody can hand out a role they do not hold, and
// an organisation always keeps at least one active admin. Under rule set
// kit.RulesBoundNames, suspending or reinstating an account follows the
// same rule as granting: the signer must hold every role the account holds,
// so a lower admin cannot suspend a higher one.
//
// Governance (a passed proposal, signed by kit.GovernanceAuthority) can
// also admit organisations, handing out any role, and it alone can suspend
// and reinstate an organisation ([Keeper.SuspendOrg], [Keeper.ReinstateOrg])
// and set the roles of an account of any organisation
// ([Keeper.SetAccountRoles]). A suspended organisation's accounts cannot
// sign (the application refuses them, under rule set kit.RulesGovernance)
// and it cannot vote.
//
// # Namespaces
//
// A scoped name ("acme/llm-7b", see kit.Namespace) claims the namespace
// before its first '/'. Each organisation owns the namespace of its id, and
// those the consortium reserved for it ([Keeper.NamespaceOwner]): given when
// it is admitted (MsgCreateOrg.namespaces, or the genesis), each an
// id-shaped name that is no organisation's id and no other organisation's
// namespace. Under rule set kit.RulesBoundNames the application admits a
// model name, licence id or dataset namespace only in the signer's
// organisation's namespace.
//
// # State layout
//
// Under the module prefix (one byte, assigned by the application):
//
//	0x01 | len(orgID) | orgID                → Org
//	0x02 | address(20)                       → Account
//	0x03 | len(orgID) | orgID | address(20)  → 0x01 (accounts of an org)
//	0x04 | sha256(keyType | publicKey)       → address(20) (every key ever used)
//	0x05 | len(namespace) | namespace        → orgID (namespaces reserved for an org)
package membership
