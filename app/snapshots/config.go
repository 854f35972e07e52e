package snapshots

import (
	"errors"
	"fmt"
)

// Chunk sizes. A chunk travels in one CometBFT message of at most 16 MB.
const (
	DefaultChunkSize = 4 << 20
	MaxChunkSize     = 15 << 20
)

// Config says whether and how snapshots are taken. Restoring from a
// snapshot needs none of it.
type Config struct {
	// Dir holds the snapshots (the node's data/snapshots). Empty: no
	// snapshots are taken or served.
	Dir string
	// Interval takes a snapshot after committing every height divisible by
	// it. 0 takes none.
	Interval int64
	// KeepRecent is how many snapshots are kept, the newest; older ones are
	// deleted after each new one. 0 keeps all.
	KeepRecent int
	// ChunkSize is the size of every chunk but the last, in bytes;
	// [DefaultChunkSize] if 0, at most [MaxChunkSize].
	ChunkSize int
}

// DefaultConfig takes no snapshots (Interval 0) and, once an interval is
// set, keeps the two newest in chunks of 4 MiB.
func DefaultConfig(dir string) Config {
	return Config{Dir: dir, KeepRecent: 2, ChunkSize: DefaultChunkSize}
}

// Validate rejects a configuration snapshots cannot be taken with.
func (c Config) Validate() error {
	switch {
	case c.Interval < 0:
		return fmt.Errorf("snapshot interval %d is negative", c.Interval)
	case c.Interval > 0 && c.Dir == "":
		return errors.New("snapshot interval set without a snapshot directory")
	case c.KeepRecent < 0:
		return fmt.Errorf("snapshot keep_recent %d is negative", c.KeepRecent)
	case c.ChunkSize < 0 || c.ChunkSize > MaxChunkSize:
		return fmt.Errorf("snapshot chunk size %d outside [1, %d]", c.ChunkSize, MaxChunkSize)
	}
	return nil
}
