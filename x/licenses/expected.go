package licenses

import (
	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// Provenance is what this module needs to walk a record's lineage: for a
// dataset or a model version, the licences it is offered under and the
// records it directly derives from (a dataset's parent datasets through
// recorded runs; a model's training datasets and base model).
type Provenance interface {
	// Record returns the licence ids of s and its direct upstream records;
	// found is false when s is not registered.
	Record(r kit.Reader, s *pb.Subject) (licenseIDs []string, parents []*pb.Subject, found bool)
}

// Orgs is what this module needs from membership: grants go only to
// organisations of the consortium.
type Orgs interface {
	OrgExists(r kit.Reader, orgID string) bool
}
