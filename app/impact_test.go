package app

import (
	"context"
	"fmt"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/x/kit"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

const pathImpact = "/lineage.models.v1.Query/Impact"

// auditLineage is the lineage the auditors' tests ask about, all of org
// alpha:
//
//	raw ─(clean run)→ clean ─(trained on)→ acme/base@1.0 ─(fine-tune)→ acme/tuned@1.0, deployed
//	tickets ─(trained on)→ acme/tuned@1.0
type auditLineage struct {
	raw, clean, tickets string
}

func runAuditLineage(t *testing.T, c *chain) auditLineage {
	t.Helper()
	l := auditLineage{raw: contentDigest("audit raw"), clean: contentDigest("audit clean"), tickets: contentDigest("audit tickets")}
	spec := func(d, name string) *lineagepb.DatasetSpec {
		return &lineagepb.DatasetSpec{Digest: d, Namespace: "corpora", Name: name, Version: "1", LicenseIds: []string{"cc-by-4.0"}}
	}
	a := c.admin
	c.mustBlock(c.tx(a, &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{Id: "cc-by-4.0", SpdxId: "CC-BY-4.0",
		Usage: &licensespb.Usage{CommercialUse: true, Derivatives: true, Redistribution: true, AiTraining: true}}}))
	c.mustBlock(c.tx(a, &lineagepb.MsgRegisterDataset{Dataset: spec(l.raw, "raw")}), c.tx(a, &lineagepb.MsgRegisterDataset{Dataset: spec(l.tickets, "tickets")}))
	c.mustBlock(c.tx(a, &lineagepb.MsgRecordRun{CodeDigest: contentDigest("clean.py"), Inputs: []string{l.raw},
		NewOutputs: []*lineagepb.DatasetSpec{spec(l.clean, "clean")}}))
	c.mustBlock(c.tx(a, &modelspb.MsgRegisterModel{Model: &modelspb.ModelSpec{Name: "acme/base", Version: "1.0",
		ManifestDigest: contentDigest("audit base weights"), TrainingDatasets: []string{l.clean}, LicenseIds: []string{"cc-by-4.0"}}}))
	c.mustBlock(c.tx(a, &modelspb.MsgRegisterModel{Model: &modelspb.ModelSpec{Name: "acme/tuned", Version: "1.0",
		ManifestDigest: contentDigest("audit tuned weights"), BaseModel: "acme/base@1.0", TrainingDatasets: []string{l.tickets}, LicenseIds: []string{"cc-by-4.0"}}}))
	c.mustBlock(c.tx(a, &modelspb.MsgRecordDeployment{Name: "acme/tuned", Version: "1.0", Environment: "azure/eastus/prod"}))
	return l
}

// provenImpact asks the Impact query with proofs, checks them as a
// verifier would (see verifyProvenQuery), and returns the answer.
func provenImpact(t *testing.T, c *chain, req *modelspb.QueryImpactRequest) *modelspb.QueryImpactResponse {
	t.Helper()
	data := marshal(t, req)
	res, err := c.app.Query(context.Background(), &abci.QueryRequest{Path: pathImpact, Data: data, Prove: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 {
		t.Fatalf("impact: %s/%d %s", res.Codespace, res.Code, res.Log)
	}
	view, err := c.store.At(res.Height)
	if err != nil {
		t.Fatal(err)
	}
	verifyProvenQuery(t, pathImpact, data, res, view)
	var resp modelspb.QueryImpactResponse
	if err := proto.Unmarshal(res.Value, &resp); err != nil {
		t.Fatal(err)
	}
	return &resp
}

// impactSummary renders the models of an answer, one per line: reference,
// depth, path and deployments, with names standing for digests.
func impactSummary(resp *modelspb.QueryImpactResponse, names map[string]string) string {
	var lines []string
	for _, d := range resp.Datasets {
		lines = append(lines, fmt.Sprintf("dataset %s %d", names[d.Digest], d.Depth))
	}
	for _, m := range resp.Models {
		path := strings.Join(m.Path, " > ")
		for d, n := range names {
			path = strings.ReplaceAll(path, d, n)
		}
		line := fmt.Sprintf("model %s %d %s", m.Model, m.Depth, path)
		for _, d := range m.Deployments {
			line += fmt.Sprintf(" [%s by %s]", d.Environment, d.OrgId)
		}
		lines = append(lines, line)
	}
	lines = append(lines, fmt.Sprintf("edges %d truncated=%v index_complete=%v", len(resp.Edges), resp.Truncated, resp.IndexComplete))
	return strings.Join(lines, "\n")
}

// TestImpactQuery: from a dataset, the walk crosses to the data derived
// from it, the model trained on that, its fine-tune and the fine-tune's
// deployment; from the base model, to the fine-tune. Both answers carry
// proofs a verifier re-runs the query over.
func TestImpactQuery(t *testing.T) {
	c := newChain(t)
	l := runAuditLineage(t, c)
	names := map[string]string{l.raw: "raw", l.clean: "clean", l.tickets: "tickets"}

	got := impactSummary(provenImpact(t, c, &modelspb.QueryImpactRequest{Dataset: l.raw}), names)
	want := strings.Join([]string{
		"dataset raw 0",
		"dataset clean 1",
		"model acme/base@1.0 2 dataset:raw > dataset:clean > model:acme/base@1.0",
		"model acme/tuned@1.0 3 dataset:raw > dataset:clean > model:acme/base@1.0 > model:acme/tuned@1.0 [azure/eastus/prod by alpha]",
		"edges 3 truncated=false index_complete=true",
	}, "\n")
	if got != want {
		t.Fatalf("impact of raw:\n%s\nwant:\n%s", got, want)
	}

	got = impactSummary(provenImpact(t, c, &modelspb.QueryImpactRequest{Model: "acme/base@1.0"}), names)
	want = strings.Join([]string{
		"model acme/base@1.0 0 model:acme/base@1.0",
		"model acme/tuned@1.0 1 model:acme/base@1.0 > model:acme/tuned@1.0 [azure/eastus/prod by alpha]",
		"edges 1 truncated=false index_complete=true",
	}, "\n")
	if got != want {
		t.Fatalf("impact of acme/base@1.0:\n%s\nwant:\n%s", got, want)
	}

	// The fine-tune is reached from its other training dataset too.
	got = impactSummary(provenImpact(t, c, &modelspb.QueryImpactRequest{Dataset: l.tickets, MaxDepth: 1}), names)
	want = strings.Join([]string{
		"dataset tickets 0",
		"model acme/tuned@1.0 1 dataset:tickets > model:acme/tuned@1.0 [azure/eastus/prod by alpha]",
		"edges 1 truncated=false index_complete=true",
	}, "\n")
	if got != want {
		t.Fatalf("impact of tickets:\n%s\nwant:\n%s", got, want)
	}
}

// TestImpactOnRuleSet1: a chain started on rule set 1 writes no impact
// index, so its answers reach datasets only, and say the index is
// incomplete.
func TestImpactOnRuleSet1(t *testing.T) {
	c := newChainOn(t, mustMemStore(t), false)
	c.initChain(boundNamesGenesis(c))
	l := runAuditLineage(t, c)
	m, _ := c.app.mods.Module("models")
	for _, sub := range []byte{0x10, 0x11} {
		start := []byte{m.Prefix, sub}
		it := c.store.Committed().Iterator(start, kit.PrefixEnd(start), false)
		if it.Valid() {
			t.Errorf("rule set 1 wrote the impact index key %x", it.Key())
		}
		it.Close()
	}
	got := impactSummary(provenImpact(t, c, &modelspb.QueryImpactRequest{Dataset: l.raw}), map[string]string{l.raw: "raw", l.clean: "clean"})
	want := strings.Join([]string{
		"dataset raw 0",
		"dataset clean 1",
		"edges 1 truncated=false index_complete=false",
	}, "\n")
	if got != want {
		t.Fatalf("impact of raw on rule set 1:\n%s\nwant:\n%s", got, want)
	}
	if p := modules.LoadParams(c.store.Committed()); p.Rules != kit.RulesBoundNames {
		t.Fatalf("rules %d", p.Rules)
	}
}
