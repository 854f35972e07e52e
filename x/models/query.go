package models

import (
	"context"
	"fmt"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// Query bounds.
const (
	DefaultPageLimit       = 100
	MaxPageLimit           = 1000
	DefaultLineageMaxDepth = 10
	MaxLineageDepth        = 100
	DefaultLineageMaxNodes = 1000
	MaxLineageNodes        = 10000
)

// Edge kinds of a lineage answer.
const (
	EdgeBaseModel   = "base_model"
	EdgeTrainedOn   = "trained_on"
	EdgeDerivedFrom = "derived_from"
)

// Querier answers [pb.QueryServer] from one version of the state.
type Querier struct {
	root     kit.Reader // the whole state, for the dataset registry
	r        kit.Reader // this module's part of it
	datasets Datasets
	params   Params
}

var _ pb.QueryServer = Querier{}

// Querier answers queries from r, the whole state of one version, produced
// by blk. Nothing this module answers depends on time, so blk is unused; it
// is taken for uniformity with modules whose answers expire.
func (k Keeper) Querier(r kit.Reader, _ kit.Block) Querier {
	return Querier{root: r, r: k.reader(r), datasets: k.datasets, params: k.params}
}

// ModelNodeID names a model version ("name@version") in a lineage answer.
func ModelNodeID(ref string) string { return "model:" + ref }

// DatasetNodeID names a dataset in a lineage answer.
func DatasetNodeID(digest string) string { return "dataset:" + digest }

// Model implements pb.QueryServer.
func (q Querier) Model(_ context.Context, req *pb.QueryModelRequest) (*pb.QueryModelResponse, error) {
	if err := validateNameVersion(req.Name, req.Version); err != nil {
		return nil, err
	}
	model, ok := loadModel(q.r, req.Name, req.Version)
	if !ok {
		return nil, ErrNotFound.Wrapf("model version %s", Ref(req.Name, req.Version))
	}
	resp := &pb.QueryModelResponse{Model: model}
	if rev, ok := loadRevocation(q.r, req.Name, req.Version); ok {
		resp.Revocation = rev
	}
	if sup, ok := loadSupersession(q.r, req.Name, req.Version); ok {
		resp.Supersession = sup
	}
	return resp, nil
}

// ModelsByDigest implements pb.QueryServer. The protocol has no paging, so
// at most [MaxPageLimit] versions are returned, in name@version order.
func (q Querier) ModelsByDigest(_ context.Context, req *pb.QueryModelsByDigestRequest) (*pb.QueryModelsByDigestResponse, error) {
	if err := validateDigest("manifest_digest", req.ManifestDigest); err != nil {
		return nil, err
	}
	limit, err := pageLimit(req.Limit)
	if err != nil {
		return nil, err
	}
	prefix := ByDigestPrefix(req.ManifestDigest)
	resp := &pb.QueryModelsByDigestResponse{}
	it := q.r.Iterator(prefix, kit.PrefixEnd(prefix), false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if len(resp.Models) == limit {
			resp.Truncated = true
			break
		}
		name, rest, ok1 := readPart(it.Key()[len(prefix):])
		version, _, ok2 := readPart(rest)
		if !ok1 || !ok2 {
			panic(fmt.Sprintf("models: corrupt digest index key %x", it.Key()))
		}
		resp.Models = append(resp.Models, mustLoadModel(q.r, name, version))
	}
	return resp, nil
}

// ModelVersions implements pb.QueryServer.
func (q Querier) ModelVersions(_ context.Context, req *pb.QueryModelVersionsRequest) (*pb.QueryModelVersionsResponse, error) {
	if err := validateName(req.Name); err != nil {
		return nil, err
	}
	limit, err := pageLimit(req.Limit)
	if err != nil {
		return nil, err
	}
	prefix := VersionsPrefix(req.Name)
	resp := &pb.QueryModelVersionsResponse{}
	it := q.r.Iterator(prefix, kit.PrefixEnd(prefix), false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if len(resp.Models) == limit {
			resp.Truncated = true
			break
		}
		rest := it.Key()[len(prefix):]
		if len(rest) < 8 {
			panic(fmt.Sprintf("models: corrupt versions index key %x", it.Key()))
		}
		version, _, ok := readPart(rest[8:])
		if !ok {
			panic(fmt.Sprintf("models: corrupt versions index key %x", it.Key()))
		}
		resp.Models = append(resp.Models, mustLoadModel(q.r, req.Name, version))
	}
	return resp, nil
}

// Deployments implements pb.QueryServer: deployments of a name, or of one
// version when given, oldest first.
func (q Querier) Deployments(_ context.Context, req *pb.QueryDeploymentsRequest) (*pb.QueryDeploymentsResponse, error) {
	var prefix []byte
	if req.Version == "" {
		if err := validateName(req.Name); err != nil {
			return nil, err
		}
		prefix = NameDeploymentsPrefix(req.Name)
	} else {
		if err := validateNameVersion(req.Name, req.Version); err != nil {
			return nil, err
		}
		prefix = VersionDeploymentsPrefix(req.Name, req.Version)
	}
	limit, err := pageLimit(req.Limit)
	if err != nil {
		return nil, err
	}
	resp := &pb.QueryDeploymentsResponse{}
	it := q.r.Iterator(prefix, kit.PrefixEnd(prefix), false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if len(resp.Deployments) == limit {
			resp.Truncated = true
			break
		}
		id, ok := trailingID(it.Key()[len(prefix):])
		if !ok {
			panic(fmt.Sprintf("models: corrupt deployment index key %x", it.Key()))
		}
		d, ok := loadDeployment(q.r, id)
		if !ok {
			panic(fmt.Sprintf("models: index names missing deployment %d", id))
		}
		resp.Deployments = append(resp.Deployments, d)
	}
	return resp, nil
}

// ModelLineage implements pb.QueryServer. It walks the base-model chain
// nearest first (at most max_depth hops), then the datasets upstream of the
// training datasets of every model visited (at most max_depth derived-from
// hops above them). max_nodes bounds base models plus datasets; every edge
// returned joins nodes of the answer.
func (q Querier) ModelLineage(_ context.Context, req *pb.QueryModelLineageRequest) (*pb.QueryModelLineageResponse, error) {
	if err := validateNameVersion(req.Name, req.Version); err != nil {
		return nil, err
	}
	maxDepth, err := bound("max_depth", req.MaxDepth, DefaultLineageMaxDepth, MaxLineageDepth)
	if err != nil {
		return nil, err
	}
	maxNodes, err := bound("max_nodes", req.MaxNodes, DefaultLineageMaxNodes, MaxLineageNodes)
	if err != nil {
		return nil, err
	}
	model, ok := loadModel(q.r, req.Name, req.Version)
	if !ok {
		return nil, ErrNotFound.Wrapf("model version %s", Ref(req.Name, req.Version))
	}

	resp := &pb.QueryModelLineageResponse{}
	visited := []*pb.ModelVersion{model}
	seenModels := map[string]bool{Ref(req.Name, req.Version): true}
	for current := model; current.Spec.BaseModel != ""; {
		baseRef := current.Spec.BaseModel
		if len(resp.BaseModels) == maxDepth || len(resp.BaseModels) == maxNodes {
			resp.Truncated = true
			break
		}
		if seenModels[baseRef] { // unreachable: a base is registered before its child
			break
		}
		name, version, err := ParseRef(baseRef)
		if err != nil {
			panic(fmt.Sprintf("models: stored base model %q: %v", baseRef, err))
		}
		base := mustLoadModel(q.r, name, version)
		seenModels[baseRef] = true
		resp.BaseModels = append(resp.BaseModels, baseRef)
		resp.Edges = append(resp.Edges, &pb.LineageEdge{
			From: ModelNodeID(Ref(current.Spec.Name, current.Spec.Version)), To: ModelNodeID(baseRef), Kind: EdgeBaseModel,
		})
		visited = append(visited, base)
		current = base
	}

	// The union of the training datasets, nearest model first.
	var training []string
	seenTraining := map[string]bool{}
	for _, m := range visited {
		for _, d := range m.Spec.TrainingDatasets {
			if !seenTraining[d] {
				seenTraining[d] = true
				training = append(training, d)
			}
		}
	}
	budget := maxNodes - len(resp.BaseModels)
	var derived []DatasetEdge
	if len(training) > 0 {
		if budget == 0 {
			resp.Truncated = true
		} else {
			datasets, edges, truncated := q.datasets.Upstream(q.root, training, maxDepth, budget)
			if len(datasets) > budget { // keep the answer bounded whatever the registry returns
				datasets, truncated = datasets[:budget], true
			}
			resp.Datasets, derived = datasets, edges
			resp.Truncated = resp.Truncated || truncated
		}
	}
	included := make(map[string]bool, len(resp.Datasets))
	for _, d := range resp.Datasets {
		included[d] = true
	}

	runs := runCollector{seen: map[string]bool{}}
	for _, m := range visited {
		runs.add(m.Spec.TrainingRun)
		from := ModelNodeID(Ref(m.Spec.Name, m.Spec.Version))
		for _, d := range m.Spec.TrainingDatasets {
			if included[d] {
				resp.Edges = append(resp.Edges, &pb.LineageEdge{From: from, To: DatasetNodeID(d), Kind: EdgeTrainedOn, RunId: m.Spec.TrainingRun})
			}
		}
	}
	for _, e := range derived {
		if !included[e.Child] || !included[e.Parent] {
			continue
		}
		runs.add(e.RunID)
		resp.Edges = append(resp.Edges, &pb.LineageEdge{From: DatasetNodeID(e.Child), To: DatasetNodeID(e.Parent), Kind: EdgeDerivedFrom, RunId: e.RunID})
	}
	resp.Runs = runs.list
	return resp, nil
}

// runCollector keeps run ids in first-seen order without repeats.
type runCollector struct {
	seen map[string]bool
	list []string
}

func (c *runCollector) add(id string) {
	if id != "" && !c.seen[id] {
		c.seen[id] = true
		c.list = append(c.list, id)
	}
}

// pageLimit applies the default page size and rejects one above the maximum.
func pageLimit(limit uint32) (int, error) {
	return bound("limit", limit, DefaultPageLimit, MaxPageLimit)
}

// bound applies a request's limit (see [kit.Bound]).
func bound(field string, v uint32, def, max int) (int, error) {
	n, err := kit.Bound(field, v, def, max)
	if err != nil {
		return 0, ErrInvalidQuery.Wrapf("%v", err)
	}
	return n, nil
}
