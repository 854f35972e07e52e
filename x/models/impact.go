package models

import (
	"context"
	"fmt"
	"slices"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// Impact implements pb.QueryServer: what a dataset or a model version
// reaches downstream (see the package documentation, "Impact"). The walk
// shares ModelLineage's bounds: max_depth hops (default
// [DefaultLineageMaxDepth], at most [MaxLineageDepth]) and max_nodes
// datasets, versions and deployments reported together (default
// [DefaultLineageMaxNodes], at most [MaxLineageNodes]).
func (q Querier) Impact(_ context.Context, req *pb.QueryImpactRequest) (*pb.QueryImpactResponse, error) {
	switch {
	case req.Dataset == "" && req.Model == "":
		return nil, ErrInvalidQuery.Wrapf("give dataset (a digest) or model (name@version)")
	case req.Dataset != "" && req.Model != "":
		return nil, ErrInvalidQuery.Wrapf("give dataset or model, not both")
	}
	maxDepth, err := bound("max_depth", req.MaxDepth, DefaultLineageMaxDepth, MaxLineageDepth)
	if err != nil {
		return nil, err
	}
	maxNodes, err := bound("max_nodes", req.MaxNodes, DefaultLineageMaxNodes, MaxLineageNodes)
	if err != nil {
		return nil, err
	}
	w := &impactWalk{q: q, maxDepth: maxDepth, maxNodes: maxNodes, resp: &pb.QueryImpactResponse{},
		reached: map[string]bool{}, runs: map[string]string{}}
	if req.Dataset != "" {
		if err := validateDigest("dataset", req.Dataset); err != nil {
			return nil, err
		}
		if !q.datasets.DatasetExists(q.root, req.Dataset) {
			return nil, ErrNotFound.Wrapf("dataset %s", req.Dataset)
		}
		w.resp.IndexComplete = q.params.Rules(q.root) >= kit.RulesImpactIndex
		w.addDataset(req.Dataset, nil) // max_nodes is at least 1
	} else {
		name, version, err := ParseRef(req.Model)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		model, ok := loadModel(q.r, name, version)
		if !ok {
			return nil, ErrNotFound.Wrapf("model version %s", req.Model)
		}
		w.resp.IndexComplete = q.params.Rules(q.root) >= kit.RulesImpactIndex
		if !w.addModel(model, nil) {
			return w.resp, nil
		}
	}
	// The queue grows while it is read: records are expanded in the order
	// they were reached, which is breadth first.
	for i := 0; i < len(w.queue); i++ {
		n := w.queue[i]
		goOn := false
		if n.digest != "" {
			goOn = w.expandDataset(n)
		} else {
			goOn = w.expandModel(n)
		}
		if !goOn {
			break
		}
	}
	return w.resp, nil
}

// impactNode is a record the walk reached.
type impactNode struct {
	id            string // ModelNodeID or DatasetNodeID
	digest        string // a dataset's
	name, version string // a model version's
	depth         int
	path          []string // ids from the start to this record
}

// impactWalk is one Impact walk in progress.
type impactWalk struct {
	q                  Querier
	maxDepth, maxNodes int
	resp               *pb.QueryImpactResponse
	queue              []*impactNode
	reached            map[string]bool
	// runs holds the training run of every version reached, for the
	// trained_on edges to it.
	runs     map[string]string
	reported int
}

// reserve counts one more record reported; false, setting truncated, when
// max_nodes are reported already.
func (w *impactWalk) reserve() bool {
	if w.reported >= w.maxNodes {
		w.resp.Truncated = true
		return false
	}
	w.reported++
	return true
}

// reach records node n, reached from `from` (nil for the start).
func (w *impactWalk) reach(n *impactNode, from *impactNode) {
	if from == nil {
		n.path = []string{n.id}
	} else {
		n.depth = from.depth + 1
		n.path = append(slices.Clip(from.path), n.id)
	}
	w.reached[n.id] = true
	w.queue = append(w.queue, n)
}

// addDataset reports the dataset d; false when max_nodes stops the walk.
func (w *impactWalk) addDataset(d string, from *impactNode) bool {
	if !w.reserve() {
		return false
	}
	n := &impactNode{id: DatasetNodeID(d), digest: d}
	w.reach(n, from)
	w.resp.Datasets = append(w.resp.Datasets, &pb.ImpactedDataset{Digest: d, Depth: uint32(n.depth)})
	return true
}

// addModel reports the version m with its revocation and deployments;
// false when max_nodes stops the walk.
func (w *impactWalk) addModel(m *pb.ModelVersion, from *impactNode) bool {
	if !w.reserve() {
		return false
	}
	name, version := m.Spec.Name, m.Spec.Version
	n := &impactNode{id: ModelNodeID(Ref(name, version)), name: name, version: version}
	w.reach(n, from)
	w.runs[n.id] = m.Spec.TrainingRun
	im := &pb.ImpactedModel{Model: Ref(name, version), Depth: uint32(n.depth), Path: n.path, PublisherOrg: m.PublisherOrg}
	_, im.Revoked = loadRevocation(w.q.r, name, version)
	w.resp.Models = append(w.resp.Models, im)

	prefix := VersionDeploymentsPrefix(name, version)
	it := w.q.r.Iterator(prefix, kit.PrefixEnd(prefix), false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if !w.reserve() {
			return false
		}
		id, ok := trailingID(it.Key()[len(prefix):])
		if !ok {
			panic(fmt.Sprintf("models: corrupt deployment index key %x", it.Key()))
		}
		d, ok := loadDeployment(w.q.r, id)
		if !ok {
			panic(fmt.Sprintf("models: index names missing deployment %d", id))
		}
		im.Deployments = append(im.Deployments, d)
	}
	return true
}

// step crosses from n towards the record id, adding it with add unless it
// was reached before. cross says whether the edge joins two reported
// records (and is to be reported); goOn is false when the walk must stop.
// A record beyond max_depth is not added: it sets truncated.
func (w *impactWalk) step(n *impactNode, id string, add func() bool) (cross, goOn bool) {
	if w.reached[id] {
		return true, true
	}
	if n.depth >= w.maxDepth {
		w.resp.Truncated = true
		return false, true
	}
	if !add() {
		return false, false
	}
	return true, true
}

func (w *impactWalk) edge(from, to, kind, run string) {
	w.resp.Edges = append(w.resp.Edges, &pb.LineageEdge{From: from, To: to, Kind: kind, RunId: run})
}

// expandDataset follows the datasets derived from n, then the versions
// trained on it; false when the walk must stop.
func (w *impactWalk) expandDataset(n *impactNode) bool {
	goOn := true
	w.q.datasets.EachDerived(w.q.root, n.digest, func(e DatasetEdge) bool {
		id := DatasetNodeID(e.Child)
		var cross bool
		cross, goOn = w.step(n, id, func() bool { return w.addDataset(e.Child, n) })
		if cross {
			w.edge(id, n.id, EdgeDerivedFrom, e.RunID)
		}
		return goOn
	})
	if !goOn {
		return false
	}
	return w.eachIndexed(TrainedOnPrefix(n.digest), func(name, version string) bool {
		id := ModelNodeID(Ref(name, version))
		cross, goOn := w.step(n, id, func() bool { return w.addModel(mustLoadModel(w.q.r, name, version), n) })
		if cross {
			w.edge(id, n.id, EdgeTrainedOn, w.runs[id])
		}
		return goOn
	})
}

// expandModel follows the fine-tunes of n; false when the walk must stop.
func (w *impactWalk) expandModel(n *impactNode) bool {
	return w.eachIndexed(FineTunesPrefix(n.name, n.version), func(name, version string) bool {
		id := ModelNodeID(Ref(name, version))
		cross, goOn := w.step(n, id, func() bool { return w.addModel(mustLoadModel(w.q.r, name, version), n) })
		if cross {
			w.edge(id, n.id, EdgeBaseModel, "")
		}
		return goOn
	})
}

// eachIndexed calls fn with the name and version that end every key under
// prefix, in key order, until fn returns false; it returns false if fn did.
func (w *impactWalk) eachIndexed(prefix []byte, fn func(name, version string) bool) bool {
	it := w.q.r.Iterator(prefix, kit.PrefixEnd(prefix), false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		name, rest, ok1 := readPart(it.Key()[len(prefix):])
		version, rest, ok2 := readPart(rest)
		if !ok1 || !ok2 || len(rest) != 0 {
			panic(fmt.Sprintf("models: corrupt impact index key %x", it.Key()))
		}
		if !fn(name, version) {
			return false
		}
	}
	return true
}
