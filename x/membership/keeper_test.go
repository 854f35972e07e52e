package membership

import (
	"crypto/sha256"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	"github.com/lineageledger/lineaged/x/kit/kittest"
	pb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

var blk = kit.Block{ChainID: "test-chain", Height: 7, Time: time.Unix(1_700_000_000, 0)}

// k is the keeper under test, at an arbitrary prefix of the test store.
var k = NewKeeper(0x02)

func key(t *testing.T, name string) *keys.PrivateKey {
	t.Helper()
	seed := sha256.Sum256([]byte(name))
	k, err := keys.PrivateKeyFromBytes(keysv1.KeyType_KEY_TYPE_ED25519, seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func addr(k *keys.PrivateKey) string { return keys.Address(k.Public()) }

func signer(k *keys.PrivateKey, org string) kit.Signer {
	return kit.Signer{Address: addr(k), OrgID: org}
}

const (
	rAdmin    = pb.Role_ROLE_ADMIN
	rSteward  = pb.Role_ROLE_DATA_STEWARD
	rPub      = pb.Role_ROLE_MODEL_PUBLISHER
	rConsort  = pb.Role_ROLE_CONSORTIUM_ADMIN
	rAuditor  = pb.Role_ROLE_AUDITOR
	rLicensor = pb.Role_ROLE_LICENSOR
)

// fixture: org "alpha" with root (admin, consortium-admin, steward,
// publisher), admin2 (admin, steward) and worker (steward); org "beta" with
// its admin.
func fixture(t *testing.T) *kittest.MemStore {
	t.Helper()
	st := kittest.NewMemStore()
	g := &pb.Genesis{
		Orgs: []*pb.Org{{Id: "alpha", Name: "Alpha", Namespaces: []string{"acme"}}, {Id: "beta", Name: "Beta"}},
		Accounts: []*pb.GenesisAccount{
			{OrgId: "alpha", PublicKey: key(t, "root").Public(), Roles: []pb.Role{rConsort, rAdmin, rSteward, rPub}},
			{OrgId: "alpha", PublicKey: key(t, "admin2").Public(), Roles: []pb.Role{rAdmin, rSteward}},
			{OrgId: "alpha", PublicKey: key(t, "worker").Public(), Roles: []pb.Role{rSteward}},
			{OrgId: "beta", PublicKey: key(t, "beta").Public(), Roles: []pb.Role{rAdmin}},
		},
	}
	if err := k.InitGenesis(k.own(st), st, kit.Block{}, g); err != nil {
		t.Fatal(err)
	}
	return st
}

// run calls a handler and checks its error. (The application discards the
// writes of a failing handler, so they are not checked here.)
func run(t *testing.T, want *kit.Error, fn func() ([]kit.Event, error)) []kit.Event {
	t.Helper()
	events, err := fn()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return events
	}
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	return nil
}

func TestCreateOrg(t *testing.T) {
	newAdmin := key(t, "gamma-admin").Public()
	cases := []struct {
		name   string
		signer string
		msg    *pb.MsgCreateOrg
		want   *kit.Error
	}{
		{"ok", "root", &pb.MsgCreateOrg{OrgId: "gamma", Name: "Gamma", AdminPublicKey: newAdmin, AdminRoles: []pb.Role{rAdmin, rSteward}}, nil},
		{"bad id", "root", &pb.MsgCreateOrg{OrgId: "Gamma", Name: "Gamma", AdminPublicKey: newAdmin, AdminRoles: []pb.Role{rAdmin}}, ErrInvalidOrgID},
		{"id with trailing hyphen", "root", &pb.MsgCreateOrg{OrgId: "gamma-", Name: "Gamma", AdminPublicKey: newAdmin, AdminRoles: []pb.Role{rAdmin}}, ErrInvalidOrgID},
		{"empty name", "root", &pb.MsgCreateOrg{OrgId: "gamma", AdminPublicKey: newAdmin, AdminRoles: []pb.Role{rAdmin}}, ErrInvalidField},
		{"control char in name", "root", &pb.MsgCreateOrg{OrgId: "gamma", Name: "Gam\nma", AdminPublicKey: newAdmin, AdminRoles: []pb.Role{rAdmin}}, ErrInvalidField},
		{"exists", "root", &pb.MsgCreateOrg{OrgId: "beta", Name: "Beta", AdminPublicKey: newAdmin, AdminRoles: []pb.Role{rAdmin}}, ErrOrgExists},
		{"first account not admin", "root", &pb.MsgCreateOrg{OrgId: "gamma", Name: "Gamma", AdminPublicKey: newAdmin, AdminRoles: []pb.Role{rSteward}}, ErrInvalidRoles},
		{"unknown role", "root", &pb.MsgCreateOrg{OrgId: "gamma", Name: "Gamma", AdminPublicKey: newAdmin, AdminRoles: []pb.Role{rAdmin, 42}}, ErrInvalidRoles},
		{"duplicate role", "root", &pb.MsgCreateOrg{OrgId: "gamma", Name: "Gamma", AdminPublicKey: newAdmin, AdminRoles: []pb.Role{rAdmin, rAdmin}}, ErrInvalidRoles},
		{"escalation", "root", &pb.MsgCreateOrg{OrgId: "gamma", Name: "Gamma", AdminPublicKey: newAdmin, AdminRoles: []pb.Role{rAdmin, rLicensor}}, ErrRoleEscalation},
		{"key reused", "root", &pb.MsgCreateOrg{OrgId: "gamma", Name: "Gamma", AdminPublicKey: key(t, "worker").Public(), AdminRoles: []pb.Role{rAdmin}}, ErrKeyAlreadyUsed},
		{"bad key", "root", &pb.MsgCreateOrg{OrgId: "gamma", Name: "Gamma", AdminPublicKey: &keysv1.PublicKey{Type: 1, Key: []byte{1}}, AdminRoles: []pb.Role{rAdmin}}, ErrInvalidPublicKey},
		{"with namespaces", "root", &pb.MsgCreateOrg{OrgId: "gamma", Name: "Gamma", AdminPublicKey: newAdmin, AdminRoles: []pb.Role{rAdmin}, Namespaces: []string{"gamma-labs", "gl"}}, nil},
		{"id is another's namespace", "root", &pb.MsgCreateOrg{OrgId: "acme", Name: "Gamma", AdminPublicKey: newAdmin, AdminRoles: []pb.Role{rAdmin}}, ErrNamespaceTaken},
		{"namespace is another's", "root", &pb.MsgCreateOrg{OrgId: "gamma", Name: "Gamma", AdminPublicKey: newAdmin, AdminRoles: []pb.Role{rAdmin}, Namespaces: []string{"acme"}}, ErrNamespaceTaken},
		{"namespace is an org's id", "root", &pb.MsgCreateOrg{OrgId: "gamma", Name: "Gamma", AdminPublicKey: newAdmin, AdminRoles: []pb.Role{rAdmin}, Namespaces: []string{"beta"}}, ErrNamespaceTaken},
		{"namespace is its own id", "root", &pb.MsgCreateOrg{OrgId: "gamma", Name: "Gamma", AdminPublicKey: newAdmin, AdminRoles: []pb.Role{rAdmin}, Namespaces: []string{"gamma"}}, ErrInvalidField},
		{"namespace twice", "root", &pb.MsgCreateOrg{OrgId: "gamma", Name: "Gamma", AdminPublicKey: newAdmin, AdminRoles: []pb.Role{rAdmin}, Namespaces: []string{"gl", "gl"}}, ErrInvalidField},
		{"namespace malformed", "root", &pb.MsgCreateOrg{OrgId: "gamma", Name: "Gamma", AdminPublicKey: newAdmin, AdminRoles: []pb.Role{rAdmin}, Namespaces: []string{"Gamma/Labs"}}, ErrInvalidField},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := fixture(t)
			events := run(t, c.want, func() ([]kit.Event, error) {
				return k.CreateOrg(k.own(st), st, blk, signer(key(t, c.signer), "alpha"), c.msg)
			})
			if c.want != nil {
				return
			}
			org, err := k.Org(st, "gamma")
			if err != nil || org.Name != "Gamma" || org.CreatedHeight != blk.Height {
				t.Fatalf("org = %v, %v", org, err)
			}
			acct, err := k.Account(st, keys.Address(newAdmin))
			if err != nil || acct.OrgId != "gamma" || !HasRole(acct, rAdmin) || acct.Status != pb.AccountStatus_ACCOUNT_STATUS_ACTIVE {
				t.Fatalf("admin account = %v, %v", acct, err)
			}
			if len(events) != 2 || events[0].Type != "membership.org_created" {
				t.Fatalf("events = %v", events)
			}
			for _, ns := range append([]string{"gamma"}, c.msg.Namespaces...) {
				if owner, ok := k.NamespaceOwner(st, ns); !ok || owner != "gamma" {
					t.Errorf("namespace %s belongs to %q (%v), want gamma", ns, owner, ok)
				}
			}
		})
	}
}

// TestNamespaceOwner: an organisation owns its id and its reserved
// namespaces; nothing else is owned.
func TestNamespaceOwner(t *testing.T) {
	st := fixture(t)
	for ns, want := range map[string]string{"alpha": "alpha", "acme": "alpha", "beta": "beta", "gamma": "", "Acme": "", "": ""} {
		if owner, ok := k.NamespaceOwner(st, ns); owner != want || ok != (want != "") {
			t.Errorf("NamespaceOwner(%q) = %q, %v; want %q", ns, owner, ok, want)
		}
	}
}

func TestAddAccount(t *testing.T) {
	fresh := key(t, "fresh").Public()
	cases := []struct {
		name   string
		signer string
		msg    *pb.MsgAddAccount
		want   *kit.Error
	}{
		{"ok", "admin2", &pb.MsgAddAccount{PublicKey: fresh, Roles: []pb.Role{rSteward}, Label: "ci pipeline"}, nil},
		{"no roles is allowed", "admin2", &pb.MsgAddAccount{PublicKey: fresh}, nil},
		{"escalation", "admin2", &pb.MsgAddAccount{PublicKey: fresh, Roles: []pb.Role{rPub}}, ErrRoleEscalation},
		{"key reused", "admin2", &pb.MsgAddAccount{PublicKey: key(t, "beta").Public()}, ErrKeyAlreadyUsed},
		{"missing key", "admin2", &pb.MsgAddAccount{}, ErrInvalidPublicKey},
		{"label too long", "admin2", &pb.MsgAddAccount{PublicKey: fresh, Label: string(make([]byte, 200))}, ErrInvalidField},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := fixture(t)
			run(t, c.want, func() ([]kit.Event, error) {
				return k.AddAccount(k.own(st), st, blk, signer(key(t, c.signer), "alpha"), c.msg)
			})
			if c.want != nil {
				return
			}
			acct, err := k.Account(st, keys.Address(fresh))
			if err != nil || acct.OrgId != "alpha" || acct.CreatedHeight != blk.Height {
				t.Fatalf("account = %v, %v", acct, err)
			}
		})
	}
}

func TestSetRoles(t *testing.T) {
	cases := []struct {
		name   string
		signer string
		target string
		roles  []pb.Role
		want   *kit.Error
	}{
		{"grant held role", "admin2", "worker", []pb.Role{rSteward, rAdmin}, nil},
		{"revoke held role", "admin2", "worker", nil, nil},
		{"grant unheld role", "admin2", "worker", []pb.Role{rSteward, rPub}, ErrRoleEscalation},
		{"revoke unheld role", "admin2", "root", []pb.Role{rAdmin, rSteward, rPub}, ErrRoleEscalation},
		{"other org", "admin2", "beta", []pb.Role{rAdmin}, ErrOtherOrg},
		{"unknown account", "admin2", "nobody", []pb.Role{rSteward}, ErrAccountNotFound},
		{"last admin of beta", "beta", "beta", nil, ErrLastAdmin},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := fixture(t)
			org := "alpha"
			if c.signer == "beta" {
				org = "beta"
			}
			run(t, c.want, func() ([]kit.Event, error) {
				return k.SetRoles(k.own(st), st, blk, signer(key(t, c.signer), org), &pb.MsgSetRoles{Address: addr(key(t, c.target)), Roles: c.roles})
			})
			if c.want != nil {
				return
			}
			acct, _ := k.Account(st, addr(key(t, c.target)))
			if len(acct.Roles) != len(c.roles) {
				t.Fatalf("roles = %v, want %v", acct.Roles, c.roles)
			}
		})
	}
}

func TestSuspendAndReinstate(t *testing.T) {
	st := fixture(t)
	admin2 := signer(key(t, "admin2"), "alpha")
	worker := addr(key(t, "worker"))
	steps := []struct {
		name string
		fn   func() ([]kit.Event, error)
		want *kit.Error
	}{
		{"reinstate active", func() ([]kit.Event, error) {
			return k.ReinstateAccount(k.own(st), st, blk, admin2, &pb.MsgReinstateAccount{Address: worker})
		}, ErrWrongAccountStatus},
		{"suspend without reason", func() ([]kit.Event, error) {
			return k.SuspendAccount(k.own(st), st, blk, admin2, &pb.MsgSuspendAccount{Address: worker})
		}, ErrInvalidField},
		{"suspend other org", func() ([]kit.Event, error) {
			return k.SuspendAccount(k.own(st), st, blk, admin2, &pb.MsgSuspendAccount{Address: addr(key(t, "beta")), Reason: "x"})
		}, ErrOtherOrg},
		{"suspend", func() ([]kit.Event, error) {
			return k.SuspendAccount(k.own(st), st, blk, admin2, &pb.MsgSuspendAccount{Address: worker, Reason: "key leaked"})
		}, nil},
		{"suspend twice", func() ([]kit.Event, error) {
			return k.SuspendAccount(k.own(st), st, blk, admin2, &pb.MsgSuspendAccount{Address: worker, Reason: "again"})
		}, ErrWrongAccountStatus},
		{"suspend root admin", func() ([]kit.Event, error) {
			return k.SuspendAccount(k.own(st), st, blk, admin2, &pb.MsgSuspendAccount{Address: addr(key(t, "root")), Reason: "audit"})
		}, nil},
		{"suspend the last active admin (self)", func() ([]kit.Event, error) {
			return k.SuspendAccount(k.own(st), st, blk, admin2, &pb.MsgSuspendAccount{Address: admin2.Address, Reason: "oops"})
		}, ErrLastAdmin},
		{"reinstate", func() ([]kit.Event, error) {
			return k.ReinstateAccount(k.own(st), st, blk, admin2, &pb.MsgReinstateAccount{Address: worker})
		}, nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) { run(t, s.want, s.fn) })
	}
	acct, _ := k.Account(st, worker)
	if acct.Status != pb.AccountStatus_ACCOUNT_STATUS_ACTIVE || acct.SuspensionReason != "" {
		t.Fatalf("worker after reinstate: %v", acct)
	}
	root, _ := k.Account(st, addr(key(t, "root")))
	if root.Status != pb.AccountStatus_ACCOUNT_STATUS_SUSPENDED || root.SuspensionReason != "audit" {
		t.Fatalf("root after suspend: %v", root)
	}
}

func TestRotateKey(t *testing.T) {
	old := key(t, "worker")
	next := key(t, "worker-2026")
	addrBytes, _ := keys.ParseAddress(addr(old))
	proof := func(k *keys.PrivateKey, seq uint64) []byte {
		sig, err := k.Sign(RotationSignBytes(blk.ChainID, addrBytes, seq))
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	cases := []struct {
		name string
		msg  *pb.MsgRotateKey
		want *kit.Error
	}{
		{"ok", &pb.MsgRotateKey{NewPublicKey: next.Public(), NewKeySignature: proof(next, 0)}, nil},
		{"proof by old key", &pb.MsgRotateKey{NewPublicKey: next.Public(), NewKeySignature: proof(old, 0)}, ErrInvalidKeyProof},
		{"proof for another sequence", &pb.MsgRotateKey{NewPublicKey: next.Public(), NewKeySignature: proof(next, 1)}, ErrInvalidKeyProof},
		{"key used by another account", &pb.MsgRotateKey{NewPublicKey: key(t, "beta").Public(), NewKeySignature: proof(key(t, "beta"), 0)}, ErrKeyAlreadyUsed},
		{"rotate to own current key", &pb.MsgRotateKey{NewPublicKey: old.Public(), NewKeySignature: proof(old, 0)}, ErrKeyAlreadyUsed},
		{"invalid key", &pb.MsgRotateKey{NewPublicKey: &keysv1.PublicKey{Type: 3, Key: make([]byte, 33)}}, ErrInvalidPublicKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := fixture(t)
			run(t, c.want, func() ([]kit.Event, error) {
				return k.RotateKey(k.own(st), st, blk, signer(old, "alpha"), c.msg)
			})
			if c.want != nil {
				return
			}
			acct, _ := k.Account(st, addr(old))
			if acct.Address != addr(old) || keys.Address(acct.PublicKey) != addr(next) || acct.KeyRotatedHeight != blk.Height {
				t.Fatalf("after rotation: %v", acct)
			}
			// The retired key can never join again.
			_, err := k.AddAccount(k.own(st), st, blk, signer(key(t, "admin2"), "alpha"), &pb.MsgAddAccount{PublicKey: old.Public()})
			if !errors.Is(err, ErrKeyAlreadyUsed) {
				t.Fatalf("retired key re-added: %v", err)
			}
		})
	}
}

func TestInitGenesisRejects(t *testing.T) {
	pk := key(t, "a").Public()
	cases := map[string]*pb.Genesis{
		"empty":         {},
		"bad org id":    {Orgs: []*pb.Org{{Id: "A", Name: "x"}}},
		"duplicate org": {Orgs: []*pb.Org{{Id: "aa", Name: "x"}, {Id: "aa", Name: "y"}}},
		"org w/o admin": {Orgs: []*pb.Org{{Id: "aa", Name: "x"}}, Accounts: []*pb.GenesisAccount{{OrgId: "aa", PublicKey: pk, Roles: []pb.Role{rSteward}}}},
		"unknown org":   {Orgs: []*pb.Org{{Id: "aa", Name: "x"}}, Accounts: []*pb.GenesisAccount{{OrgId: "bb", PublicKey: pk, Roles: []pb.Role{rAdmin}}}},
		"duplicate key": {Orgs: []*pb.Org{{Id: "aa", Name: "x"}}, Accounts: []*pb.GenesisAccount{{OrgId: "aa", PublicKey: pk, Roles: []pb.Role{rAdmin}}, {OrgId: "aa", PublicKey: pk}}},
		"bad role":      {Orgs: []*pb.Org{{Id: "aa", Name: "x"}}, Accounts: []*pb.GenesisAccount{{OrgId: "aa", PublicKey: pk, Roles: []pb.Role{0}}}},
		"namespace reserved twice": {Orgs: []*pb.Org{{Id: "aa", Name: "x", Namespaces: []string{"nn"}}, {Id: "bb", Name: "y", Namespaces: []string{"nn"}}},
			Accounts: []*pb.GenesisAccount{{OrgId: "aa", PublicKey: pk, Roles: []pb.Role{rAdmin}}, {OrgId: "bb", PublicKey: key(t, "b").Public(), Roles: []pb.Role{rAdmin}}}},
		"namespace is a later org's id": {Orgs: []*pb.Org{{Id: "aa", Name: "x", Namespaces: []string{"bb"}}, {Id: "bb", Name: "y"}},
			Accounts: []*pb.GenesisAccount{{OrgId: "aa", PublicKey: pk, Roles: []pb.Role{rAdmin}}, {OrgId: "bb", PublicKey: key(t, "b").Public(), Roles: []pb.Role{rAdmin}}}},
	}
	for name, g := range cases {
		t.Run(name, func(t *testing.T) {
			st := kittest.NewMemStore()
			if err := k.InitGenesis(k.own(st), st, kit.Block{}, g); !errors.Is(err, ErrInvalidGenesis) {
				t.Fatalf("InitGenesis = %v, want ErrInvalidGenesis", err)
			}
		})
	}
}

// TestErrorCodesUnique: codes are consensus; two errors must never share one.
func TestErrorCodesUnique(t *testing.T) {
	seen := map[uint32]string{}
	for _, e := range Errors {
		if e.Codespace != Codespace {
			t.Errorf("%q has codespace %q", e.Message, e.Codespace)
		}
		if prev, dup := seen[e.Code]; dup {
			t.Errorf("code %d used by %q and %q", e.Code, prev, e.Message)
		}
		seen[e.Code] = e.Message
	}
	if len(seen) != int(Errors[len(Errors)-1].Code) {
		t.Errorf("codes are not dense 1..%d", len(seen))
	}
}

func TestRoleNames(t *testing.T) {
	all := AllRoles()
	names := map[string]bool{}
	for _, r := range all {
		names[RoleName(r)] = true
	}
	if len(names) != len(all) || !names["model-publisher"] || !names["consortium-admin"] {
		t.Fatalf("role names = %v", keysOf(names))
	}
	got, err := ParseRoles("admin, data-steward")
	if err != nil || len(got) != 2 || got[0] != rAdmin || got[1] != rSteward {
		t.Fatalf("ParseRoles = %v, %v", got, err)
	}
	if _, err := ParseRoles("admin,root"); err == nil {
		t.Fatal("unknown role parsed")
	}
}

func keysOf(m map[string]bool) []string {
	var out []string
	for k := range maps.Keys(m) {
		out = append(out, k)
	}
	return out
}
