package models

import (
	"fmt"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
)

// fakeDatasets is a dataset registry held in maps. parents maps a child
// dataset to the edges towards its parents, in order.
type fakeDatasets struct {
	datasets map[string]bool
	runs     map[string]bool
	parents  map[string][]DatasetEdge
	calls    *[]upstreamCall
}

type upstreamCall struct {
	digests            []string
	maxDepth, maxNodes int
}

func (f fakeDatasets) DatasetExists(_ kit.Reader, d string) bool { return f.datasets[d] }
func (f fakeDatasets) RunExists(_ kit.Reader, id string) bool    { return f.runs[id] }

// Upstream walks breadth first like the real registry: the starting
// datasets first, then parents level by level, stopping at maxDepth hops and
// maxNodes datasets.
func (f fakeDatasets) Upstream(_ kit.Reader, digests []string, maxDepth, maxNodes int) ([]string, []DatasetEdge, bool) {
	if f.calls != nil {
		*f.calls = append(*f.calls, upstreamCall{append([]string(nil), digests...), maxDepth, maxNodes})
	}
	var out []string
	var edges []DatasetEdge
	truncated := false
	seen := map[string]bool{}
	var frontier []string
	for _, d := range digests {
		if seen[d] {
			continue
		}
		if len(out) == maxNodes {
			truncated = true
			break
		}
		seen[d] = true
		out = append(out, d)
		frontier = append(frontier, d)
	}
	for depth := 0; len(frontier) > 0; depth++ {
		var next []string
		for _, child := range frontier {
			for _, e := range f.parents[child] {
				if depth == maxDepth {
					truncated = true
					continue
				}
				if !seen[e.Parent] {
					if len(out) == maxNodes {
						truncated = true
						continue
					}
					seen[e.Parent] = true
					out = append(out, e.Parent)
					next = append(next, e.Parent)
				}
				edges = append(edges, e)
			}
		}
		frontier = next
	}
	return out, edges, truncated
}

// fakeAccounts maps addresses to their current public keys.
type fakeAccounts map[string]*keysv1.PublicKey

func (f fakeAccounts) PublicKey(_ kit.Reader, address string) (*keysv1.PublicKey, error) {
	pub, ok := f[address]
	if !ok {
		return nil, fmt.Errorf("account %s not found", address)
	}
	return pub, nil
}

// fakeLicenses holds the usable licence ids; others fail with errLicense.
type fakeLicenses map[string]bool

// errLicense stands for the licence module's "not usable" error.
var errLicense = kit.NewError("licenses", 4, "licence expired")

func (f fakeLicenses) CheckUsable(_ kit.Reader, _ kit.Block, id string) error {
	if !f[id] {
		return errLicense.Wrapf("%s", id)
	}
	return nil
}
