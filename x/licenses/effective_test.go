package licenses

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// summary renders an effective licence compactly:
//
//	permits: derivatives ai_training | attribution | truncated
//	commercial_use: base acme/base-grant NO_GRANT; tokenised acme/no-commercial FORBIDDEN
//	duties: extra cc-by-4.0 DUTY; cleaned cc-by-4.0 DUTY
//	visited: tuned base ...
//	licenses: ...
func summary(resp *pb.QueryEffectiveLicenseResponse) string {
	var b strings.Builder
	var permits []string
	for _, u := range uses {
		if u.allowed(resp.Usage) {
			permits = append(permits, u.name)
		}
	}
	b.WriteString("permits:")
	for _, p := range permits {
		b.WriteString(" " + p)
	}
	if resp.Usage.AttributionRequired {
		b.WriteString(" | attribution")
	}
	if resp.Truncated {
		b.WriteString(" | truncated")
	}
	b.WriteString("\n")
	for _, r := range resp.Restrictions {
		fmt.Fprintf(&b, "%s: %s\n", r.Use, causes(r.Causes))
	}
	fmt.Fprintf(&b, "duties: %s\n", causes(resp.Duties))
	var visited []string
	for _, s := range resp.Visited {
		visited = append(visited, nameOf(s))
	}
	fmt.Fprintf(&b, "visited: %s\n", strings.Join(visited, " "))
	fmt.Fprintf(&b, "licenses: %s", strings.Join(resp.Licenses, " "))
	return b.String()
}

func causes(cs []*pb.Cause) string {
	var parts []string
	for _, c := range cs {
		p := nameOf(c.Subject)
		if c.LicenseId != "" {
			p += " " + c.LicenseId
		}
		parts = append(parts, p+" "+strings.TrimPrefix(c.Kind.String(), "CAUSE_KIND_"))
	}
	return strings.Join(parts, "; ")
}

const (
	fullWalk     = "visited: tuned base tokenised extra cleaned raw\n"
	allLicenses  = "licenses: acme/base-grant acme/no-commercial acme/open cc-by-4.0"
	ccDuties     = "duties: extra cc-by-4.0 DUTY; cleaned cc-by-4.0 DUTY; raw cc-by-4.0 DUTY\n"
	noGrantOnAll = "permits: | attribution\n" +
		"commercial_use: base acme/base-grant NO_GRANT; tokenised acme/no-commercial FORBIDDEN\n" +
		"derivatives: base acme/base-grant NO_GRANT\n" +
		"redistribution: base acme/base-grant FORBIDDEN\n" +
		"ai_training: base acme/base-grant NO_GRANT\n" +
		ccDuties + fullWalk + allLicenses
)

func TestEffectiveLicense(t *testing.T) {
	cases := []struct {
		name     string
		setup    func(t *testing.T, f fixtureState)
		subject  *pb.Subject
		org      string
		blk      kit.Block
		maxNodes int
		want     string
	}{
		{
			name: "raw data: everything, with attribution", subject: raw, org: "beta",
			want: "permits: commercial_use derivatives redistribution ai_training | attribution\n" +
				"duties: raw cc-by-4.0 DUTY\nvisited: raw\nlicenses: cc-by-4.0",
		},
		{
			name: "cleaned inherits raw's terms", subject: cleaned,
			want: "permits: commercial_use derivatives redistribution ai_training | attribution\n" +
				"duties: cleaned cc-by-4.0 DUTY; raw cc-by-4.0 DUTY\nvisited: cleaned raw\nlicenses: cc-by-4.0",
		},
		{
			name: "tokenised forbids commercial use", subject: tokenised, org: "beta",
			want: "permits: derivatives redistribution ai_training | attribution\n" +
				"commercial_use: tokenised acme/no-commercial FORBIDDEN\n" +
				"duties: cleaned cc-by-4.0 DUTY; raw cc-by-4.0 DUTY\nvisited: tokenised cleaned raw\n" +
				"licenses: acme/no-commercial cc-by-4.0",
		},
		{
			name: "fine-tuned model, org with a grant", subject: tuned, org: "beta",
			setup: func(t *testing.T, f fixtureState) {
				f.grant(t, baseGrant("beta", usage(true, true, false, true, false)))
			},
			want: "permits: derivatives ai_training | attribution\n" +
				"commercial_use: tokenised acme/no-commercial FORBIDDEN\n" +
				"redistribution: base acme/base-grant FORBIDDEN\n" +
				ccDuties + fullWalk + allLicenses,
		},
		{
			name: "another org's grant does not count", subject: tuned, org: "gamma",
			setup: func(t *testing.T, f fixtureState) {
				f.grant(t, baseGrant("beta", usage(true, true, false, true, false)))
			},
			want: noGrantOnAll,
		},
		{
			name: "without an org a grant-required licence permits nothing", subject: tuned,
			setup: func(t *testing.T, f fixtureState) {
				f.grant(t, baseGrant("beta", usage(true, true, false, true, false)))
			},
			want: noGrantOnAll,
		},
		{
			name: "grants are united", subject: tuned, org: "beta",
			setup: func(t *testing.T, f fixtureState) {
				f.grant(t, baseGrant("beta", usage(false, true, false, false, false)))
				f.grant(t, baseGrant("beta", usage(false, false, false, true, false)))
			},
			want: "permits: derivatives ai_training | attribution\n" +
				"commercial_use: base acme/base-grant NO_GRANT; tokenised acme/no-commercial FORBIDDEN\n" +
				"redistribution: base acme/base-grant FORBIDDEN\n" +
				ccDuties + fullWalk + allLicenses,
		},
		{
			name: "revoked grant", subject: tuned, org: "beta",
			setup: func(t *testing.T, f fixtureState) {
				f.revoke(t, f.grant(t, baseGrant("beta", usage(true, true, false, true, false))))
			},
			want: noGrantOnAll,
		},
		{
			name: "revoked grant, another still active", subject: tuned, org: "beta",
			setup: func(t *testing.T, f fixtureState) {
				f.revoke(t, f.grant(t, baseGrant("beta", usage(true, true, false, true, false))))
				f.grant(t, baseGrant("beta", usage(false, true, false, false, false)))
			},
			want: "permits: derivatives | attribution\n" +
				"commercial_use: base acme/base-grant NO_GRANT; tokenised acme/no-commercial FORBIDDEN\n" +
				"redistribution: base acme/base-grant FORBIDDEN\n" +
				"ai_training: base acme/base-grant NO_GRANT\n" +
				ccDuties + fullWalk + allLicenses,
		},
		{
			name: "grant valid until its expiry time", subject: tuned, org: "beta", blk: at(50, 19),
			setup: func(t *testing.T, f fixtureState) {
				f.grant(t, baseGrant("beta", usage(true, true, false, true, false))) // expires at day 20
			},
			want: "permits: derivatives ai_training | attribution\n" +
				"commercial_use: tokenised acme/no-commercial FORBIDDEN\n" +
				"redistribution: base acme/base-grant FORBIDDEN\n" +
				ccDuties + fullWalk + allLicenses,
		},
		{
			name: "grant expired by time", subject: tuned, org: "beta", blk: at(50, 20),
			setup: func(t *testing.T, f fixtureState) {
				f.grant(t, baseGrant("beta", usage(true, true, false, true, false)))
			},
			want: noGrantOnAll,
		},
		{
			name: "grant expired by height", subject: tuned, org: "beta", blk: at(16, 1),
			setup: func(t *testing.T, f fixtureState) {
				msg := baseGrant("beta", usage(true, true, false, true, false))
				msg.ExpiryHeight = 15
				f.grant(t, msg)
			},
			want: noGrantOnAll,
		},
		{
			name: "grant-required licence expired by time", subject: tuned, org: "beta", blk: at(50, 30),
			setup: func(t *testing.T, f fixtureState) {
				f.grant(t, baseGrant("beta", usage(true, true, false, true, false)))
			},
			want: "permits: | attribution\n" +
				"commercial_use: base acme/base-grant EXPIRED; tokenised acme/no-commercial FORBIDDEN\n" +
				"derivatives: base acme/base-grant EXPIRED\n" +
				"redistribution: base acme/base-grant EXPIRED\n" +
				"ai_training: base acme/base-grant EXPIRED\n" +
				ccDuties + fullWalk + allLicenses,
		},
		{
			name: "fine-tuned licence valid at its expiry height", subject: tuned, org: "beta", blk: at(100, 1),
			setup: func(t *testing.T, f fixtureState) {
				f.grant(t, baseGrant("beta", usage(true, true, false, true, false)))
			},
			want: "permits: derivatives ai_training | attribution\n" +
				"commercial_use: tokenised acme/no-commercial FORBIDDEN\n" +
				"redistribution: base acme/base-grant FORBIDDEN\n" +
				ccDuties + fullWalk + allLicenses,
		},
		{
			name: "fine-tuned licence expired above its height", subject: tuned, org: "beta", blk: at(101, 1),
			setup: func(t *testing.T, f fixtureState) {
				f.grant(t, baseGrant("beta", usage(true, true, false, true, false)))
			},
			want: "permits: | attribution\n" +
				"commercial_use: tuned acme/open EXPIRED; tokenised acme/no-commercial FORBIDDEN\n" +
				"derivatives: tuned acme/open EXPIRED\n" +
				"redistribution: tuned acme/open EXPIRED; base acme/base-grant FORBIDDEN\n" +
				"ai_training: tuned acme/open EXPIRED\n" +
				ccDuties + fullWalk + allLicenses,
		},
		{
			name: "unknown licence", subject: tuned, org: "beta",
			setup: func(t *testing.T, f fixtureState) {
				f.grant(t, baseGrant("beta", usage(true, true, false, true, false)))
				f.prov.set(raw, []string{"cc-by-4.0", "ghost/licence"})
			},
			want: "permits: | attribution\n" +
				"commercial_use: tokenised acme/no-commercial FORBIDDEN; raw ghost/licence UNKNOWN_LICENSE\n" +
				"derivatives: raw ghost/licence UNKNOWN_LICENSE\n" +
				"redistribution: base acme/base-grant FORBIDDEN; raw ghost/licence UNKNOWN_LICENSE\n" +
				"ai_training: raw ghost/licence UNKNOWN_LICENSE\n" +
				ccDuties + fullWalk + allLicenses + " ghost/licence",
		},
		{
			name: "unlicensed record", subject: tuned, org: "beta",
			setup: func(t *testing.T, f fixtureState) {
				f.grant(t, baseGrant("beta", usage(true, true, false, true, false)))
				f.prov.set(extra, nil, cleaned)
			},
			want: "permits: | attribution\n" +
				"commercial_use: tokenised acme/no-commercial FORBIDDEN; extra UNLICENSED\n" +
				"derivatives: extra UNLICENSED\n" +
				"redistribution: base acme/base-grant FORBIDDEN; extra UNLICENSED\n" +
				"ai_training: extra UNLICENSED\n" +
				"duties: cleaned cc-by-4.0 DUTY; raw cc-by-4.0 DUTY\n" + fullWalk + allLicenses,
		},
		{
			name: "parent unknown to provenance counts as unlicensed", subject: cleaned,
			setup: func(t *testing.T, f fixtureState) {
				f.prov.set(cleaned, []string{"cc-by-4.0"}, raw, unregistered)
			},
			want: "permits: | attribution\n" +
				"commercial_use: unregistered UNLICENSED\n" +
				"derivatives: unregistered UNLICENSED\n" +
				"redistribution: unregistered UNLICENSED\n" +
				"ai_training: unregistered UNLICENSED\n" +
				"duties: cleaned cc-by-4.0 DUTY; raw cc-by-4.0 DUTY\nvisited: cleaned raw unregistered\nlicenses: cc-by-4.0",
		},
		{
			name: "licence listed twice on a record counts once", subject: raw,
			setup: func(t *testing.T, f fixtureState) {
				f.prov.set(raw, []string{"cc-by-4.0", "cc-by-4.0"})
			},
			want: "permits: commercial_use derivatives redistribution ai_training | attribution\n" +
				"duties: raw cc-by-4.0 DUTY\nvisited: raw\nlicenses: cc-by-4.0",
		},
		{
			name: "truncated walk permits nothing", subject: tuned, org: "beta", maxNodes: 3,
			setup: func(t *testing.T, f fixtureState) {
				f.grant(t, baseGrant("beta", usage(true, true, false, true, false)))
			},
			want: "permits: | truncated\n" +
				"commercial_use: tokenised acme/no-commercial FORBIDDEN; extra TRUNCATED\n" +
				"derivatives: extra TRUNCATED\n" +
				"redistribution: base acme/base-grant FORBIDDEN; extra TRUNCATED\n" +
				"ai_training: extra TRUNCATED\n" +
				"duties: \nvisited: tuned base tokenised\n" +
				"licenses: acme/base-grant acme/no-commercial acme/open",
		},
		{
			name: "walk limit exactly reached is not truncated", subject: tuned, org: "beta", maxNodes: 6,
			setup: func(t *testing.T, f fixtureState) {
				f.grant(t, baseGrant("beta", usage(true, true, false, true, false)))
			},
			want: "permits: derivatives ai_training | attribution\n" +
				"commercial_use: tokenised acme/no-commercial FORBIDDEN\n" +
				"redistribution: base acme/base-grant FORBIDDEN\n" +
				ccDuties + fullWalk + allLicenses,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := fixture(t)
			if c.setup != nil {
				c.setup(t, f)
			}
			blk := c.blk
			if blk == (kit.Block{}) {
				blk = at(11, 1)
			}
			maxNodes := c.maxNodes
			if maxNodes == 0 {
				maxNodes = DefaultMaxNodes
			}
			resp, err := f.k.EffectiveLicense(f.st, blk, c.subject, c.org, maxNodes)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(resp); got != c.want {
				t.Fatalf("got:\n%s\n\nwant:\n%s", got, c.want)
			}
			// A pure function: the same inputs give the same answer, and
			// the state is untouched.
			snap := f.st.Snapshot()
			again, _ := f.k.EffectiveLicense(f.st, blk, c.subject, c.org, maxNodes)
			if summary(again) != summary(resp) {
				t.Fatal("second evaluation differs")
			}
			if !mapsEqual(snap, f.st.Snapshot()) {
				t.Fatal("evaluation wrote state")
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestEffectiveLicenseRejections(t *testing.T) {
	f := fixture(t)
	cases := []struct {
		name     string
		subject  *pb.Subject
		org      string
		maxNodes int
		want     *kit.Error
	}{
		{"missing subject", nil, "", 10, ErrInvalidField},
		{"bad digest", DatasetSubject("sha256:zz"), "", 10, ErrInvalidDigest},
		{"bad org", raw, "Beta", 10, ErrInvalidField},
		{"no nodes", raw, "", 0, ErrInvalidQuery},
		{"unregistered subject", unregistered, "", 10, ErrUnknownSubject},
	}
	for _, c := range cases {
		if _, err := f.k.EffectiveLicense(f.st, blk0, c.subject, c.org, c.maxNodes); !errors.Is(err, c.want) {
			t.Errorf("%s: error = %v, want %v", c.name, err, c.want)
		}
	}
}

// The walk visits each record once, so a wide diamond-shaped lineage
// costs one provenance read per record.
func TestEffectiveLicenseVisitsEachRecordOnce(t *testing.T) {
	f := fixture(t)
	var layer []*pb.Subject
	for i := range 20 {
		s := DatasetSubject(fmt.Sprintf("sha256:%064x", i+1000))
		f.prov.set(s, []string{"cc-by-4.0"}, raw, cleaned)
		layer = append(layer, s)
	}
	top := ModelSubject("acme/wide@1")
	f.prov.set(top, []string{"acme/open"}, layer...)
	f.prov.calls = 0
	resp, err := f.k.EffectiveLicense(f.st, blk0, top, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	// top, 20 layer datasets, raw, cleaned.
	if len(resp.Visited) != 23 || f.prov.calls != 23 {
		t.Fatalf("visited %d records with %d provenance reads, want 23", len(resp.Visited), f.prov.calls)
	}
	if nameOf(resp.Visited[21]) != "raw" || nameOf(resp.Visited[22]) != "cleaned" {
		t.Fatalf("visit order ends with %s %s", nameOf(resp.Visited[21]), nameOf(resp.Visited[22]))
	}
	if !slices.Equal(resp.Licenses, []string{"acme/open", "cc-by-4.0"}) || len(resp.Duties) != 22 {
		t.Fatalf("licenses %v, %d duties", resp.Licenses, len(resp.Duties))
	}
}
