package app

import (
	"bytes"
	"context"
	"slices"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/store/proofv1"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	"github.com/lineageledger/lineaged/x/models"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

const pathCheck = "/lineage.gate.v1.Query/Check"

// provenCheck asks the gate with proofs at height (0: the latest), checks
// that the answer is recomputed from the proofs alone, as a receipt's
// verifier does, and returns the answer and the proofs.
func (c *chain) provenCheck(t *testing.T, req *gatepb.CheckRequest, height int64) (*gatepb.CheckResponse, *proofv1.ProofBundle) {
	t.Helper()
	data := marshal(t, req)
	res, err := c.app.Query(context.Background(), &abci.QueryRequest{Path: pathCheck, Data: data, Height: height, Prove: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 {
		t.Fatalf("check %v: %s/%d %s", req, res.Codespace, res.Code, res.Log)
	}
	view, err := c.store.At(res.Height)
	if err != nil {
		t.Fatal(err)
	}
	bundle := verifyProvenQuery(t, pathCheck, data, res, view)
	var resp gatepb.CheckResponse
	if err := proto.Unmarshal(res.Value, &resp); err != nil {
		t.Fatal(err)
	}
	return &resp, bundle
}

// readsAliases reports whether the proofs hold a key of a model alias.
func (c *chain) readsAliases(b *proofv1.ProofBundle) bool {
	m, _ := c.app.mods.Module("models")
	aliases := append([]byte{m.Prefix}, models.AliasesPrefix("")[0])
	for _, k := range b.Keys {
		if bytes.HasPrefix(k.Key, aliases) {
			return true
		}
	}
	return false
}

// TestAliasMovesAndTheGate: an alias set and then moved twice; a gate
// check through it resolves to the version it points to at the height
// checked, before and after each move, with proofs that recompute the
// answer; its history lists every move; and a check that names no alias
// reads no alias.
func TestAliasMovesAndTheGate(t *testing.T) {
	c := newChain(t)
	c.mustBlock()
	c.mustBlock(c.tx(c.admin, &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{
		Id: "acme/open", SpdxId: "MIT", Usage: &licensespb.Usage{CommercialUse: true, Derivatives: true, Redistribution: true, AiTraining: true},
	}}))
	var txs [][]byte
	for _, v := range []string{"1.0", "2.0", "3.0"} {
		txs = append(txs, c.tx(c.admin, &modelspb.MsgRegisterModel{Model: &modelspb.ModelSpec{
			Name: "acme/bot", Version: v, ManifestDigest: contentDigest("bot weights " + v), LicenseIds: []string{"acme/open"},
		}}))
	}
	c.mustBlock(txs...)
	move := func(version string) int64 {
		c.mustBlock(c.tx(c.admin, &modelspb.MsgSetModelAlias{Name: "acme/bot", Alias: "production", Version: version}))
		return c.height
	}
	viaAlias := &gatepb.CheckRequest{Model: "acme/bot", Alias: "production", Org: "beta", Uses: []gatepb.Use{gatepb.Use_USE_COMMERCIAL}}
	wantVerdict := func(resp *gatepb.CheckResponse, verdict gatepb.Verdict, model string) {
		t.Helper()
		if resp.Verdict != verdict || resp.Model != model || resp.Alias != "production" {
			t.Fatalf("check through production: %s %s (alias %q), want %s %s; findings %v", resp.Verdict, resp.Model, resp.Alias, verdict, model, resp.Findings)
		}
	}

	// Before it is set, the alias names no version.
	resp, _ := c.provenCheck(t, viaAlias, 0)
	wantVerdict(resp, gatepb.Verdict_VERDICT_DENY, "acme/bot")
	before := c.height

	h1 := move("1.0")
	resp, bundle := c.provenCheck(t, viaAlias, 0)
	wantVerdict(resp, gatepb.Verdict_VERDICT_ALLOW, "acme/bot@1.0")
	if resp.ManifestDigest != contentDigest("bot weights 1.0") || !c.readsAliases(bundle) {
		t.Fatalf("digest %s (want 1.0's), alias read proven: %v", resp.ManifestDigest, c.readsAliases(bundle))
	}

	h2 := move("2.0")
	resp, _ = c.provenCheck(t, viaAlias, 0)
	wantVerdict(resp, gatepb.Verdict_VERDICT_ALLOW, "acme/bot@2.0")
	// The same check at an earlier height resolves as the alias stood then.
	resp, _ = c.provenCheck(t, viaAlias, h1)
	wantVerdict(resp, gatepb.Verdict_VERDICT_ALLOW, "acme/bot@1.0")
	resp, _ = c.provenCheck(t, viaAlias, before)
	wantVerdict(resp, gatepb.Verdict_VERDICT_DENY, "acme/bot")

	// The artefact must be the one the alias points to.
	withDigest := proto.Clone(viaAlias).(*gatepb.CheckRequest)
	withDigest.Digest = contentDigest("bot weights 1.0")
	resp, _ = c.provenCheck(t, withDigest, 0)
	wantVerdict(resp, gatepb.Verdict_VERDICT_DENY, "acme/bot@2.0")
	if resp.Findings[0].Reason != gatepb.Reason_REASON_DIGEST_MISMATCH {
		t.Fatalf("1.0's artefact checked as production after the move: %v", resp.Findings)
	}

	h3 := move("3.0")
	resp, _ = c.provenCheck(t, viaAlias, 0)
	wantVerdict(resp, gatepb.Verdict_VERDICT_ALLOW, "acme/bot@3.0")

	// Revoking the version it points to denies it through the alias.
	c.mustBlock(c.tx(c.admin, &modelspb.MsgRevokeModel{Name: "acme/bot", Version: "3.0",
		ReasonCode: modelspb.RevocationReason_REVOCATION_REASON_SECURITY, Reason: "backdoor"}))
	resp, _ = c.provenCheck(t, viaAlias, 0)
	wantVerdict(resp, gatepb.Verdict_VERDICT_DENY, "acme/bot@3.0")
	if resp.Findings[0].Reason != gatepb.Reason_REASON_MODEL_REVOKED {
		t.Fatalf("revoked target: %v", resp.Findings)
	}

	// A move to a revoked version fails in its block; one by an account
	// without model-publisher is refused at admission.
	h4 := move("2.0")
	resp, _ = c.provenCheck(t, viaAlias, 0)
	wantVerdict(resp, gatepb.Verdict_VERDICT_ALLOW, "acme/bot@2.0")
	res, _ := c.block(c.tx(c.admin, &modelspb.MsgSetModelAlias{Name: "acme/bot", Alias: "production", Version: "3.0"}))
	wantCode(t, "move to a revoked version", res[0].Codespace, res[0].Code, res[0].Log, models.ErrRevoked)
	ct := c.checkTx(c.tx(c.beta, &modelspb.MsgSetModelAlias{Name: "acme/bot", Alias: "production", Version: "1.0"}))
	wantCode(t, "move without the role", ct.Codespace, ct.Code, ct.Log, modules.ErrMissingRole)

	// The history lists every move, oldest first.
	var hist modelspb.QueryModelAliasHistoryResponse
	if err := c.query("/lineage.models.v1.Query/ModelAliasHistory", &modelspb.QueryModelAliasHistoryRequest{Name: "acme/bot", Alias: "production"}, &hist); err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, m := range hist.Moves {
		got = append(got, m.PreviousVersion+"->"+m.Version)
		if m.Move != uint64(i+1) || m.Height != []int64{h1, h2, h3, h4}[i] || m.OrgId != "alpha" || m.MovedBy != c.admin.addr() {
			t.Errorf("move %d: %v", i+1, m)
		}
	}
	if want := []string{"->1.0", "1.0->2.0", "2.0->3.0", "3.0->2.0"}; !slices.Equal(got, want) {
		t.Fatalf("history %q, want %q", got, want)
	}

	// A check that names no alias reads none: its reads, and the receipts
	// proving them, are what they were before aliases existed.
	_, bundle = c.provenCheck(t, &gatepb.CheckRequest{Model: "acme/bot@2.0", Org: "beta", Uses: []gatepb.Use{gatepb.Use_USE_COMMERCIAL}}, 0)
	if c.readsAliases(bundle) {
		t.Fatal("a check by name@version reads an alias")
	}
}
