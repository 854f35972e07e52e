package app

import (
	"github.com/lineageledger/lineaged/app/modules"
	"testing"

	"google.golang.org/protobuf/proto"

	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
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
		role membershippb.Role
	}{
		{"register dataset", c.beta, &lineagepb.MsgRegisterDataset{Dataset: &lineagepb.DatasetSpec{Digest: d}}, membershippb.Role_ROLE_DATA_STEWARD},
		{"record run", c.beta, &lineagepb.MsgRecordRun{CodeDigest: d, Inputs: []string{d}}, membershippb.Role_ROLE_DATA_STEWARD},
		{"register model", c.steward, &modelspb.MsgRegisterModel{Model: &modelspb.ModelSpec{Name: "m", Version: "1", ManifestDigest: d}}, membershippb.Role_ROLE_MODEL_PUBLISHER},
		{"revoke model", c.steward, &modelspb.MsgRevokeModel{Name: "m", Version: "1"}, membershippb.Role_ROLE_MODEL_PUBLISHER},
		{"supersede model", c.steward, &modelspb.MsgSupersedeModel{Name: "m", Version: "1", SupersededBy: "m@2"}, membershippb.Role_ROLE_MODEL_PUBLISHER},
		{"record deployment", c.steward, &modelspb.MsgRecordDeployment{Name: "m", Version: "1", Environment: "prod"}, membershippb.Role_ROLE_DEPLOYER},
		{"define licence", c.steward, &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{Id: "l"}}, membershippb.Role_ROLE_LICENSOR},
		{"grant licence", c.steward, &licensespb.MsgGrantLicense{LicenseId: "l"}, membershippb.Role_ROLE_LICENSOR},
		{"revoke grant", c.beta, &licensespb.MsgRevokeGrant{GrantId: "grant-1"}, membershippb.Role_ROLE_LICENSOR},
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
