package membership

import (
	"fmt"
	"slices"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	pb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// Keeper executes membership messages and answers other components'
// questions about accounts. Its message handlers and InitGenesis write the
// store they are given, the module's own prefix of the state; its other
// methods take the whole state and work under the module's prefix.
type Keeper struct {
	prefix []byte
}

// NewKeeper returns the keeper of the module stored under prefix.
func NewKeeper(prefix byte) Keeper { return Keeper{prefix: []byte{prefix}} }

func (k Keeper) store(st kit.Store) kit.Store   { return kit.Prefixed(st, k.prefix) }
func (k Keeper) reader(r kit.Reader) kit.Reader { return kit.PrefixedReader(r, k.prefix) }

// Limits on user-supplied text.
const (
	MaxNameLen   = 128
	MaxLabelLen  = 128
	MaxReasonLen = 256
)

// Account loads the account with the given address string.
func (k Keeper) Account(r kit.Reader, address string) (*pb.Account, error) {
	return loadAccount(k.reader(r), address)
}

func loadAccount(r kit.Reader, address string) (*pb.Account, error) {
	addr, err := keys.ParseAddress(address)
	if err != nil {
		return nil, ErrInvalidAddress.Wrapf("%v", err)
	}
	var acct pb.Account
	if !kit.Load(r, AccountKey(addr), &acct) {
		return nil, ErrAccountNotFound.Wrapf("%s", address)
	}
	return &acct, nil
}

// Org loads an organisation.
func (k Keeper) Org(r kit.Reader, orgID string) (*pb.Org, error) {
	return loadOrg(k.reader(r), orgID)
}

func loadOrg(r kit.Reader, orgID string) (*pb.Org, error) {
	if err := ValidateOrgID(orgID); err != nil {
		return nil, err
	}
	var org pb.Org
	if !kit.Load(r, OrgKey(orgID), &org) {
		return nil, ErrOrgNotFound.Wrapf("%s", orgID)
	}
	return &org, nil
}

// NamespaceOwner is the organisation a namespace belongs to: the
// organisation whose id it is, or the one the consortium reserved it for.
func (k Keeper) NamespaceOwner(r kit.Reader, ns string) (orgID string, ok bool) {
	return namespaceOwner(k.reader(r), ns)
}

func namespaceOwner(r kit.Reader, ns string) (string, bool) {
	if ValidateOrgID(ns) != nil {
		return "", false
	}
	if r.Has(OrgKey(ns)) {
		return ns, true
	}
	if owner := r.Get(NamespaceKey(ns)); owner != nil {
		return string(owner), true
	}
	return "", false
}

// reserveNamespaces records an organisation's reserved namespaces, which
// the caller has not stored yet: each an id-shaped name that is no
// organisation's id and no other organisation's namespace.
func reserveNamespaces(st kit.Store, orgID string, namespaces []string) error {
	for i, ns := range namespaces {
		if err := ValidateOrgID(ns); err != nil {
			return ErrInvalidField.Wrapf("namespaces[%d]: %v", i, err)
		}
		if ns == orgID || slices.Contains(namespaces[:i], ns) {
			return ErrInvalidField.Wrapf("namespaces: %s listed twice (an organisation's id is its namespace already)", ns)
		}
		if owner, taken := namespaceOwner(st, ns); taken {
			return ErrNamespaceTaken.Wrapf("%s belongs to %s", ns, owner)
		}
		st.Set(NamespaceKey(ns), []byte(orgID))
	}
	return nil
}

// SpendSequence advances the account's sequence: the application calls it
// once for every transaction included in a block.
func (k Keeper) SpendSequence(st kit.Store, acct *pb.Account) {
	acct.Sequence++
	saveAccount(k.store(st), acct)
}

// HasRole reports whether acct holds role.
func HasRole(acct *pb.Account, role pb.Role) bool {
	_, found := slices.BinarySearch(acct.Roles, role)
	return found
}

func saveAccount(st kit.Store, acct *pb.Account) {
	addr, err := keys.ParseAddress(acct.Address)
	if err != nil {
		panic(fmt.Sprintf("membership: stored account has a bad address %q: %v", acct.Address, err))
	}
	kit.Save(st, AccountKey(addr), acct)
}

// createAccount stores a new account of org with the given key and roles,
// which the caller has validated.
func createAccount(st kit.Store, blk kit.Block, orgID string, pub *keysv1.PublicKey, roles []pb.Role, label string) (*pb.Account, error) {
	if err := keys.ValidatePublicKey(pub); err != nil {
		return nil, ErrInvalidPublicKey.Wrapf("%v", err)
	}
	if st.Has(PublicKeyKey(pub)) {
		return nil, ErrKeyAlreadyUsed.Wrapf("%s key %x", keys.TypeName(pub.Type), pub.Key)
	}
	addr := keys.AddressBytes(pub)
	if st.Has(AccountKey(addr)) { // unreachable while keys are unique; kept as a guard
		return nil, ErrAccountExists.Wrapf("%s", keys.EncodeAddress(addr))
	}
	acct := &pb.Account{
		Address:       keys.EncodeAddress(addr),
		OrgId:         orgID,
		PublicKey:     pub,
		Roles:         roles,
		Status:        pb.AccountStatus_ACCOUNT_STATUS_ACTIVE,
		Label:         label,
		CreatedHeight: blk.Height,
	}
	saveAccount(st, acct)
	st.Set(OrgAccountKey(orgID, addr), []byte{1})
	st.Set(PublicKeyKey(pub), addr)
	return acct, nil
}

// ValidateOrgID checks an organisation identifier (see [kit.ValidateOrgID]).
func ValidateOrgID(id string) error {
	if err := kit.ValidateOrgID("organisation id", id); err != nil {
		return ErrInvalidOrgID.Wrapf("%v", err)
	}
	return nil
}

// validateText checks free text (see [kit.ValidateText]).
func validateText(field, s string, min, max int) error {
	if err := kit.ValidateText(field, s, min, max); err != nil {
		return ErrInvalidField.Wrapf("%v", err)
	}
	return nil
}

// normalizeRoles checks that roles are known and distinct and returns them
// sorted, the stored form.
func normalizeRoles(roles []pb.Role) ([]pb.Role, error) {
	out := slices.Clone(roles)
	slices.Sort(out)
	for i, r := range out {
		if _, known := pb.Role_name[int32(r)]; !known || r == pb.Role_ROLE_UNSPECIFIED {
			return nil, ErrInvalidRoles.Wrapf("unknown role %d", int32(r))
		}
		if i > 0 && out[i-1] == r {
			return nil, ErrInvalidRoles.Wrapf("%s listed twice", r)
		}
	}
	return out, nil
}

// checkHoldsAll rejects an action on target (suspending or reinstating it)
// unless actor holds every role target holds: the granting rule, under
// rule set [kit.RulesBoundNames].
func checkHoldsAll(actor, target *pb.Account, action string) error {
	for _, r := range target.Roles {
		if !HasRole(actor, r) {
			return ErrRoleEscalation.Wrapf("%s %s needs role %s, which the signer lacks", action, target.Address, RoleName(r))
		}
	}
	return nil
}

// checkGrant rejects a change of roles from before to after unless the
// granter holds every role that is added or removed.
func checkGrant(granter *pb.Account, before, after []pb.Role) error {
	for _, set := range [][]pb.Role{before, after} {
		for _, r := range set {
			changed := slices.Contains(before, r) != slices.Contains(after, r)
			if changed && !HasRole(granter, r) {
				return ErrRoleEscalation.Wrapf("%s", r)
			}
		}
	}
	return nil
}

// signerAccount loads the authenticated signer's account.
func signerAccount(r kit.Reader, signer kit.Signer) *pb.Account {
	acct, err := loadAccount(r, signer.Address)
	if err != nil {
		panic(fmt.Sprintf("membership: authenticated signer %s has no account: %v", signer.Address, err))
	}
	return acct
}

// sameOrgAccount loads the target of an admin action and checks that it
// belongs to the admin's organisation.
func sameOrgAccount(r kit.Reader, admin *pb.Account, address string) (*pb.Account, error) {
	acct, err := loadAccount(r, address)
	if err != nil {
		return nil, err
	}
	if acct.OrgId != admin.OrgId {
		return nil, ErrOtherOrg.Wrapf("%s belongs to %s, signer to %s", address, acct.OrgId, admin.OrgId)
	}
	return acct, nil
}

// activeAdmins counts the active admins of an organisation, treating
// override (if non-nil) as the new state of that account.
func activeAdmins(r kit.Reader, orgID string, override *pb.Account) int {
	n := 0
	it := r.Iterator(OrgAccountsPrefix(orgID), kit.PrefixEnd(OrgAccountsPrefix(orgID)), false)
	defer it.Close()
	prefixLen := len(OrgAccountsPrefix(orgID))
	for ; it.Valid(); it.Next() {
		addr := it.Key()[prefixLen:]
		acct := override
		if acct == nil || keys.EncodeAddress(addr) != override.Address {
			acct = new(pb.Account)
			if !kit.Load(r, AccountKey(addr), acct) {
				panic(fmt.Sprintf("membership: index names missing account %x", addr))
			}
		}
		if acct.Status == pb.AccountStatus_ACCOUNT_STATUS_ACTIVE && HasRole(acct, pb.Role_ROLE_ADMIN) {
			n++
		}
	}
	return n
}

func rolesString(roles []pb.Role) string {
	s := ""
	for i, r := range roles {
		if i > 0 {
			s += ","
		}
		s += RoleName(r)
	}
	return s
}

// EachOrg calls fn with every organisation, in key order (shorter ids
// first, then by id), until fn returns false.
func (k Keeper) EachOrg(r kit.Reader, fn func(*pb.Org) bool) {
	st := k.reader(r)
	it := st.Iterator([]byte{prefixOrg}, []byte{prefixOrg + 1}, false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		var org pb.Org
		kit.Decode(it.Key(), it.Value(), &org)
		if !fn(&org) {
			return
		}
	}
}
