package lineage

import (
	"strconv"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// RegisterDataset registers a dataset owned by the signer's organisation,
// or, when another organisation registered the same digest, records the
// signer's organisation's attestation that it holds the same bytes. The
// application has checked that the signer holds ROLE_DATA_STEWARD.
//
// The spec is validated in full in both cases, licences included. An
// attestation must repeat the registered namespace/name@version, so it can
// never be used to claim another name; its other descriptive fields are
// not recorded (the registered record stays authoritative).
func (k Keeper) RegisterDataset(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgRegisterDataset) ([]kit.Event, error) {
	spec := msg.GetDataset()
	if err := validateSpec("dataset", spec); err != nil {
		return nil, err
	}
	if err := k.checkLicenses(view, blk, "dataset", spec); err != nil {
		return nil, err
	}
	existing, registered := loadDataset(st, spec.Digest)
	if !registered {
		if err := checkNameFree(st, "dataset", spec, nil); err != nil {
			return nil, err
		}
		return []kit.Event{storeDataset(st, blk, signer, spec)}, nil
	}

	if existing.OwnerOrg == signer.OrgID {
		return nil, ErrDatasetExists.Wrapf("%s is already registered by your organisation %s as %s", spec.Digest, signer.OrgID, fullName(existing.Spec))
	}
	es := existing.Spec
	if spec.Namespace != es.Namespace || spec.Name != es.Name || spec.Version != es.Version {
		return nil, ErrAttestationMismatch.Wrapf("%s is registered as %s, not %s", spec.Digest, fullName(es), fullName(spec))
	}
	if st.Has(AttestationKey(spec.Digest, signer.OrgID)) {
		return nil, ErrAlreadyAttested.Wrapf("%s has already attested %s", signer.OrgID, spec.Digest)
	}
	kit.Save(st, AttestationKey(spec.Digest, signer.OrgID), &pb.Attestation{
		Digest:     spec.Digest,
		OrgId:      signer.OrgID,
		AttestedBy: signer.Address,
		Height:     blk.Height,
		Time:       timestamppb.New(blk.Time),
	})
	return []kit.Event{kit.NewEvent("lineage.dataset_attested",
		"digest", spec.Digest, "org_id", signer.OrgID, "attested_by", signer.Address, "owner_org", existing.OwnerOrg).Searchable("digest")}, nil
}

// checkNameFree rejects a spec whose namespace/name@version is held by a
// registered dataset, or by another dataset of the same message (pending
// maps NameKey to digest for those).
func checkNameFree(st kit.Reader, field string, spec *pb.DatasetSpec, pending map[string]string) error {
	nameKey := NameKey(spec.Namespace, spec.Name, spec.Version)
	if holder := st.Get(nameKey); holder != nil {
		return ErrNameTaken.Wrapf("%s: %s is held by %s", field, fullName(spec), holder)
	}
	if holder, ok := pending[string(nameKey)]; ok {
		return ErrNameTaken.Wrapf("%s: %s is also claimed by %s in this message", field, fullName(spec), holder)
	}
	return nil
}

// storeDataset writes a new dataset, which the caller has validated, with
// its name and history indexes.
func storeDataset(st kit.Store, blk kit.Block, signer kit.Signer, spec *pb.DatasetSpec) kit.Event {
	ds := &pb.Dataset{
		Spec:         proto.Clone(spec).(*pb.DatasetSpec),
		OwnerOrg:     signer.OrgID,
		RegisteredBy: signer.Address,
		Height:       blk.Height,
		Time:         timestamppb.New(blk.Time),
	}
	kit.Save(st, DatasetKey(spec.Digest), ds)
	st.Set(NameKey(spec.Namespace, spec.Name, spec.Version), []byte(spec.Digest))
	st.Set(HistoryKey(spec.Namespace, spec.Name, blk.Height, spec.Digest), []byte{1})
	return kit.NewEvent("lineage.dataset_registered",
		"digest", spec.Digest, "namespace", spec.Namespace, "name", spec.Name, "version", spec.Version,
		"owner_org", signer.OrgID, "registered_by", signer.Address, "size_bytes", strconv.FormatUint(spec.SizeBytes, 10)).Searchable("digest")
}

// fullName is namespace/name@version, as users write it.
func fullName(spec *pb.DatasetSpec) string {
	return spec.Namespace + "/" + spec.Name + "@" + spec.Version
}

// ClaimedNamespaces is the dataset namespace a registration claims, for
// the application to check against the signer's organisation's
// namespaces.
func ClaimedNamespaces(msg *pb.MsgRegisterDataset) []string {
	return []string{msg.GetDataset().GetNamespace()}
}
