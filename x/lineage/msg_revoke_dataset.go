package lineage

import (
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// MaxReasonLen bounds the free-text reason of a revocation.
const MaxReasonLen = 512

// RevokeDataset revokes a dataset registered by the signer's organisation.
// The application has checked that the signer holds ROLE_DATA_STEWARD.
//
// Only the registering organisation may revoke: an attestation says that
// another organisation holds the same bytes, not that it speaks for them,
// and a revocation denies every model downstream of the dataset to the whole
// consortium. The dataset record, its runs and its edges never change; the
// revocation is a record of its own, made at most once.
func (k Keeper) RevokeDataset(st kit.Store, _ kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgRevokeDataset) ([]kit.Event, error) {
	if err := validateDigest("digest", msg.Digest, true); err != nil {
		return nil, err
	}
	if !validRevocationReason(msg.ReasonCode) {
		return nil, ErrInvalidField.Wrapf("reason_code %s: want one of %s", msg.ReasonCode, strings.Join(RevocationReasonNames(), ", "))
	}
	if err := validateText("reason", msg.Reason, 1, MaxReasonLen); err != nil {
		return nil, err
	}
	ds, ok := loadDataset(st, msg.Digest)
	if !ok {
		return nil, ErrUnknownDataset.Wrapf("%s", msg.Digest)
	}
	if ds.OwnerOrg != signer.OrgID {
		return nil, ErrNotOwner.Wrapf("%s was registered by %s, signer belongs to %s", msg.Digest, ds.OwnerOrg, signer.OrgID)
	}
	if prior, revoked := loadRevocation(st, msg.Digest); revoked {
		return nil, ErrAlreadyRevoked.Wrapf("%s at height %d", msg.Digest, prior.Height)
	}
	kit.Save(st, RevocationKey(msg.Digest), &pb.DatasetRevocation{
		Digest:     msg.Digest,
		ReasonCode: msg.ReasonCode,
		Reason:     msg.Reason,
		OrgId:      signer.OrgID,
		RevokedBy:  signer.Address,
		Height:     blk.Height,
		Time:       timestamppb.New(blk.Time),
	})
	return []kit.Event{kit.NewEvent("lineage.dataset_revoked",
		"digest", msg.Digest, "reason_code", RevocationReasonName(msg.ReasonCode),
		"org_id", signer.OrgID, "revoked_by", signer.Address).Searchable("digest")}, nil
}

// Revocation loads the revocation of the dataset registered under digest,
// if it was revoked. A string that is not a canonical digest names no
// dataset.
func (k Keeper) Revocation(r kit.Reader, d string) (*pb.DatasetRevocation, bool) {
	if validateDigest("digest", d, true) != nil {
		return nil, false
	}
	return loadRevocation(k.reader(r), d)
}

func loadRevocation(r kit.Reader, d string) (*pb.DatasetRevocation, bool) {
	rev := new(pb.DatasetRevocation)
	if !kit.Load(r, RevocationKey(d), rev) {
		return nil, false
	}
	return rev, true
}

// revocationReasons maps the names users type to reason codes (the same
// names as model revocations').
var revocationReasons = kit.NameTable[pb.DatasetRevocationReason]{
	{Name: "security", Value: pb.DatasetRevocationReason_DATASET_REVOCATION_REASON_SECURITY},
	{Name: "license", Value: pb.DatasetRevocationReason_DATASET_REVOCATION_REASON_LICENSE},
	{Name: "data", Value: pb.DatasetRevocationReason_DATASET_REVOCATION_REASON_DATA},
	{Name: "quality", Value: pb.DatasetRevocationReason_DATASET_REVOCATION_REASON_QUALITY},
	{Name: "legal", Value: pb.DatasetRevocationReason_DATASET_REVOCATION_REASON_LEGAL},
	{Name: "other", Value: pb.DatasetRevocationReason_DATASET_REVOCATION_REASON_OTHER},
}

// ParseRevocationReason reads a reason as users type it ("security",
// "license", "data", "quality", "legal" or "other", in any case), or as
// its enum name.
func ParseRevocationReason(s string) (pb.DatasetRevocationReason, error) {
	if r, ok := revocationReasons.Lookup(s); ok {
		return r, nil
	}
	if r, ok := pb.DatasetRevocationReason_value[s]; ok && revocationReasons.Has(pb.DatasetRevocationReason(r)) {
		return pb.DatasetRevocationReason(r), nil
	}
	return 0, ErrInvalidField.Wrapf("reason code %q: want %s", s, strings.Join(RevocationReasonNames(), ", "))
}

// RevocationReasonName is the name [ParseRevocationReason] reads for r.
func RevocationReasonName(r pb.DatasetRevocationReason) string { return revocationReasons.Name(r) }

// RevocationReasonNames lists the reason names, in code order.
func RevocationReasonNames() []string { return revocationReasons.Names() }

func validRevocationReason(r pb.DatasetRevocationReason) bool { return revocationReasons.Has(r) }
