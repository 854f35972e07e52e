package app

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/modules"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	"github.com/lineageledger/lineaged/x/membership"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// squatter admits organisation delta, whose admin holds every role an
// organisation needs to publish, and returns that admin.
func squatter(t *testing.T, c *chain) *actor {
	t.Helper()
	d := &actor{key: testKey(t, "delta-admin", keysv1.KeyType_KEY_TYPE_ED25519)}
	c.mustBlock(c.tx(c.admin, &membershippb.MsgCreateOrg{OrgId: "delta", Name: "Delta", AdminPublicKey: d.key.Public(),
		AdminRoles: []membershippb.Role{membershippb.Role_ROLE_ADMIN, membershippb.Role_ROLE_MODEL_PUBLISHER,
			membershippb.Role_ROLE_LICENSOR, membershippb.Role_ROLE_DATA_STEWARD}}))
	return d
}

// claims are the messages that claim a name, each in namespace ns.
func claims(c *chain, ns string) map[string]func(a *actor) []byte {
	digest := contentDigest(ns + " data")
	dataset := func(d, name string) *lineagepb.DatasetSpec {
		return &lineagepb.DatasetSpec{Digest: d, Namespace: ns + "/corpora", Name: name, Version: "1"}
	}
	return map[string]func(a *actor) []byte{
		"licence": func(a *actor) []byte {
			return c.tx(a, &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{Id: ns + "/terms", SpdxId: "MIT", Usage: &licensespb.Usage{CommercialUse: true}}})
		},
		"model": func(a *actor) []byte {
			return c.tx(a, &modelspb.MsgRegisterModel{Model: &modelspb.ModelSpec{Name: ns + "/support-bot", Version: "1.0", ManifestDigest: contentDigest(ns + " weights")}})
		},
		"dataset": func(a *actor) []byte {
			return c.tx(a, &lineagepb.MsgRegisterDataset{Dataset: dataset(digest, "web")})
		},
		"run output": func(a *actor) []byte {
			return c.tx(a, &lineagepb.MsgRecordRun{CodeDigest: contentDigest("clean.py"), Inputs: []string{contentDigest("shared input")},
				NewOutputs: []*lineagepb.DatasetSpec{dataset(contentDigest(ns+" output"), "web-clean")}})
		},
	}
}

// TestNamesBoundToNamespaces: under the latest rules an organisation can
// claim a scoped name only in its own namespace or one reserved for it;
// the claim in another's is refused before it reaches a block and spends
// nothing.
func TestNamesBoundToNamespaces(t *testing.T) {
	c := newChain(t)
	c.mustBlock()
	c.mustBlock(c.tx(c.admin, &lineagepb.MsgRegisterDataset{Dataset: &lineagepb.DatasetSpec{Digest: contentDigest("shared input"), Namespace: "shared", Name: "in", Version: "1"}}))
	delta := squatter(t, c)
	for kind, claim := range claims(c, "alpha") {
		t.Run(kind+" in alpha's namespace", func(t *testing.T) {
			seq := delta.seq
			raw := claim(delta)
			delta.seq = seq // refused: the sequence is not spent
			res := c.checkTx(raw)
			if res.Codespace != modules.Codespace || res.Code != modules.ErrNamespaceNotOwned.Code {
				t.Fatalf("CheckTx = %s/%d %q, want tx/%d", res.Codespace, res.Code, res.Log, modules.ErrNamespaceNotOwned.Code)
			}
			if got := c.processProposal(raw); got != abci.PROCESS_PROPOSAL_STATUS_REJECT {
				t.Fatalf("a block carrying the claim: %v, want REJECT", got)
			}
		})
	}
	// The reserved namespace acme is alpha's too, and delta's own is delta's.
	for kind, claim := range claims(c, "acme") {
		if res := c.checkTx(claim(delta)); res.Code != modules.ErrNamespaceNotOwned.Code {
			t.Errorf("%s in acme by delta: %s/%d, want refused", kind, res.Codespace, res.Code)
		}
		delta.seq--
	}
	var own, reserved [][]byte
	for _, claim := range claims(c, "delta") {
		own = append(own, claim(delta))
	}
	for _, claim := range claims(c, "acme") {
		reserved = append(reserved, claim(c.admin))
	}
	c.mustBlock(own...)
	c.mustBlock(reserved...)
	// An unscoped name claims no organisation.
	c.mustBlock(c.tx(delta, &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{Id: "delta-terms", SpdxId: "MIT", Usage: &licensespb.Usage{CommercialUse: true}}}))

	// The gate names the publisher of what it checks.
	var resp gatepb.CheckResponse
	if err := c.query(gatepb.Query_Check_FullMethodName, &gatepb.CheckRequest{Model: "delta/support-bot@1.0", Org: "delta", Uses: []gatepb.Use{gatepb.Use_USE_COMMERCIAL}}, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.PublisherOrg != "delta" {
		t.Fatalf("gate answer names publisher %q, want delta", resp.PublisherOrg)
	}
}

// TestFirstReleaseRulesKept: a chain started under the first release's
// rules keeps them, squatting included, so that its history replays; the
// gate still names the squatter, and a check that asks for the namespace
// owner denies it.
func TestFirstReleaseRulesKept(t *testing.T) {
	c := goldenChain(t, firstReleaseGenesis)
	c.mustBlock()
	delta := squatter(t, c)
	c.mustBlock(c.tx(delta, &modelspb.MsgRegisterModel{Model: &modelspb.ModelSpec{Name: "alpha/support-bot", Version: "1.0", ManifestDigest: contentDigest("squat")}}))
	req := &gatepb.CheckRequest{Model: "alpha/support-bot@1.0", Org: "alpha", Uses: []gatepb.Use{gatepb.Use_USE_COMMERCIAL}}
	var resp gatepb.CheckResponse
	if err := c.query(gatepb.Query_Check_FullMethodName, req, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.PublisherOrg != "delta" || resp.Verdict != gatepb.Verdict_VERDICT_DENY {
		t.Fatalf("squatted model: %v published by %q", resp.Verdict, resp.PublisherOrg)
	}
	for _, f := range resp.Findings {
		if f.Reason == gatepb.Reason_REASON_NAMESPACE_NOT_OWNED {
			t.Fatalf("the first release's policy does not ask for the namespace owner, yet: %v", f)
		}
	}
	req.Policy = &gatepb.Policy{RequireNamespaceOwner: true}
	if err := c.query(gatepb.Query_Check_FullMethodName, req, &resp); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range resp.Findings {
		found = found || f.Reason == gatepb.Reason_REASON_NAMESPACE_NOT_OWNED
	}
	if !found {
		t.Fatalf("require_namespace_owner did not deny the squatted model: %v", resp.Findings)
	}
}

// TestSuspensionNeedsTheTargetsRoles: an admin cannot suspend or reinstate
// an account holding a role it lacks (the consortium admin, say); under the
// first release's rules it could.
func TestSuspensionNeedsTheTargetsRoles(t *testing.T) {
	for _, tc := range []struct {
		name    string
		genesis func(c *chain) *appv1.Genesis
		allowed bool
	}{
		{"latest rules", nil, false},
		{"first release", firstReleaseGenesis, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c *chain
			if tc.genesis == nil {
				c = newChain(t)
			} else {
				c = goldenChain(t, tc.genesis)
			}
			c.mustBlock()
			lower := &actor{key: testKey(t, "lower-admin", keysv1.KeyType_KEY_TYPE_ED25519)}
			c.mustBlock(c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: lower.key.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_ADMIN}}))
			res, _ := c.block(c.tx(lower, &membershippb.MsgSuspendAccount{Address: c.admin.addr(), Reason: "takeover"}))
			if tc.allowed {
				if res[0].Code != 0 {
					t.Fatalf("first-release rules: suspension refused: %s", res[0].Log)
				}
				res, _ = c.block(c.tx(lower, &membershippb.MsgReinstateAccount{Address: c.admin.addr()}))
				if res[0].Code != 0 {
					t.Fatalf("first-release rules: reinstatement refused: %s", res[0].Log)
				}
				return
			}
			if res[0].Codespace != membership.Codespace || res[0].Code != membership.ErrRoleEscalation.Code {
				t.Fatalf("suspending the consortium admin: %s/%d %q, want membership/%d", res[0].Codespace, res[0].Code, res[0].Log, membership.ErrRoleEscalation.Code)
			}
			if acct := c.account(c.admin.addr()); acct.Status != membershippb.AccountStatus_ACCOUNT_STATUS_ACTIVE {
				t.Fatal("the consortium admin was suspended")
			}
			// An account holding no more than the lower admin's roles it may
			// suspend, and reinstate; the higher one it may not reinstate.
			peer := &actor{key: testKey(t, "peer-admin", keysv1.KeyType_KEY_TYPE_ED25519)}
			c.mustBlock(c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: peer.key.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_ADMIN}}))
			c.mustBlock(c.tx(lower, &membershippb.MsgSuspendAccount{Address: peer.addr(), Reason: "rotation"}))
			c.mustBlock(c.tx(lower, &membershippb.MsgReinstateAccount{Address: peer.addr()}))
			c.mustBlock(c.tx(c.admin, &membershippb.MsgSuspendAccount{Address: c.steward.addr(), Reason: "audit"}))
			c.mustBlock(c.tx(c.admin, &membershippb.MsgSetRoles{Address: c.steward.addr(), Roles: []membershippb.Role{membershippb.Role_ROLE_DATA_STEWARD, membershippb.Role_ROLE_DEPLOYER}}))
			res, _ = c.block(c.tx(lower, &membershippb.MsgReinstateAccount{Address: c.steward.addr()}))
			if res[0].Code != membership.ErrRoleEscalation.Code {
				t.Fatalf("reinstating an account with roles the signer lacks: %s/%d %q", res[0].Codespace, res[0].Code, res[0].Log)
			}
		})
	}
}
