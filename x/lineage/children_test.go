package lineage

import (
	"strings"
	"testing"

	pb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

func TestEachChild(t *testing.T) {
	g := newGraph(t)
	cases := []struct {
		name   string
		digest string
		stop   int // stop after this many edges; 0: never
		edges  string
	}{
		{"two children, in key order", dsA, 0, "A>D:r1 A>F:r3"},
		{"stops when told", dsA, 1, "A>D:r1"},
		{"one child", dsE, 0, "E>G:r4"},
		{"a leaf", dsG, 0, ""},
		{"unregistered", dsC, 0, ""},
		{"not a digest", "sha256:zz", 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var edges []*pb.Edge
			k.EachChild(g.st, c.digest, func(e *pb.Edge) bool {
				edges = append(edges, e)
				return c.stop == 0 || len(edges) < c.stop
			})
			if _, got := g.describe(nil, edges); got != c.edges {
				t.Fatalf("edges %q, want %q", got, c.edges)
			}
			for _, e := range edges {
				if e.Parent != c.digest || strings.TrimSpace(e.Child) == "" {
					t.Fatalf("edge %v does not start at %s", e, c.digest)
				}
			}
		})
	}
}
