package api

import (
	"context"

	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// Canned answers of the auditors' queries: dataset revocations and impact.
func init() {
	cannedAnswers[lineagepb.Query_DatasetRevocation_FullMethodName] = &lineagepb.QueryDatasetRevocationResponse{Revocation: &lineagepb.DatasetRevocation{
		Digest: testDigest, ReasonCode: lineagepb.DatasetRevocationReason_DATASET_REVOCATION_REASON_DATA,
		Reason: "holds personal data", OrgId: "acme", Height: 11, Time: testTime,
	}}
}

func (f *fakeQueries) DatasetRevocation(context.Context, *lineagepb.QueryDatasetRevocationRequest) (*lineagepb.QueryDatasetRevocationResponse, error) {
	return answer[*lineagepb.QueryDatasetRevocationResponse](f, lineagepb.Query_DatasetRevocation_FullMethodName)
}
