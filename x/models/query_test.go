package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

var ctx = context.Background()

func refsOf(models []*pb.ModelVersion) []string {
	out := make([]string, len(models))
	for i, m := range models {
		out[i] = Ref(m.Spec.Name, m.Spec.Version)
	}
	return out
}

func TestQueryModel(t *testing.T) {
	f := newFixture(t)
	f.register(t, alice, &pb.ModelSpec{Name: "acme/base", Version: "2.0", ManifestDigest: dg(52)})
	f.supersede(t, alice, "acme/base", "1.0", "acme/base@2.0")
	q := f.k.Querier(f.st, blk)
	cases := []struct {
		name, version       string
		want                *kit.Error
		revoked, superseded bool
	}{
		{"acme/base", "1.0", nil, false, true},
		{"acme/old", "1.0", nil, true, false},
		{"acme/base", "2.0", nil, false, false},
		{"acme/base", "3.0", ErrNotFound, false, false},
		{"acme/base", "", ErrInvalidField, false, false},
		{"acme/base@1.0", "1.0", ErrInvalidField, false, false},
	}
	for _, c := range cases {
		t.Run(Ref(c.name, c.version), func(t *testing.T) {
			resp, err := q.Model(ctx, &pb.QueryModelRequest{Name: c.name, Version: c.version})
			check(t, err, c.want)
			if c.want != nil {
				return
			}
			if resp.Model.Spec.Name != c.name || resp.Model.Spec.Version != c.version {
				t.Fatalf("model = %v", resp.Model)
			}
			if (resp.Revocation != nil) != c.revoked || (resp.Supersession != nil) != c.superseded {
				t.Fatalf("revocation = %v, supersession = %v", resp.Revocation, resp.Supersession)
			}
			if c.superseded && resp.Supersession.SupersededBy != "acme/base@2.0" {
				t.Fatalf("supersession = %v", resp.Supersession)
			}
		})
	}
}

func TestQueryModelsByDigest(t *testing.T) {
	f := newFixture(t)
	f.register(t, alice, &pb.ModelSpec{Name: "acme/b", Version: "1", ManifestDigest: dg(70)})
	f.register(t, bob, &pb.ModelSpec{Name: "acme/a", Version: "1", ManifestDigest: dg(70)})
	f.register(t, alice, &pb.ModelSpec{Name: "acme/a", Version: "2", ManifestDigest: dg(71)})
	q := f.k.Querier(f.st, blk)
	cases := []struct {
		digest string
		want   *kit.Error
		refs   []string
	}{
		{dg(70), nil, []string{"acme/a@1", "acme/b@1"}},
		{dg(71), nil, []string{"acme/a@2"}},
		{dg(72), nil, []string{}},
		{"", ErrInvalidDigest, nil},
		{strings.ToUpper(dg(70)), ErrInvalidDigest, nil},
	}
	for _, c := range cases {
		resp, err := q.ModelsByDigest(ctx, &pb.QueryModelsByDigestRequest{ManifestDigest: c.digest})
		check(t, err, c.want)
		if c.want == nil && !slices.Equal(refsOf(resp.Models), c.refs) {
			t.Errorf("ModelsByDigest(%s) = %v, want %v", c.digest, refsOf(resp.Models), c.refs)
		}
	}
}

func TestQueryModelsByDigestIsBounded(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < MaxPageLimit+5; i++ {
		f.register(t, alice, &pb.ModelSpec{Name: "acme/copy", Version: fmt.Sprintf("%04d", i), ManifestDigest: dg(80)})
	}
	q := f.k.Querier(f.st, blk)
	cases := []struct {
		limit     uint32
		want      int
		truncated bool
	}{
		{0, DefaultPageLimit, true},
		{MaxPageLimit, MaxPageLimit, true},
		{7, 7, true},
	}
	for _, c := range cases {
		resp, err := q.ModelsByDigest(ctx, &pb.QueryModelsByDigestRequest{ManifestDigest: dg(80), Limit: c.limit})
		if err != nil || len(resp.Models) != c.want || resp.Truncated != c.truncated {
			t.Fatalf("limit %d: got %d models (truncated %v), %v; want %d", c.limit, len(resp.Models), resp.GetTruncated(), err, c.want)
		}
	}
	if _, err := q.ModelsByDigest(ctx, &pb.QueryModelsByDigestRequest{ManifestDigest: dg(80), Limit: MaxPageLimit + 1}); !errors.Is(err, ErrInvalidQuery) {
		t.Fatalf("limit over the maximum: %v", err)
	}
}

func TestQueryModelVersions(t *testing.T) {
	f := newFixture(t)
	at := func(h int64, version string) {
		b := blk
		b.Height = h
		if _, err := f.k.RegisterModel(f.k.own(f.st), f.st, b, alice, &pb.MsgRegisterModel{Model: &pb.ModelSpec{Name: "acme/llm", Version: version, ManifestDigest: dg(90)}}); err != nil {
			t.Fatal(err)
		}
	}
	at(300, "2.0") // registration order, not version order
	at(301, "1.5")
	at(301, "1.0") // same block: version order
	at(1000, "0.1")
	f.register(t, alice, &pb.ModelSpec{Name: "acme/llm2", Version: "9", ManifestDigest: dg(91)}) // a longer name must not leak in
	q := f.k.Querier(f.st, blk)
	cases := []struct {
		name      string
		limit     uint32
		want      *kit.Error
		refs      []string
		truncated bool
	}{
		{"acme/llm", 0, nil, []string{"acme/llm@2.0", "acme/llm@1.0", "acme/llm@1.5", "acme/llm@0.1"}, false},
		{"acme/llm", 4, nil, []string{"acme/llm@2.0", "acme/llm@1.0", "acme/llm@1.5", "acme/llm@0.1"}, false},
		{"acme/llm", 2, nil, []string{"acme/llm@2.0", "acme/llm@1.0"}, true},
		{"acme/llm", MaxPageLimit, nil, []string{"acme/llm@2.0", "acme/llm@1.0", "acme/llm@1.5", "acme/llm@0.1"}, false},
		{"acme/none", 0, nil, []string{}, false},
		{"acme/llm", MaxPageLimit + 1, ErrInvalidQuery, nil, false},
		{"acme/llm@2.0", 0, ErrInvalidField, nil, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%d", c.name, c.limit), func(t *testing.T) {
			resp, err := q.ModelVersions(ctx, &pb.QueryModelVersionsRequest{Name: c.name, Limit: c.limit})
			check(t, err, c.want)
			if c.want != nil {
				return
			}
			if !slices.Equal(refsOf(resp.Models), c.refs) || resp.Truncated != c.truncated {
				t.Fatalf("versions = %v truncated=%v, want %v truncated=%v", refsOf(resp.Models), resp.Truncated, c.refs, c.truncated)
			}
		})
	}
}

func TestQueryDeployments(t *testing.T) {
	f := newFixture(t)
	for i, v := range []string{"1", "2"} {
		f.register(t, alice, &pb.ModelSpec{Name: "acme/llm", Version: v, ManifestDigest: dg(110 + i)})
	}
	f.register(t, alice, &pb.ModelSpec{Name: "acme/llm2", Version: "1", ManifestDigest: dg(112)})
	deployer := kit.Signer{Address: "addr-dave", OrgID: "gamma"}
	for _, ref := range []string{"acme/llm@2", "acme/llm@1", "acme/llm2@1", "acme/llm@2"} {
		name, version, _ := ParseRef(ref)
		if _, err := f.k.RecordDeployment(f.k.own(f.st), f.st, blk, deployer, &pb.MsgRecordDeployment{Name: name, Version: version, Environment: "prod"}); err != nil {
			t.Fatal(err)
		}
	}
	q := f.k.Querier(f.st, blk)
	cases := []struct {
		name, version string
		limit         uint32
		want          *kit.Error
		ids           []uint64
		truncated     bool
	}{
		{"acme/llm", "", 0, nil, []uint64{1, 2, 4}, false},
		{"acme/llm", "2", 0, nil, []uint64{1, 4}, false},
		{"acme/llm", "1", 0, nil, []uint64{2}, false},
		{"acme/llm2", "", 0, nil, []uint64{3}, false},
		{"acme/llm", "", 2, nil, []uint64{1, 2}, true},
		{"acme/llm", "2", 1, nil, []uint64{1}, true},
		{"acme/llm", "3", 0, nil, []uint64{}, false},
		{"acme/llm", "", MaxPageLimit + 1, ErrInvalidQuery, nil, false},
		{"", "", 0, ErrInvalidField, nil, false},
		{"acme/llm", "2/x", 0, ErrInvalidField, nil, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s@%s/%d", c.name, c.version, c.limit), func(t *testing.T) {
			resp, err := q.Deployments(ctx, &pb.QueryDeploymentsRequest{Name: c.name, Version: c.version, Limit: c.limit})
			check(t, err, c.want)
			if c.want != nil {
				return
			}
			ids := []uint64{}
			for _, d := range resp.Deployments {
				ids = append(ids, d.Id)
				if d.Name != c.name || (c.version != "" && d.Version != c.version) {
					t.Fatalf("deployment %v does not match the query", d)
				}
			}
			if !slices.Equal(ids, c.ids) || resp.Truncated != c.truncated {
				t.Fatalf("ids = %v truncated=%v, want %v truncated=%v", ids, resp.Truncated, c.ids, c.truncated)
			}
		})
	}
}

// lineageFixture registers a three-deep base chain on top of acme/base@1.0
// (trained on dg(1)):
//
//	acme/m3@1 (dg4, run-2) → acme/m2@1 (dg3, dg1) → acme/m1@1 (dg2, run-1) → acme/base@1.0 (dg1)
//
// and gives the dataset registry dg4 ← dg5 (run-3), dg2 ← dg5 (run-3),
// dg5 ← dg6 (run-x).
func lineageFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.register(t, alice, &pb.ModelSpec{Name: "acme/m1", Version: "1", ManifestDigest: dg(121), BaseModel: "acme/base@1.0", TrainingDatasets: []string{dg(2)}, TrainingRun: "run-1"})
	f.register(t, alice, &pb.ModelSpec{Name: "acme/m2", Version: "1", ManifestDigest: dg(122), BaseModel: "acme/m1@1", TrainingDatasets: []string{dg(3), dg(1)}})
	f.register(t, alice, &pb.ModelSpec{Name: "acme/m3", Version: "1", ManifestDigest: dg(123), BaseModel: "acme/m2@1", TrainingDatasets: []string{dg(4)}, TrainingRun: "run-2"})
	f.datasets.parents[dg(4)] = []DatasetEdge{{Parent: dg(5), Child: dg(4), RunID: "run-3"}}
	f.datasets.parents[dg(2)] = []DatasetEdge{{Parent: dg(5), Child: dg(2), RunID: "run-3"}}
	f.datasets.parents[dg(5)] = []DatasetEdge{{Parent: dg(6), Child: dg(5), RunID: "run-x"}}
	return f
}

func edgeStrings(edges []*pb.LineageEdge) []string {
	out := make([]string, len(edges))
	for i, e := range edges {
		out[i] = fmt.Sprintf("%s -%s/%s-> %s", e.From, e.Kind, e.RunId, e.To)
	}
	return out
}

func TestQueryModelLineage(t *testing.T) {
	m := func(ref string) string { return ModelNodeID(ref) }
	d := func(n int) string { return DatasetNodeID(dg(n)) }
	e := func(from, kind, run, to string) string { return fmt.Sprintf("%s -%s/%s-> %s", from, kind, run, to) }
	full := &pb.QueryModelLineageResponse{
		BaseModels: []string{"acme/m2@1", "acme/m1@1", "acme/base@1.0"},
		Datasets:   []string{dg(4), dg(3), dg(1), dg(2), dg(5), dg(6)},
		Runs:       []string{"run-2", "run-1", "run-3", "run-x"},
	}
	fullEdges := []string{
		e(m("acme/m3@1"), "base_model", "", m("acme/m2@1")),
		e(m("acme/m2@1"), "base_model", "", m("acme/m1@1")),
		e(m("acme/m1@1"), "base_model", "", m("acme/base@1.0")),
		e(m("acme/m3@1"), "trained_on", "run-2", d(4)),
		e(m("acme/m2@1"), "trained_on", "", d(3)),
		e(m("acme/m2@1"), "trained_on", "", d(1)),
		e(m("acme/m1@1"), "trained_on", "run-1", d(2)),
		e(m("acme/base@1.0"), "trained_on", "", d(1)),
		e(d(4), "derived_from", "run-3", d(5)),
		e(d(2), "derived_from", "run-3", d(5)),
		e(d(5), "derived_from", "run-x", d(6)),
	}
	cases := []struct {
		name          string
		req           *pb.QueryModelLineageRequest
		want          *kit.Error
		resp          *pb.QueryModelLineageResponse
		edges         []string
		upstreamCalls []upstreamCall
	}{
		{"full walk with defaults", &pb.QueryModelLineageRequest{Name: "acme/m3", Version: "1"}, nil, full, fullEdges,
			[]upstreamCall{{[]string{dg(4), dg(3), dg(1), dg(2)}, DefaultLineageMaxDepth, DefaultLineageMaxNodes - 3}}},
		{"limits that just fit", &pb.QueryModelLineageRequest{Name: "acme/m3", Version: "1", MaxDepth: 3, MaxNodes: 9}, nil, full, fullEdges,
			[]upstreamCall{{[]string{dg(4), dg(3), dg(1), dg(2)}, 3, 6}}},
		{"depth 1", &pb.QueryModelLineageRequest{Name: "acme/m3", Version: "1", MaxDepth: 1}, nil,
			&pb.QueryModelLineageResponse{
				BaseModels: []string{"acme/m2@1"},
				Datasets:   []string{dg(4), dg(3), dg(1), dg(5)},
				Runs:       []string{"run-2", "run-3"},
				Truncated:  true,
			},
			[]string{
				e(m("acme/m3@1"), "base_model", "", m("acme/m2@1")),
				e(m("acme/m3@1"), "trained_on", "run-2", d(4)),
				e(m("acme/m2@1"), "trained_on", "", d(3)),
				e(m("acme/m2@1"), "trained_on", "", d(1)),
				e(d(4), "derived_from", "run-3", d(5)),
			},
			[]upstreamCall{{[]string{dg(4), dg(3), dg(1)}, 1, DefaultLineageMaxNodes - 1}}},
		{"nodes used up by base models", &pb.QueryModelLineageRequest{Name: "acme/m3", Version: "1", MaxNodes: 2}, nil,
			&pb.QueryModelLineageResponse{BaseModels: []string{"acme/m2@1", "acme/m1@1"}, Runs: []string{"run-2", "run-1"}, Truncated: true},
			[]string{
				e(m("acme/m3@1"), "base_model", "", m("acme/m2@1")),
				e(m("acme/m2@1"), "base_model", "", m("acme/m1@1")),
			},
			nil},
		{"nodes cut the datasets", &pb.QueryModelLineageRequest{Name: "acme/m3", Version: "1", MaxNodes: 5}, nil,
			&pb.QueryModelLineageResponse{
				BaseModels: full.BaseModels,
				Datasets:   []string{dg(4), dg(3)},
				Runs:       []string{"run-2", "run-1"},
				Truncated:  true,
			},
			append(slices.Clone(fullEdges[:3]), e(m("acme/m3@1"), "trained_on", "run-2", d(4)), e(m("acme/m2@1"), "trained_on", "", d(3))),
			[]upstreamCall{{[]string{dg(4), dg(3), dg(1), dg(2)}, DefaultLineageMaxDepth, 2}}},
		{"middle of the chain", &pb.QueryModelLineageRequest{Name: "acme/m1", Version: "1"}, nil,
			&pb.QueryModelLineageResponse{
				BaseModels: []string{"acme/base@1.0"},
				Datasets:   []string{dg(2), dg(1), dg(5), dg(6)},
				Runs:       []string{"run-1", "run-3", "run-x"},
			},
			[]string{
				e(m("acme/m1@1"), "base_model", "", m("acme/base@1.0")),
				e(m("acme/m1@1"), "trained_on", "run-1", d(2)),
				e(m("acme/base@1.0"), "trained_on", "", d(1)),
				e(d(2), "derived_from", "run-3", d(5)),
				e(d(5), "derived_from", "run-x", d(6)),
			},
			[]upstreamCall{{[]string{dg(2), dg(1)}, DefaultLineageMaxDepth, DefaultLineageMaxNodes - 1}}},
		{"no lineage at all", &pb.QueryModelLineageRequest{Name: "acme/old", Version: "1.0"}, nil, &pb.QueryModelLineageResponse{}, []string{}, nil},
		{"max depth above limit", &pb.QueryModelLineageRequest{Name: "acme/m3", Version: "1", MaxDepth: MaxLineageDepth + 1}, ErrInvalidQuery, nil, nil, nil},
		{"max nodes above limit", &pb.QueryModelLineageRequest{Name: "acme/m3", Version: "1", MaxNodes: MaxLineageNodes + 1}, ErrInvalidQuery, nil, nil, nil},
		{"unknown model", &pb.QueryModelLineageRequest{Name: "acme/m4", Version: "1"}, ErrNotFound, nil, nil, nil},
		{"invalid name", &pb.QueryModelLineageRequest{Name: "acme m3", Version: "1"}, ErrInvalidField, nil, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := lineageFixture(t)
			resp, err := f.k.Querier(f.st, blk).ModelLineage(ctx, c.req)
			check(t, err, c.want)
			if c.want != nil {
				return
			}
			if !slices.Equal(resp.BaseModels, c.resp.BaseModels) || !slices.Equal(resp.Datasets, c.resp.Datasets) ||
				!slices.Equal(resp.Runs, c.resp.Runs) || resp.Truncated != c.resp.Truncated {
				t.Errorf("bases %v\ndatasets %v\nruns %v\ntruncated %v\nwant %v", resp.BaseModels, resp.Datasets, resp.Runs, resp.Truncated, c.resp)
			}
			if got := edgeStrings(resp.Edges); !slices.Equal(got, c.edges) {
				t.Errorf("edges:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.edges, "\n"))
			}
			if !slices.EqualFunc(*f.calls, c.upstreamCalls, func(a, b upstreamCall) bool {
				return slices.Equal(a.digests, b.digests) && a.maxDepth == b.maxDepth && a.maxNodes == b.maxNodes
			}) {
				t.Errorf("Upstream calls = %v, want %v", *f.calls, c.upstreamCalls)
			}
			checkEdgesJoinNodes(t, c.req, resp)
		})
	}
}

// checkEdgesJoinNodes asserts that every edge of a lineage answer joins
// nodes of that answer.
func checkEdgesJoinNodes(t *testing.T, req *pb.QueryModelLineageRequest, resp *pb.QueryModelLineageResponse) {
	t.Helper()
	nodes := map[string]bool{ModelNodeID(Ref(req.Name, req.Version)): true}
	for _, b := range resp.BaseModels {
		nodes[ModelNodeID(b)] = true
	}
	for _, d := range resp.Datasets {
		nodes[DatasetNodeID(d)] = true
	}
	for _, e := range resp.Edges {
		if !nodes[e.From] || !nodes[e.To] {
			t.Errorf("edge %v leaves the answer", e)
		}
	}
}

// greedyDatasets ignores the node budget, as a faulty registry might.
type greedyDatasets struct{ fakeDatasets }

func (g greedyDatasets) Upstream(r kit.Reader, digests []string, maxDepth, _ int) ([]string, []DatasetEdge, bool) {
	return g.fakeDatasets.Upstream(r, digests, maxDepth, 1<<30)
}

func TestQueryModelLineageStaysBounded(t *testing.T) {
	f := lineageFixture(t)
	k := f.k
	k.datasets = greedyDatasets{f.datasets}
	req := &pb.QueryModelLineageRequest{Name: "acme/m3", Version: "1", MaxNodes: 5}
	resp, err := k.Querier(f.st, blk).ModelLineage(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.BaseModels) + len(resp.Datasets); n != 5 || !resp.Truncated {
		t.Fatalf("%d nodes, truncated=%v", n, resp.Truncated)
	}
	checkEdgesJoinNodes(t, req, resp)
}
