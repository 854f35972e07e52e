package models

import (
	"bytes"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// RegisterModel registers a model version published by the signer's
// organisation. The application has checked that the signer holds
// ROLE_MODEL_PUBLISHER.
//
// A licence that is not usable is rejected with the licence module's error
// wrapped with %w, so its codespace and code are what [kit.CodeOf] reports.
func (k Keeper) RegisterModel(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgRegisterModel) ([]kit.Event, error) {
	spec := msg.Model
	if spec == nil {
		return nil, ErrInvalidField.Wrapf("model spec is required")
	}
	if err := validateSpec(spec); err != nil {
		return nil, err
	}
	if st.Has(ModelKey(spec.Name, spec.Version)) {
		return nil, ErrModelExists.Wrapf("%s", Ref(spec.Name, spec.Version))
	}
	if err := k.checkReferences(st, view, blk, spec); err != nil {
		return nil, err
	}
	sig, err := k.publisherSignature(view, signer, spec.ManifestDigest, msg.PublisherSignature)
	if err != nil {
		return nil, err
	}

	model := &pb.ModelVersion{
		Spec:         spec,
		PublisherOrg: signer.OrgID,
		PublishedBy:  signer.Address,
		Signature:    sig,
		Height:       blk.Height,
		Time:         timestamppb.New(blk.Time),
	}
	kit.Save(st, ModelKey(spec.Name, spec.Version), model)
	st.Set(ByDigestKey(spec.ManifestDigest, spec.Name, spec.Version), []byte{1})
	st.Set(VersionKey(spec.Name, blk.Height, spec.Version), []byte{1})
	if blk.Rules >= kit.RulesImpactIndex {
		indexImpact(st, spec)
	}
	return []kit.Event{kit.NewEvent("models.model_registered",
		"name", spec.Name, "version", spec.Version, "manifest_digest", spec.ManifestDigest,
		"publisher_org", signer.OrgID, "signed", strconv.FormatBool(sig != nil)).Searchable("name", "manifest_digest")}, nil
}

// indexImpact indexes a new version under each dataset it was trained on
// and under its base model, for impact queries (rule set
// [kit.RulesImpactIndex]).
func indexImpact(st kit.Store, spec *pb.ModelSpec) {
	for _, d := range spec.TrainingDatasets {
		st.Set(TrainedOnKey(d, spec.Name, spec.Version), []byte{1})
	}
	if spec.BaseModel != "" {
		baseName, baseVersion, _ := ParseRef(spec.BaseModel) // validated by validateSpec
		st.Set(FineTuneKey(baseName, baseVersion, spec.Name, spec.Version), []byte{1})
	}
}

// validateSpec checks everything about a spec that does not need state.
func validateSpec(spec *pb.ModelSpec) error {
	if err := validateNameVersion(spec.Name, spec.Version); err != nil {
		return err
	}
	if err := validateDigest("manifest_digest", spec.ManifestDigest); err != nil {
		return err
	}
	if spec.FileManifestDigest != "" {
		if err := validateDigest("file_manifest_digest", spec.FileManifestDigest); err != nil {
			return err
		}
	}
	if spec.EvaluationReportDigest != "" {
		if err := validateDigest("evaluation_report_digest", spec.EvaluationReportDigest); err != nil {
			return err
		}
	}
	if err := validateText("format", spec.Format, 0, MaxFormatLen); err != nil {
		return err
	}
	if spec.BaseModel != "" {
		if _, _, err := ParseRef(spec.BaseModel); err != nil {
			return fmt.Errorf("base_model: %w", err)
		}
		if spec.BaseModel == Ref(spec.Name, spec.Version) {
			return ErrInvalidRef.Wrapf("base_model %s is the model itself", spec.BaseModel)
		}
	}
	if len(spec.TrainingDatasets) > MaxTrainingDatasets {
		return ErrInvalidField.Wrapf("training_datasets: %d given, at most %d", len(spec.TrainingDatasets), MaxTrainingDatasets)
	}
	seen := make(map[string]bool, len(spec.TrainingDatasets))
	for i, d := range spec.TrainingDatasets {
		if err := validateDigest(fmt.Sprintf("training_datasets[%d]", i), d); err != nil {
			return err
		}
		if seen[d] {
			return ErrInvalidField.Wrapf("training_datasets: %s listed twice", d)
		}
		seen[d] = true
	}
	if spec.TrainingRun != "" {
		if err := kit.ValidateIdentifier("training_run", spec.TrainingRun, MaxRunIDLen, kit.IDChars); err != nil {
			return ErrInvalidField.Wrapf("%v", err)
		}
	}
	if len(spec.LicenseIds) > MaxLicenses {
		return ErrInvalidField.Wrapf("license_ids: %d given, at most %d", len(spec.LicenseIds), MaxLicenses)
	}
	seenLicense := make(map[string]bool, len(spec.LicenseIds))
	for i, id := range spec.LicenseIds {
		if err := kit.ValidateIdentifier(fmt.Sprintf("license_ids[%d]", i), id, MaxLicenseIDLen, kit.IDChars); err != nil {
			return ErrInvalidField.Wrapf("%v", err)
		}
		if seenLicense[id] {
			return ErrInvalidField.Wrapf("license_ids: %s listed twice", id)
		}
		seenLicense[id] = true
	}
	return nil
}

// checkReferences checks that what spec refers to exists and may be used:
// the base model, the training datasets and run, and the licences.
func (k Keeper) checkReferences(r, view kit.Reader, blk kit.Block, spec *pb.ModelSpec) error {
	if spec.BaseModel != "" {
		name, version, _ := ParseRef(spec.BaseModel) // validated by validateSpec
		if _, err := registeredModel(r, name, version); err != nil {
			return fmt.Errorf("base_model: %w", err)
		}
		if _, revoked := loadRevocation(r, name, version); revoked {
			return ErrBaseRevoked.Wrapf("%s", spec.BaseModel)
		}
	}
	for _, d := range spec.TrainingDatasets {
		if !k.datasets.DatasetExists(view, d) {
			return ErrUnknownDataset.Wrapf("training dataset %s", d)
		}
	}
	if spec.TrainingRun != "" && !k.datasets.RunExists(view, spec.TrainingRun) {
		return ErrUnknownRun.Wrapf("training_run %s", spec.TrainingRun)
	}
	for _, id := range spec.LicenseIds {
		if err := k.licenses.CheckUsable(view, blk, id); err != nil {
			if _, _, coded := kit.CodeOf(err); !coded {
				// Not expected from the licence module; still reject with a code.
				return ErrInvalidField.Wrapf("licence %s: %v", id, err)
			}
			return fmt.Errorf("licence %s: %w", id, err)
		}
	}
	return nil
}

// publisherSignature verifies an optional detached signature over the
// manifest by the signer's current key, and returns what the record keeps.
func (k Keeper) publisherSignature(view kit.Reader, signer kit.Signer, manifestDigest string, sig []byte) (*pb.PublisherSignature, error) {
	if len(sig) == 0 {
		return nil, nil
	}
	pub, err := k.accounts.PublicKey(view, signer.Address)
	if err != nil {
		return nil, ErrBadPublisherSignature.Wrapf("no public key for signer %s: %v", signer.Address, err)
	}
	if err := k.verify(pub, ManifestSignBytes(manifestDigest), sig); err != nil {
		return nil, ErrBadPublisherSignature.Wrapf("signer %s over %s: %v", signer.Address, manifestDigest, err)
	}
	return &pb.PublisherSignature{PublicKey: pub, Signature: bytes.Clone(sig)}, nil
}

// CarriedSignatures is the publisher signature a registration carries, if
// any, for the application to check at admission as the handler checks it
// in the block (see [Keeper.RegisterModel]).
func CarriedSignatures(msg *pb.MsgRegisterModel) []kit.CarriedSignature {
	if msg.GetModel() == nil || len(msg.PublisherSignature) == 0 {
		return nil
	}
	digest := msg.Model.ManifestDigest
	return []kit.CarriedSignature{{
		Message:   ManifestSignBytes(digest),
		Signature: msg.PublisherSignature,
		Refuse: func(signer string, err error) error {
			return ErrBadPublisherSignature.Wrapf("signer %s over %s: %v", signer, digest, err)
		},
	}}
}

// ClaimedNames is the name a registration claims, for the application to
// check against the signer's organisation's namespaces.
func ClaimedNames(msg *pb.MsgRegisterModel) []string {
	return []string{msg.GetModel().GetName()}
}
