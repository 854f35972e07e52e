package models

import (
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
)

// Datasets is what this module needs from the dataset lineage registry.
type Datasets interface {
	DatasetExists(r kit.Reader, digest string) bool
	RunExists(r kit.Reader, runID string) bool
	// Upstream walks derived-from edges from the given datasets towards
	// their sources, breadth first, and returns every dataset reached
	// (the starting ones first), the edges crossed, and whether a limit
	// cut the walk short.
	Upstream(r kit.Reader, digests []string, maxDepth, maxNodes int) (datasets []string, edges []DatasetEdge, truncated bool)
	// EachDerived calls fn with every edge from the dataset digest to a
	// dataset derived from it, in a deterministic order, until fn returns
	// false.
	EachDerived(r kit.Reader, digest string, fn func(DatasetEdge) bool)
}

// DatasetEdge says child was derived from parent by a run.
type DatasetEdge struct {
	Parent, Child, RunID string
}

// Accounts is what this module needs from membership: the key a
// publisher's detached signature must verify against.
type Accounts interface {
	// PublicKey is the account's current public key.
	PublicKey(r kit.Reader, address string) (*keysv1.PublicKey, error)
}

// Licenses is what this module needs from the licence registry: models may
// only be offered under licences that exist and have not expired.
type Licenses interface {
	// CheckUsable returns nil if the licence exists and has not expired at
	// blk, else an error carrying the licence module's code.
	CheckUsable(r kit.Reader, blk kit.Block, licenseID string) error
}

// Params is what this module needs from the application's parameters.
type Params interface {
	// Rules is the consensus rule set the chain runs under
	// (lineage.app.v1.Params.rules).
	Rules(r kit.Reader) uint32
}
