package app

import (
	"github.com/lineageledger/lineaged/app/modules"
	"testing"

	"google.golang.org/protobuf/proto"

	lpb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	lnpb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	mpb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	mopb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// TestProvenanceRolesEnforced: every provenance message is refused, before
// its handler runs, to an account that lacks the role it declares — the
// steward holds only data-steward, beta's admin only admin.
func TestProvenanceRolesEnforced(t *testing.T) {
	c := newChain(t)
	c.mustBlock()
	d := contentDigest("x")
	cases := []struct {
		name string
		who  *actor
		msg  proto.Message
		role mpb.Role
	}{
		{"register dataset", c.beta, &lnpb.MsgRegisterDataset{Dataset: &lnpb.DatasetSpec{Digest: d}}, mpb.Role_ROLE_DATA_STEWARD},
		{"record run", c.beta, &lnpb.MsgRecordRun{CodeDigest: d, Inputs: []string{d}}, mpb.Role_ROLE_DATA_STEWARD},
		{"register model", c.steward, &mopb.MsgRegisterModel{Model: &mopb.ModelSpec{Name: "m", Version: "1", ManifestDigest: d}}, mpb.Role_ROLE_MODEL_PUBLISHER},
		{"revoke model", c.steward, &mopb.MsgRevokeModel{Name: "m", Version: "1"}, mpb.Role_ROLE_MODEL_PUBLISHER},
		{"supersede model", c.steward, &mopb.MsgSupersedeModel{Name: "m", Version: "1", SupersededBy: "m@2"}, mpb.Role_ROLE_MODEL_PUBLISHER},
		{"record deployment", c.steward, &mopb.MsgRecordDeployment{Name: "m", Version: "1", Environment: "prod"}, mpb.Role_ROLE_DEPLOYER},
		{"define licence", c.steward, &lpb.MsgDefineLicense{License: &lpb.LicenseSpec{Id: "l"}}, mpb.Role_ROLE_LICENSOR},
		{"grant licence", c.steward, &lpb.MsgGrantLicense{LicenseId: "l"}, mpb.Role_ROLE_LICENSOR},
		{"revoke grant", c.beta, &lpb.MsgRevokeGrant{GrantId: "grant-1"}, mpb.Role_ROLE_LICENSOR},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := c.sign(tc.who.key, c.body(tc.who, tc.msg))
			res := c.checkTx(raw)
			if res.Codespace != modules.Codespace || res.Code != modules.ErrMissingRole.Code {
				t.Fatalf("CheckTx = %s/%d %q, want tx/%d", res.Codespace, res.Code, res.Log, modules.ErrMissingRole.Code)
			}
			rt, _, ok := c.app.mods.Route(c.body(tc.who, tc.msg))
			if !ok || rt.Role != tc.role {
				t.Fatalf("route declares role %v, want %v", rt.Role, tc.role)
			}
		})
	}
}
