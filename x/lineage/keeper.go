package lineage

import (
	"cmp"
	"slices"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/digest"
	pb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// Keeper executes lineage messages and answers other modules' questions
// about datasets and runs. Its message handlers write the store they
// are given, the module's own prefix of the state, and read others through
// the whole state, read-only; its other methods take the whole state and
// read under the module's prefix.
type Keeper struct {
	prefix   []byte
	licenses Licenses
}

// NewKeeper returns the keeper of the module stored under prefix, checking
// licences through licenses.
func NewKeeper(prefix byte, licenses Licenses) Keeper {
	return Keeper{prefix: []byte{prefix}, licenses: licenses}
}

func (k Keeper) reader(r kit.Reader) kit.Reader { return kit.PrefixedReader(r, k.prefix) }

// DatasetExists reports whether a dataset with this digest is registered.
// A string that is not a canonical digest names no dataset.
func (k Keeper) DatasetExists(r kit.Reader, d string) bool {
	return digest.Validate(d) == nil && k.reader(r).Has(DatasetKey(d))
}

// Dataset loads the dataset registered under digest.
func (k Keeper) Dataset(r kit.Reader, d string) (*pb.Dataset, bool) {
	if digest.Validate(d) != nil {
		return nil, false
	}
	return loadDataset(k.reader(r), d)
}

// RunExists reports whether a run with this id is recorded.
func (k Keeper) RunExists(r kit.Reader, id string) bool {
	return validRunID(id) && k.reader(r).Has(RunKey(id))
}

// Run loads a recorded run, or returns ErrUnknownRun.
func (k Keeper) Run(r kit.Reader, id string) (*pb.Run, error) {
	if !validRunID(id) {
		return nil, ErrUnknownRun.Wrapf("%q is not a run id (64 lower-case hex digits)", id)
	}
	var run pb.Run
	if !kit.Load(k.reader(r), RunKey(id), &run) {
		return nil, ErrUnknownRun.Wrapf("%s", id)
	}
	return &run, nil
}

// Parents returns the edges whose child is digest: what it was derived
// from and by which run, sorted by parent, then run id.
func (k Keeper) Parents(r kit.Reader, d string) []*pb.Edge {
	if digest.Validate(d) != nil {
		return nil
	}
	var edges []*pb.Edge
	forEachNeighbour(k.reader(r), d, pb.Direction_DIRECTION_UPSTREAM, func(e *pb.Edge, _ string) bool {
		edges = append(edges, e)
		return true
	})
	// Key order puts shorter digests first; callers get plain string order.
	slices.SortFunc(edges, func(a, b *pb.Edge) int {
		return cmp.Or(cmp.Compare(a.Parent, b.Parent), cmp.Compare(a.RunId, b.RunId))
	})
	return edges
}

func loadDataset(r kit.Reader, d string) (*pb.Dataset, bool) {
	var ds pb.Dataset
	if !kit.Load(r, DatasetKey(d), &ds) {
		return nil, false
	}
	return &ds, true
}

// validRunID reports whether id has the form of a run id: 64 lower-case
// hex digits.
func validRunID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
