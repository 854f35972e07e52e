package app

import (
	"slices"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	"github.com/lineageledger/lineaged/x/licenses"
	lpb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	"github.com/lineageledger/lineaged/x/models"
)

// The adapters below give each module what its expected.go declares, built
// from the other modules' keepers. They hold the App, not the keepers, so
// that keepers can depend on each other in a cycle (licences check subjects
// that are registered under licences).

// modelDeps serves x/models.
type modelDeps struct{ a *App }

var (
	_ models.Datasets     = modelDeps{}
	_ models.Accounts     = modelDeps{}
	_ licenses.Provenance = provenance{}
	_ licenses.Orgs       = orgs{}
)

func (d modelDeps) DatasetExists(r kit.Reader, digest string) bool {
	return d.a.lineage.DatasetExists(r, digest)
}

func (d modelDeps) RunExists(r kit.Reader, id string) bool { return d.a.lineage.RunExists(r, id) }

func (d modelDeps) Upstream(r kit.Reader, digests []string, maxDepth, maxNodes int) ([]string, []models.DatasetEdge, bool) {
	nodes, edges, truncated := d.a.lineage.Walk(r, digests, lineagepb.Direction_DIRECTION_UPSTREAM, maxDepth, maxNodes)
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

func (d modelDeps) PublicKey(r kit.Reader, address string) (*keysv1.PublicKey, error) {
	acct, err := d.a.membership.Account(r, address)
	if err != nil {
		return nil, err
	}
	return acct.PublicKey, nil
}

// orgs serves x/licenses: which organisations are members.
type orgs struct{ a *App }

func (o orgs) OrgExists(r kit.Reader, id string) bool {
	_, err := o.a.membership.Org(r, id)
	return err == nil
}

// provenance serves x/licenses: a record's licences and what it derives from.
type provenance struct{ a *App }

func (p provenance) Record(r kit.Reader, s *lpb.Subject) ([]string, []*lpb.Subject, bool) {
	switch k := s.Kind.(type) {
	case *lpb.Subject_Dataset:
		ds, ok := p.a.lineage.Dataset(r, k.Dataset)
		if !ok {
			return nil, nil, false
		}
		var parents []*lpb.Subject
		var seen []string
		for _, e := range p.a.lineage.Parents(r, k.Dataset) {
			if !slices.Contains(seen, e.Parent) {
				seen = append(seen, e.Parent)
				parents = append(parents, &lpb.Subject{Kind: &lpb.Subject_Dataset{Dataset: e.Parent}})
			}
		}
		return ds.Spec.LicenseIds, parents, true
	case *lpb.Subject_Model:
		name, version, err := models.ParseRef(k.Model)
		if err != nil {
			return nil, nil, false
		}
		mv, ok := p.a.models.Model(r, name, version)
		if !ok {
			return nil, nil, false
		}
		var parents []*lpb.Subject
		if mv.Spec.BaseModel != "" {
			parents = append(parents, &lpb.Subject{Kind: &lpb.Subject_Model{Model: mv.Spec.BaseModel}})
		}
		for _, d := range mv.Spec.TrainingDatasets {
			parents = append(parents, &lpb.Subject{Kind: &lpb.Subject_Dataset{Dataset: d}})
		}
		return mv.Spec.LicenseIds, parents, true
	}
	return nil, nil, false
}
