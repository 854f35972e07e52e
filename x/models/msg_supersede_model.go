package models

import (
	"fmt"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// SupersedeModel records that a registered version replaces an older one
// published by the signer's organisation. The application has checked that
// the signer holds ROLE_MODEL_PUBLISHER.
//
// A version is superseded at most once, and only by a different, unrevoked
// version that is not itself superseded; both ends of every new supersession
// therefore have no successor yet, which rules out cycles (see the package
// documentation).
func (k Keeper) SupersedeModel(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgSupersedeModel) ([]kit.Event, error) {
	if err := validateNameVersion(msg.Name, msg.Version); err != nil {
		return nil, err
	}
	newName, newVersion, err := ParseRef(msg.SupersededBy)
	if err != nil {
		return nil, fmt.Errorf("superseded_by: %w", err)
	}
	oldRef := Ref(msg.Name, msg.Version)
	if msg.SupersededBy == oldRef {
		return nil, ErrInvalidSupersession.Wrapf("%s cannot supersede itself", oldRef)
	}
	old, err := registeredModel(st, msg.Name, msg.Version)
	if err != nil {
		return nil, err
	}
	if _, err := registeredModel(st, newName, newVersion); err != nil {
		return nil, fmt.Errorf("superseded_by: %w", err)
	}
	if old.PublisherOrg != signer.OrgID {
		return nil, ErrNotPublisher.Wrapf("%s was published by %s, signer belongs to %s", oldRef, old.PublisherOrg, signer.OrgID)
	}
	if _, revoked := loadRevocation(st, msg.Name, msg.Version); revoked {
		return nil, ErrRevoked.Wrapf("%s is revoked and cannot be superseded", oldRef)
	}
	if _, revoked := loadRevocation(st, newName, newVersion); revoked {
		return nil, ErrRevoked.Wrapf("replacement %s is revoked", msg.SupersededBy)
	}
	if prior, superseded := loadSupersession(st, msg.Name, msg.Version); superseded {
		return nil, ErrAlreadySuperseded.Wrapf("%s by %s", oldRef, prior.SupersededBy)
	}
	if prior, superseded := loadSupersession(st, newName, newVersion); superseded {
		return nil, ErrInvalidSupersession.Wrapf("replacement %s is itself superseded by %s", msg.SupersededBy, prior.SupersededBy)
	}
	kit.Save(st, SupersessionKey(msg.Name, msg.Version), &pb.Supersession{
		Name:         msg.Name,
		Version:      msg.Version,
		SupersededBy: msg.SupersededBy,
		RecordedBy:   signer.Address,
		Height:       blk.Height,
		Time:         timestamppb.New(blk.Time),
	})
	return []kit.Event{kit.NewEvent("models.model_superseded",
		"name", msg.Name, "version", msg.Version, "superseded_by", msg.SupersededBy,
		"recorded_by", signer.Address).Searchable("name")}, nil
}
