package licenses

import (
	"encoding/binary"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

func TestDefineLicense(t *testing.T) {
	spec := func(mod func(*pb.LicenseSpec)) *pb.LicenseSpec {
		s := &pb.LicenseSpec{Id: "acme/new", SpdxId: "CC-BY-4.0", Usage: usage(true, false, true, false, true)}
		if mod != nil {
			mod(s)
		}
		return s
	}
	cases := []struct {
		name string
		msg  *pb.MsgDefineLicense
		want *kit.Error
	}{
		{"spdx only", &pb.MsgDefineLicense{License: spec(nil)}, nil},
		{"terms digest only", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.SpdxId, s.TermsDigest = "", hexDigest('9') })}, nil},
		{"both, with expiry", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) {
			s.TermsDigest, s.ExpiryHeight, s.ExpiryTime = hexDigest('9'), 11, ts(1)
		})}, nil},
		{"spdx expression with OR", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.SpdxId = "Apache-2.0 OR MIT" })}, nil},
		{"spdx LicenseRef", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.SpdxId = "LicenseRef-acme-1" })}, nil},
		{"spdx compound", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.SpdxId = "(MIT OR Apache-2.0) AND GPL-2.0+" })}, nil},
		{"spdx DocumentRef", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.SpdxId = "DocumentRef-x:LicenseRef-y" })}, nil},
		{"no usage permissions", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.Usage = &pb.Usage{} })}, nil},
		{"max length id", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.Id = strings.Repeat("a", 128) })}, nil},

		{"missing licence", &pb.MsgDefineLicense{}, ErrInvalidField},
		{"empty id", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.Id = "" })}, ErrInvalidField},
		{"upper-case id", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.Id = "Acme/new" })}, ErrInvalidField},
		{"id too long", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.Id = strings.Repeat("a", 129) })}, ErrInvalidField},
		{"id ends with slash", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.Id = "acme/" })}, ErrInvalidField},
		{"neither spdx nor terms", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.SpdxId = "" })}, ErrInvalidField},
		{"spdx control char", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.SpdxId = "MIT\n" })}, ErrInvalidField},
		{"spdx NUL", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.SpdxId = "MIT\x00" })}, ErrInvalidField},
		{"spdx punctuation", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.SpdxId = "MIT;rm" })}, ErrInvalidField},
		{"spdx leading space", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.SpdxId = " MIT" })}, ErrInvalidField},
		{"spdx too long", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.SpdxId = strings.Repeat("A", 129) })}, ErrInvalidField},
		{"terms digest not canonical", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.TermsDigest = "sha256:" + strings.Repeat("A", 64) })}, ErrInvalidDigest},
		{"terms digest malformed", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.TermsDigest = "md5:00" })}, ErrInvalidDigest},
		{"missing usage", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.Usage = nil })}, ErrInvalidField},
		{"negative expiry height", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.ExpiryHeight = -1 })}, ErrInvalidField},
		{"expiry height now", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.ExpiryHeight = blk0.Height })}, ErrInvalidField},
		{"expiry time now", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.ExpiryTime = ts(0) })}, ErrInvalidField},
		{"expiry time past", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.ExpiryTime = ts(-1) })}, ErrInvalidField},
		{"expiry time invalid", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.ExpiryTime = &timestamppb.Timestamp{Seconds: t0.Unix() + 10, Nanos: -1} })}, ErrInvalidField},
		{"exists", &pb.MsgDefineLicense{License: spec(func(s *pb.LicenseSpec) { s.Id = "cc-by-4.0" })}, ErrLicenseExists},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := fixture(t)
			events := run(t, c.want, func() ([]kit.Event, error) {
				return f.k.DefineLicense(f.k.own(f.st), f.st, blk0, acme, c.msg)
			})
			if c.want != nil {
				return
			}
			id := c.msg.License.Id
			got, found := f.k.License(f.st, id)
			want := &pb.License{Spec: c.msg.License, LicensorOrg: "acme", DefinedBy: acme.Address, Height: blk0.Height, Time: timestamppb.New(t0)}
			if !found || !proto.Equal(got, want) {
				t.Fatalf("stored %v, want %v", got, want)
			}
			if len(events) != 1 || events[0].Type != "licenses.license_defined" ||
				attr(events[0], "license_id") != id || attr(events[0], "licensor_org") != "acme" || attr(events[0], "by") != acme.Address {
				t.Fatalf("events = %v", events)
			}
		})
	}
}

func TestGrantLicense(t *testing.T) {
	cases := []struct {
		name   string
		signer kit.Signer
		blk    kit.Block
		msg    *pb.MsgGrantLicense
		want   *kit.Error
	}{
		{"ok", acme, blk0, baseGrant("beta", usage(true, true, false, false, false)), nil},
		{"ok, no permissions", acme, blk0, baseGrant("beta", &pb.Usage{}), nil},
		{"ok, expiring with the licence", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/base-grant", LicenseeOrg: "beta", Subject: base, Usage: usage(true, true, false, true, false), ExpiryTime: ts(30), ExpiryHeight: 500}, nil},
		{"ok, licence without expiry", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/no-commercial", LicenseeOrg: "beta", Subject: tokenised, Usage: usage(false, true, false, true, false)}, nil},
		{"ok, duty copied from licence", creative, blk0, &pb.MsgGrantLicense{LicenseId: "cc-by-4.0", LicenseeOrg: "beta", Subject: raw, Usage: usage(true, true, true, true, false)}, nil},
		{"ok, duty not added beyond licence", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/no-commercial", LicenseeOrg: "beta", Subject: tokenised, Usage: usage(false, true, false, false, true)}, nil},
		{"ok, height expiry within licence's", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/short", LicenseeOrg: "beta", Subject: shortDS, Usage: usage(true, false, false, false, false), ExpiryHeight: 20}, nil},

		{"bad licence id", acme, blk0, &pb.MsgGrantLicense{LicenseId: "Acme", LicenseeOrg: "beta", Subject: base, Usage: &pb.Usage{}, ExpiryTime: ts(20)}, ErrInvalidField},
		{"missing licensee", acme, blk0, baseGrant("", &pb.Usage{}), ErrInvalidField},
		{"bad licensee", acme, blk0, baseGrant("Beta", &pb.Usage{}), ErrInvalidField},
		{"licensee with slash", acme, blk0, baseGrant("beta/x", &pb.Usage{}), ErrInvalidField},
		{"missing subject", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/base-grant", LicenseeOrg: "beta", Usage: &pb.Usage{}, ExpiryTime: ts(20)}, ErrInvalidField},
		{"empty subject", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/base-grant", LicenseeOrg: "beta", Subject: &pb.Subject{}, Usage: &pb.Usage{}, ExpiryTime: ts(20)}, ErrInvalidField},
		{"bad dataset digest", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/base-grant", LicenseeOrg: "beta", Subject: DatasetSubject("sha256:00"), Usage: &pb.Usage{}, ExpiryTime: ts(20)}, ErrInvalidDigest},
		{"model without version", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/base-grant", LicenseeOrg: "beta", Subject: ModelSubject("acme/base"), Usage: &pb.Usage{}, ExpiryTime: ts(20)}, ErrInvalidField},
		{"model with bad version", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/base-grant", LicenseeOrg: "beta", Subject: ModelSubject("acme/base@1@2"), Usage: &pb.Usage{}, ExpiryTime: ts(20)}, ErrInvalidField},
		{"missing usage", acme, blk0, baseGrant("beta", nil), ErrInvalidField},
		{"negative expiry height", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/base-grant", LicenseeOrg: "beta", Subject: base, Usage: &pb.Usage{}, ExpiryTime: ts(20), ExpiryHeight: -5}, ErrInvalidField},
		{"expiry height in the past", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/base-grant", LicenseeOrg: "beta", Subject: base, Usage: &pb.Usage{}, ExpiryTime: ts(20), ExpiryHeight: 9}, ErrInvalidField},
		{"expiry time now", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/base-grant", LicenseeOrg: "beta", Subject: base, Usage: &pb.Usage{}, ExpiryTime: ts(0)}, ErrInvalidField},
		{"unknown licence", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/ghost", LicenseeOrg: "beta", Subject: base, Usage: &pb.Usage{}}, ErrUnknownLicense},
		{"licensee not a member", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/no-commercial", LicenseeOrg: "nobody", Subject: tokenised, Usage: usage(false, true, false, true, false)}, ErrUnknownOrg},
		{"granter not the licensor", globex, blk0, baseGrant("beta", usage(true, false, false, false, false)), ErrNotLicensor},
		{"licensor of another licence", creative, blk0, baseGrant("beta", usage(true, false, false, false, false)), ErrNotLicensor},
		{"licence expired by height", acme, at(21, 0), &pb.MsgGrantLicense{LicenseId: "acme/short", LicenseeOrg: "beta", Subject: shortDS, Usage: &pb.Usage{}}, ErrLicenseExpired},
		{"licence expired by time", acme, at(11, 30), &pb.MsgGrantLicense{LicenseId: "acme/base-grant", LicenseeOrg: "beta", Subject: base, Usage: &pb.Usage{}, ExpiryTime: ts(31)}, ErrLicenseExpired},
		{"unregistered subject", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/base-grant", LicenseeOrg: "beta", Subject: unregistered, Usage: &pb.Usage{}, ExpiryTime: ts(20)}, ErrUnknownSubject},
		{"subject not under licence", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/base-grant", LicenseeOrg: "beta", Subject: tokenised, Usage: &pb.Usage{}, ExpiryTime: ts(20)}, ErrSubjectNotUnderLicense},
		{"wider than licence: redistribution", acme, blk0, baseGrant("beta", usage(true, true, true, true, false)), ErrGrantExceedsLicense},
		{"wider than licence: commercial", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/no-commercial", LicenseeOrg: "beta", Subject: tokenised, Usage: usage(true, false, false, false, false)}, ErrGrantExceedsLicense},
		{"expires after the licence's time", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/base-grant", LicenseeOrg: "beta", Subject: base, Usage: &pb.Usage{}, ExpiryTime: ts(31)}, ErrGrantExceedsLicense},
		{"never expires under an expiring licence", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/base-grant", LicenseeOrg: "beta", Subject: base, Usage: &pb.Usage{}}, ErrGrantExceedsLicense},
		{"only height expiry under a time-expiring licence", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/base-grant", LicenseeOrg: "beta", Subject: base, Usage: &pb.Usage{}, ExpiryHeight: 15}, ErrGrantExceedsLicense},
		{"expires after the licence's height", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/short", LicenseeOrg: "beta", Subject: shortDS, Usage: &pb.Usage{}, ExpiryHeight: 21}, ErrGrantExceedsLicense},
		{"no height expiry under a height-expiring licence", acme, blk0, &pb.MsgGrantLicense{LicenseId: "acme/short", LicenseeOrg: "beta", Subject: shortDS, Usage: &pb.Usage{}, ExpiryTime: ts(1)}, ErrGrantExceedsLicense},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := fixture(t)
			events := run(t, c.want, func() ([]kit.Event, error) {
				return f.k.GrantLicense(f.k.own(f.st), f.st, c.blk, c.signer, c.msg)
			})
			if c.want != nil {
				return
			}
			g, rev, found := f.k.Grant(f.st, "grant-1")
			if !found || rev != nil {
				t.Fatalf("grant-1 found=%v revocation=%v", found, rev)
			}
			lic, _ := f.k.License(f.st, c.msg.LicenseId)
			wantUsage := proto.Clone(c.msg.Usage).(*pb.Usage)
			wantUsage.AttributionRequired = lic.Spec.Usage.AttributionRequired
			want := &pb.Grant{
				Id: "grant-1", LicenseId: c.msg.LicenseId, LicenseeOrg: c.msg.LicenseeOrg, Subject: c.msg.Subject,
				Usage: wantUsage, ExpiryHeight: c.msg.ExpiryHeight, ExpiryTime: c.msg.ExpiryTime,
				GrantedBy: c.signer.Address, Height: c.blk.Height, Time: timestamppb.New(c.blk.Time),
			}
			if !proto.Equal(g, want) {
				t.Fatalf("stored %v, want %v", g, want)
			}
			if !f.st.Has(withPrefix(f.k, GrantBySubjectKey(SubjectKey(c.msg.Subject), c.msg.LicenseeOrg, 1))) ||
				!f.st.Has(withPrefix(f.k, GrantByLicenseKey(c.msg.LicenseId, 1))) {
				t.Fatal("grant indexes missing")
			}
			ev := events[0]
			if len(events) != 1 || ev.Type != "licenses.license_granted" || attr(ev, "grant_id") != "grant-1" ||
				attr(ev, "license_id") != c.msg.LicenseId || attr(ev, "licensee_org") != c.msg.LicenseeOrg ||
				attr(ev, "subject") != SubjectKey(c.msg.Subject) || attr(ev, "by") != c.signer.Address {
				t.Fatalf("events = %v", events)
			}
			// The sequence moves on.
			events = run(t, nil, func() ([]kit.Event, error) { return f.k.GrantLicense(f.k.own(f.st), f.st, c.blk, c.signer, c.msg) })
			if attr(events[0], "grant_id") != "grant-2" {
				t.Fatalf("second grant id = %q", attr(events[0], "grant_id"))
			}
			if seq := binary.BigEndian.Uint64(f.st.Get(withPrefix(f.k, GrantSequenceKey()))); seq != 2 {
				t.Fatalf("sequence = %d", seq)
			}
		})
	}
}

func withPrefix(k Keeper, key []byte) []byte { return append(append([]byte(nil), k.prefix...), key...) }

func TestRevokeGrant(t *testing.T) {
	cases := []struct {
		name   string
		signer kit.Signer
		msg    *pb.MsgRevokeGrant
		want   *kit.Error
	}{
		{"ok", acme, &pb.MsgRevokeGrant{GrantId: "grant-1", Reason: "contract ended"}, nil},
		{"ok, max reason", acme, &pb.MsgRevokeGrant{GrantId: "grant-1", Reason: strings.Repeat("r", 512)}, nil},
		{"empty reason", acme, &pb.MsgRevokeGrant{GrantId: "grant-1"}, ErrInvalidField},
		{"reason too long", acme, &pb.MsgRevokeGrant{GrantId: "grant-1", Reason: strings.Repeat("r", 513)}, ErrInvalidField},
		{"reason with control char", acme, &pb.MsgRevokeGrant{GrantId: "grant-1", Reason: "a\tb"}, ErrInvalidField},
		{"malformed id", acme, &pb.MsgRevokeGrant{GrantId: "g1", Reason: "x"}, ErrInvalidField},
		{"leading zero id", acme, &pb.MsgRevokeGrant{GrantId: "grant-01", Reason: "x"}, ErrInvalidField},
		{"unknown grant", acme, &pb.MsgRevokeGrant{GrantId: "grant-9", Reason: "x"}, ErrUnknownGrant},
		{"not the licensor", globex, &pb.MsgRevokeGrant{GrantId: "grant-1", Reason: "x"}, ErrNotLicensor},
		{"licensee cannot revoke", kit.Signer{Address: "ll1beta", OrgID: "beta"}, &pb.MsgRevokeGrant{GrantId: "grant-1", Reason: "x"}, ErrNotLicensor},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := fixture(t)
			f.grant(t, baseGrant("beta", usage(true, false, false, false, false)))
			before, _, _ := f.k.Grant(f.st, "grant-1")
			revokeBlk := at(12, 1)
			events := run(t, c.want, func() ([]kit.Event, error) {
				return f.k.RevokeGrant(f.k.own(f.st), f.st, revokeBlk, c.signer, c.msg)
			})
			if c.want != nil {
				return
			}
			g, rev, _ := f.k.Grant(f.st, "grant-1")
			if !proto.Equal(g, before) {
				t.Fatalf("grant changed: %v", g)
			}
			want := &pb.GrantRevocation{GrantId: "grant-1", Reason: c.msg.Reason, RevokedBy: c.signer.Address, Height: 12, Time: timestamppb.New(revokeBlk.Time)}
			if !proto.Equal(rev, want) {
				t.Fatalf("revocation %v, want %v", rev, want)
			}
			if len(events) != 1 || events[0].Type != "licenses.grant_revoked" || attr(events[0], "grant_id") != "grant-1" ||
				attr(events[0], "license_id") != "acme/base-grant" || attr(events[0], "by") != c.signer.Address {
				t.Fatalf("events = %v", events)
			}
			// Revoking twice is rejected.
			run(t, ErrGrantRevoked, func() ([]kit.Event, error) {
				return f.k.RevokeGrant(f.k.own(f.st), f.st, revokeBlk, c.signer, c.msg)
			})
		})
	}
}

func TestRevokeExpiredGrant(t *testing.T) {
	f := fixture(t)
	f.grant(t, baseGrant("beta", &pb.Usage{}))
	run(t, nil, func() ([]kit.Event, error) {
		return f.k.RevokeGrant(f.k.own(f.st), f.st, at(500, 40), acme, &pb.MsgRevokeGrant{GrantId: "grant-1", Reason: "cleanup"})
	})
}

func TestCheckUsable(t *testing.T) {
	f := fixture(t)
	cases := []struct {
		id   string
		blk  kit.Block
		want *kit.Error
	}{
		{"cc-by-4.0", at(1_000_000, 10_000), nil},
		{"acme/short", at(20, 0), nil},
		{"acme/short", at(21, 0), ErrLicenseExpired},
		{"acme/base-grant", at(11, 29), nil},
		{"acme/base-grant", at(11, 30), ErrLicenseExpired},
		{"acme/ghost", blk0, ErrUnknownLicense},
		{"Not An Id", blk0, ErrUnknownLicense},
		{strings.Repeat("a", 300), blk0, ErrUnknownLicense},
	}
	for _, c := range cases {
		err := f.k.CheckUsable(f.st, c.blk, c.id)
		if c.want == nil && err != nil || c.want != nil && !kitIs(err, c.want) {
			t.Errorf("CheckUsable(%.20q, height %d) = %v, want %v", c.id, c.blk.Height, err, c.want)
		}
	}
}

func kitIs(err error, want *kit.Error) bool {
	space, code, ok := kit.CodeOf(err)
	return ok && space == want.Codespace && code == want.Code
}

func TestExpired(t *testing.T) {
	cases := []struct {
		name   string
		height int64
		time   *timestamppb.Timestamp
		blk    kit.Block
		want   bool
	}{
		{"never", 0, nil, at(1<<40, 1000), false},
		{"at expiry height", 20, nil, at(20, 0), false},
		{"above expiry height", 20, nil, at(21, 0), true},
		{"before expiry time", 0, ts(1), kit.Block{Height: 1, Time: ts(1).AsTime().Add(-1)}, false},
		{"at expiry time", 0, ts(1), at(1, 1), true},
		{"after expiry time", 0, ts(1), at(1, 2), true},
		{"height passed, time not", 20, ts(5), at(21, 1), true},
		{"time passed, height not", 20, ts(5), at(15, 5), true},
	}
	for _, c := range cases {
		if got := Expired(c.height, c.time, c.blk); got != c.want {
			t.Errorf("%s: Expired = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestGrantIDs(t *testing.T) {
	for _, seq := range []uint64{1, 42, 1<<64 - 1} {
		got, err := ParseGrantID(GrantID(seq))
		if err != nil || got != seq {
			t.Errorf("ParseGrantID(GrantID(%d)) = %d, %v", seq, got, err)
		}
	}
	for _, bad := range []string{"", "grant-", "grant-0", "grant-01", "grant--1", "grant-1a", "Grant-1", "grant-18446744073709551616", "grant-123456789012345678901"} {
		if _, err := ParseGrantID(bad); !kitIs(err, ErrInvalidField) {
			t.Errorf("ParseGrantID(%q) = %v, want invalid field", bad, err)
		}
	}
}

func TestValidateSubject(t *testing.T) {
	cases := []struct {
		s    *pb.Subject
		want *kit.Error
	}{
		{DatasetSubject(hexDigest('a')), nil},
		{DatasetSubject("sha512:" + strings.Repeat("0", 128)), nil},
		{ModelSubject("meta-llama/Llama-2-7b@1.2.0+build.5"), nil},
		{ModelSubject(strings.Repeat("n", 128) + "@" + strings.Repeat("v", 64)), nil},
		{nil, ErrInvalidField},
		{&pb.Subject{}, ErrInvalidField},
		{DatasetSubject(""), ErrInvalidDigest},
		{DatasetSubject("SHA256:" + strings.Repeat("a", 64)), ErrInvalidDigest},
		{ModelSubject(""), ErrInvalidField},
		{ModelSubject("@1"), ErrInvalidField},
		{ModelSubject("name@"), ErrInvalidField},
		{ModelSubject(strings.Repeat("n", 129) + "@1"), ErrInvalidField},
		{ModelSubject("n@" + strings.Repeat("v", 65)), ErrInvalidField},
	}
	for _, c := range cases {
		err := ValidateSubject("subject", c.s)
		if c.want == nil && err != nil || c.want != nil && !kitIs(err, c.want) {
			t.Errorf("ValidateSubject(%v) = %v, want %v", c.s, err, c.want)
		}
	}
}

func TestErrorsAreDenseAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for i, e := range Errors {
		if e.Codespace != Codespace {
			t.Errorf("%q has codespace %q", e.Message, e.Codespace)
		}
		if e.Code != uint32(i+1) {
			t.Errorf("Errors[%d] = %q has code %d, want %d", i, e.Message, e.Code, i+1)
		}
		if seen[e.Message] {
			t.Errorf("message %q used twice", e.Message)
		}
		seen[e.Message] = true
	}
	if len(Errors) < 13 {
		t.Errorf("only %d errors listed", len(Errors))
	}
}
