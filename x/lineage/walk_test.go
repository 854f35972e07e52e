package lineage

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/x/kit/kittest"
	pb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// graph is the fixture plus four runs:
//
//	r1: A, B → D    r2: D → E    r3: A → F    r4: E, F → G
type graph struct {
	st             *kittest.MemStore
	r1, r2, r3, r4 string
}

func newGraph(t *testing.T) graph {
	t.Helper()
	st := fixture(t)
	newOut := func(d, name string) []*pb.DatasetSpec { return []*pb.DatasetSpec{spec(d, "derived", name, "1")} }
	return graph{
		st: st,
		r1: mustRun(t, st, alice, &pb.MsgRecordRun{CodeDigest: code1, Inputs: []string{dsA, dsB}, NewOutputs: newOut(dsD, "d")}),
		r2: mustRun(t, st, alice, &pb.MsgRecordRun{CodeDigest: code1, Inputs: []string{dsD}, NewOutputs: newOut(dsE, "e")}),
		r3: mustRun(t, st, alice, &pb.MsgRecordRun{CodeDigest: code2, Inputs: []string{dsA}, NewOutputs: newOut(dsF, "f")}),
		r4: mustRun(t, st, alice, &pb.MsgRecordRun{CodeDigest: code2, Inputs: []string{dsE, dsF}, NewOutputs: newOut(dsG, "g")}),
	}
}

var letters = map[string]string{dsA: "A", dsB: "B", dsC: "C", dsD: "D", dsE: "E", dsF: "F", dsG: "G"}

// describe renders a walk as "G0 E1 ..." and "E>G:r4 ..." for comparison.
func (g graph) describe(nodes []*pb.LineageNode, edges []*pb.Edge) (string, string) {
	runs := map[string]string{g.r1: "r1", g.r2: "r2", g.r3: "r3", g.r4: "r4"}
	var n, e []string
	for _, x := range nodes {
		n = append(n, fmt.Sprintf("%s%d", letters[x.Digest], x.Depth))
	}
	for _, x := range edges {
		e = append(e, fmt.Sprintf("%s>%s:%s", letters[x.Parent], letters[x.Child], runs[x.RunId]))
	}
	return strings.Join(n, " "), strings.Join(e, " ")
}

func TestWalk(t *testing.T) {
	g := newGraph(t)
	up, down := pb.Direction_DIRECTION_UPSTREAM, pb.Direction_DIRECTION_DOWNSTREAM
	cases := []struct {
		name               string
		starts             []string
		dir                pb.Direction
		maxDepth, maxNodes int
		nodes, edges       string
		truncated          bool
	}{
		{"upstream, whole", []string{dsG}, up, 10, 100,
			"G0 E1 F1 D2 A2 B3", "E>G:r4 F>G:r4 D>E:r2 A>F:r3 A>D:r1 B>D:r1", false},
		{"upstream, exactly enough nodes", []string{dsG}, up, 3, 6,
			"G0 E1 F1 D2 A2 B3", "E>G:r4 F>G:r4 D>E:r2 A>F:r3 A>D:r1 B>D:r1", false},
		{"upstream, depth 2: edges among reached nodes kept", []string{dsG}, up, 2, 100,
			"G0 E1 F1 D2 A2", "E>G:r4 F>G:r4 D>E:r2 A>F:r3 A>D:r1", true},
		{"upstream, depth 1", []string{dsG}, up, 1, 100,
			"G0 E1 F1", "E>G:r4 F>G:r4", true},
		{"upstream, node cap", []string{dsG}, up, 10, 4,
			"G0 E1 F1 D2", "E>G:r4 F>G:r4 D>E:r2", true},
		{"upstream from a source", []string{dsA}, up, 10, 100, "A0", "", false},
		{"downstream, whole", []string{dsA}, down, 10, 100,
			"A0 D1 F1 E2 G2", "A>D:r1 A>F:r3 D>E:r2 F>G:r4 E>G:r4", false},
		{"downstream, depth 1", []string{dsA}, down, 1, 100,
			"A0 D1 F1", "A>D:r1 A>F:r3", true},
		{"downstream, node cap", []string{dsA}, down, 10, 2,
			"A0 D1", "A>D:r1", true},
		{"downstream from a sink", []string{dsG}, down, 10, 100, "G0", "", false},
		{"several starts, repeats and non-digests skipped", []string{dsG, "bad", dsG, dsB}, up, 0, 100,
			"G0 B0", "", true},
		{"several starts, both expanded", []string{dsE, dsF}, up, 10, 100,
			"E0 F0 D1 A1 B2", "D>E:r2 A>F:r3 A>D:r1 B>D:r1", false},
		{"depth limit: an unreached neighbour before a reached one", []string{dsD, dsB}, up, 0, 100,
			"D0 B0", "B>D:r1", true},
		{"starts beyond the node cap", []string{dsG, dsB}, up, 10, 1, "G0", "", true},
		{"no direction", []string{dsG}, pb.Direction_DIRECTION_UNSPECIFIED, 10, 100, "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nodes, edges, truncated := k.Walk(g.st, c.starts, c.dir, c.maxDepth, c.maxNodes)
			n, e := g.describe(nodes, edges)
			if n != c.nodes || e != c.edges || truncated != c.truncated {
				t.Fatalf("walk = nodes %q edges %q truncated %v\nwant   nodes %q edges %q truncated %v", n, e, truncated, c.nodes, c.edges, c.truncated)
			}
		})
	}
}
