package lineage

import (
	"context"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

var ctx = context.Background()

// wantErr checks err against want (nil: success).
func wantErr(t *testing.T, err error, want *kit.Error) {
	t.Helper()
	if want == nil && err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if want != nil && !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func TestQueryDataset(t *testing.T) {
	st := fixture(t)
	// zz attests before beta; the answer is sorted by organisation anyway
	// (key order would put "zz", the shorter id, first).
	mustRegister(t, st, zed, spec(dsA, "corpora", "web", "1"))
	mustRegister(t, st, bob, spec(dsA, "corpora", "web", "1"))
	q := k.Querier(st, blk)
	cases := []struct {
		name   string
		digest string
		want   *kit.Error
		orgs   string
	}{
		{"with attestations", dsA, nil, "beta zz"},
		{"without attestations", dsB, nil, ""},
		{"unknown", dsE, ErrNotFound, ""},
		{"not a digest", "sha256:zz", ErrInvalidDigest, ""},
		{"empty", "", ErrInvalidDigest, ""},
		{"too long for a key", "sha256:" + strings.Repeat("a", 300), ErrInvalidDigest, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := q.Dataset(ctx, &pb.QueryDatasetRequest{Digest: c.digest})
			wantErr(t, err, c.want)
			if c.want != nil {
				return
			}
			if resp.Dataset.Spec.Digest != c.digest {
				t.Fatalf("dataset = %v", resp.Dataset)
			}
			var orgs []string
			for _, a := range resp.Attestations {
				if a.Digest != c.digest {
					t.Fatalf("attestation of %s", a.Digest)
				}
				orgs = append(orgs, a.OrgId)
			}
			if strings.Join(orgs, " ") != c.orgs {
				t.Fatalf("attesting orgs = %v, want %s", orgs, c.orgs)
			}
		})
	}
}

func TestQueryDatasetByName(t *testing.T) {
	st := fixture(t)
	q := k.Querier(st, blk)
	cases := []struct {
		name                   string
		namespace, dsName, ver string
		want                   *kit.Error
		digest                 string
	}{
		{"found", "corpora", "books", "1", nil, dsB},
		{"other version", "corpora", "books", "2", ErrNotFound, ""},
		{"unknown name", "corpora", "nope", "1", ErrNotFound, ""},
		{"bad namespace", "corp ora", "books", "1", ErrInvalidField, ""},
		{"missing version", "corpora", "books", "", ErrInvalidField, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := q.DatasetByName(ctx, &pb.QueryDatasetByNameRequest{Namespace: c.namespace, Name: c.dsName, Version: c.ver})
			wantErr(t, err, c.want)
			if c.want == nil && resp.Dataset.Spec.Digest != c.digest {
				t.Fatalf("dataset = %v", resp.Dataset)
			}
		})
	}
}

func TestQueryDatasetHistory(t *testing.T) {
	st := fixture(t) // corpora/web@1 is A, at height 7
	at := func(h int64, s *pb.DatasetSpec) {
		b := blk
		b.Height = h
		if _, err := k.RegisterDataset(k.own(st), st, b, alice, &pb.MsgRegisterDataset{Dataset: s}); err != nil {
			t.Fatal(err)
		}
	}
	// Registration order: A@7, then at height 9 D before E (digest order
	// within a height, though E was registered first), then F@12, whatever
	// the version strings say.
	at(9, spec(dsE, "corpora", "web", "3"))
	at(9, spec(dsD, "corpora", "web", "2"))
	at(12, spec(dsF, "corpora", "web", "0.9"))
	at(10, spec(dsG, "corpora", "web-other", "1"))
	q := k.Querier(st, blk)
	cases := []struct {
		name      string
		req       *pb.QueryDatasetHistoryRequest
		want      *kit.Error
		versions  string
		truncated bool
	}{
		{"all, default limit", &pb.QueryDatasetHistoryRequest{Namespace: "corpora", Name: "web"}, nil, "A D E F", false},
		{"limit equals count", &pb.QueryDatasetHistoryRequest{Namespace: "corpora", Name: "web", Limit: 4}, nil, "A D E F", false},
		{"limited", &pb.QueryDatasetHistoryRequest{Namespace: "corpora", Name: "web", Limit: 2}, nil, "A D", true},
		{"maximum limit", &pb.QueryDatasetHistoryRequest{Namespace: "corpora", Name: "web", Limit: MaxPageLimit}, nil, "A D E F", false},
		{"limit above maximum", &pb.QueryDatasetHistoryRequest{Namespace: "corpora", Name: "web", Limit: MaxPageLimit + 1}, ErrInvalidQuery, "", false},
		{"name is not a prefix of another", &pb.QueryDatasetHistoryRequest{Namespace: "corpora", Name: "web-other"}, nil, "G", false},
		{"unknown name", &pb.QueryDatasetHistoryRequest{Namespace: "corpora", Name: "nope"}, nil, "", false},
		{"bad name", &pb.QueryDatasetHistoryRequest{Namespace: "corpora", Name: "-web"}, ErrInvalidField, "", false},
		{"missing namespace", &pb.QueryDatasetHistoryRequest{Name: "web"}, ErrInvalidField, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := q.DatasetHistory(ctx, c.req)
			wantErr(t, err, c.want)
			if c.want != nil {
				return
			}
			var got []string
			for _, ds := range resp.Datasets {
				got = append(got, letters[ds.Spec.Digest])
			}
			if strings.Join(got, " ") != c.versions || resp.Truncated != c.truncated {
				t.Fatalf("history = %v truncated %v, want %s truncated %v", got, resp.Truncated, c.versions, c.truncated)
			}
		})
	}
}

func TestQueryLineage(t *testing.T) {
	g := newGraph(t)
	q := k.Querier(g.st, blk)
	up, down := pb.Direction_DIRECTION_UPSTREAM, pb.Direction_DIRECTION_DOWNSTREAM
	cases := []struct {
		name         string
		req          *pb.QueryLineageRequest
		want         *kit.Error
		nodes, edges string
		truncated    bool
	}{
		{"upstream, defaults", &pb.QueryLineageRequest{Digest: dsG, Direction: up}, nil,
			"G0 E1 F1 D2 A2 B3", "E>G:r4 F>G:r4 D>E:r2 A>F:r3 A>D:r1 B>D:r1", false},
		{"upstream, depth 1", &pb.QueryLineageRequest{Digest: dsG, Direction: up, MaxDepth: 1}, nil,
			"G0 E1 F1", "E>G:r4 F>G:r4", true},
		{"upstream, node cap", &pb.QueryLineageRequest{Digest: dsG, Direction: up, MaxNodes: 3}, nil,
			"G0 E1 F1", "E>G:r4 F>G:r4", true},
		{"downstream, defaults", &pb.QueryLineageRequest{Digest: dsA, Direction: down}, nil,
			"A0 D1 F1 E2 G2", "A>D:r1 A>F:r3 D>E:r2 F>G:r4 E>G:r4", false},
		{"downstream, depth 1", &pb.QueryLineageRequest{Digest: dsA, Direction: down, MaxDepth: 1}, nil,
			"A0 D1 F1", "A>D:r1 A>F:r3", true},
		{"downstream, node cap", &pb.QueryLineageRequest{Digest: dsD, Direction: down, MaxNodes: 2}, nil,
			"D0 E1", "D>E:r2", true},
		{"maximum limits", &pb.QueryLineageRequest{Digest: dsC, Direction: down, MaxDepth: MaxLineageDepth, MaxNodes: MaxLineageNodes}, nil,
			"C0", "", false},
		{"no direction", &pb.QueryLineageRequest{Digest: dsG}, ErrInvalidQuery, "", "", false},
		{"unknown direction", &pb.QueryLineageRequest{Digest: dsG, Direction: 7}, ErrInvalidQuery, "", "", false},
		{"depth above maximum", &pb.QueryLineageRequest{Digest: dsG, Direction: up, MaxDepth: MaxLineageDepth + 1}, ErrInvalidQuery, "", "", false},
		{"nodes above maximum", &pb.QueryLineageRequest{Digest: dsG, Direction: up, MaxNodes: MaxLineageNodes + 1}, ErrInvalidQuery, "", "", false},
		{"unknown dataset", &pb.QueryLineageRequest{Digest: dg(99), Direction: up}, ErrNotFound, "", "", false},
		{"bad digest", &pb.QueryLineageRequest{Digest: "G", Direction: up}, ErrInvalidDigest, "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := q.Lineage(ctx, c.req)
			wantErr(t, err, c.want)
			if c.want != nil {
				return
			}
			n, e := g.describe(resp.Nodes, resp.Edges)
			if n != c.nodes || e != c.edges || resp.Truncated != c.truncated {
				t.Fatalf("lineage = nodes %q edges %q truncated %v\nwant      nodes %q edges %q truncated %v", n, e, resp.Truncated, c.nodes, c.edges, c.truncated)
			}
		})
	}
}

func TestQueryRun(t *testing.T) {
	g := newGraph(t)
	q := k.Querier(g.st, blk)
	cases := []struct {
		name string
		id   string
		want *kit.Error
	}{
		{"found", g.r4, nil},
		{"unknown", strings.Repeat("0", 64), ErrNotFound},
		{"upper-case", strings.ToUpper(g.r4), ErrInvalidQuery},
		{"short", g.r4[:10], ErrInvalidQuery},
		{"empty", "", ErrInvalidQuery},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := q.Run(ctx, &pb.QueryRunRequest{Id: c.id})
			wantErr(t, err, c.want)
			if c.want != nil {
				return
			}
			stored, _ := k.Run(g.st, c.id)
			if !proto.Equal(resp.Run, stored) || resp.Run.Id != c.id || len(resp.Run.Inputs) != 2 || resp.Run.Outputs[0] != dsG {
				t.Fatalf("run = %v", resp.Run)
			}
		})
	}
}

func TestQueryRunsByDataset(t *testing.T) {
	g := newGraph(t)
	q := k.Querier(g.st, blk)
	runs := map[string]string{g.r1: "r1", g.r2: "r2", g.r3: "r3", g.r4: "r4"}
	ordered := func(a, b string) string { // run ids in key (= string) order
		if a > b {
			a, b = b, a
		}
		return runs[a] + " " + runs[b]
	}
	cases := []struct {
		name               string
		req                *pb.QueryRunsByDatasetRequest
		want               *kit.Error
		consumed, produced string
		truncated          bool
	}{
		{"consumed and produced", &pb.QueryRunsByDatasetRequest{Digest: dsD}, nil, "r2", "r1", false},
		{"consumed twice", &pb.QueryRunsByDatasetRequest{Digest: dsA}, nil, ordered(g.r1, g.r3), "", false},
		{"produced only", &pb.QueryRunsByDatasetRequest{Digest: dsG}, nil, "", "r4", false},
		{"limit across both lists", &pb.QueryRunsByDatasetRequest{Digest: dsD, Limit: 1}, nil, "r2", "", true},
		{"limit equals count", &pb.QueryRunsByDatasetRequest{Digest: dsD, Limit: 2}, nil, "r2", "r1", false},
		{"limit within the first list", &pb.QueryRunsByDatasetRequest{Digest: dsA, Limit: 1}, nil, runs[min(g.r1, g.r3)], "", true},
		{"no runs", &pb.QueryRunsByDatasetRequest{Digest: dsC}, nil, "", "", false},
		{"limit above maximum", &pb.QueryRunsByDatasetRequest{Digest: dsD, Limit: MaxPageLimit + 1}, ErrInvalidQuery, "", "", false},
		{"unknown dataset", &pb.QueryRunsByDatasetRequest{Digest: dg(99)}, ErrNotFound, "", "", false},
		{"bad digest", &pb.QueryRunsByDatasetRequest{Digest: "D"}, ErrInvalidDigest, "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := q.RunsByDataset(ctx, c.req)
			wantErr(t, err, c.want)
			if c.want != nil {
				return
			}
			names := func(rs []*pb.Run) string {
				var out []string
				for _, r := range rs {
					out = append(out, runs[r.Id])
				}
				return strings.Join(out, " ")
			}
			if names(resp.ConsumedBy) != c.consumed || names(resp.ProducedBy) != c.produced || resp.Truncated != c.truncated {
				t.Fatalf("runs = consumed %q produced %q truncated %v, want %q %q %v",
					names(resp.ConsumedBy), names(resp.ProducedBy), resp.Truncated, c.consumed, c.produced, c.truncated)
			}
		})
	}
}
