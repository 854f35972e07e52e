package app

import (
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// provenCheck is the verdict of c.provenCheck, whose proofs a verifier
// re-ran the check over.
func provenCheck(t *testing.T, c *chain, req *gatepb.CheckRequest, height int64) *gatepb.CheckResponse {
	t.Helper()
	resp, _ := c.provenCheck(t, req, height)
	return resp
}

// reasons lists a verdict's findings as "REASON subject".
func reasons(resp *gatepb.CheckResponse) string {
	var out []string
	for _, f := range resp.Findings {
		out = append(out, strings.TrimPrefix(f.Reason.String(), "REASON_")+" "+f.Subject)
	}
	return strings.Join(out, "; ")
}

// TestRevokedDatasetDeniesDownstream: revoking a dataset makes the gate
// deny a fine-tune two models and one derived dataset downstream of it,
// naming the dataset, in a verdict a verifier recomputes from the proofs;
// the state before the revocation still allows it.
func TestRevokedDatasetDeniesDownstream(t *testing.T) {
	c := newChain(t)
	l := runAuditLineage(t, c)
	check := &gatepb.CheckRequest{Model: "acme/tuned@1.0", Org: "alpha", Uses: []gatepb.Use{gatepb.Use_USE_COMMERCIAL}}
	before := provenCheck(t, c, check, 0)
	if before.Verdict != gatepb.Verdict_VERDICT_ALLOW {
		t.Fatalf("before the revocation: %s %s", before.Verdict, reasons(before))
	}
	if !before.Policy.DenyRevokedDatasets {
		t.Fatalf("a new chain's policy %v does not deny revoked datasets", before.Policy)
	}
	allowedAt := c.height

	// The steward of the owning organisation revokes the raw data.
	res, _ := c.block(c.tx(c.steward, &lineagepb.MsgRevokeDataset{Digest: l.raw,
		ReasonCode: lineagepb.DatasetRevocationReason_DATASET_REVOCATION_REASON_DATA, Reason: "holds personal data"}))
	if res[0].Code != 0 {
		t.Fatalf("revoke: %s/%d %s", res[0].Codespace, res[0].Code, res[0].Log)
	}
	checkSearchable(t, [][]*abci.ExecTxResult{res})
	var rev lineagepb.QueryDatasetRevocationResponse
	if err := c.query("/lineage.lineage.v1.Query/DatasetRevocation", &lineagepb.QueryDatasetRevocationRequest{Digest: l.raw}, &rev); err != nil ||
		rev.Revocation.GetOrgId() != "alpha" || rev.Revocation.RevokedBy != c.steward.addr() {
		t.Fatalf("revocation %v, %v", rev.Revocation, err)
	}

	after := provenCheck(t, c, check, 0)
	if after.Verdict != gatepb.Verdict_VERDICT_DENY || reasons(after) != "DATASET_REVOKED dataset:"+l.raw {
		t.Fatalf("after the revocation: %s %s", after.Verdict, reasons(after))
	}
	if d := after.Findings[0].Detail; !strings.Contains(d, "holds personal data") || !strings.Contains(d, "acme/tuned@1.0") {
		t.Fatalf("detail %q", d)
	}
	// The base model trained on the derived data is denied too.
	base := provenCheck(t, c, &gatepb.CheckRequest{Model: "acme/base@1.0", Org: "alpha", Uses: check.Uses}, 0)
	if reasons(base) != "DATASET_REVOKED dataset:"+l.raw {
		t.Fatalf("base model: %s %s", base.Verdict, reasons(base))
	}
	// History is not rewritten: the state before the revocation allows.
	if then := provenCheck(t, c, check, allowedAt); then.Verdict != gatepb.Verdict_VERDICT_ALLOW {
		t.Fatalf("at height %d: %s %s", allowedAt, then.Verdict, reasons(then))
	}
}

// TestRevokedDatasetOnAnOlderPolicy: on a chain whose stored policy
// predates deny_revoked_datasets, the gate ignores revocations (reading
// nothing new) unless a request asks for the requirement.
func TestRevokedDatasetOnAnOlderPolicy(t *testing.T) {
	c := newChainOn(t, mustMemStore(t), false)
	c.initChain(boundNamesGenesis(c))
	l := runAuditLineage(t, c)
	c.mustBlock(c.tx(c.admin, &lineagepb.MsgRevokeDataset{Digest: l.clean,
		ReasonCode: lineagepb.DatasetRevocationReason_DATASET_REVOCATION_REASON_LICENSE, Reason: "licence withdrawn"}))
	check := &gatepb.CheckRequest{Model: "acme/tuned@1.0", Org: "alpha", Uses: []gatepb.Use{gatepb.Use_USE_COMMERCIAL}}
	if resp := provenCheck(t, c, check, 0); resp.Verdict != gatepb.Verdict_VERDICT_ALLOW || resp.Policy.DenyRevokedDatasets {
		t.Fatalf("older policy: %s %s, policy %v", resp.Verdict, reasons(resp), resp.Policy)
	}
	check.Policy = &gatepb.Policy{DenyRevokedDatasets: true}
	if resp := provenCheck(t, c, check, 0); reasons(resp) != "DATASET_REVOKED dataset:"+l.clean {
		t.Fatalf("requested by the check: %s %s", resp.Verdict, reasons(resp))
	}
}
