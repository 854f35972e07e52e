package lineage

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// Query bounds (see the proto comments).
const (
	DefaultPageLimit    = 100
	MaxPageLimit        = 1000
	DefaultLineageDepth = 10
	MaxLineageDepth     = 100
	DefaultLineageNodes = 1000
	MaxLineageNodes     = 10000
)

// Querier answers [pb.QueryServer] from one version of the state.
type Querier struct {
	r kit.Reader
}

var _ pb.QueryServer = Querier{}

// Querier answers queries from r, the whole state of one version. Lineage
// records never expire, so no answer depends on the block.
func (k Keeper) Querier(r kit.Reader, _ kit.Block) Querier { return Querier{r: k.reader(r)} }

// limitOr applies a request's limit (see [kit.Bound]).
func limitOr(field string, v uint32, def, max int) (int, error) {
	n, err := kit.Bound(field, v, def, max)
	if err != nil {
		return 0, ErrInvalidQuery.Wrapf("%v", err)
	}
	return n, nil
}

// Dataset implements pb.QueryServer. Attestations are sorted by
// organisation; there is at most one per organisation of the consortium.
func (q Querier) Dataset(_ context.Context, req *pb.QueryDatasetRequest) (*pb.QueryDatasetResponse, error) {
	if err := validateDigest("digest", req.Digest, true); err != nil {
		return nil, err
	}
	ds, ok := loadDataset(q.r, req.Digest)
	if !ok {
		return nil, ErrNotFound.Wrapf("dataset %s", req.Digest)
	}
	resp := &pb.QueryDatasetResponse{Dataset: ds}
	prefix := AttestationsPrefix(req.Digest)
	it := q.r.Iterator(prefix, kit.PrefixEnd(prefix), false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		a := new(pb.Attestation)
		kit.Decode(it.Key(), it.Value(), a)
		resp.Attestations = append(resp.Attestations, a)
	}
	// Keys order organisations by length first; answer in plain order.
	slices.SortFunc(resp.Attestations, func(a, b *pb.Attestation) int { return cmp.Compare(a.OrgId, b.OrgId) })
	return resp, nil
}

// DatasetByName implements pb.QueryServer.
func (q Querier) DatasetByName(_ context.Context, req *pb.QueryDatasetByNameRequest) (*pb.QueryDatasetByNameResponse, error) {
	if err := validateName("", req.Namespace, req.Name, req.Version); err != nil {
		return nil, err
	}
	spec := &pb.DatasetSpec{Namespace: req.Namespace, Name: req.Name, Version: req.Version}
	d := q.r.Get(NameKey(req.Namespace, req.Name, req.Version))
	if d == nil {
		return nil, ErrNotFound.Wrapf("dataset %s", fullName(spec))
	}
	ds, ok := loadDataset(q.r, string(d))
	if !ok {
		panic("lineage: name index names missing dataset " + string(d))
	}
	return &pb.QueryDatasetByNameResponse{Dataset: ds}, nil
}

// DatasetHistory implements pb.QueryServer: the versions of
// namespace/name in registration order (height, then digest in key order).
// An unknown name has an empty history.
func (q Querier) DatasetHistory(_ context.Context, req *pb.QueryDatasetHistoryRequest) (*pb.QueryDatasetHistoryResponse, error) {
	if err := validateIdentifier("namespace", req.Namespace, MaxNamespaceLen, kit.NameChars); err != nil {
		return nil, err
	}
	if err := validateIdentifier("name", req.Name, MaxNameLen, kit.NameChars); err != nil {
		return nil, err
	}
	limit, err := limitOr("limit", req.Limit, DefaultPageLimit, MaxPageLimit)
	if err != nil {
		return nil, err
	}
	resp := &pb.QueryDatasetHistoryResponse{}
	q.forEachKey(HistoryPrefix(req.Namespace, req.Name), func(rest []byte) bool {
		if len(resp.Datasets) == limit {
			resp.Truncated = true
			return false
		}
		if len(rest) < 8 {
			panic(fmt.Sprintf("lineage: corrupt history key part %x", rest))
		}
		d, _ := readPart(rest[8:]) // after the big-endian height
		ds, ok := loadDataset(q.r, d)
		if !ok {
			panic("lineage: history names missing dataset " + d)
		}
		resp.Datasets = append(resp.Datasets, ds)
		return true
	})
	return resp, nil
}

// Lineage implements pb.QueryServer with [Keeper.Walk] from one dataset.
func (q Querier) Lineage(_ context.Context, req *pb.QueryLineageRequest) (*pb.QueryLineageResponse, error) {
	if err := validateDigest("digest", req.Digest, true); err != nil {
		return nil, err
	}
	if req.Direction != pb.Direction_DIRECTION_UPSTREAM && req.Direction != pb.Direction_DIRECTION_DOWNSTREAM {
		return nil, ErrInvalidQuery.Wrapf("direction %s: want DIRECTION_UPSTREAM or DIRECTION_DOWNSTREAM", req.Direction)
	}
	maxDepth, err := limitOr("max_depth", req.MaxDepth, DefaultLineageDepth, MaxLineageDepth)
	if err != nil {
		return nil, err
	}
	maxNodes, err := limitOr("max_nodes", req.MaxNodes, DefaultLineageNodes, MaxLineageNodes)
	if err != nil {
		return nil, err
	}
	if !q.r.Has(DatasetKey(req.Digest)) {
		return nil, ErrNotFound.Wrapf("dataset %s", req.Digest)
	}
	nodes, edges, truncated := walk(q.r, []string{req.Digest}, req.Direction, maxDepth, maxNodes)
	return &pb.QueryLineageResponse{Nodes: nodes, Edges: edges, Truncated: truncated}, nil
}

// Run implements pb.QueryServer.
func (q Querier) Run(_ context.Context, req *pb.QueryRunRequest) (*pb.QueryRunResponse, error) {
	if !validRunID(req.Id) {
		return nil, ErrInvalidQuery.Wrapf("id %q: want 64 lower-case hex digits", req.Id)
	}
	var run pb.Run
	if !kit.Load(q.r, RunKey(req.Id), &run) {
		return nil, ErrNotFound.Wrapf("run %s", req.Id)
	}
	return &pb.QueryRunResponse{Run: &run}, nil
}

// RunsByDataset implements pb.QueryServer: the runs that consumed the
// dataset, then those that produced it, each by run id; limit counts both.
func (q Querier) RunsByDataset(_ context.Context, req *pb.QueryRunsByDatasetRequest) (*pb.QueryRunsByDatasetResponse, error) {
	if err := validateDigest("digest", req.Digest, true); err != nil {
		return nil, err
	}
	limit, err := limitOr("limit", req.Limit, DefaultPageLimit, MaxPageLimit)
	if err != nil {
		return nil, err
	}
	if !q.r.Has(DatasetKey(req.Digest)) {
		return nil, ErrNotFound.Wrapf("dataset %s", req.Digest)
	}
	resp := &pb.QueryRunsByDatasetResponse{}
	n := 0
	for _, list := range []struct {
		role byte
		out  *[]*pb.Run
	}{{roleInput, &resp.ConsumedBy}, {roleOutput, &resp.ProducedBy}} {
		if resp.Truncated {
			break
		}
		prefix := DatasetRunsPrefix(req.Digest, list.role)
		q.forEachKey(prefix, func(rest []byte) bool {
			if n == limit {
				resp.Truncated = true
				return false
			}
			id, _ := readPart(rest)
			var run pb.Run
			if !kit.Load(q.r, RunKey(id), &run) {
				panic("lineage: dataset index names missing run " + id)
			}
			*list.out = append(*list.out, &run)
			n++
			return true
		})
	}
	return resp, nil
}

// forEachKey calls fn with the rest of every key under prefix, in order,
// until fn returns false.
func (q Querier) forEachKey(prefix []byte, fn func(rest []byte) bool) {
	it := q.r.Iterator(prefix, kit.PrefixEnd(prefix), false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if !fn(it.Key()[len(prefix):]) {
			return
		}
	}
}
