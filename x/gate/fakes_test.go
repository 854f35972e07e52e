package gate

import (
	"slices"

	"github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/licenses/licensesv1"
	"github.com/lineageledger/lineaged/x/lineage/lineagev1"
	"github.com/lineageledger/lineaged/x/membership/membershipv1"
	"github.com/lineageledger/lineaged/x/models/modelsv1"
)

// fakeModels is a model registry held in maps keyed by "name@version".
type fakeModels struct {
	models        map[string]*modelsv1.ModelVersion
	revocations   map[string]*modelsv1.Revocation
	supersessions map[string]*modelsv1.Supersession
	// aliases are keyed by "name alias".
	aliases map[string]*modelsv1.ModelAlias
}

func (f *fakeModels) Alias(_ kit.Reader, name, alias string) (*modelsv1.ModelAlias, bool) {
	a, ok := f.aliases[name+" "+alias]
	return a, ok
}

func (f *fakeModels) Model(_ kit.Reader, name, version string) (*modelsv1.ModelVersion, bool) {
	m, ok := f.models[name+"@"+version]
	return m, ok
}

func (f *fakeModels) Revocation(_ kit.Reader, name, version string) (*modelsv1.Revocation, bool) {
	rev, ok := f.revocations[name+"@"+version]
	return rev, ok
}

func (f *fakeModels) Supersession(_ kit.Reader, name, version string) (*modelsv1.Supersession, bool) {
	s, ok := f.supersessions[name+"@"+version]
	return s, ok
}

// ByDigest scans every version, in name@version order like the real index.
func (f *fakeModels) ByDigest(_ kit.Reader, manifestDigest string, limit int) ([]string, bool) {
	var refs []string
	for ref, m := range f.models {
		if m.Spec.ManifestDigest == manifestDigest {
			refs = append(refs, ref)
		}
	}
	slices.Sort(refs)
	if len(refs) > limit {
		return refs[:limit], true
	}
	return refs, false
}

// fakeLicenses answers every effective licence with the response held for
// the model (all uses permitted when none is), or with err; it records the
// calls it gets.
type fakeLicenses struct {
	responses map[string]*licensesv1.QueryEffectiveLicenseResponse
	err       error
	calls     []licenceCall
}

type licenceCall struct {
	subject  string
	org      string
	maxNodes int
}

func (f *fakeLicenses) EffectiveLicense(_ kit.Reader, _ kit.Block, subject *licensesv1.Subject, org string, maxNodes int) (*licensesv1.QueryEffectiveLicenseResponse, error) {
	f.calls = append(f.calls, licenceCall{subjectName(subject), org, maxNodes})
	if f.err != nil {
		return nil, f.err
	}
	if resp, ok := f.responses[subject.GetModel()]; ok {
		return resp, nil
	}
	return permitAll(), nil
}

// permitAll is the effective licence of a lineage permitting every use.
func permitAll() *licensesv1.QueryEffectiveLicenseResponse {
	return &licensesv1.QueryEffectiveLicenseResponse{
		Usage: &licensesv1.Usage{CommercialUse: true, Derivatives: true, Redistribution: true, AiTraining: true},
	}
}

// fakeMembers holds member organisations, accounts by address, and the
// namespaces reserved for organisations.
type fakeMembers struct {
	orgs       map[string]bool
	accounts   map[string]*membershipv1.Account
	namespaces map[string]string
}

func (f *fakeMembers) OrgExists(_ kit.Reader, orgID string) bool { return f.orgs[orgID] }

func (f *fakeMembers) NamespaceOwner(_ kit.Reader, ns string) (string, bool) {
	if f.orgs[ns] {
		return ns, true
	}
	owner, ok := f.namespaces[ns]
	return owner, ok
}

func (f *fakeMembers) Account(_ kit.Reader, address string) (*membershipv1.Account, bool) {
	acct, ok := f.accounts[address]
	return acct, ok
}

// fakeDatasets holds the registered dataset digests.
type fakeDatasets map[string]bool

func (f fakeDatasets) DatasetExists(_ kit.Reader, d string) bool { return f[d] }

// datasetRegistry is the registered datasets and the revocations of some,
// counting the revocations looked up.
type datasetRegistry struct {
	fakeDatasets
	revocations map[string]*lineagev1.DatasetRevocation
	lookups     *int
}

func (f datasetRegistry) Revocation(_ kit.Reader, d string) (*lineagev1.DatasetRevocation, bool) {
	*f.lookups++
	rev, ok := f.revocations[d]
	return rev, ok
}

// fakeParams holds the chain's gate policy.
type fakeParams struct{ policy *gatev1.Policy }

func (f *fakeParams) GatePolicy(kit.Reader) *gatev1.Policy { return f.policy }
