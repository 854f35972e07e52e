package api

import (
	"context"

	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// Canned answers of the listing and alias queries, kept beside their
// fakes.
func init() {
	cannedAnswers[modelspb.Query_Models_FullMethodName] = &modelspb.QueryModelsResponse{
		Models:         []*modelspb.ModelVersion{{Spec: &modelspb.ModelSpec{Name: testModel, Version: "1.0"}, PublisherOrg: "acme"}},
		NextStartAfter: testModel + "@1.0", Scanned: 1000, ScanBoundReached: true,
	}
	cannedAnswers[lineagepb.Query_Datasets_FullMethodName] = &lineagepb.QueryDatasetsResponse{
		Datasets:       []*lineagepb.Dataset{{Spec: &lineagepb.DatasetSpec{Digest: testDigest, Namespace: "acme/raw", Name: "web/crawl", Version: "2024.01"}, OwnerOrg: "acme"}},
		NextStartAfter: testDigest, Scanned: 7,
	}
}

func (f *fakeQueries) Models(context.Context, *modelspb.QueryModelsRequest) (*modelspb.QueryModelsResponse, error) {
	return answer[*modelspb.QueryModelsResponse](f, modelspb.Query_Models_FullMethodName)
}

func (f *fakeQueries) Datasets(context.Context, *lineagepb.QueryDatasetsRequest) (*lineagepb.QueryDatasetsResponse, error) {
	return answer[*lineagepb.QueryDatasetsResponse](f, lineagepb.Query_Datasets_FullMethodName)
}
