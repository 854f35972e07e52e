package membership

import (
	"testing"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// TestGovernanceMessages: what only governance may send, and what it may
// do beyond a consortium admin.
func TestGovernanceMessages(t *testing.T) {
	gov := kit.GovernanceAuthority
	root := signer(key(t, "root"), "alpha")
	cases := []struct {
		name string
		want *kit.Error
		run  func(st kit.Store, whole kit.Reader) ([]kit.Event, error)
	}{
		{"suspend", nil, func(st kit.Store, r kit.Reader) ([]kit.Event, error) {
			return k.SuspendOrg(st, r, blk, gov, &pb.MsgSuspendOrg{OrgId: "beta", Reason: "unpaid dues"})
		}},
		{"suspend without a reason", ErrInvalidField, func(st kit.Store, r kit.Reader) ([]kit.Event, error) {
			return k.SuspendOrg(st, r, blk, gov, &pb.MsgSuspendOrg{OrgId: "beta"})
		}},
		{"suspend an unknown org", ErrOrgNotFound, func(st kit.Store, r kit.Reader) ([]kit.Event, error) {
			return k.SuspendOrg(st, r, blk, gov, &pb.MsgSuspendOrg{OrgId: "omega", Reason: "x"})
		}},
		{"suspend signed by an account", ErrNotAuthority, func(st kit.Store, r kit.Reader) ([]kit.Event, error) {
			return k.SuspendOrg(st, r, blk, root, &pb.MsgSuspendOrg{OrgId: "beta", Reason: "x"})
		}},
		{"reinstate an active org", ErrWrongOrgStatus, func(st kit.Store, r kit.Reader) ([]kit.Event, error) {
			return k.ReinstateOrg(st, r, blk, gov, &pb.MsgReinstateOrg{OrgId: "beta"})
		}},
		{"roles in another org", nil, func(st kit.Store, r kit.Reader) ([]kit.Event, error) {
			return k.SetAccountRoles(st, r, blk, gov, &pb.MsgSetAccountRoles{Address: addr(key(t, "beta")), Roles: []pb.Role{rAdmin, rConsort}})
		}},
		{"roles leaving no admin", ErrLastAdmin, func(st kit.Store, r kit.Reader) ([]kit.Event, error) {
			return k.SetAccountRoles(st, r, blk, gov, &pb.MsgSetAccountRoles{Address: addr(key(t, "beta")), Roles: []pb.Role{rAuditor}})
		}},
		{"roles signed by an account", ErrNotAuthority, func(st kit.Store, r kit.Reader) ([]kit.Event, error) {
			return k.SetAccountRoles(st, r, blk, root, &pb.MsgSetAccountRoles{Address: addr(key(t, "beta")), Roles: []pb.Role{rAdmin}})
		}},
		{"create an org handing out any role", nil, func(st kit.Store, r kit.Reader) ([]kit.Event, error) {
			return k.CreateOrg(st, r, blk, gov, &pb.MsgCreateOrg{OrgId: "gamma", Name: "Gamma",
				AdminPublicKey: key(t, "gamma-admin").Public(), AdminRoles: []pb.Role{rAdmin, rAuditor, rLicensor}})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := fixture(t)
			run(t, c.want, func() ([]kit.Event, error) { return c.run(k.own(st), st) })
		})
	}
}

// TestSuspendThenReinstateOrg: the organisation's record follows.
func TestSuspendThenReinstateOrg(t *testing.T) {
	st := fixture(t)
	gov := kit.GovernanceAuthority
	run(t, nil, func() ([]kit.Event, error) {
		return k.SuspendOrg(k.own(st), st, blk, gov, &pb.MsgSuspendOrg{OrgId: "beta", Reason: "unpaid dues"})
	})
	if org, _ := k.Org(st, "beta"); !org.Suspended || org.SuspensionReason != "unpaid dues" || org.StatusHeight != blk.Height {
		t.Fatalf("suspended: %v", org)
	}
	run(t, ErrWrongOrgStatus, func() ([]kit.Event, error) {
		return k.SuspendOrg(k.own(st), st, blk, gov, &pb.MsgSuspendOrg{OrgId: "beta", Reason: "again"})
	})
	run(t, nil, func() ([]kit.Event, error) {
		return k.ReinstateOrg(k.own(st), st, blk, gov, &pb.MsgReinstateOrg{OrgId: "beta"})
	})
	if org, _ := k.Org(st, "beta"); org.Suspended || org.SuspensionReason != "" {
		t.Fatalf("reinstated: %v", org)
	}
	var ids []string
	k.EachOrg(st, func(o *pb.Org) bool { ids = append(ids, o.Id); return true })
	if len(ids) != 2 || ids[0] != "beta" || ids[1] != "alpha" { // key order: shorter ids first
		t.Fatalf("EachOrg: %v", ids)
	}
}
