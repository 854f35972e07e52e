package app

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/lineageledger/lineaged/x/kit"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	"github.com/lineageledger/lineaged/x/lineage"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	"github.com/lineageledger/lineaged/x/models"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

const (
	pathModels   = "/lineage.models.v1.Query/Models"
	pathDatasets = "/lineage.lineage.v1.Query/Datasets"
)

// TestListingProven: the listing queries answer from the records in key
// order, and every page, an empty one, one cut by the scan bound and a
// refused one included, is proven: a verifier re-runs it over the proofs
// alone and gets the same answer.
func TestListingProven(t *testing.T) {
	c := newChain(t)
	c.mustBlock()
	c.mustBlock(c.tx(c.admin, &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{Id: "cc-by-4.0", SpdxId: "CC-BY-4.0", Usage: &licensespb.Usage{CommercialUse: true}}}))
	var txs [][]byte
	for _, d := range []struct{ ns, name, version string }{{"acme/corpora", "web", "1"}, {"acme/corpora", "web", "2"}, {"acme/corpora", "books", "1"}, {"alpha", "tickets", "1"}} {
		txs = append(txs, c.tx(c.admin, &lineagepb.MsgRegisterDataset{Dataset: &lineagepb.DatasetSpec{
			Digest: contentDigest(d.ns + d.name + d.version), Namespace: d.ns, Name: d.name, Version: d.version, LicenseIds: []string{"cc-by-4.0"},
		}}))
	}
	for _, m := range []struct{ name, version string }{{"acme/bot", "1.0"}, {"acme/bot", "2.0"}, {"acme/botanist", "1"}, {"alpha/tool", "1"}} {
		txs = append(txs, c.tx(c.admin, &modelspb.MsgRegisterModel{Model: &modelspb.ModelSpec{
			Name: m.name, Version: m.version, ManifestDigest: contentDigest(m.name + m.version),
		}}))
	}
	c.mustBlock(txs...)

	cases := []struct {
		name string
		path string
		req  []byte
		want *kit.Error
	}{
		{"every model", pathModels, marshal(t, &modelspb.QueryModelsRequest{}), nil},
		{"a namespace, one range per name length", pathModels, marshal(t, &modelspb.QueryModelsRequest{Namespace: "acme", Prefix: "bot"}), nil},
		{"a page and its cursor", pathModels, marshal(t, &modelspb.QueryModelsRequest{Limit: 1, StartAfter: "acme/bot@1.0"}), nil},
		{"cut by the scan bound", pathModels, marshal(t, &modelspb.QueryModelsRequest{Org: "beta", MaxScan: 2}), nil},
		{"a prefix nothing has", pathModels, marshal(t, &modelspb.QueryModelsRequest{Prefix: "zeta/"}), nil},
		{"by licence", pathModels, marshal(t, &modelspb.QueryModelsRequest{LicenseId: "cc-by-4.0"}), nil},
		{"refused", pathModels, marshal(t, &modelspb.QueryModelsRequest{Namespace: "a/b"}), models.ErrInvalidQuery},
		{"every dataset", pathDatasets, marshal(t, &lineagepb.QueryDatasetsRequest{}), nil},
		{"a namespace and a name prefix", pathDatasets, marshal(t, &lineagepb.QueryDatasetsRequest{Namespace: "acme/corpora", Prefix: "we"}), nil},
		{"after a cursor, by organisation", pathDatasets, marshal(t, &lineagepb.QueryDatasetsRequest{Org: "alpha", StartAfter: contentDigest("acme/corporaweb1"), Limit: 1}), nil},
		{"a name prefix without a namespace, bounded", pathDatasets, marshal(t, &lineagepb.QueryDatasetsRequest{Prefix: "tick", MaxScan: 3}), nil},
		{"a cursor nobody registered", pathDatasets, marshal(t, &lineagepb.QueryDatasetsRequest{StartAfter: contentDigest("nothing")}), lineage.ErrInvalidQuery},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.app.Query(context.Background(), &abci.QueryRequest{Path: tc.path, Data: tc.req, Prove: true})
			if err != nil {
				t.Fatal(err)
			}
			wantCode(t, "proven Query", res.Codespace, res.Code, res.Log, tc.want)
			view, err := c.store.At(res.Height)
			if err != nil {
				t.Fatal(err)
			}
			verifyProvenQuery(t, tc.path, tc.req, res, view)
		})
	}

	// The scan bound's page says where to continue.
	var page modelspb.QueryModelsResponse
	if err := c.query(pathModels, &modelspb.QueryModelsRequest{Org: "beta", MaxScan: 2}, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Models) != 0 || !page.ScanBoundReached || page.Scanned != 2 || page.NextStartAfter != "acme/bot@2.0" {
		t.Fatalf("bounded page %v, want no models, 2 scanned, the bound reached, next acme/bot@2.0", &page)
	}
}
