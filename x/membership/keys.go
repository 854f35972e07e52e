package membership

import (
	"crypto/sha256"

	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
)

// Key prefixes within the module's store. Documented in doc.go.
const (
	prefixOrg        = 0x01
	prefixAccount    = 0x02
	prefixOrgAccount = 0x03
	prefixPublicKey  = 0x04
	prefixNamespace  = 0x05
)

// lengthPrefixed writes a one-byte length then s; identifiers are at most
// 64 bytes so one byte suffices and no key is a prefix of another's.
func lengthPrefixed(prefix byte, s string, extra int) []byte {
	if len(s) > 255 {
		panic("membership: identifier longer than 255 bytes reached the key builder")
	}
	k := make([]byte, 2+len(s), 2+len(s)+extra)
	k[0] = prefix
	k[1] = byte(len(s))
	copy(k[2:], s)
	return k
}

// OrgKey is where an organisation is stored.
func OrgKey(orgID string) []byte { return lengthPrefixed(prefixOrg, orgID, 0) }

// AccountKey is where the account with the given 20-byte address is stored.
func AccountKey(addr []byte) []byte {
	k := make([]byte, 1+len(addr))
	k[0] = prefixAccount
	copy(k[1:], addr)
	return k
}

// OrgAccountsPrefix prefixes the index of an organisation's accounts.
func OrgAccountsPrefix(orgID string) []byte { return lengthPrefixed(prefixOrgAccount, orgID, 0) }

// OrgAccountKey indexes addr under its organisation.
func OrgAccountKey(orgID string, addr []byte) []byte {
	k := lengthPrefixed(prefixOrgAccount, orgID, len(addr))
	return append(k, addr...)
}

// PublicKeyKey records that a public key has been used.
func PublicKeyKey(pub *keysv1.PublicKey) []byte {
	h := sha256.New()
	h.Write([]byte{byte(pub.Type)})
	h.Write(pub.Key)
	k := make([]byte, 1, 1+sha256.Size)
	k[0] = prefixPublicKey
	return h.Sum(k)
}

// NamespaceKey records which organisation a reserved namespace belongs to.
func NamespaceKey(ns string) []byte { return lengthPrefixed(prefixNamespace, ns, 0) }
