package app

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/x/kit/digest"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	"github.com/lineageledger/lineaged/x/models"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// contentDigest stands in for `lineaged hash file` over a named artefact.
func contentDigest(name string) string {
	sum := sha256.Sum256([]byte(name))
	return digest.Digest{Algorithm: digest.SHA256, Value: sum[:]}.String()
}

// effective renders an effective licence as one line per fact, so that a
// scenario reads as a table:
//
//	permits: derivatives ai_training | attribution
//	commercial_use: dataset:tokenised acme/research-only FORBIDDEN
func effective(t *testing.T, c *chain, subject *licensespb.Subject, org string, names map[string]string) string {
	t.Helper()
	var resp licensespb.QueryEffectiveLicenseResponse
	if err := c.query("/lineage.licenses.v1.Query/EffectiveLicense", &licensespb.QueryEffectiveLicenseRequest{Subject: subject, Org: org}, &resp); err != nil {
		t.Fatal(err)
	}
	name := func(s *licensespb.Subject) string {
		switch k := s.Kind.(type) {
		case *licensespb.Subject_Dataset:
			if n, ok := names[k.Dataset]; ok {
				return "dataset:" + n
			}
			return "dataset:" + k.Dataset
		case *licensespb.Subject_Model:
			return "model:" + k.Model
		}
		return "?"
	}
	var b strings.Builder
	u := resp.Usage
	b.WriteString("permits:")
	for _, p := range []struct {
		name string
		ok   bool
	}{{"commercial_use", u.CommercialUse}, {"derivatives", u.Derivatives}, {"redistribution", u.Redistribution}, {"ai_training", u.AiTraining}} {
		if p.ok {
			b.WriteString(" " + p.name)
		}
	}
	if u.AttributionRequired {
		b.WriteString(" | attribution")
	}
	b.WriteString("\n")
	for _, r := range resp.Restrictions {
		var parts []string
		for _, c := range r.Causes {
			parts = append(parts, strings.TrimSpace(name(c.Subject)+" "+c.LicenseId+" "+strings.TrimPrefix(c.Kind.String(), "CAUSE_KIND_")))
		}
		fmt.Fprintf(&b, "%s: %s\n", r.Use, strings.Join(parts, "; "))
	}
	var duties []string
	for _, d := range resp.Duties {
		duties = append(duties, name(d.Subject))
	}
	fmt.Fprintf(&b, "duties: %s", strings.Join(duties, " "))
	return b.String()
}

// TestProvenanceScenario builds a realistic lineage under mixed licences —
// raw crawl → cleaned → tokenised → a base model from another organisation
// → a fine-tuned model — through real transactions, and checks what the
// fine-tuned model's lineage permits before and after a grant, after its
// revocation, and once a licence expires.
func TestProvenanceScenario(t *testing.T) {
	runProvenanceScenario(t, newChain(t))
}

// TestProvenanceReplay replays the scenario's blocks on a fresh pebble
// store through the full-node path (FinalizeBlock without ProcessProposal):
// every app hash and every result must be the same.
func TestProvenanceReplay(t *testing.T) {
	a := newChain(t)
	runProvenanceScenario(t, a)
	st, err := store.Open(store.Config{Backend: "pebbledb", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := newChainOn(t, st, true)
	var results [][]*abci.ExecTxResult
	for _, blk := range a.blocks {
		results = append(results, blk.results)
	}
	seen := checkSearchable(t, results)
	slices.Sort(seen)
	t.Logf("events seen: %v", seen)
	for i, blk := range a.blocks {
		res, hash := b.fullNodeBlock(blk.txs...)
		if !bytes.Equal(hash, blk.hash) {
			t.Fatalf("height %d: app hash %X on replay, %X originally", i+1, hash, blk.hash)
		}
		for j := range res {
			compareResult(t, fmt.Sprintf("height %d tx %d: replay vs original", i+1, j), blk.results[j], res[j])
		}
	}
	if len(a.blocks) < 15 {
		t.Fatalf("the scenario ran only %d blocks", len(a.blocks))
	}
}

func runProvenanceScenario(t *testing.T, c *chain) {
	c.mustBlock()
	admin := c.admin // org alpha, every role
	gammaKey := testKey(t, "gamma-admin", keysv1.KeyType_KEY_TYPE_P256)
	gamma := &actor{key: gammaKey}
	names := map[string]string{}
	ds := func(name string) string {
		d := contentDigest(name)
		names[d] = name
		return d
	}
	raw, cleaned, tokenised, support := ds("raw"), ds("cleaned"), ds("tokenised"), ds("support-tickets")
	spec := func(digest, name string, licenses ...string) *lineagepb.DatasetSpec {
		return &lineagepb.DatasetSpec{Digest: digest, Namespace: "corpora", Name: name, Version: "2026.11", SizeBytes: 1 << 30, MediaType: "application/x-parquet", LicenseIds: licenses}
	}
	all := &licensespb.Usage{CommercialUse: true, Derivatives: true, Redistribution: true, AiTraining: true}

	// Licences, and a second organisation that publishes base models.
	c.mustBlock(
		c.tx(admin, &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{Id: "cc-by-4.0", SpdxId: "CC-BY-4.0",
			Usage: &licensespb.Usage{CommercialUse: true, Derivatives: true, Redistribution: true, AiTraining: true, AttributionRequired: true}}}),
		c.tx(admin, &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{Id: "acme/research-only", SpdxId: "LicenseRef-acme-research",
			Usage: &licensespb.Usage{Derivatives: true, AiTraining: true}}}),
		c.tx(admin, &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{Id: "acme/bot-terms", TermsDigest: contentDigest("bot terms"), Usage: all}}),
		c.tx(admin, &membershippb.MsgCreateOrg{OrgId: "gamma", Name: "Gamma Models", AdminPublicKey: gammaKey.Public(),
			AdminRoles: []membershippb.Role{membershippb.Role_ROLE_ADMIN, membershippb.Role_ROLE_LICENSOR, membershippb.Role_ROLE_MODEL_PUBLISHER}}),
	)
	c.mustBlock(c.tx(gamma, &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{Id: "gamma/base-license", TermsDigest: contentDigest("gamma terms"),
		Usage: &licensespb.Usage{CommercialUse: true, Derivatives: true, AiTraining: true}, GrantRequired: true}}))

	// raw → (clean) → cleaned → (tokenise) → tokenised.
	c.mustBlock(c.tx(admin, &lineagepb.MsgRegisterDataset{Dataset: spec(raw, "web-crawl", "cc-by-4.0")}))
	c.mustBlock(c.tx(admin, &lineagepb.MsgRecordRun{CodeDigest: contentDigest("clean.py@a1b2c3"), Inputs: []string{raw},
		NewOutputs: []*lineagepb.DatasetSpec{spec(cleaned, "web-crawl-clean", "cc-by-4.0")}, Executor: "spark/clean-2026-11"}))
	c.mustBlock(c.tx(admin, &lineagepb.MsgRecordRun{CodeDigest: contentDigest("tokenise.py@d4e5f6"), ParametersDigest: contentDigest("vocab=64k"),
		Inputs: []string{cleaned}, NewOutputs: []*lineagepb.DatasetSpec{spec(tokenised, "web-crawl-tok", "acme/research-only")}}))

	// Gamma trains a base model on the tokenised set; alpha fine-tunes it on
	// its own support tickets, and signs the manifest.
	base := "gamma/base-7b@1.0"
	c.mustBlock(c.tx(gamma, &modelspb.MsgRegisterModel{Model: &modelspb.ModelSpec{Name: "gamma/base-7b", Version: "1.0",
		ManifestDigest: contentDigest("base weights"), Format: "safetensors", TrainingDatasets: []string{tokenised}, LicenseIds: []string{"gamma/base-license"}}}))
	c.mustBlock(c.tx(admin, &lineagepb.MsgRegisterDataset{Dataset: spec(support, "support-tickets", "cc-by-4.0")}))
	tunedDigest := contentDigest("tuned weights")
	sig, err := admin.key.Sign(models.ManifestSignBytes(tunedDigest))
	if err != nil {
		t.Fatal(err)
	}
	c.mustBlock(c.tx(admin, &modelspb.MsgRegisterModel{Model: &modelspb.ModelSpec{Name: "acme/support-bot", Version: "1.0",
		ManifestDigest: tunedDigest, Format: "safetensors", BaseModel: base, TrainingDatasets: []string{support},
		LicenseIds: []string{"acme/bot-terms"}}, PublisherSignature: sig}))

	tuned := &licensespb.Subject{Kind: &licensespb.Subject_Model{Model: "acme/support-bot@1.0"}}
	check := func(step, org, want string) {
		t.Helper()
		if got := effective(t, c, tuned, org, names); got != want {
			t.Fatalf("%s: effective licence for %s\n got:\n%s\nwant:\n%s", step, org, got, want)
		}
	}
	noGrant := "model:" + base + " gamma/base-license NO_GRANT"
	check("before any grant", "alpha", strings.Join([]string{
		"permits: | attribution",
		"commercial_use: " + noGrant + "; dataset:tokenised acme/research-only FORBIDDEN",
		"derivatives: " + noGrant,
		"redistribution: model:" + base + " gamma/base-license FORBIDDEN; dataset:tokenised acme/research-only FORBIDDEN",
		"ai_training: " + noGrant,
		"duties: dataset:support-tickets dataset:cleaned dataset:raw",
	}, "\n"))

	// Gamma grants alpha fine-tuning rights on its base model.
	res, _ := c.block(c.tx(gamma, &licensespb.MsgGrantLicense{LicenseId: "gamma/base-license", LicenseeOrg: "alpha",
		Subject: &licensespb.Subject{Kind: &licensespb.Subject_Model{Model: base}}, Usage: &licensespb.Usage{Derivatives: true, AiTraining: true, CommercialUse: true}}))
	if res[0].Code != 0 {
		t.Fatalf("grant: %s", res[0].Log)
	}
	afterGrant := strings.Join([]string{
		"permits: derivatives ai_training | attribution",
		"commercial_use: dataset:tokenised acme/research-only FORBIDDEN",
		"redistribution: model:" + base + " gamma/base-license FORBIDDEN; dataset:tokenised acme/research-only FORBIDDEN",
		"duties: dataset:support-tickets dataset:cleaned dataset:raw",
	}, "\n")
	check("after the grant", "alpha", afterGrant)
	// The grant is alpha's alone.
	if got := effective(t, c, tuned, "beta", names); !strings.Contains(got, "derivatives: "+noGrant) {
		t.Fatalf("beta inherits alpha's grant:\n%s", got)
	}

	// The fine-tuned model's lineage reaches every upstream record.
	var lin modelspb.QueryModelLineageResponse
	if err := c.query("/lineage.models.v1.Query/ModelLineage", &modelspb.QueryModelLineageRequest{Name: "acme/support-bot", Version: "1.0"}, &lin); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(lin.BaseModels) != "["+base+"]" || len(lin.Datasets) != 4 || len(lin.Runs) != 2 {
		t.Fatalf("model lineage: bases %v, %d datasets, runs %v", lin.BaseModels, len(lin.Datasets), lin.Runs)
	}
	var mv modelspb.QueryModelResponse
	if err := c.query("/lineage.models.v1.Query/Model", &modelspb.QueryModelRequest{Name: "acme/support-bot", Version: "1.0"}, &mv); err != nil {
		t.Fatal(err)
	}
	if mv.Model.Signature == nil || !proto.Equal(mv.Model.Signature.PublicKey, admin.key.Public()) {
		t.Fatalf("publisher signature not recorded: %v", mv.Model.Signature)
	}

	// Revoking the grant takes the rights away again.
	var grants licensespb.QueryGrantsResponse
	if err := c.query("/lineage.licenses.v1.Query/Grants", &licensespb.QueryGrantsRequest{Subject: &licensespb.Subject{Kind: &licensespb.Subject_Model{Model: base}}}, &grants); err != nil || len(grants.Grants) != 1 {
		t.Fatalf("grants: %v %v", grants.Grants, err)
	}
	c.mustBlock(c.tx(gamma, &licensespb.MsgRevokeGrant{GrantId: grants.Grants[0].Grant.Id, Reason: "contract ended"}))
	if got := effective(t, c, tuned, "alpha", names); !strings.Contains(got, "derivatives: "+noGrant) {
		t.Fatalf("revoked grant still counts:\n%s", got)
	}

	// A licence that expires: once the chain passes its expiry height, every
	// use of a record under it is restricted.
	trial := ds("trial-set")
	expiry := c.height + 3
	c.mustBlock(c.tx(admin, &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{Id: "acme/trial", SpdxId: "LicenseRef-trial", Usage: all, ExpiryHeight: expiry}}))
	c.mustBlock(c.tx(admin, &lineagepb.MsgRegisterDataset{Dataset: spec(trial, "trial", "acme/trial")}))
	trialSubject := &licensespb.Subject{Kind: &licensespb.Subject_Dataset{Dataset: trial}}
	if got := effective(t, c, trialSubject, "alpha", names); got != "permits: commercial_use derivatives redistribution ai_training\nduties: " {
		t.Fatalf("trial before expiry:\n%s", got)
	}
	for c.height <= expiry {
		c.mustBlock()
	}
	want := "permits:\n" +
		"commercial_use: dataset:trial-set acme/trial EXPIRED\n" +
		"derivatives: dataset:trial-set acme/trial EXPIRED\n" +
		"redistribution: dataset:trial-set acme/trial EXPIRED\n" +
		"ai_training: dataset:trial-set acme/trial EXPIRED\n" +
		"duties: "
	if got := effective(t, c, trialSubject, "alpha", names); got != want {
		t.Fatalf("trial after expiry:\n%s\nwant:\n%s", got, want)
	}
	// Expiry by time reads the time of the block that produced the queried
	// version.
	timed := ds("timed-set")
	c.mustBlock(c.tx(admin, &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{Id: "acme/timed", SpdxId: "LicenseRef-timed", Usage: all,
		ExpiryTime: timestamppb.New(c.now.Add(3 * time.Second))}}))
	c.mustBlock(c.tx(admin, &lineagepb.MsgRegisterDataset{Dataset: spec(timed, "timed", "acme/timed")}))
	timedSubject := &licensespb.Subject{Kind: &licensespb.Subject_Dataset{Dataset: timed}}
	if got := effective(t, c, timedSubject, "alpha", names); strings.Contains(got, "EXPIRED") {
		t.Fatalf("timed licence expired early:\n%s", got)
	}
	c.mustBlock()
	c.mustBlock()
	if got := effective(t, c, timedSubject, "alpha", names); !strings.Contains(got, "commercial_use: dataset:timed-set acme/timed EXPIRED") {
		t.Fatalf("timed licence not expired at %v:\n%s", c.now, got)
	}

	// And nothing new can be registered under it.
	res, _ = c.block(c.tx(admin, &lineagepb.MsgRegisterDataset{Dataset: spec(ds("late"), "late", "acme/trial")}))
	if res[0].Codespace != "licenses" || res[0].Code != 5 {
		t.Fatalf("registering under an expired licence: %s/%d %s", res[0].Codespace, res[0].Code, res[0].Log)
	}
}
