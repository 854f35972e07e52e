package licenses

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

var ctx = context.Background()

func TestQueryLicense(t *testing.T) {
	f := fixture(t)
	cases := []struct {
		name        string
		id          string
		blk         kit.Block
		want        *kit.Error
		wantExpired bool
	}{
		{"defined", "acme/short", at(20, 0), nil, false},
		{"expired at the queried block", "acme/short", at(21, 0), nil, true},
		{"expired by time", "acme/base-grant", at(11, 30), nil, true},
		{"not found", "acme/ghost", blk0, ErrNotFound, false},
		{"malformed id", "ACME", blk0, ErrInvalidQuery, false},
		{"empty id", "", blk0, ErrInvalidQuery, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := f.k.Querier(f.st, c.blk).License(ctx, &pb.QueryLicenseRequest{Id: c.id})
			if c.want != nil {
				if !errors.Is(err, c.want) {
					t.Fatalf("error = %v, want %v", err, c.want)
				}
				return
			}
			if err != nil || resp.License.Spec.Id != c.id || resp.License.LicensorOrg != "acme" || resp.Expired != c.wantExpired {
				t.Fatalf("resp = %v, %v", resp, err)
			}
		})
	}
}

func TestQueryLicenses(t *testing.T) {
	f := fixture(t)
	// Key order: shorter ids first, then bytewise.
	all := []string{"acme/open", "cc-by-4.0", "acme/short", "acme/base-grant", "acme/no-commercial"}
	cases := []struct {
		name       string
		req        *pb.QueryLicensesRequest
		want       []string
		wantNext   string
		wantErrKit *kit.Error
	}{
		{"all by default", &pb.QueryLicensesRequest{}, all, "", nil},
		{"first page", &pb.QueryLicensesRequest{Limit: 2}, all[:2], "cc-by-4.0", nil},
		{"second page", &pb.QueryLicensesRequest{Limit: 2, StartAfter: "cc-by-4.0"}, all[2:4], "acme/base-grant", nil},
		{"last page", &pb.QueryLicensesRequest{Limit: 2, StartAfter: "acme/base-grant"}, all[4:], "", nil},
		{"exact fit has no next page", &pb.QueryLicensesRequest{Limit: 5}, all, "", nil},
		{"after an id that is not defined", &pb.QueryLicensesRequest{StartAfter: "acme/openz"}, all[2:], "", nil},
		{"maximum limit", &pb.QueryLicensesRequest{Limit: MaxPageLimit}, all, "", nil},
		{"limit above maximum", &pb.QueryLicensesRequest{Limit: MaxPageLimit + 1}, nil, "", ErrInvalidQuery},
		{"malformed start_after", &pb.QueryLicensesRequest{StartAfter: "Bad Id"}, nil, "", ErrInvalidQuery},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := f.k.Querier(f.st, blk0).Licenses(ctx, c.req)
			if c.wantErrKit != nil {
				if !errors.Is(err, c.wantErrKit) {
					t.Fatalf("error = %v, want %v", err, c.wantErrKit)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range resp.Licenses {
				got = append(got, l.Spec.Id)
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") || resp.NextStartAfter != c.wantNext {
				t.Fatalf("got %v next %q, want %v next %q", got, resp.NextStartAfter, c.want, c.wantNext)
			}
		})
	}
}

func TestQueryGrant(t *testing.T) {
	f := fixture(t)
	f.grant(t, baseGrant("beta", usage(true, false, false, false, false))) // grant-1, expires at day 20
	f.grant(t, baseGrant("gamma", &pb.Usage{}))                            // grant-2, revoked
	f.revoke(t, "grant-2")
	short := &pb.MsgGrantLicense{LicenseId: "acme/short", LicenseeOrg: "beta", Subject: shortDS, Usage: &pb.Usage{}, ExpiryHeight: 20}
	f.grant(t, short) // grant-3, under a licence expiring after height 20
	cases := []struct {
		name        string
		id          string
		blk         kit.Block
		want        *kit.Error
		wantActive  bool
		wantRevoked bool
	}{
		{"active", "grant-1", at(11, 1), nil, true, false},
		{"expired", "grant-1", at(11, 20), nil, false, false},
		{"revoked", "grant-2", at(11, 1), nil, false, true},
		{"active at its licence's last height", "grant-3", at(20, 1), nil, true, false},
		{"licence expired", "grant-3", at(21, 1), nil, false, false},
		{"not found", "grant-4", blk0, ErrNotFound, false, false},
		{"malformed", "grant-x", blk0, ErrInvalidQuery, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := f.k.Querier(f.st, c.blk).Grant(ctx, &pb.QueryGrantRequest{Id: c.id})
			if c.want != nil {
				if !errors.Is(err, c.want) {
					t.Fatalf("error = %v, want %v", err, c.want)
				}
				return
			}
			if err != nil || resp.Grant.Id != c.id || resp.Active != c.wantActive || (resp.Revocation != nil) != c.wantRevoked {
				t.Fatalf("resp = %v, %v", resp, err)
			}
			if c.wantRevoked && (resp.Revocation.GrantId != c.id || resp.Revocation.Reason != "terminated") {
				t.Fatalf("revocation = %v", resp.Revocation)
			}
		})
	}
}

func TestQueryGrants(t *testing.T) {
	f := fixture(t)
	f.grant(t, baseGrant("gamma", &pb.Usage{}))                                                                                   // grant-1
	f.grant(t, baseGrant("beta", usage(true, false, false, false, false)))                                                        // grant-2
	f.grant(t, baseGrant("beta", &pb.Usage{}))                                                                                    // grant-3
	f.grant(t, &pb.MsgGrantLicense{LicenseId: "acme/no-commercial", LicenseeOrg: "beta", Subject: tokenised, Usage: &pb.Usage{}}) // grant-4
	f.revoke(t, "grant-3")
	cases := []struct {
		name string
		req  *pb.QueryGrantsRequest
		want string // id:active, in order
		err  *kit.Error
	}{
		{"all on a subject, by licensee", &pb.QueryGrantsRequest{Subject: base}, "grant-2:true grant-3:false grant-1:true", nil},
		{"one licensee", &pb.QueryGrantsRequest{Subject: base, LicenseeOrg: "beta"}, "grant-2:true grant-3:false", nil},
		{"licensee with none", &pb.QueryGrantsRequest{Subject: base, LicenseeOrg: "delta"}, "", nil},
		{"another subject", &pb.QueryGrantsRequest{Subject: tokenised}, "grant-4:true", nil},
		{"unregistered subject", &pb.QueryGrantsRequest{Subject: unregistered}, "", nil},
		{"missing subject", &pb.QueryGrantsRequest{}, "", ErrInvalidQuery},
		{"bad subject", &pb.QueryGrantsRequest{Subject: ModelSubject("no-version")}, "", ErrInvalidQuery},
		{"bad licensee", &pb.QueryGrantsRequest{Subject: base, LicenseeOrg: "-x"}, "", ErrInvalidQuery},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := f.k.Querier(f.st, at(11, 1)).Grants(ctx, c.req)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("error = %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, g := range resp.Grants {
				got = append(got, fmt.Sprintf("%s:%v", g.Grant.Id, g.Active))
				if (g.Revocation != nil) == g.Active {
					t.Fatalf("%s: revocation %v with active %v", g.Grant.Id, g.Revocation, g.Active)
				}
			}
			if strings.Join(got, " ") != c.want {
				t.Fatalf("got %q, want %q", strings.Join(got, " "), c.want)
			}
		})
	}
}

func TestQueryGrantsIsBounded(t *testing.T) {
	f := fixture(t)
	for range MaxGrantsPerQuery + 1 {
		if _, err := f.k.GrantLicense(f.k.own(f.st), f.st, blk0, acme, baseGrant("beta", &pb.Usage{})); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := f.k.Querier(f.st, blk0).Grants(ctx, &pb.QueryGrantsRequest{Subject: base})
	if err != nil || len(resp.Grants) != MaxGrantsPerQuery || !resp.Truncated || resp.Grants[0].Grant.Id != "grant-1" {
		t.Fatalf("got %d grants, %v", len(resp.GetGrants()), err)
	}
}

func TestQueryEffectiveLicense(t *testing.T) {
	f := fixture(t)
	f.grant(t, baseGrant("beta", usage(true, true, false, true, false)))
	cases := []struct {
		name string
		req  *pb.QueryEffectiveLicenseRequest
		want string // permitted uses, or the error
		err  *kit.Error
	}{
		{"with org", &pb.QueryEffectiveLicenseRequest{Subject: tuned, Org: "beta"}, "derivatives ai_training truncated=false", nil},
		{"without org", &pb.QueryEffectiveLicenseRequest{Subject: tuned}, " truncated=false", nil},
		{"node limit", &pb.QueryEffectiveLicenseRequest{Subject: tuned, Org: "beta", MaxNodes: 2}, " truncated=true", nil},
		{"maximum node limit", &pb.QueryEffectiveLicenseRequest{Subject: raw, MaxNodes: MaxMaxNodes}, "commercial_use derivatives redistribution ai_training truncated=false", nil},
		{"node limit above maximum", &pb.QueryEffectiveLicenseRequest{Subject: tuned, MaxNodes: MaxMaxNodes + 1}, "", ErrInvalidQuery},
		{"missing subject", &pb.QueryEffectiveLicenseRequest{}, "", ErrInvalidQuery},
		{"bad subject", &pb.QueryEffectiveLicenseRequest{Subject: DatasetSubject("sha256:1")}, "", ErrInvalidQuery},
		{"bad org", &pb.QueryEffectiveLicenseRequest{Subject: tuned, Org: "BETA"}, "", ErrInvalidQuery},
		{"unregistered subject", &pb.QueryEffectiveLicenseRequest{Subject: unregistered}, "", ErrUnknownSubject},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := f.k.Querier(f.st, at(11, 1)).EffectiveLicense(ctx, c.req)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("error = %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var permits []string
			for _, u := range uses {
				if u.allowed(resp.Usage) {
					permits = append(permits, u.name)
				}
			}
			if got := fmt.Sprintf("%s truncated=%v", strings.Join(permits, " "), resp.Truncated); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}
