package lineage

import (
	"slices"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/kittest"
	pb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

const reasonData = pb.DatasetRevocationReason_DATASET_REVOCATION_REASON_DATA

func revoke(d string, code pb.DatasetRevocationReason, reason string) *pb.MsgRevokeDataset {
	return &pb.MsgRevokeDataset{Digest: d, ReasonCode: code, Reason: reason}
}

func TestRevokeDataset(t *testing.T) {
	cases := []struct {
		name   string
		signer kit.Signer
		msg    *pb.MsgRevokeDataset
		want   error
	}{
		{"by the registering steward", alice, revoke(dsA, reasonData, "holds personal data"), nil},
		{"by another steward of the owner", amy, revoke(dsA, pb.DatasetRevocationReason_DATASET_REVOCATION_REASON_OTHER, "x"), nil},
		{"by another organisation", bob, revoke(dsA, reasonData, "x"), ErrNotOwner},
		{"by an attesting organisation", zed, revoke(dsA, reasonData, "x"), ErrNotOwner},
		{"unregistered", alice, revoke(dsD, reasonData, "x"), ErrUnknownDataset},
		{"missing digest", alice, revoke("", reasonData, "x"), ErrInvalidDigest},
		{"malformed digest", alice, revoke("sha256:abc", reasonData, "x"), ErrInvalidDigest},
		{"unspecified reason code", alice, revoke(dsA, 0, "x"), ErrInvalidField},
		{"unknown reason code", alice, revoke(dsA, 99, "x"), ErrInvalidField},
		{"empty reason", alice, revoke(dsA, reasonData, ""), ErrInvalidField},
		{"reason too long", alice, revoke(dsA, reasonData, strings.Repeat("r", MaxReasonLen+1)), ErrInvalidField},
		{"reason with control character", alice, revoke(dsA, reasonData, "a\x00b"), ErrInvalidField},
		{"already revoked", alice, revoke(dsB, reasonData, "again"), ErrAlreadyRevoked},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := fixture(t)
			mustRegister(t, st, zed, spec(dsA, "corpora", "web", "1")) // zz attests A
			call(t, st, nil, func() ([]kit.Event, error) {
				return k.RevokeDataset(k.own(st), st, blk, alice, revoke(dsB, reasonData, "first"))
			})
			events := call(t, st, c.want, func() ([]kit.Event, error) {
				return k.RevokeDataset(k.own(st), st, blk, c.signer, c.msg)
			})
			if c.want != nil {
				return
			}
			rev, ok := k.Revocation(st, c.msg.Digest)
			if !ok || rev.Digest != c.msg.Digest || rev.ReasonCode != c.msg.ReasonCode || rev.Reason != c.msg.Reason ||
				rev.OrgId != c.signer.OrgID || rev.RevokedBy != c.signer.Address || rev.Height != blk.Height || !rev.Time.AsTime().Equal(blk.Time) {
				t.Fatalf("stored revocation = %v", rev)
			}
			if len(events) != 1 || events[0].Type != "lineage.dataset_revoked" || !slices.Equal(kittest.Indexed(events[0]), []string{"digest"}) ||
				attr(events[0], "digest") != c.msg.Digest || attr(events[0], "reason_code") != RevocationReasonName(c.msg.ReasonCode) ||
				attr(events[0], "org_id") != c.signer.OrgID || attr(events[0], "revoked_by") != c.signer.Address {
				t.Fatalf("events = %v", events)
			}
			// The dataset itself is unchanged and still registered.
			if ds, ok := k.Dataset(st, c.msg.Digest); !ok || ds.OwnerOrg != c.signer.OrgID {
				t.Fatalf("dataset after revocation = %v", ds)
			}
			onlyUnderPrefix(t, st)
		})
	}
}

func TestRevokeDatasetAlreadyRevokedNamesHeight(t *testing.T) {
	st := fixture(t)
	first := blk
	first.Height = 3
	if _, err := k.RevokeDataset(k.own(st), st, first, alice, revoke(dsA, reasonData, "x")); err != nil {
		t.Fatal(err)
	}
	_, err := k.RevokeDataset(k.own(st), st, blk, amy, revoke(dsA, reasonData, "y"))
	if err == nil || !strings.Contains(err.Error(), "at height 3") {
		t.Fatalf("error = %v, want the first revocation's height", err)
	}
}

func TestQueryDatasetRevocation(t *testing.T) {
	st := fixture(t)
	if _, err := k.RevokeDataset(k.own(st), st, blk, bob, revoke(dsC, pb.DatasetRevocationReason_DATASET_REVOCATION_REASON_LEGAL, "court order")); err != nil {
		t.Fatal(err)
	}
	q := k.Querier(st, blk)
	cases := []struct {
		name    string
		digest  string
		want    *kit.Error
		revoked bool
	}{
		{"revoked", dsC, nil, true},
		{"registered, not revoked", dsA, nil, false},
		{"unregistered", dsD, ErrNotFound, false},
		{"not a digest", "sha256:zz", ErrInvalidDigest, false},
		{"empty", "", ErrInvalidDigest, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := q.DatasetRevocation(ctx, &pb.QueryDatasetRevocationRequest{Digest: c.digest})
			wantErr(t, err, c.want)
			if c.want != nil {
				return
			}
			if got := resp.Revocation != nil; got != c.revoked {
				t.Fatalf("revocation = %v, want revoked %v", resp.Revocation, c.revoked)
			}
			if c.revoked && (resp.Revocation.Digest != c.digest || resp.Revocation.Reason != "court order" || resp.Revocation.OrgId != "beta") {
				t.Fatalf("revocation = %v", resp.Revocation)
			}
		})
	}
}

func TestParseRevocationReason(t *testing.T) {
	cases := []struct {
		in   string
		want pb.DatasetRevocationReason
		ok   bool
	}{
		{"data", reasonData, true},
		{"Security", pb.DatasetRevocationReason_DATASET_REVOCATION_REASON_SECURITY, true},
		{"license", pb.DatasetRevocationReason_DATASET_REVOCATION_REASON_LICENSE, true},
		{"quality", pb.DatasetRevocationReason_DATASET_REVOCATION_REASON_QUALITY, true},
		{"legal", pb.DatasetRevocationReason_DATASET_REVOCATION_REASON_LEGAL, true},
		{"other", pb.DatasetRevocationReason_DATASET_REVOCATION_REASON_OTHER, true},
		{"DATASET_REVOCATION_REASON_DATA", reasonData, true},
		{"unspecified", 0, false},
		{"DATASET_REVOCATION_REASON_UNSPECIFIED", 0, false},
		{"", 0, false},
	}
	for _, c := range cases {
		got, err := ParseRevocationReason(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseRevocationReason(%q) = %v, %v; want %v, ok %v", c.in, got, err, c.want, c.ok)
		}
		if err == nil && RevocationReasonName(got) == "" {
			t.Errorf("no name for %v", got)
		}
	}
	if got := strings.Join(RevocationReasonNames(), ","); got != "security,license,data,quality,legal,other" {
		t.Fatalf("names = %s", got)
	}
}
