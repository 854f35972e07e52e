package lineage

import (
	"context"

	pb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// DatasetRevocation implements pb.QueryServer: the revocation of a
// registered dataset, unset when it is not revoked. Its proof shows either
// the revocation or that there is none.
func (q Querier) DatasetRevocation(_ context.Context, req *pb.QueryDatasetRevocationRequest) (*pb.QueryDatasetRevocationResponse, error) {
	if err := validateDigest("digest", req.Digest, true); err != nil {
		return nil, err
	}
	if !q.r.Has(DatasetKey(req.Digest)) {
		return nil, ErrNotFound.Wrapf("dataset %s", req.Digest)
	}
	resp := &pb.QueryDatasetRevocationResponse{}
	if rev, ok := loadRevocation(q.r, req.Digest); ok {
		resp.Revocation = rev
	}
	return resp, nil
}
