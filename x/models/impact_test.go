package models

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/kittest"
	pb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// fakeParams is the chain's rule set.
type fakeParams uint32

func (p fakeParams) Rules(kit.Reader) uint32 { return uint32(p) }

// EachDerived finds the edges whose parent is d in the child→parents map,
// ordered by child then run, as the real registry's keys order them for
// digests of one length.
func (f fakeDatasets) EachDerived(_ kit.Reader, d string, fn func(DatasetEdge) bool) {
	var out []DatasetEdge
	for _, edges := range f.parents {
		for _, e := range edges {
			if e.Parent == d {
				out = append(out, e)
			}
		}
	}
	slices.SortFunc(out, func(a, b DatasetEdge) int {
		return cmp.Or(cmp.Compare(a.Child, b.Child), cmp.Compare(a.RunID, b.RunID))
	})
	for _, e := range out {
		if !fn(e) {
			return
		}
	}
}

// impactFixture registers, under rules, this lineage:
//
//	d1 ─run-a→ d2 ─run-b→ d3        d1 ─run-c→ d4
//	acme/base@1    trained on d3, deployed once
//	acme/other@1   trained on d1 and d4 (run-t)
//	acme/tuned@1   fine-tune of acme/base@1, trained on d9, deployed twice
//	acme/tuned@2   fine-tune of acme/base@1, revoked
//	acme/tuned2@1  fine-tune of acme/tuned@1
//	acme/lone@1    trained on d9 only
func impactFixture(t *testing.T, rules uint32) *fixture {
	t.Helper()
	f := &fixture{st: kittest.NewMemStore()}
	f.datasets = fakeDatasets{
		datasets: map[string]bool{},
		runs:     map[string]bool{"run-t": true},
		parents: map[string][]DatasetEdge{
			dg(2): {{Parent: dg(1), Child: dg(2), RunID: "run-a"}},
			dg(3): {{Parent: dg(2), Child: dg(3), RunID: "run-b"}},
			dg(4): {{Parent: dg(1), Child: dg(4), RunID: "run-c"}},
		},
	}
	for i := 1; i <= 9; i++ {
		f.datasets.datasets[dg(i)] = true
	}
	f.k = NewKeeper(0x05, f.datasets, fakeAccounts{}, fakeLicenses{}, fakeParams(rules))
	b := blk
	b.Rules = rules
	for i, spec := range []*pb.ModelSpec{
		{Name: "acme/base", Version: "1", TrainingDatasets: []string{dg(3)}},
		{Name: "acme/other", Version: "1", TrainingDatasets: []string{dg(1), dg(4)}, TrainingRun: "run-t"},
		{Name: "acme/tuned", Version: "1", BaseModel: "acme/base@1", TrainingDatasets: []string{dg(9)}},
		{Name: "acme/tuned", Version: "2", BaseModel: "acme/base@1"},
		{Name: "acme/tuned2", Version: "1", BaseModel: "acme/tuned@1"},
		{Name: "acme/lone", Version: "1", TrainingDatasets: []string{dg(9)}},
	} {
		spec.ManifestDigest = dg(100 + i)
		if _, err := f.k.RegisterModel(f.k.own(f.st), f.st, b, alice, &pb.MsgRegisterModel{Model: spec}); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []struct{ name, version, env string }{
		{"acme/tuned", "1", "eu/prod"}, {"acme/base", "1", "lab"}, {"acme/tuned", "1", "us/prod"},
	} {
		if _, err := f.k.RecordDeployment(f.k.own(f.st), f.st, b, alice, &pb.MsgRecordDeployment{Name: d.name, Version: d.version, Environment: d.env}); err != nil {
			t.Fatal(err)
		}
	}
	f.revoke(t, alice, "acme/tuned", "2")
	return f
}

// renderImpact writes an answer one record per line, digests dg(n) as dn.
func renderImpact(r *pb.QueryImpactResponse) string {
	short := func(s string) string {
		for i := 1; i <= 9; i++ {
			s = strings.ReplaceAll(s, dg(i), fmt.Sprintf("d%d", i))
		}
		return s
	}
	var lines []string
	for _, d := range r.Datasets {
		lines = append(lines, fmt.Sprintf("dataset %s %d", short(d.Digest), d.Depth))
	}
	for _, m := range r.Models {
		line := fmt.Sprintf("model %s %d %s", m.Model, m.Depth, short(strings.Join(m.Path, " > ")))
		if m.Revoked {
			line += " revoked"
		}
		for _, d := range m.Deployments {
			line += fmt.Sprintf(" [%d %s]", d.Id, d.Environment)
		}
		lines = append(lines, line)
	}
	for _, e := range r.Edges {
		lines = append(lines, short(fmt.Sprintf("edge %s -%s/%s-> %s", e.From, e.Kind, e.RunId, e.To)))
	}
	lines = append(lines, fmt.Sprintf("truncated=%v index_complete=%v", r.Truncated, r.IndexComplete))
	return strings.Join(lines, "\n")
}

func TestQueryImpact(t *testing.T) {
	fromD1 := []string{
		"dataset d1 0",
		"dataset d2 1",
		"dataset d4 1",
		"dataset d3 2",
		"model acme/other@1 1 dataset:d1 > model:acme/other@1",
		"model acme/base@1 3 dataset:d1 > dataset:d2 > dataset:d3 > model:acme/base@1 [2 lab]",
		"model acme/tuned@1 4 dataset:d1 > dataset:d2 > dataset:d3 > model:acme/base@1 > model:acme/tuned@1 [1 eu/prod] [3 us/prod]",
		"model acme/tuned@2 4 dataset:d1 > dataset:d2 > dataset:d3 > model:acme/base@1 > model:acme/tuned@2 revoked",
		"model acme/tuned2@1 5 dataset:d1 > dataset:d2 > dataset:d3 > model:acme/base@1 > model:acme/tuned@1 > model:acme/tuned2@1",
		"edge dataset:d2 -derived_from/run-a-> dataset:d1",
		"edge dataset:d4 -derived_from/run-c-> dataset:d1",
		"edge model:acme/other@1 -trained_on/run-t-> dataset:d1",
		"edge dataset:d3 -derived_from/run-b-> dataset:d2",
		"edge model:acme/other@1 -trained_on/run-t-> dataset:d4",
		"edge model:acme/base@1 -trained_on/-> dataset:d3",
		"edge model:acme/tuned@1 -base_model/-> model:acme/base@1",
		"edge model:acme/tuned@2 -base_model/-> model:acme/base@1",
		"edge model:acme/tuned2@1 -base_model/-> model:acme/tuned@1",
	}
	cases := []struct {
		name  string
		rules uint32
		req   *pb.QueryImpactRequest
		want  *kit.Error
		lines []string
	}{
		{"from a dataset, everything downstream", kit.RulesImpactIndex, &pb.QueryImpactRequest{Dataset: dg(1)}, nil,
			append(slices.Clone(fromD1), "truncated=false index_complete=true")},
		{"limits that just fit", kit.RulesImpactIndex, &pb.QueryImpactRequest{Dataset: dg(1), MaxDepth: 5, MaxNodes: 12}, nil,
			append(slices.Clone(fromD1), "truncated=false index_complete=true")},
		{"from a base model, its fine-tunes", kit.RulesImpactIndex, &pb.QueryImpactRequest{Model: "acme/base@1"}, nil, []string{
			"model acme/base@1 0 model:acme/base@1 [2 lab]",
			"model acme/tuned@1 1 model:acme/base@1 > model:acme/tuned@1 [1 eu/prod] [3 us/prod]",
			"model acme/tuned@2 1 model:acme/base@1 > model:acme/tuned@2 revoked",
			"model acme/tuned2@1 2 model:acme/base@1 > model:acme/tuned@1 > model:acme/tuned2@1",
			"edge model:acme/tuned@1 -base_model/-> model:acme/base@1",
			"edge model:acme/tuned@2 -base_model/-> model:acme/base@1",
			"edge model:acme/tuned2@1 -base_model/-> model:acme/tuned@1",
			"truncated=false index_complete=true",
		}},
		{"a model nothing descends from", kit.RulesImpactIndex, &pb.QueryImpactRequest{Model: "acme/tuned2@1"}, nil, []string{
			"model acme/tuned2@1 0 model:acme/tuned2@1",
			"truncated=false index_complete=true",
		}},
		{"a dataset reaches its models and their fine-tunes", kit.RulesImpactIndex, &pb.QueryImpactRequest{Dataset: dg(9)}, nil, []string{
			"dataset d9 0",
			"model acme/lone@1 1 dataset:d9 > model:acme/lone@1",
			"model acme/tuned@1 1 dataset:d9 > model:acme/tuned@1 [1 eu/prod] [3 us/prod]",
			"model acme/tuned2@1 2 dataset:d9 > model:acme/tuned@1 > model:acme/tuned2@1",
			"edge model:acme/lone@1 -trained_on/-> dataset:d9",
			"edge model:acme/tuned@1 -trained_on/-> dataset:d9",
			"edge model:acme/tuned2@1 -base_model/-> model:acme/tuned@1",
			"truncated=false index_complete=true",
		}},
		{"depth 1: edges between reached records only", kit.RulesImpactIndex, &pb.QueryImpactRequest{Dataset: dg(1), MaxDepth: 1}, nil, []string{
			"dataset d1 0",
			"dataset d2 1",
			"dataset d4 1",
			"model acme/other@1 1 dataset:d1 > model:acme/other@1",
			"edge dataset:d2 -derived_from/run-a-> dataset:d1",
			"edge dataset:d4 -derived_from/run-c-> dataset:d1",
			"edge model:acme/other@1 -trained_on/run-t-> dataset:d1",
			"edge model:acme/other@1 -trained_on/run-t-> dataset:d4",
			"truncated=true index_complete=true",
		}},
		{"max_depth 0 means the default", kit.RulesImpactIndex, &pb.QueryImpactRequest{Model: "acme/base@1", MaxDepth: 0}, nil, []string{
			"model acme/base@1 0 model:acme/base@1 [2 lab]",
			"model acme/tuned@1 1 model:acme/base@1 > model:acme/tuned@1 [1 eu/prod] [3 us/prod]",
			"model acme/tuned@2 1 model:acme/base@1 > model:acme/tuned@2 revoked",
			"model acme/tuned2@1 2 model:acme/base@1 > model:acme/tuned@1 > model:acme/tuned2@1",
			"edge model:acme/tuned@1 -base_model/-> model:acme/base@1",
			"edge model:acme/tuned@2 -base_model/-> model:acme/base@1",
			"edge model:acme/tuned2@1 -base_model/-> model:acme/tuned@1",
			"truncated=false index_complete=true",
		}},
		{"nodes cut the walk", kit.RulesImpactIndex, &pb.QueryImpactRequest{Dataset: dg(1), MaxNodes: 4}, nil, []string{
			"dataset d1 0",
			"dataset d2 1",
			"dataset d4 1",
			"model acme/other@1 1 dataset:d1 > model:acme/other@1",
			"edge dataset:d2 -derived_from/run-a-> dataset:d1",
			"edge dataset:d4 -derived_from/run-c-> dataset:d1",
			"edge model:acme/other@1 -trained_on/run-t-> dataset:d1",
			"truncated=true index_complete=true",
		}},
		{"nodes cut a version's deployments", kit.RulesImpactIndex, &pb.QueryImpactRequest{Model: "acme/base@1", MaxNodes: 3}, nil, []string{
			"model acme/base@1 0 model:acme/base@1 [2 lab]",
			"model acme/tuned@1 1 model:acme/base@1 > model:acme/tuned@1",
			"truncated=true index_complete=true",
		}},
		{"one node", kit.RulesImpactIndex, &pb.QueryImpactRequest{Model: "acme/base@1", MaxNodes: 1}, nil, []string{
			"model acme/base@1 0 model:acme/base@1",
			"truncated=true index_complete=true",
		}},
		{"a chain without the index reaches datasets only", kit.RulesBoundNames, &pb.QueryImpactRequest{Dataset: dg(1)}, nil, []string{
			"dataset d1 0",
			"dataset d2 1",
			"dataset d4 1",
			"dataset d3 2",
			"edge dataset:d2 -derived_from/run-a-> dataset:d1",
			"edge dataset:d4 -derived_from/run-c-> dataset:d1",
			"edge dataset:d3 -derived_from/run-b-> dataset:d2",
			"truncated=false index_complete=false",
		}},
		{"a chain without the index, from a model", kit.RulesInitial, &pb.QueryImpactRequest{Model: "acme/base@1"}, nil, []string{
			"model acme/base@1 0 model:acme/base@1 [2 lab]",
			"truncated=false index_complete=false",
		}},
		{"neither dataset nor model", kit.RulesImpactIndex, &pb.QueryImpactRequest{}, ErrInvalidQuery, nil},
		{"both", kit.RulesImpactIndex, &pb.QueryImpactRequest{Dataset: dg(1), Model: "acme/base@1"}, ErrInvalidQuery, nil},
		{"malformed digest", kit.RulesImpactIndex, &pb.QueryImpactRequest{Dataset: "sha256:12"}, ErrInvalidDigest, nil},
		{"unregistered dataset", kit.RulesImpactIndex, &pb.QueryImpactRequest{Dataset: dg(10)}, ErrNotFound, nil},
		{"malformed model", kit.RulesImpactIndex, &pb.QueryImpactRequest{Model: "acme/base"}, ErrInvalidRef, nil},
		{"unregistered model", kit.RulesImpactIndex, &pb.QueryImpactRequest{Model: "acme/base@9"}, ErrNotFound, nil},
		{"depth above the maximum", kit.RulesImpactIndex, &pb.QueryImpactRequest{Dataset: dg(1), MaxDepth: MaxLineageDepth + 1}, ErrInvalidQuery, nil},
		{"nodes above the maximum", kit.RulesImpactIndex, &pb.QueryImpactRequest{Dataset: dg(1), MaxNodes: MaxLineageNodes + 1}, ErrInvalidQuery, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := impactFixture(t, c.rules)
			resp, err := f.k.Querier(f.st, blk).Impact(ctx, c.req)
			check(t, err, c.want)
			if c.want != nil {
				return
			}
			if got, want := renderImpact(resp), strings.Join(c.lines, "\n"); got != want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, want)
			}
			reported := len(resp.Datasets) + len(resp.Models)
			for _, m := range resp.Models {
				reported += len(m.Deployments)
			}
			limit := int(c.req.MaxNodes)
			if limit == 0 {
				limit = DefaultLineageMaxNodes
			}
			if reported > limit {
				t.Fatalf("%d records reported, max_nodes %d", reported, limit)
			}
		})
	}
}
