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
// an organisation always keeps at least one active admin.
//
// # State layout
//
// Under the module prefix (one byte, assigned by the application):
//
//	0x01 | len(orgID) | orgID                → Org
//	0x02 | address(20)                       → Account
//	0x03 | len(orgID) | orgID | address(20)  → 0x01 (accounts of an org)
//	0x04 | sha256(keyType | publicKey)       → address(20) (every key ever used)
package membership
