package models

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// RevokeModel revokes a model version published by the signer's
// organisation. The application has checked that the signer holds
// ROLE_MODEL_PUBLISHER. The model record itself never changes; the
// revocation is a record of its own.
func (k Keeper) RevokeModel(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgRevokeModel) ([]kit.Event, error) {
	if err := validateNameVersion(msg.Name, msg.Version); err != nil {
		return nil, err
	}
	if !validRevocationReason(msg.ReasonCode) {
		return nil, ErrInvalidField.Wrapf("reason_code %s: want one of %v", msg.ReasonCode, RevocationReasonNames())
	}
	if err := validateText("reason", msg.Reason, 1, MaxReasonLen); err != nil {
		return nil, err
	}
	model, err := registeredModel(st, msg.Name, msg.Version)
	if err != nil {
		return nil, err
	}
	if model.PublisherOrg != signer.OrgID {
		return nil, ErrNotPublisher.Wrapf("%s was published by %s, signer belongs to %s", Ref(msg.Name, msg.Version), model.PublisherOrg, signer.OrgID)
	}
	if prior, revoked := loadRevocation(st, msg.Name, msg.Version); revoked {
		return nil, ErrAlreadyRevoked.Wrapf("%s at height %d", Ref(msg.Name, msg.Version), prior.Height)
	}
	kit.Save(st, RevocationKey(msg.Name, msg.Version), &pb.Revocation{
		Name:       msg.Name,
		Version:    msg.Version,
		ReasonCode: msg.ReasonCode,
		Reason:     msg.Reason,
		RevokedBy:  signer.Address,
		Height:     blk.Height,
		Time:       timestamppb.New(blk.Time),
	})
	return []kit.Event{kit.NewEvent("models.model_revoked",
		"name", msg.Name, "version", msg.Version, "reason_code", RevocationReasonName(msg.ReasonCode),
		"revoked_by", signer.Address).Searchable("name")}, nil
}
