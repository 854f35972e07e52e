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
	production := &modelspb.ModelAlias{Name: testModel, Alias: "production", Version: "1.0+fix", PreviousVersion: "0.9", Move: 2, OrgId: "acme", Height: 12, Time: testTime}
	cannedAnswers[modelspb.Query_ModelAlias_FullMethodName] = &modelspb.QueryModelAliasResponse{Alias: production}
	cannedAnswers[modelspb.Query_ModelAliases_FullMethodName] = &modelspb.QueryModelAliasesResponse{Aliases: []*modelspb.ModelAlias{production}, NextStartAfter: "production"}
	cannedAnswers[modelspb.Query_ModelAliasHistory_FullMethodName] = &modelspb.QueryModelAliasHistoryResponse{
		Moves: []*modelspb.ModelAlias{{Name: testModel, Alias: "production", Version: "0.9", Move: 1}, production}, NextStartAfter: 2,
	}
}

func (f *fakeQueries) Models(context.Context, *modelspb.QueryModelsRequest) (*modelspb.QueryModelsResponse, error) {
	return answer[*modelspb.QueryModelsResponse](f, modelspb.Query_Models_FullMethodName)
}

func (f *fakeQueries) Datasets(context.Context, *lineagepb.QueryDatasetsRequest) (*lineagepb.QueryDatasetsResponse, error) {
	return answer[*lineagepb.QueryDatasetsResponse](f, lineagepb.Query_Datasets_FullMethodName)
}

func (f *fakeQueries) ModelAlias(context.Context, *modelspb.QueryModelAliasRequest) (*modelspb.QueryModelAliasResponse, error) {
	return answer[*modelspb.QueryModelAliasResponse](f, modelspb.Query_ModelAlias_FullMethodName)
}

func (f *fakeQueries) ModelAliases(context.Context, *modelspb.QueryModelAliasesRequest) (*modelspb.QueryModelAliasesResponse, error) {
	return answer[*modelspb.QueryModelAliasesResponse](f, modelspb.Query_ModelAliases_FullMethodName)
}

func (f *fakeQueries) ModelAliasHistory(context.Context, *modelspb.QueryModelAliasHistoryRequest) (*modelspb.QueryModelAliasHistoryResponse, error) {
	return answer[*modelspb.QueryModelAliasHistoryResponse](f, modelspb.Query_ModelAliasHistory_FullMethodName)
}
