package lineage

import "github.com/lineageledger/lineaged/x/kit"

// Licenses is what this module needs from the licence registry: datasets
// may only be offered under licences that exist and have not expired.
type Licenses interface {
	// CheckUsable returns nil if the licence exists and has not expired at
	// blk, else an error carrying the licence module's code.
	CheckUsable(r kit.Reader, blk kit.Block, licenseID string) error
}
