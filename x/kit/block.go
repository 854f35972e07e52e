package kit

import "time"

// Block is what a handler may know about the block it executes in. Time is
// the consensus block time (BFT time), the only clock a module may read.
type Block struct {
	ChainID string
	Height  int64
	Time    time.Time
}
