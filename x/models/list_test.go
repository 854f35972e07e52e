package models

import (
	"slices"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// listFixture adds versions of several names, organisations and licences
// to the fixture's acme/base@1.0 and acme/old@1.0.
func listFixture(t *testing.T) *fixture {
	f := newFixture(t)
	for _, m := range []struct {
		s       kit.Signer
		ref     string
		license []string
	}{
		{alice, "acme/bot@1.0", []string{"acme/open"}},
		{alice, "acme/bot@2.0", []string{"acme/open", "acme/research"}},
		{bob, "beta/bot@1", []string{"acme/research"}},
		{alice, "acme/botanist@1", nil},
		{bob, "solo@1", []string{"acme/open"}},
		{alice, "acme/b@1", nil},
	} {
		name, version, _ := strings.Cut(m.ref, "@")
		f.register(t, m.s, &pb.ModelSpec{Name: name, Version: version, ManifestDigest: dg(300 + len(f.st.Snapshot())), LicenseIds: m.license})
	}
	return f
}

func TestQueryModels(t *testing.T) {
	f := listFixture(t)
	q := f.k.Querier(f.st, blk)
	// Key order: shorter names first, then by name, versions likewise.
	everything := []string{"solo@1", "acme/b@1", "acme/bot@1.0", "acme/bot@2.0", "acme/old@1.0", "beta/bot@1", "acme/base@1.0", "acme/botanist@1"}
	cases := []struct {
		name    string
		req     *pb.QueryModelsRequest
		want    *kit.Error
		refs    []string
		next    string
		scanned uint32
		bounded bool
	}{
		{"everything", &pb.QueryModelsRequest{}, nil, everything, "", 8, false},
		{"a namespace", &pb.QueryModelsRequest{Namespace: "acme"}, nil,
			[]string{"acme/b@1", "acme/bot@1.0", "acme/bot@2.0", "acme/old@1.0", "acme/base@1.0", "acme/botanist@1"}, "", 6, false},
		{"a namespace and a prefix of the rest", &pb.QueryModelsRequest{Namespace: "acme", Prefix: "bot"}, nil,
			[]string{"acme/bot@1.0", "acme/bot@2.0", "acme/botanist@1"}, "", 3, false},
		{"a prefix across namespaces", &pb.QueryModelsRequest{Prefix: "b"}, nil, []string{"beta/bot@1"}, "", 1, false},
		{"a prefix that is a whole name", &pb.QueryModelsRequest{Prefix: "solo"}, nil, []string{"solo@1"}, "", 1, false},
		{"a namespace without models", &pb.QueryModelsRequest{Namespace: "gamma"}, nil, nil, "", 0, false},
		{"by organisation", &pb.QueryModelsRequest{Org: "beta"}, nil, []string{"solo@1", "beta/bot@1"}, "", 8, false},
		{"by licence", &pb.QueryModelsRequest{LicenseId: "acme/research"}, nil, []string{"acme/bot@2.0", "beta/bot@1"}, "", 8, false},
		{"by organisation and licence", &pb.QueryModelsRequest{Org: "alice-org", LicenseId: "acme/open"}, nil, nil, "", 8, false},
		{"every filter", &pb.QueryModelsRequest{Namespace: "acme", Prefix: "bot", Org: "acme", LicenseId: "acme/open"}, nil,
			[]string{"acme/bot@1.0", "acme/bot@2.0"}, "", 3, false},

		{"first page", &pb.QueryModelsRequest{Limit: 3}, nil, everything[:3], "acme/bot@1.0", 3, false},
		{"a middle page", &pb.QueryModelsRequest{Limit: 3, StartAfter: "acme/bot@1.0"}, nil, everything[3:6], "beta/bot@1", 3, false},
		{"the last page, exactly full", &pb.QueryModelsRequest{Limit: 2, StartAfter: "beta/bot@1"}, nil, everything[6:], "", 2, false},
		{"after the last version", &pb.QueryModelsRequest{StartAfter: "acme/botanist@1"}, nil, nil, "", 0, false},
		{"after a version never registered", &pb.QueryModelsRequest{StartAfter: "acme/bot@1.5"}, nil, everything[3:], "", 5, false},
		{"a page of a namespace", &pb.QueryModelsRequest{Namespace: "acme", Limit: 1, StartAfter: "acme/b@1"}, nil, []string{"acme/bot@1.0"}, "acme/bot@1.0", 1, false},

		{"the scan bound stops a filtered page", &pb.QueryModelsRequest{Org: "beta", MaxScan: 2}, nil, []string{"solo@1"}, "acme/b@1", 2, true},
		{"resumed, nothing in the next two", &pb.QueryModelsRequest{Org: "beta", MaxScan: 2, StartAfter: "acme/b@1"}, nil, nil, "acme/bot@2.0", 2, true},
		{"resumed again, it finds the next", &pb.QueryModelsRequest{Org: "beta", MaxScan: 2, StartAfter: "acme/bot@2.0"}, nil, []string{"beta/bot@1"}, "beta/bot@1", 2, true},
		{"resumed to the end, nothing more", &pb.QueryModelsRequest{Org: "beta", MaxScan: 4, StartAfter: "beta/bot@1"}, nil, nil, "", 2, false},
		{"the bound at the maximum", &pb.QueryModelsRequest{MaxScan: MaxScan}, nil, everything, "", 8, false},

		{"namespace with a slash", &pb.QueryModelsRequest{Namespace: "acme/bot"}, ErrInvalidQuery, nil, "", 0, false},
		{"namespace malformed", &pb.QueryModelsRequest{Namespace: "-acme"}, ErrInvalidQuery, nil, "", 0, false},
		{"prefix with @", &pb.QueryModelsRequest{Prefix: "acme/bot@1"}, ErrInvalidQuery, nil, "", 0, false},
		{"prefix too long", &pb.QueryModelsRequest{Namespace: "acme", Prefix: strings.Repeat("a", MaxNameLen-4)}, ErrInvalidQuery, nil, "", 0, false},
		{"organisation malformed", &pb.QueryModelsRequest{Org: "Beta"}, ErrInvalidQuery, nil, "", 0, false},
		{"licence malformed", &pb.QueryModelsRequest{LicenseId: "Acme/Open"}, ErrInvalidQuery, nil, "", 0, false},
		{"cursor not a reference", &pb.QueryModelsRequest{StartAfter: "acme/bot"}, ErrInvalidQuery, nil, "", 0, false},
		{"limit above maximum", &pb.QueryModelsRequest{Limit: MaxPageLimit + 1}, ErrInvalidQuery, nil, "", 0, false},
		{"scan bound above maximum", &pb.QueryModelsRequest{MaxScan: MaxScan + 1}, ErrInvalidQuery, nil, "", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := q.Models(ctx, c.req)
			check(t, err, c.want)
			if c.want != nil {
				return
			}
			if got := refsOf(resp.Models); !slices.Equal(got, c.refs) && !(len(got) == 0 && len(c.refs) == 0) {
				t.Errorf("models %q, want %q", got, c.refs)
			}
			if resp.NextStartAfter != c.next || resp.Scanned != c.scanned || resp.ScanBoundReached != c.bounded {
				t.Errorf("next %q scanned %d bounded %v, want %q %d %v", resp.NextStartAfter, resp.Scanned, resp.ScanBoundReached, c.next, c.scanned, c.bounded)
			}
		})
	}
}

// TestQueryModelsPages: following next_start_after with a filter and a
// small scan bound reaches every match once and ends.
func TestQueryModelsPages(t *testing.T) {
	f := listFixture(t)
	q := f.k.Querier(f.st, blk)
	var got []string
	req := &pb.QueryModelsRequest{Org: "acme", Limit: 2, MaxScan: 3}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("no end after 10 pages")
		}
		resp, err := q.Models(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Models) > 2 || resp.Scanned > 3 {
			t.Fatalf("page of %d models after %d scanned: over the bounds", len(resp.Models), resp.Scanned)
		}
		got = append(got, refsOf(resp.Models)...)
		if resp.NextStartAfter == "" {
			break
		}
		req.StartAfter = resp.NextStartAfter
	}
	want := []string{"acme/b@1", "acme/bot@1.0", "acme/bot@2.0", "acme/old@1.0", "acme/base@1.0", "acme/botanist@1"}
	if !slices.Equal(got, want) {
		t.Fatalf("pages hold %q, want %q", got, want)
	}
}
