package lineage

import (
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/digest"
	pb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// Walk explores derived-from edges from starts, breadth first, in
// direction dir (DIRECTION_UPSTREAM towards sources, DIRECTION_DOWNSTREAM
// towards derived datasets; any other value walks nowhere and returns
// nothing).
//
// The walk is deterministic: starts are taken in the given order (strings
// that are not canonical digests, and repeats, are skipped) at depth 0, and
// each node's neighbours are visited in key order (see doc.go). Every
// dataset appears once, at its shortest depth. Nodes at maxDepth are not
// expanded, though edges between them and already reached nodes are still
// reported; an unreached neighbour there sets truncated. The walk stops,
// setting truncated, as soon as one more node would exceed maxNodes.
//
// edges are every edge crossed between reported nodes, in the order they
// were crossed; each is oriented parent→child whatever the direction.
func (k Keeper) Walk(r kit.Reader, starts []string, dir pb.Direction, maxDepth, maxNodes int) (nodes []*pb.LineageNode, edges []*pb.Edge, truncated bool) {
	if dir != pb.Direction_DIRECTION_UPSTREAM && dir != pb.Direction_DIRECTION_DOWNSTREAM {
		return nil, nil, false
	}
	return walk(k.reader(r), starts, dir, maxDepth, maxNodes)
}

// EachChild calls fn with every edge from the dataset d to a dataset
// derived from it, in key order (see doc.go), until fn returns false. A
// string that is not a canonical digest has no edges.
func (k Keeper) EachChild(r kit.Reader, d string, fn func(e *pb.Edge) bool) {
	if digest.Validate(d) != nil {
		return
	}
	forEachNeighbour(k.reader(r), d, pb.Direction_DIRECTION_DOWNSTREAM, func(e *pb.Edge, _ string) bool { return fn(e) })
}

func walk(r kit.Reader, starts []string, dir pb.Direction, maxDepth, maxNodes int) (nodes []*pb.LineageNode, edges []*pb.Edge, truncated bool) {
	reached := map[string]bool{}
	for _, s := range starts {
		if digest.Validate(s) != nil || reached[s] {
			continue
		}
		if len(nodes) >= maxNodes {
			return nodes, edges, true
		}
		reached[s] = true
		nodes = append(nodes, &pb.LineageNode{Digest: s, Depth: 0})
	}
	// nodes doubles as the breadth-first queue: appending while indexing
	// visits them in discovery order.
	for i := 0; i < len(nodes); i++ {
		n := nodes[i]
		atDepthLimit := int64(n.Depth) >= int64(maxDepth)
		full := false
		forEachNeighbour(r, n.Digest, dir, func(e *pb.Edge, next string) bool {
			if !reached[next] {
				if atDepthLimit {
					truncated = true
					return true // keep looking for edges to reached nodes
				}
				if len(nodes) >= maxNodes {
					full = true
					return false
				}
				reached[next] = true
				nodes = append(nodes, &pb.LineageNode{Digest: next, Depth: n.Depth + 1})
			}
			edges = append(edges, e)
			return true
		})
		if full {
			return nodes, edges, true
		}
	}
	return nodes, edges, truncated
}

// forEachNeighbour calls fn for every edge of d in direction dir, in key
// order, with the dataset at the other end, until fn returns false.
func forEachNeighbour(r kit.Reader, d string, dir pb.Direction, fn func(e *pb.Edge, neighbour string) bool) {
	var prefix []byte
	if dir == pb.Direction_DIRECTION_UPSTREAM {
		prefix = UpstreamPrefix(d)
	} else {
		prefix = DownstreamPrefix(d)
	}
	it := r.Iterator(prefix, kit.PrefixEnd(prefix), false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		other, rest := readPart(it.Key()[len(prefix):])
		runID, _ := readPart(rest)
		e := &pb.Edge{Parent: other, Child: d, RunId: runID}
		if dir == pb.Direction_DIRECTION_DOWNSTREAM {
			e.Parent, e.Child = d, other
		}
		if !fn(e, other) {
			return
		}
	}
}

// cycleCheckLimit bounds the upstream walk that proves a new run adds no
// cycle. A variable so tests can lower it.
var cycleCheckLimit = 10000

// checkNoCycle rejects linking outputs to inputs when an output is already
// upstream of (an ancestor of) an input: the new edges input→output would
// close a cycle. If the inputs' ancestry exceeds cycleCheckLimit the run is
// rejected rather than accepted unchecked.
func checkNoCycle(r kit.Reader, inputs, outputs []string) error {
	if len(outputs) == 0 {
		return nil
	}
	isOutput := make(map[string]bool, len(outputs))
	for _, o := range outputs {
		isOutput[o] = true
	}
	// origin remembers which input each ancestor was reached from, to name
	// it in the error.
	origin := make(map[string]string, len(inputs))
	queue := make([]string, 0, len(inputs))
	for _, in := range inputs {
		if _, seen := origin[in]; !seen {
			origin[in] = in
			queue = append(queue, in)
		}
	}
	var err error
	for i := 0; i < len(queue) && err == nil; i++ {
		child := queue[i]
		forEachNeighbour(r, child, pb.Direction_DIRECTION_UPSTREAM, func(_ *pb.Edge, parent string) bool {
			if isOutput[parent] {
				err = ErrLineageCycle.Wrapf("output %s is upstream of input %s", parent, origin[child])
				return false
			}
			if _, seen := origin[parent]; seen {
				return true
			}
			if len(origin) >= cycleCheckLimit {
				err = ErrLineageTooLarge.Wrapf("the inputs have more than %d upstream datasets; link fewer outputs or record the run without linking existing outputs", cycleCheckLimit)
				return false
			}
			origin[parent] = origin[child]
			queue = append(queue, parent)
			return true
		})
	}
	return err
}
