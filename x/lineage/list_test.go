package lineage

import (
	"slices"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/kittest"
	pb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// Datasets the listing tests add to the fixture's.
var (
	dsWeb2    = dg(10) // corpora/web@2, alpha, cc-by-4.0
	dsWebtext = dg(11) // corpora/webtext@1, beta, cc-by-4.0
	dsAWeb    = dg(12) // a/web@1, zz, no licence
)

func listFixture(t *testing.T) *kittest.MemStore {
	st := fixture(t)
	mustRegister(t, st, alice, spec(dsWeb2, "corpora", "web", "2", "cc-by-4.0"))
	mustRegister(t, st, bob, spec(dsWebtext, "corpora", "webtext", "1", "cc-by-4.0"))
	mustRegister(t, st, zed, spec(dsAWeb, "a", "web", "1"))
	return st
}

func labels(ds []*pb.Dataset) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Spec.Namespace+"/"+d.Spec.Name+"@"+d.Spec.Version)
	}
	return out
}

func TestQueryDatasets(t *testing.T) {
	st := listFixture(t)
	q := k.Querier(st, blk)
	// The name index's order: namespace, name, version, each shorter first.
	everything := []string{"a/web@1", "corpora/web@1", "corpora/web@2", "corpora/books@1", "corpora/webtext@1", "beta-data/forum@1"}
	cases := []struct {
		name    string
		req     *pb.QueryDatasetsRequest
		want    *kit.Error
		labels  []string
		next    string
		scanned uint32
		bounded bool
	}{
		{"everything", &pb.QueryDatasetsRequest{}, nil, everything, "", 6, false},
		{"a namespace", &pb.QueryDatasetsRequest{Namespace: "corpora"}, nil, everything[1:5], "", 4, false},
		{"a namespace and a name prefix", &pb.QueryDatasetsRequest{Namespace: "corpora", Prefix: "web"}, nil,
			[]string{"corpora/web@1", "corpora/web@2", "corpora/webtext@1"}, "", 3, false},
		{"a name prefix across namespaces examines them all", &pb.QueryDatasetsRequest{Prefix: "web"}, nil,
			[]string{"a/web@1", "corpora/web@1", "corpora/web@2", "corpora/webtext@1"}, "", 6, false},
		{"a namespace that is another's prefix", &pb.QueryDatasetsRequest{Namespace: "corp"}, nil, nil, "", 0, false},
		{"by organisation", &pb.QueryDatasetsRequest{Org: "beta"}, nil, []string{"corpora/webtext@1", "beta-data/forum@1"}, "", 6, false},
		{"by licence", &pb.QueryDatasetsRequest{LicenseId: "cc-by-4.0"}, nil,
			[]string{"corpora/web@1", "corpora/web@2", "corpora/webtext@1"}, "", 6, false},
		{"every filter", &pb.QueryDatasetsRequest{Namespace: "corpora", Prefix: "web", Org: "alpha", LicenseId: "cc-by-4.0"}, nil,
			[]string{"corpora/web@1", "corpora/web@2"}, "", 3, false},

		{"first page", &pb.QueryDatasetsRequest{Limit: 2}, nil, everything[:2], dsA, 2, false},
		{"next page", &pb.QueryDatasetsRequest{Limit: 2, StartAfter: dsA}, nil, everything[2:4], dsB, 2, false},
		{"last page, exactly full", &pb.QueryDatasetsRequest{Limit: 2, StartAfter: dsB}, nil, everything[4:], "", 2, false},
		{"a namespace's page after a cursor before it", &pb.QueryDatasetsRequest{Namespace: "corpora", StartAfter: dsAWeb, Limit: 1}, nil,
			[]string{"corpora/web@1"}, dsA, 1, false},
		{"a namespace after its last dataset", &pb.QueryDatasetsRequest{Namespace: "corpora", StartAfter: dsWebtext}, nil, nil, "", 0, false},

		{"the scan bound stops a filtered page", &pb.QueryDatasetsRequest{Org: "beta", MaxScan: 3}, nil, nil, dsWeb2, 3, true},
		{"resumed, the bound again, a match", &pb.QueryDatasetsRequest{Org: "beta", MaxScan: 2, StartAfter: dsWeb2}, nil,
			[]string{"corpora/webtext@1"}, dsWebtext, 2, true},
		{"resumed to the end", &pb.QueryDatasetsRequest{Org: "beta", MaxScan: 2, StartAfter: dsWebtext}, nil,
			[]string{"beta-data/forum@1"}, "", 1, false},

		{"namespace malformed", &pb.QueryDatasetsRequest{Namespace: "corpora/"}, ErrInvalidQuery, nil, "", 0, false},
		{"prefix with @", &pb.QueryDatasetsRequest{Prefix: "web@1"}, ErrInvalidQuery, nil, "", 0, false},
		{"prefix too long", &pb.QueryDatasetsRequest{Prefix: strings.Repeat("w", MaxNameLen+1)}, ErrInvalidQuery, nil, "", 0, false},
		{"organisation malformed", &pb.QueryDatasetsRequest{Org: "b"}, ErrInvalidQuery, nil, "", 0, false},
		{"licence malformed", &pb.QueryDatasetsRequest{LicenseId: "CC"}, ErrInvalidQuery, nil, "", 0, false},
		{"cursor not a digest", &pb.QueryDatasetsRequest{StartAfter: "corpora/web@1"}, ErrInvalidQuery, nil, "", 0, false},
		{"cursor not registered", &pb.QueryDatasetsRequest{StartAfter: dsD}, ErrInvalidQuery, nil, "", 0, false},
		{"limit above maximum", &pb.QueryDatasetsRequest{Limit: MaxPageLimit + 1}, ErrInvalidQuery, nil, "", 0, false},
		{"scan bound above maximum", &pb.QueryDatasetsRequest{MaxScan: MaxScan + 1}, ErrInvalidQuery, nil, "", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := q.Datasets(ctx, c.req)
			wantErr(t, err, c.want)
			if c.want != nil {
				if _, _, coded := kit.CodeOf(err); !coded {
					t.Fatalf("error %v carries no code", err)
				}
				return
			}
			if got := labels(resp.Datasets); !slices.Equal(got, c.labels) {
				t.Errorf("datasets %q, want %q", got, c.labels)
			}
			if resp.NextStartAfter != c.next || resp.Scanned != c.scanned || resp.ScanBoundReached != c.bounded {
				t.Errorf("next %q scanned %d bounded %v, want %q %d %v", resp.NextStartAfter, resp.Scanned, resp.ScanBoundReached, c.next, c.scanned, c.bounded)
			}
		})
	}
}
