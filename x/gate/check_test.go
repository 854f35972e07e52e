package gate

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/kittest"
	"github.com/lineageledger/lineaged/x/licenses/licensesv1"
	"github.com/lineageledger/lineaged/x/lineage/lineagev1"
	"github.com/lineageledger/lineaged/x/membership/membershipv1"
	"github.com/lineageledger/lineaged/x/models/modelsv1"
)

var blk = kit.Block{ChainID: "test-chain", Height: 42, Time: time.Unix(1_700_000_000, 0).UTC()}

// dg is the n-th test digest.
func dg(n int) string { return fmt.Sprintf("sha256:%064x", n) }

// shortDigests renders dg(n) as "dg<n>" to keep expectations readable.
var shortDigests = func() *strings.Replacer {
	var pairs []string
	for n := 1; n < 100; n++ {
		pairs = append(pairs, dg(n), fmt.Sprintf("dg%d", n))
	}
	return strings.NewReplacer(pairs...)
}()

// Names of the test world.
const (
	llm      = "acme/llm@1.0" // trained on dg(10), fine-tuned from base, signed
	base     = "acme/base@1.0"
	unsigned = "acme/unsigned@1.0"
	twinA    = "acme/twin-a@1.0" // twinA and twinB share manifest digest dg(5)
	twinB    = "acme/twin-b@1.0"
	alice    = "addr-alice" // acme's model publisher
)

// world is a set of fake registries around a keeper.
type world struct {
	models   *fakeModels
	licenses *fakeLicenses
	members  *fakeMembers
	datasets fakeDatasets
	// revokedDatasets are revocations by digest; revocationLookups counts
	// the revocations the gate looked up.
	revokedDatasets   map[string]*lineagev1.DatasetRevocation
	revocationLookups int
	params            *fakeParams
	k                 Keeper
}

func modelVersion(ref, manifestDigest string, signed bool, baseModel string, datasets ...string) *modelsv1.ModelVersion {
	name, version, _ := strings.Cut(ref, "@")
	m := &modelsv1.ModelVersion{
		Spec: &modelsv1.ModelSpec{
			Name: name, Version: version, ManifestDigest: manifestDigest,
			BaseModel: baseModel, TrainingDatasets: datasets, LicenseIds: []string{"acme/open"},
		},
		PublisherOrg: "acme",
		PublishedBy:  alice,
		Height:       3,
	}
	if signed {
		m.Signature = &modelsv1.PublisherSignature{Signature: []byte("sig")}
	}
	return m
}

func newWorld() *world {
	w := &world{
		models: &fakeModels{
			models: map[string]*modelsv1.ModelVersion{
				llm:      modelVersion(llm, dg(1), true, base, dg(10)),
				base:     modelVersion(base, dg(2), true, ""),
				unsigned: modelVersion(unsigned, dg(3), false, ""),
				twinA:    modelVersion(twinA, dg(5), true, ""),
				twinB:    modelVersion(twinB, dg(5), true, ""),
			},
			revocations:   map[string]*modelsv1.Revocation{},
			supersessions: map[string]*modelsv1.Supersession{},
		},
		licenses: &fakeLicenses{responses: map[string]*licensesv1.QueryEffectiveLicenseResponse{}},
		members: &fakeMembers{
			orgs: map[string]bool{"acme": true, "beta": true},
			accounts: map[string]*membershipv1.Account{
				alice: {
					Address: alice, OrgId: "acme", Status: membershipv1.AccountStatus_ACCOUNT_STATUS_ACTIVE,
					Roles: []membershipv1.Role{membershipv1.Role_ROLE_ADMIN, membershipv1.Role_ROLE_MODEL_PUBLISHER},
				},
			},
		},
		datasets:        fakeDatasets{dg(10): true, dg(11): true},
		revokedDatasets: map[string]*lineagev1.DatasetRevocation{},
		params:          &fakeParams{},
	}
	w.k = NewKeeper(w.models, w.licenses, w.members,
		datasetRegistry{w.datasets, w.revokedDatasets, &w.revocationLookups}, w.params)
	return w
}

func (w *world) check(t *testing.T, req *gatev1.CheckRequest) *gatev1.CheckResponse {
	t.Helper()
	resp, err := w.k.Check(kittest.NewMemStore(), blk, req)
	if err != nil {
		t.Fatalf("Check(%v): %v", req, err)
	}
	return resp
}

// restriction builds an effective licence of llm that withholds use for
// the given causes and permits everything else.
func restriction(use string, causes ...*licensesv1.Cause) *licensesv1.QueryEffectiveLicenseResponse {
	resp := permitAll()
	switch use {
	case "commercial_use":
		resp.Usage.CommercialUse = false
	case "derivatives":
		resp.Usage.Derivatives = false
	case "redistribution":
		resp.Usage.Redistribution = false
	case "ai_training":
		resp.Usage.AiTraining = false
	}
	resp.Restrictions = []*licensesv1.Restriction{{Use: use, Causes: causes}}
	return resp
}

func dataset(d string) *licensesv1.Subject {
	return &licensesv1.Subject{Kind: &licensesv1.Subject_Dataset{Dataset: d}}
}

func model(ref string) *licensesv1.Subject {
	return &licensesv1.Subject{Kind: &licensesv1.Subject_Model{Model: ref}}
}

func cause(s *licensesv1.Subject, licenseID string, kind licensesv1.CauseKind) *licensesv1.Cause {
	return &licensesv1.Cause{Subject: s, LicenseId: licenseID, Kind: kind}
}

// summary renders findings one a line: reason without its prefix, then
// subject, licence and use when set; reports are marked "(report)".
func summary(resp *gatev1.CheckResponse) []string {
	var out []string
	denying := resp.Verdict == gatev1.Verdict_VERDICT_DENY
	for _, f := range resp.Findings {
		parts := []string{strings.TrimPrefix(f.Reason.String(), "REASON_")}
		if f.Subject != "" {
			parts = append(parts, shortDigests.Replace(f.Subject))
		}
		if f.LicenseId != "" {
			parts = append(parts, f.LicenseId)
		}
		if f.Use != gatev1.Use_USE_UNSPECIFIED {
			parts = append(parts, UseName(f.Use))
		}
		if !denying || (f.Reason == gatev1.Reason_REASON_MODEL_SUPERSEDED && !resp.Policy.DenySuperseded) {
			parts = append(parts, "(report)")
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

func commercial() []gatev1.Use { return []gatev1.Use{gatev1.Use_USE_COMMERCIAL} }

// publishAsBeta makes llm a version beta published, through its own
// active model publisher, in acme's namespace.
func publishAsBeta(w *world) {
	w.members.accounts["addr-bob"] = &membershipv1.Account{
		Address: "addr-bob", OrgId: "beta", Status: membershipv1.AccountStatus_ACCOUNT_STATUS_ACTIVE,
		Roles: []membershipv1.Role{membershipv1.Role_ROLE_MODEL_PUBLISHER},
	}
	w.models.models[llm].PublisherOrg, w.models.models[llm].PublishedBy = "beta", "addr-bob"
}

// TestCheckReasons shows every reason produced on its own, and ALLOW.
func TestCheckReasons(t *testing.T) {
	cases := []struct {
		name  string
		setup func(w *world)
		req   *gatev1.CheckRequest
		// reason is the one demonstrated (UNSPECIFIED for ALLOW).
		reason gatev1.Reason
		want   []string
	}{
		{
			name:   "allow",
			req:    &gatev1.CheckRequest{Model: llm, Digest: dg(1), Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_UNSPECIFIED,
		},
		{
			name:   "allow by digest alone",
			req:    &gatev1.CheckRequest{Digest: dg(1), Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_UNSPECIFIED,
		},
		{
			name:   "model not registered",
			req:    &gatev1.CheckRequest{Model: "acme/llm@9.9", Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_MODEL_NOT_REGISTERED,
			want:   []string{"MODEL_NOT_REGISTERED model:acme/llm@9.9"},
		},
		{
			name:   "no version with that digest",
			req:    &gatev1.CheckRequest{Digest: dg(99), Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_MODEL_NOT_REGISTERED,
			want:   []string{"MODEL_NOT_REGISTERED"},
		},
		{
			name:   "digest mismatch",
			req:    &gatev1.CheckRequest{Model: llm, Digest: dg(2), Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_DIGEST_MISMATCH,
			want:   []string{"DIGEST_MISMATCH model:acme/llm@1.0"},
		},
		{
			name: "model revoked",
			setup: func(w *world) {
				w.models.revocations[llm] = &modelsv1.Revocation{Name: "acme/llm", Version: "1.0",
					ReasonCode: modelsv1.RevocationReason_REVOCATION_REASON_SECURITY, Reason: "backdoor", Height: 9}
			},
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_MODEL_REVOKED,
			want:   []string{"MODEL_REVOKED model:acme/llm@1.0"},
		},
		{
			name: "model superseded, denied by the request's policy",
			setup: func(w *world) {
				w.models.supersessions[llm] = &modelsv1.Supersession{Name: "acme/llm", Version: "1.0", SupersededBy: "acme/llm@2.0", Height: 9}
			},
			req: &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial(),
				Policy: &gatev1.Policy{DenySuperseded: true}},
			reason: gatev1.Reason_REASON_MODEL_SUPERSEDED,
			want:   []string{"MODEL_SUPERSEDED model:acme/llm@1.0"},
		},
		{
			name: "model superseded, denied by the chain's policy",
			setup: func(w *world) {
				w.models.supersessions[llm] = &modelsv1.Supersession{SupersededBy: "acme/llm@2.0", Height: 9}
				w.params.policy = &gatev1.Policy{DenySuperseded: true}
			},
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_MODEL_SUPERSEDED,
			want:   []string{"MODEL_SUPERSEDED model:acme/llm@1.0"},
		},
		{
			name: "model superseded, only reported",
			setup: func(w *world) {
				w.models.supersessions[llm] = &modelsv1.Supersession{SupersededBy: "acme/llm@2.0", Height: 9}
			},
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_UNSPECIFIED,
			want:   []string{"MODEL_SUPERSEDED model:acme/llm@1.0 (report)"},
		},
		{
			name:   "publisher organisation not allowed by the chain",
			setup:  func(w *world) { w.params.policy = &gatev1.Policy{AllowedPublisherOrgs: []string{"beta"}} },
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_PUBLISHER_NOT_AUTHORISED,
			want:   []string{"PUBLISHER_NOT_AUTHORISED model:acme/llm@1.0"},
		},
		{
			name: "publisher organisation not allowed by the request",
			req: &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial(),
				Policy: &gatev1.Policy{AllowedPublisherOrgs: []string{"beta"}}},
			reason: gatev1.Reason_REASON_PUBLISHER_NOT_AUTHORISED,
			want:   []string{"PUBLISHER_NOT_AUTHORISED model:acme/llm@1.0"},
		},
		{
			name:  "disjoint allowed lists allow nobody",
			setup: func(w *world) { w.params.policy = &gatev1.Policy{AllowedPublisherOrgs: []string{"acme"}} },
			req: &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial(),
				Policy: &gatev1.Policy{AllowedPublisherOrgs: []string{"beta"}}},
			reason: gatev1.Reason_REASON_PUBLISHER_NOT_AUTHORISED,
			want:   []string{"PUBLISHER_NOT_AUTHORISED model:acme/llm@1.0"},
		},
		{
			name:   "name in another organisation's namespace",
			setup:  func(w *world) { publishAsBeta(w) },
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_NAMESPACE_NOT_OWNED,
			want:   []string{"NAMESPACE_NOT_OWNED model:acme/llm@1.0"},
		},
		{
			name:   "name in a namespace of no organisation",
			setup:  func(w *world) { delete(w.members.orgs, "acme"); w.members.orgs["beta"] = true },
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_NAMESPACE_NOT_OWNED,
			want:   []string{"NAMESPACE_NOT_OWNED model:acme/llm@1.0"},
		},
		{
			name: "name in a namespace reserved for the publisher",
			setup: func(w *world) {
				publishAsBeta(w)
				delete(w.members.orgs, "acme")
				w.members.namespaces = map[string]string{"acme": "beta"}
			},
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_UNSPECIFIED,
		},
		{
			name: "a chain policy stored before the requirement existed",
			setup: func(w *world) {
				publishAsBeta(w)
				w.params.policy = &gatev1.Policy{MaxLineageNodes: 1000}
			},
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_UNSPECIFIED,
		},
		{
			name:  "publishing account suspended",
			setup: func(w *world) { w.members.accounts[alice].Status = membershipv1.AccountStatus_ACCOUNT_STATUS_SUSPENDED },
			req:   &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			// The base model is published by the same account, but only the
			// version deployed is judged on its publisher.
			reason: gatev1.Reason_REASON_PUBLISHER_NOT_AUTHORISED,
			want:   []string{"PUBLISHER_NOT_AUTHORISED model:acme/llm@1.0"},
		},
		{
			name:   "publishing account no longer a model publisher",
			setup:  func(w *world) { w.members.accounts[alice].Roles = []membershipv1.Role{membershipv1.Role_ROLE_ADMIN} },
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_PUBLISHER_NOT_AUTHORISED,
			want:   []string{"PUBLISHER_NOT_AUTHORISED model:acme/llm@1.0"},
		},
		{
			name:   "publishing account gone",
			setup:  func(w *world) { delete(w.members.accounts, alice) },
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_PUBLISHER_NOT_AUTHORISED,
			want:   []string{"PUBLISHER_NOT_AUTHORISED model:acme/llm@1.0"},
		},
		{
			name:   "publishing account of another organisation",
			setup:  func(w *world) { w.members.accounts[alice].OrgId = "beta" },
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_PUBLISHER_NOT_AUTHORISED,
			want:   []string{"PUBLISHER_NOT_AUTHORISED model:acme/llm@1.0"},
		},
		{
			name:   "signature missing",
			setup:  func(w *world) { w.params.policy = &gatev1.Policy{RequireSignature: true} },
			req:    &gatev1.CheckRequest{Model: unsigned, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_SIGNATURE_MISSING,
			want:   []string{"SIGNATURE_MISSING model:acme/unsigned@1.0"},
		},
		{
			name:   "training dataset unregistered",
			setup:  func(w *world) { delete(w.datasets, dg(10)) },
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_DATASET_UNREGISTERED,
			want:   []string{"DATASET_UNREGISTERED dataset:dg10"},
		},
		{
			name:   "base model unregistered",
			setup:  func(w *world) { delete(w.models.models, base) },
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_DATASET_UNREGISTERED,
			want:   []string{"DATASET_UNREGISTERED model:acme/base@1.0"},
		},
		{
			name: "licence forbids use",
			setup: func(w *world) {
				w.licenses.responses[llm] = restriction("commercial_use",
					cause(dataset(dg(10)), "acme/non-commercial", licensesv1.CauseKind_CAUSE_KIND_FORBIDDEN))
			},
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_LICENCE_FORBIDS_USE,
			want:   []string{"LICENCE_FORBIDS_USE dataset:dg10 acme/non-commercial commercial"},
		},
		{
			name: "a restriction of a use not requested is no finding",
			setup: func(w *world) {
				w.licenses.responses[llm] = restriction("redistribution",
					cause(dataset(dg(10)), "acme/no-redist", licensesv1.CauseKind_CAUSE_KIND_FORBIDDEN))
			},
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_UNSPECIFIED,
		},
		{
			name: "licence expired",
			setup: func(w *world) {
				w.licenses.responses[llm] = restriction("derivatives",
					cause(model(base), "acme/eval", licensesv1.CauseKind_CAUSE_KIND_EXPIRED))
			},
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: []gatev1.Use{gatev1.Use_USE_DERIVATIVES}},
			reason: gatev1.Reason_REASON_LICENCE_EXPIRED,
			want:   []string{"LICENCE_EXPIRED model:acme/base@1.0 acme/eval derivatives"},
		},
		{
			name: "no grant for the organisation",
			setup: func(w *world) {
				w.licenses.responses[llm] = restriction("ai_training",
					cause(model(llm), "acme/by-grant", licensesv1.CauseKind_CAUSE_KIND_NO_GRANT))
			},
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: []gatev1.Use{gatev1.Use_USE_AI_TRAINING}},
			reason: gatev1.Reason_REASON_NO_GRANT_FOR_ORG,
			want:   []string{"NO_GRANT_FOR_ORG model:acme/llm@1.0 acme/by-grant ai-training"},
		},
		{
			name: "lineage truncated",
			setup: func(w *world) {
				w.licenses.responses[llm] = restriction("redistribution",
					cause(dataset(dg(11)), "", licensesv1.CauseKind_CAUSE_KIND_TRUNCATED))
			},
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: []gatev1.Use{gatev1.Use_USE_REDISTRIBUTION}},
			reason: gatev1.Reason_REASON_LINEAGE_INCOMPLETE,
			want:   []string{"LINEAGE_INCOMPLETE dataset:dg11 redistribution"},
		},
		{
			name: "upstream record unlicensed",
			setup: func(w *world) {
				w.licenses.responses[llm] = restriction("commercial_use",
					cause(dataset(dg(10)), "", licensesv1.CauseKind_CAUSE_KIND_UNLICENSED))
			},
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_LINEAGE_INCOMPLETE,
			want:   []string{"LINEAGE_INCOMPLETE dataset:dg10 commercial"},
		},
		{
			name: "upstream licence undefined",
			setup: func(w *world) {
				w.licenses.responses[llm] = restriction("commercial_use",
					cause(dataset(dg(10)), "acme/ghost", licensesv1.CauseKind_CAUSE_KIND_UNKNOWN_LICENSE))
			},
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_LINEAGE_INCOMPLETE,
			want:   []string{"LINEAGE_INCOMPLETE dataset:dg10 acme/ghost commercial"},
		},
		{
			name: "a cause the gate does not know fails closed",
			setup: func(w *world) {
				w.licenses.responses[llm] = restriction("commercial_use",
					cause(dataset(dg(10)), "acme/odd", licensesv1.CauseKind_CAUSE_KIND_DUTY))
			},
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_LINEAGE_INCOMPLETE,
			want:   []string{"LINEAGE_INCOMPLETE dataset:dg10 acme/odd commercial"},
		},
		{
			name: "use withheld without a cause fails closed",
			setup: func(w *world) {
				resp := permitAll()
				resp.Usage.CommercialUse = false
				w.licenses.responses[llm] = resp
			},
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_LINEAGE_INCOMPLETE,
			want:   []string{"LINEAGE_INCOMPLETE model:acme/llm@1.0 commercial"},
		},
		{
			name:   "upstream dataset revoked",
			setup:  revokeUpstream(&gatev1.Policy{DenyRevokedDatasets: true}),
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_DATASET_REVOKED,
			want:   []string{"DATASET_REVOKED dataset:dg11"},
		},
		{
			name:   "upstream dataset revoked, denied by the request's policy",
			setup:  revokeUpstream(nil),
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial(), Policy: &gatev1.Policy{DenyRevokedDatasets: true}},
			reason: gatev1.Reason_REASON_DATASET_REVOKED,
			want:   []string{"DATASET_REVOKED dataset:dg11"},
		},
		{
			name:   "upstream dataset revoked, under an unset chain policy",
			setup:  revokeUpstream(nil),
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_UNSPECIFIED,
		},
		{
			name:   "upstream dataset revoked, under a chain policy stored before the requirement existed",
			setup:  revokeUpstream(&gatev1.Policy{MaxLineageNodes: 1000, RequireNamespaceOwner: true}),
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_UNSPECIFIED,
		},
		{
			name: "a revoked dataset the walk did not reach",
			setup: func(w *world) {
				revokeUpstream(DefaultPolicy())(w)
				w.licenses.responses[llm] = restriction("redistribution",
					cause(dataset(dg(11)), "", licensesv1.CauseKind_CAUSE_KIND_TRUNCATED))
				w.licenses.responses[llm].Visited = []*licensesv1.Subject{model(llm), model(base), dataset(dg(10))}
			},
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()},
			reason: gatev1.Reason_REASON_UNSPECIFIED,
		},
		{
			name:   "not anchored",
			req:    &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial(), Policy: &gatev1.Policy{RequireAnchor: true}},
			reason: gatev1.Reason_REASON_NOT_ANCHORED,
			want:   []string{"NOT_ANCHORED"},
		},
		{
			name:   "organisation unknown",
			req:    &gatev1.CheckRequest{Model: llm, Org: "gamma", Uses: commercial()},
			reason: gatev1.Reason_REASON_ORG_UNKNOWN,
			want:   []string{"ORG_UNKNOWN"},
		},
	}

	demonstrated := map[gatev1.Reason]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			if c.setup != nil {
				c.setup(w)
			}
			resp := w.check(t, c.req)
			got := summary(resp)
			if !slices.Equal(got, c.want) {
				t.Fatalf("findings:\n got %q\nwant %q", got, c.want)
			}
			wantVerdict := gatev1.Verdict_VERDICT_DENY
			if c.reason == gatev1.Reason_REASON_UNSPECIFIED {
				wantVerdict = gatev1.Verdict_VERDICT_ALLOW
			}
			if resp.Verdict != wantVerdict {
				t.Fatalf("verdict %s, want %s", resp.Verdict, wantVerdict)
			}
			for _, f := range resp.Findings {
				if f.Detail == "" {
					t.Errorf("finding %s has no detail", f.Reason)
				}
			}
			if c.reason != gatev1.Reason_REASON_UNSPECIFIED {
				for _, f := range resp.Findings {
					if f.Reason != c.reason {
						t.Errorf("finding %s besides the reason demonstrated, %s", f.Reason, c.reason)
					}
				}
				demonstrated[c.reason] = true
			}
		})
	}
	for n := range gatev1.Reason_name {
		if r := gatev1.Reason(n); r != gatev1.Reason_REASON_UNSPECIFIED && !demonstrated[r] {
			t.Errorf("no case demonstrates %s", r)
		}
	}
}

// revokeUpstream sets the chain's policy and revokes dg(11), which the
// effective-licence walk of llm visits (after the base model and dg(10)).
func revokeUpstream(chain *gatev1.Policy) func(w *world) {
	return func(w *world) {
		w.params.policy = chain
		resp := permitAll()
		resp.Visited = []*licensesv1.Subject{model(llm), model(base), dataset(dg(10)), dataset(dg(11))}
		w.licenses.responses[llm] = resp
		w.revokedDatasets[dg(11)] = &lineagev1.DatasetRevocation{Digest: dg(11), OrgId: "acme", Height: 7,
			ReasonCode: lineagev1.DatasetRevocationReason_DATASET_REVOCATION_REASON_DATA, Reason: "holds personal data"}
	}
}

// TestRevokedDatasetsReadOnlyWhenRequired: without deny_revoked_datasets a
// check looks up no revocation, so it reads what it read before the
// requirement existed (receipts of such checks keep verifying); with it,
// one per dataset the walk visited, and the finding names the dataset and
// the revocation.
func TestRevokedDatasetsReadOnlyWhenRequired(t *testing.T) {
	for _, c := range []struct {
		name    string
		chain   *gatev1.Policy
		lookups int
	}{
		{"unset", nil, 0},
		{"stored before the requirement", &gatev1.Policy{MaxLineageNodes: 1000, RequireNamespaceOwner: true}, 0},
		{"default", DefaultPolicy(), 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			revokeUpstream(c.chain)(w)
			resp := w.check(t, &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()})
			if w.revocationLookups != c.lookups {
				t.Fatalf("%d revocations looked up, want %d", w.revocationLookups, c.lookups)
			}
			if c.lookups == 0 {
				return
			}
			if len(resp.Findings) != 1 {
				t.Fatalf("findings %v", resp.Findings)
			}
			detail := resp.Findings[0].Detail
			for _, want := range []string{dg(11), llm, "acme", "height 7", "(data)", "holds personal data"} {
				if !strings.Contains(detail, want) {
					t.Errorf("detail %q does not mention %q", detail, want)
				}
			}
		})
	}
}

func TestCheckResponseDescribesTheCheck(t *testing.T) {
	w := newWorld()
	w.params.policy = &gatev1.Policy{AllowedPublisherOrgs: []string{"beta", "acme"}, MaxLineageNodes: 500}
	resp := w.check(t, &gatev1.CheckRequest{Digest: dg(1), Org: "beta", Uses: commercial(),
		Policy: &gatev1.Policy{RequireSignature: true, MaxLineageNodes: 200}})
	want := &gatev1.CheckResponse{
		Verdict:        gatev1.Verdict_VERDICT_ALLOW,
		Model:          llm,
		ManifestDigest: dg(1),
		Policy:         &gatev1.Policy{RequireSignature: true, AllowedPublisherOrgs: []string{"acme", "beta"}, MaxLineageNodes: 200},
		Height:         blk.Height,
		Time:           resp.Time,
		PublisherOrg:   "acme",
	}
	if !proto.Equal(resp, want) {
		t.Fatalf("response\n got %v\nwant %v", resp, want)
	}
	if !resp.Time.AsTime().Equal(blk.Time) {
		t.Errorf("time %v, want %v", resp.Time.AsTime(), blk.Time)
	}
	wantCalls := []licenceCall{{"model:" + llm, "beta", 200}}
	if !slices.Equal(w.licenses.calls, wantCalls) {
		t.Errorf("licence calls %v, want %v", w.licenses.calls, wantCalls)
	}
}

func TestCheckMismatchReportsTheRegisteredDigest(t *testing.T) {
	w := newWorld()
	resp := w.check(t, &gatev1.CheckRequest{Model: llm, Digest: dg(2), Org: "beta", Uses: commercial()})
	if resp.Model != llm || resp.ManifestDigest != dg(1) {
		t.Errorf("model %s digest %s, want %s %s", resp.Model, resp.ManifestDigest, llm, dg(1))
	}
	if d := resp.Findings[0].Detail; !strings.Contains(d, dg(1)) || !strings.Contains(d, dg(2)) {
		t.Errorf("detail %q does not name both digests", d)
	}
}

func TestCheckUnregisteredSkipsModelChecks(t *testing.T) {
	w := newWorld()
	resp := w.check(t, &gatev1.CheckRequest{Model: "acme/llm@9.9", Digest: dg(7), Org: "gamma", Uses: commercial(),
		Policy: &gatev1.Policy{RequireAnchor: true}})
	want := []string{"MODEL_NOT_REGISTERED model:acme/llm@9.9", "NOT_ANCHORED", "ORG_UNKNOWN"}
	if got := summary(resp); !slices.Equal(got, want) {
		t.Errorf("findings %q, want %q", got, want)
	}
	if resp.Model != "acme/llm@9.9" || resp.ManifestDigest != dg(7) {
		t.Errorf("model %q digest %q: want the request's", resp.Model, resp.ManifestDigest)
	}
	if len(w.licenses.calls) != 0 {
		t.Errorf("licences evaluated for an unregistered version: %v", w.licenses.calls)
	}
}

func TestCheckAmbiguousDigest(t *testing.T) {
	w := newWorld()
	_, err := w.k.Check(kittest.NewMemStore(), blk, &gatev1.CheckRequest{Digest: dg(5), Org: "beta", Uses: commercial()})
	if !errors.Is(err, ErrAmbiguousDigest) {
		t.Fatalf("error %v, want ErrAmbiguousDigest", err)
	}
	for _, ref := range []string{twinA, twinB} {
		if !strings.Contains(err.Error(), ref) {
			t.Errorf("error %q does not name %s", err, ref)
		}
	}
	// Naming the version settles it.
	resp := w.check(t, &gatev1.CheckRequest{Model: twinB, Digest: dg(5), Org: "beta", Uses: commercial()})
	if resp.Verdict != gatev1.Verdict_VERDICT_ALLOW || resp.Model != twinB {
		t.Errorf("verdict %s model %s, want ALLOW %s", resp.Verdict, resp.Model, twinB)
	}

	// More versions than an error lists.
	for i := range maxDigestMatches + 2 {
		ref := fmt.Sprintf("acme/many@%d", i)
		w.models.models[ref] = modelVersion(ref, dg(6), true, "")
	}
	_, err = w.k.Check(kittest.NewMemStore(), blk, &gatev1.CheckRequest{Digest: dg(6), Org: "beta", Uses: commercial()})
	if !errors.Is(err, ErrAmbiguousDigest) || !strings.HasSuffix(err.Error(), "and more: name the version with model") {
		t.Errorf("error %v, want a truncated ErrAmbiguousDigest", err)
	}
}

func TestCheckLicenceErrorKeepsItsCode(t *testing.T) {
	w := newWorld()
	w.licenses.err = kit.NewError("licenses", 7, "subject is not registered").Wrapf("model:%s", llm)
	_, err := w.k.Check(kittest.NewMemStore(), blk, &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()})
	if space, code, _ := kit.CodeOf(err); space != "licenses" || code != 7 {
		t.Errorf("error %v has code %s/%d, want licenses/7", err, space, code)
	}
}

func TestCheckRejectsAnInvalidChainPolicy(t *testing.T) {
	w := newWorld()
	w.params.policy = &gatev1.Policy{MaxLineageNodes: MaxLineageNodes + 1}
	_, err := w.k.Check(kittest.NewMemStore(), blk, &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial()})
	if !errors.Is(err, ErrInvalidPolicy) {
		t.Errorf("error %v, want ErrInvalidPolicy", err)
	}
}

func TestCheckRequestValidation(t *testing.T) {
	long := strings.Repeat("a", kit.MaxModelNameLen+1)
	cases := []struct {
		name    string
		req     *gatev1.CheckRequest
		want    *kit.Error
		mention string
	}{
		{"nil request", nil, ErrInvalidRequest, "model"},
		{"neither model nor digest", &gatev1.CheckRequest{Org: "beta", Uses: commercial()}, ErrInvalidRequest, "model"},
		{"model without version", &gatev1.CheckRequest{Model: "acme/llm", Org: "beta", Uses: commercial()}, ErrInvalidRequest, "name@version"},
		{"model with empty version", &gatev1.CheckRequest{Model: "acme/llm@", Org: "beta", Uses: commercial()}, ErrInvalidRequest, "version"},
		{"model name too long", &gatev1.CheckRequest{Model: long + "@1", Org: "beta", Uses: commercial()}, ErrInvalidRequest, "model name"},
		{"model name with a space", &gatev1.CheckRequest{Model: "acme llm@1", Org: "beta", Uses: commercial()}, ErrInvalidRequest, "model name"},
		{"digest not canonical", &gatev1.CheckRequest{Digest: strings.ToUpper(dg(1)), Org: "beta", Uses: commercial()}, ErrInvalidRequest, "digest"},
		{"digest without algorithm", &gatev1.CheckRequest{Model: llm, Digest: strings.Repeat("ab", 32), Org: "beta", Uses: commercial()}, ErrInvalidRequest, "digest"},
		{"org missing", &gatev1.CheckRequest{Model: llm, Uses: commercial()}, ErrInvalidRequest, "org"},
		{"org malformed", &gatev1.CheckRequest{Model: llm, Org: "Beta", Uses: commercial()}, ErrInvalidRequest, "org"},
		{"no uses", &gatev1.CheckRequest{Model: llm, Org: "beta"}, ErrInvalidRequest, "uses"},
		{"unspecified use", &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: []gatev1.Use{gatev1.Use_USE_UNSPECIFIED}}, ErrInvalidRequest, "uses[0]"},
		{"unknown use", &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: []gatev1.Use{gatev1.Use_USE_COMMERCIAL, 9}}, ErrInvalidRequest, "uses[1]"},
		{"repeated use", &gatev1.CheckRequest{Model: llm, Org: "beta",
			Uses: []gatev1.Use{gatev1.Use_USE_AI_TRAINING, gatev1.Use_USE_COMMERCIAL, gatev1.Use_USE_AI_TRAINING}}, ErrInvalidRequest, "ai-training listed twice"},
		{"allowed publisher malformed", &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial(),
			Policy: &gatev1.Policy{AllowedPublisherOrgs: []string{"acme", "-x"}}}, ErrInvalidPolicy, "policy.allowed_publisher_orgs"},
		{"allowed publisher repeated", &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial(),
			Policy: &gatev1.Policy{AllowedPublisherOrgs: []string{"acme", "acme"}}}, ErrInvalidPolicy, "acme twice"},
		{"too many allowed publishers", &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial(),
			Policy: &gatev1.Policy{AllowedPublisherOrgs: manyOrgs(MaxAllowedPublisherOrgs + 1)}}, ErrInvalidPolicy, "at most"},
		{"walk limit too large", &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial(),
			Policy: &gatev1.Policy{MaxLineageNodes: MaxLineageNodes + 1}}, ErrInvalidPolicy, "policy.max_lineage_nodes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			resp, err := w.k.Check(kittest.NewMemStore(), blk, c.req)
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v (response %v), want %v", err, resp, c.want)
			}
			if !strings.Contains(err.Error(), c.mention) {
				t.Errorf("error %q does not mention %q", err, c.mention)
			}
		})
	}

	// The largest values accepted.
	w := newWorld()
	w.check(t, &gatev1.CheckRequest{Model: llm, Org: "beta", Uses: commercial(),
		Policy: &gatev1.Policy{AllowedPublisherOrgs: append(manyOrgs(MaxAllowedPublisherOrgs-1), "acme"), MaxLineageNodes: MaxLineageNodes}})
}

func manyOrgs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("org-%d", i)
	}
	return out
}

// everythingWrong sets up a world where llm fails nearly every check, with
// the registries returning things in the given order.
func everythingWrong(reversed bool) *world {
	w := newWorld()
	llmVersion := w.models.models[llm]
	llmVersion.Spec.TrainingDatasets = []string{dg(10), dg(12), dg(13)}
	delete(w.models.models, base)
	w.models.revocations[llm] = &modelsv1.Revocation{ReasonCode: modelsv1.RevocationReason_REVOCATION_REASON_DATA, Reason: "leak", Height: 9}
	w.models.supersessions[llm] = &modelsv1.Supersession{SupersededBy: "acme/llm@2.0", Height: 8}
	w.members.accounts[alice].Status = membershipv1.AccountStatus_ACCOUNT_STATUS_SUSPENDED
	w.params.policy = &gatev1.Policy{AllowedPublisherOrgs: []string{"beta"}, RequireAnchor: true}
	resp := permitAll()
	resp.Usage = &licensesv1.Usage{}
	resp.Restrictions = []*licensesv1.Restriction{
		{Use: "commercial_use", Causes: []*licensesv1.Cause{
			cause(dataset(dg(13)), "acme/nc", licensesv1.CauseKind_CAUSE_KIND_FORBIDDEN),
			cause(dataset(dg(12)), "acme/nc", licensesv1.CauseKind_CAUSE_KIND_FORBIDDEN),
			cause(model(llm), "acme/by-grant", licensesv1.CauseKind_CAUSE_KIND_NO_GRANT),
		}},
		{Use: "derivatives", Causes: []*licensesv1.Cause{
			cause(dataset(dg(10)), "", licensesv1.CauseKind_CAUSE_KIND_UNLICENSED),
			cause(dataset(dg(12)), "acme/nc", licensesv1.CauseKind_CAUSE_KIND_EXPIRED),
			cause(model(llm), "acme/by-grant", licensesv1.CauseKind_CAUSE_KIND_NO_GRANT),
		}},
		{Use: "redistribution", Causes: []*licensesv1.Cause{
			cause(dataset(dg(10)), "", licensesv1.CauseKind_CAUSE_KIND_UNLICENSED),
		}},
	}
	if reversed {
		slices.Reverse(llmVersion.Spec.TrainingDatasets)
		slices.Reverse(resp.Restrictions)
		for _, r := range resp.Restrictions {
			slices.Reverse(r.Causes)
		}
	}
	w.licenses.responses[llm] = resp
	return w
}

func TestCheckFindingOrderIsDeterministic(t *testing.T) {
	req := func() *gatev1.CheckRequest {
		return &gatev1.CheckRequest{Model: llm, Digest: dg(2), Org: "gamma",
			Uses:   []gatev1.Use{gatev1.Use_USE_DERIVATIVES, gatev1.Use_USE_COMMERCIAL},
			Policy: &gatev1.Policy{RequireSignature: true}}
	}
	w := everythingWrong(false)
	w.models.models[llm].Signature = nil
	first := w.check(t, req())
	want := []string{
		"DIGEST_MISMATCH model:acme/llm@1.0",
		"MODEL_REVOKED model:acme/llm@1.0",
		"PUBLISHER_NOT_AUTHORISED model:acme/llm@1.0",
		"PUBLISHER_NOT_AUTHORISED model:acme/llm@1.0",
		"SIGNATURE_MISSING model:acme/llm@1.0",
		"DATASET_UNREGISTERED dataset:dg12",
		"DATASET_UNREGISTERED dataset:dg13",
		"DATASET_UNREGISTERED model:acme/base@1.0",
		"LICENCE_FORBIDS_USE dataset:dg12 acme/nc commercial",
		"LICENCE_FORBIDS_USE dataset:dg13 acme/nc commercial",
		"LICENCE_EXPIRED dataset:dg12 acme/nc derivatives",
		"NO_GRANT_FOR_ORG model:acme/llm@1.0 acme/by-grant commercial",
		"NO_GRANT_FOR_ORG model:acme/llm@1.0 acme/by-grant derivatives",
		"LINEAGE_INCOMPLETE dataset:dg10 derivatives",
		"NOT_ANCHORED",
		"ORG_UNKNOWN",
		"MODEL_SUPERSEDED model:acme/llm@1.0 (report)",
	}
	if got := summary(first); !slices.Equal(got, want) {
		t.Fatalf("findings:\n got %q\nwant %q", got, want)
	}
	if first.Verdict != gatev1.Verdict_VERDICT_DENY {
		t.Errorf("verdict %s, want DENY", first.Verdict)
	}

	again := w.check(t, req())
	wr := everythingWrong(true)
	wr.models.models[llm].Signature = nil
	reordered := wr.check(t, req())
	reversedUses := req()
	slices.Reverse(reversedUses.Uses)
	fromReversedUses := w.check(t, reversedUses)
	for name, resp := range map[string]*gatev1.CheckResponse{
		"the same check again":              again,
		"registries answering in reverse":   reordered,
		"uses requested in the other order": fromReversedUses,
	} {
		if !proto.Equal(resp, first) {
			t.Errorf("%s: response differs\n got %v\nwant %v", name, resp, first)
		}
	}
}

func TestSortFindingsDropsRepeats(t *testing.T) {
	f := func(reason gatev1.Reason, subject string) *gatev1.Finding {
		return &gatev1.Finding{Reason: reason, Subject: subject, Detail: "d"}
	}
	got := sortFindings([]*gatev1.Finding{
		f(gatev1.Reason_REASON_ORG_UNKNOWN, ""),
		f(gatev1.Reason_REASON_DATASET_UNREGISTERED, "dataset:b"),
		f(gatev1.Reason_REASON_DATASET_UNREGISTERED, "dataset:a"),
		f(gatev1.Reason_REASON_DATASET_UNREGISTERED, "dataset:b"),
	})
	want := []*gatev1.Finding{
		f(gatev1.Reason_REASON_DATASET_UNREGISTERED, "dataset:a"),
		f(gatev1.Reason_REASON_DATASET_UNREGISTERED, "dataset:b"),
		f(gatev1.Reason_REASON_ORG_UNKNOWN, ""),
	}
	if !slices.EqualFunc(got, want, func(a, b *gatev1.Finding) bool { return proto.Equal(a, b) }) {
		t.Errorf("sorted %v, want %v", got, want)
	}
}
