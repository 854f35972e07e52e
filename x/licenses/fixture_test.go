package licenses

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/kittest"
	pb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// t0 is the time of blk0, the block the fixtures are written in.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var blk0 = kit.Block{ChainID: "test-chain", Height: 10, Time: t0}

// at is the block at height h, days days after t0.
func at(h int64, days int) kit.Block {
	return kit.Block{ChainID: "test-chain", Height: h, Time: t0.Add(time.Duration(days) * 24 * time.Hour)}
}

func ts(days int) *timestamppb.Timestamp {
	return timestamppb.New(t0.Add(time.Duration(days) * 24 * time.Hour))
}

// Signers: acme and creative are licensors; globex is a licensor too, but
// of nothing in the fixtures.
var (
	acme     = kit.Signer{Address: "ll1acme", OrgID: "acme"}
	creative = kit.Signer{Address: "ll1creative", OrgID: "creative"}
	globex   = kit.Signer{Address: "ll1globex", OrgID: "globex"}
)

func hexDigest(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }

// The lineage of the fixtures, upstream last:
//
//	tuned (model, acme/open)
//	  └ base (model, acme/base-grant: needs a grant, no redistribution)
//	      ├ tokenised (dataset, acme/no-commercial)
//	      │   └ cleaned (dataset, cc-by-4.0)
//	      │       └ raw (dataset, cc-by-4.0)
//	      └ extra (dataset, cc-by-4.0)
//	          └ cleaned (again: visited once)
var (
	raw       = DatasetSubject(hexDigest('a'))
	cleaned   = DatasetSubject(hexDigest('b'))
	tokenised = DatasetSubject(hexDigest('c'))
	extra     = DatasetSubject(hexDigest('d'))
	base      = ModelSubject("acme/base@1.0")
	tuned     = ModelSubject("acme/tuned@1.0")
	// shortDS is offered under acme/short, which expires after height 20.
	shortDS = DatasetSubject(hexDigest('e'))
	// unregistered is known to nobody.
	unregistered = DatasetSubject(hexDigest('f'))
)

// names are the short names tests print subjects by.
var names = map[string]string{
	SubjectKey(raw): "raw", SubjectKey(cleaned): "cleaned", SubjectKey(tokenised): "tokenised",
	SubjectKey(extra): "extra", SubjectKey(base): "base", SubjectKey(tuned): "tuned",
	SubjectKey(shortDS): "short", SubjectKey(unregistered): "unregistered",
}

func nameOf(s *pb.Subject) string {
	if n, ok := names[SubjectKey(s)]; ok {
		return n
	}
	return SubjectKey(s)
}

// fakeProv is a lineage graph in memory.
type fakeProv struct {
	records map[string]fakeRecord
	calls   int
}

type fakeRecord struct {
	licenseIDs []string
	parents    []*pb.Subject
}

func (f *fakeProv) Record(_ kit.Reader, s *pb.Subject) ([]string, []*pb.Subject, bool) {
	f.calls++
	rec, ok := f.records[SubjectKey(s)]
	return rec.licenseIDs, rec.parents, ok
}

func (f *fakeProv) set(s *pb.Subject, licenseIDs []string, parents ...*pb.Subject) {
	f.records[SubjectKey(s)] = fakeRecord{licenseIDs: licenseIDs, parents: parents}
}

func newProv() *fakeProv {
	p := &fakeProv{records: map[string]fakeRecord{}}
	p.set(raw, []string{"cc-by-4.0"})
	p.set(cleaned, []string{"cc-by-4.0"}, raw)
	p.set(tokenised, []string{"acme/no-commercial"}, cleaned)
	p.set(extra, []string{"cc-by-4.0"}, cleaned)
	p.set(base, []string{"acme/base-grant"}, tokenised, extra)
	p.set(tuned, []string{"acme/open"}, base)
	p.set(shortDS, []string{"acme/short"})
	return p
}

func usage(commercial, derivatives, redistribution, aiTraining, attribution bool) *pb.Usage {
	return &pb.Usage{CommercialUse: commercial, Derivatives: derivatives, Redistribution: redistribution, AiTraining: aiTraining, AttributionRequired: attribution}
}

// fixtureLicenses are defined in blk0 by fixture.
var fixtureLicenses = []struct {
	signer kit.Signer
	spec   *pb.LicenseSpec
}{
	{creative, &pb.LicenseSpec{Id: "cc-by-4.0", SpdxId: "CC-BY-4.0", Usage: usage(true, true, true, true, true)}},
	{acme, &pb.LicenseSpec{Id: "acme/no-commercial", TermsDigest: hexDigest('1'), Usage: usage(false, true, true, true, false)}},
	{acme, &pb.LicenseSpec{Id: "acme/base-grant", SpdxId: "LicenseRef-acme-base", Usage: usage(true, true, false, true, false), GrantRequired: true, ExpiryTime: ts(30)}},
	{acme, &pb.LicenseSpec{Id: "acme/open", SpdxId: "Apache-2.0 OR MIT", Usage: usage(true, true, true, true, false), ExpiryHeight: 100}},
	{acme, &pb.LicenseSpec{Id: "acme/short", SpdxId: "MIT", Usage: usage(true, true, true, true, false), ExpiryHeight: 20}},
}

// memberOrgs are the organisations of the test consortium.
var memberOrgs = fakeOrgs{"acme": true, "beta": true, "gamma": true}

type fakeOrgs map[string]bool

func (o fakeOrgs) OrgExists(_ kit.Reader, id string) bool { return o[id] }

type fixtureState struct {
	k    Keeper
	st   *kittest.MemStore
	prov *fakeProv
}

// fixture defines fixtureLicenses over the lineage of newProv.
func fixture(t *testing.T) fixtureState {
	t.Helper()
	prov := newProv()
	f := fixtureState{k: NewKeeper(0x07, prov, memberOrgs), st: kittest.NewMemStore(), prov: prov}
	for _, l := range fixtureLicenses {
		if _, err := f.k.DefineLicense(f.k.own(f.st), f.st, blk0, l.signer, &pb.MsgDefineLicense{License: l.spec}); err != nil {
			t.Fatalf("define %s: %v", l.spec.Id, err)
		}
	}
	return f
}

// grant runs GrantLicense as acme in blk0 and returns the grant id.
func (f fixtureState) grant(t *testing.T, msg *pb.MsgGrantLicense) string {
	t.Helper()
	events, err := f.k.GrantLicense(f.k.own(f.st), f.st, blk0, acme, msg)
	if err != nil {
		t.Fatalf("grant: %v", err)
	}
	return attr(events[0], "grant_id")
}

func (f fixtureState) revoke(t *testing.T, id string) {
	t.Helper()
	if _, err := f.k.RevokeGrant(f.k.own(f.st), f.st, blk0, acme, &pb.MsgRevokeGrant{GrantId: id, Reason: "terminated"}); err != nil {
		t.Fatalf("revoke %s: %v", id, err)
	}
}

// baseGrant is a valid grant to org on the base model.
func baseGrant(org string, u *pb.Usage) *pb.MsgGrantLicense {
	return &pb.MsgGrantLicense{LicenseId: "acme/base-grant", LicenseeOrg: org, Subject: base, Usage: u, ExpiryTime: ts(20)}
}

func attr(ev kit.Event, key string) string {
	for _, a := range ev.Attributes {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// run calls a handler and checks its error. (The application discards the
// writes of a failing handler, so they are not checked here.)
func run(t *testing.T, want *kit.Error, fn func() ([]kit.Event, error)) []kit.Event {
	t.Helper()
	events, err := fn()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return events
	}
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	if events != nil {
		t.Fatalf("rejected handler returned events %v", events)
	}
	return nil
}
