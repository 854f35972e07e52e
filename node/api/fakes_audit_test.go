package api

import (
	"context"

	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// Canned answers of the auditors' queries: dataset revocations and impact.
func init() {
	cannedAnswers[lineagepb.Query_DatasetRevocation_FullMethodName] = &lineagepb.QueryDatasetRevocationResponse{Revocation: &lineagepb.DatasetRevocation{
		Digest: testDigest, ReasonCode: lineagepb.DatasetRevocationReason_DATASET_REVOCATION_REASON_DATA,
		Reason: "holds personal data", OrgId: "acme", Height: 11, Time: testTime,
	}}
	cannedAnswers[modelspb.Query_Impact_FullMethodName] = &modelspb.QueryImpactResponse{
		Datasets: []*modelspb.ImpactedDataset{{Digest: testDigest}},
		Models: []*modelspb.ImpactedModel{{Model: testModel + "@1.0", Depth: 1, Path: []string{"dataset:" + testDigest, "model:" + testModel + "@1.0"},
			Revoked: true, Deployments: []*modelspb.Deployment{{Id: 18446744073709551615, Name: testModel, Version: "1.0", Environment: "azure/eastus/prod"}}}},
		Edges:         []*modelspb.LineageEdge{{From: "model:" + testModel + "@1.0", To: "dataset:" + testDigest, Kind: "trained_on"}},
		IndexComplete: true,
	}
}

func (f *fakeQueries) Impact(context.Context, *modelspb.QueryImpactRequest) (*modelspb.QueryImpactResponse, error) {
	return answer[*modelspb.QueryImpactResponse](f, modelspb.Query_Impact_FullMethodName)
}

func (f *fakeQueries) DatasetRevocation(context.Context, *lineagepb.QueryDatasetRevocationRequest) (*lineagepb.QueryDatasetRevocationResponse, error) {
	return answer[*lineagepb.QueryDatasetRevocationResponse](f, lineagepb.Query_DatasetRevocation_FullMethodName)
}
