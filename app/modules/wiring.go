package modules

import (
	"context"
	"slices"

	"github.com/lineageledger/lineaged/x/gate"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/gov"
	govpb "github.com/lineageledger/lineaged/x/gov/govv1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	"github.com/lineageledger/lineaged/x/licenses"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	"github.com/lineageledger/lineaged/x/models"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// The adapters below give each module what its expected.go declares, built
// from the other modules' keepers. They hold the table, not the keepers, so
// that keepers can depend on each other in a cycle (licences check subjects
// that are registered under licences).

// modelDeps serves x/models.
type modelDeps struct{ t *Table }

var (
	_ models.Datasets     = modelDeps{}
	_ models.Accounts     = modelDeps{}
	_ models.Params       = modelDeps{}
	_ licenses.Provenance = provenance{}
	_ licenses.Orgs       = orgs{}
)

func (d modelDeps) DatasetExists(r kit.Reader, digest string) bool {
	return d.t.lineage.DatasetExists(r, digest)
}

func (d modelDeps) RunExists(r kit.Reader, id string) bool { return d.t.lineage.RunExists(r, id) }

func (d modelDeps) Upstream(r kit.Reader, digests []string, maxDepth, maxNodes int) ([]string, []models.DatasetEdge, bool) {
	nodes, edges, truncated := d.t.lineage.Walk(r, digests, lineagepb.Direction_DIRECTION_UPSTREAM, maxDepth, maxNodes)
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.Digest
	}
	es := make([]models.DatasetEdge, len(edges))
	for i, e := range edges {
		es[i] = models.DatasetEdge{Parent: e.Parent, Child: e.Child, RunID: e.RunId}
	}
	return out, es, truncated
}

func (d modelDeps) EachDerived(r kit.Reader, digest string, fn func(models.DatasetEdge) bool) {
	d.t.lineage.EachChild(r, digest, func(e *lineagepb.Edge) bool {
		return fn(models.DatasetEdge{Parent: e.Parent, Child: e.Child, RunID: e.RunId})
	})
}

func (d modelDeps) Rules(r kit.Reader) uint32 { return LoadParams(r).Rules }

func (d modelDeps) PublicKey(r kit.Reader, address string) (*keysv1.PublicKey, error) {
	acct, err := d.t.membership.Account(r, address)
	if err != nil {
		return nil, err
	}
	return acct.PublicKey, nil
}

// orgs serves x/licenses: which organisations are members.
type orgs struct{ t *Table }

func (o orgs) OrgExists(r kit.Reader, id string) bool {
	_, err := o.t.membership.Org(r, id)
	return err == nil
}

// provenance serves x/licenses: a record's licences and what it derives from.
type provenance struct{ t *Table }

func (p provenance) Record(r kit.Reader, s *licensespb.Subject) ([]string, []*licensespb.Subject, bool) {
	switch k := s.Kind.(type) {
	case *licensespb.Subject_Dataset:
		ds, ok := p.t.lineage.Dataset(r, k.Dataset)
		if !ok {
			return nil, nil, false
		}
		var parents []*licensespb.Subject
		var seen []string
		for _, e := range p.t.lineage.Parents(r, k.Dataset) {
			if !slices.Contains(seen, e.Parent) {
				seen = append(seen, e.Parent)
				parents = append(parents, &licensespb.Subject{Kind: &licensespb.Subject_Dataset{Dataset: e.Parent}})
			}
		}
		return ds.Spec.LicenseIds, parents, true
	case *licensespb.Subject_Model:
		name, version, err := models.ParseRef(k.Model)
		if err != nil {
			return nil, nil, false
		}
		mv, ok := p.t.models.Model(r, name, version)
		if !ok {
			return nil, nil, false
		}
		var parents []*licensespb.Subject
		if mv.Spec.BaseModel != "" {
			parents = append(parents, &licensespb.Subject{Kind: &licensespb.Subject_Model{Model: mv.Spec.BaseModel}})
		}
		for _, d := range mv.Spec.TrainingDatasets {
			parents = append(parents, &licensespb.Subject{Kind: &licensespb.Subject_Dataset{Dataset: d}})
		}
		return mv.Spec.LicenseIds, parents, true
	}
	return nil, nil, false
}

// gateDeps serves x/gate: model records, members and the chain's policy.
type gateDeps struct{ t *Table }

var (
	_ gate.Models  = gateDeps{}
	_ gate.Members = gateDeps{}
	_ gate.Params  = gateDeps{}
)

func (g gateDeps) Model(r kit.Reader, name, version string) (*modelspb.ModelVersion, bool) {
	return g.t.models.Model(r, name, version)
}

func (g gateDeps) Revocation(r kit.Reader, name, version string) (*modelspb.Revocation, bool) {
	return g.t.models.Revocation(r, name, version)
}

func (g gateDeps) Supersession(r kit.Reader, name, version string) (*modelspb.Supersession, bool) {
	return g.t.models.Supersession(r, name, version)
}

func (g gateDeps) Alias(r kit.Reader, name, alias string) (*modelspb.ModelAlias, bool) {
	return g.t.models.Alias(r, name, alias)
}

func (g gateDeps) ByDigest(r kit.Reader, manifestDigest string, limit int) ([]string, bool) {
	resp, err := g.t.models.Querier(r, kit.Block{}).ModelsByDigest(context.Background(),
		&modelspb.QueryModelsByDigestRequest{ManifestDigest: manifestDigest, Limit: uint32(limit)})
	if err != nil {
		return nil, false
	}
	refs := make([]string, len(resp.Models))
	for i, m := range resp.Models {
		refs[i] = models.Ref(m.Spec.Name, m.Spec.Version)
	}
	return refs, resp.Truncated
}

func (g gateDeps) OrgExists(r kit.Reader, orgID string) bool {
	_, err := g.t.membership.Org(r, orgID)
	return err == nil
}

func (g gateDeps) Account(r kit.Reader, address string) (*membershippb.Account, bool) {
	acct, err := g.t.membership.Account(r, address)
	return acct, err == nil
}

func (g gateDeps) NamespaceOwner(r kit.Reader, ns string) (string, bool) {
	return g.t.membership.NamespaceOwner(r, ns)
}

func (g gateDeps) GatePolicy(r kit.Reader) *gatepb.Policy {
	return LoadParams(r).GatePolicy
}

// govDeps serves x/gov: the member organisations and its parameters.
type govDeps struct{ t *Table }

var (
	_ gov.Orgs   = govDeps{}
	_ gov.Params = govDeps{}
)

func (d govDeps) Org(r kit.Reader, orgID string) (*membershippb.Org, bool) {
	org, err := d.t.membership.Org(r, orgID)
	return org, err == nil
}

func (d govDeps) EachOrg(r kit.Reader, fn func(*membershippb.Org) bool) {
	d.t.membership.EachOrg(r, fn)
}

func (d govDeps) GovParams(r kit.Reader) *govpb.Params { return LoadParams(r).Gov }
