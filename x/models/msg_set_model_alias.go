package models

import (
	"strconv"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// SetModelAlias moves an alias of a model name to one of its versions, or
// clears it when msg.version is empty, and records the move. The
// application has checked that the signer holds ROLE_MODEL_PUBLISHER.
//
// An alias belongs to the organisation that first set it; only that
// organisation moves or clears it, and only to a registered, unrevoked
// version of the name that it published. A superseded version may be the
// target (the gate reports the supersession). A move to where the alias
// already points, or a clear of an alias that points nowhere, is refused,
// so that every recorded move changes something.
func (k Keeper) SetModelAlias(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgSetModelAlias) ([]kit.Event, error) {
	if err := validateName(msg.Name); err != nil {
		return nil, err
	}
	if err := validateAlias(msg.Alias); err != nil {
		return nil, err
	}
	if msg.Version != "" {
		if err := validateNameVersion(msg.Name, msg.Version); err != nil {
			return nil, err
		}
	}
	current, exists := loadAlias(st, msg.Name, msg.Alias)
	if exists && current.OrgId != signer.OrgID {
		return nil, ErrNotPublisher.Wrapf("alias %s of %s belongs to %s, signer belongs to %s", msg.Alias, msg.Name, current.OrgId, signer.OrgID)
	}
	if msg.Version == "" {
		if current.GetVersion() == "" {
			return nil, ErrAliasNotSet.Wrapf("alias %s of %s points to no version: nothing to clear", msg.Alias, msg.Name)
		}
	} else {
		ref := Ref(msg.Name, msg.Version)
		model, err := registeredModel(st, msg.Name, msg.Version)
		if err != nil {
			return nil, err
		}
		if model.PublisherOrg != signer.OrgID {
			return nil, ErrNotPublisher.Wrapf("%s was published by %s, signer belongs to %s", ref, model.PublisherOrg, signer.OrgID)
		}
		if _, revoked := loadRevocation(st, msg.Name, msg.Version); revoked {
			return nil, ErrRevoked.Wrapf("%s is revoked: an alias cannot point to it", ref)
		}
		if current.GetVersion() == msg.Version {
			return nil, ErrAliasUnchanged.Wrapf("alias %s of %s points to %s since height %d", msg.Alias, msg.Name, msg.Version, current.Height)
		}
	}
	move := &pb.ModelAlias{
		Name:            msg.Name,
		Alias:           msg.Alias,
		Version:         msg.Version,
		PreviousVersion: current.GetVersion(),
		Move:            current.GetMove() + 1,
		OrgId:           signer.OrgID,
		MovedBy:         signer.Address,
		Height:          blk.Height,
		Time:            timestamppb.New(blk.Time),
	}
	kit.Save(st, AliasKey(msg.Name, msg.Alias), move)
	kit.Save(st, AliasMoveKey(msg.Name, msg.Alias, move.Move), move)
	typ := "models.alias_set"
	if msg.Version == "" {
		typ = "models.alias_cleared"
	}
	return []kit.Event{kit.NewEvent(typ,
		"name", msg.Name, "alias", msg.Alias, "version", msg.Version, "previous_version", move.PreviousVersion,
		"move", strconv.FormatUint(move.Move, 10), "moved_by", signer.Address).Searchable("name")}, nil
}

// validateAlias checks a model alias ([kit.ValidateModelAlias]).
func validateAlias(alias string) error {
	if err := kit.ValidateModelAlias("alias", alias); err != nil {
		return ErrInvalidField.Wrapf("%v", err)
	}
	return nil
}

func loadAlias(r kit.Reader, name, alias string) (*pb.ModelAlias, bool) {
	a := new(pb.ModelAlias)
	if !kit.Load(r, AliasKey(name, alias), a) {
		return nil, false
	}
	return a, true
}

// Alias loads where an alias of a model name points (its latest move; an
// empty version when cleared) from r, the whole state; false when the
// alias was never set (or the name or alias is malformed).
func (k Keeper) Alias(r kit.Reader, name, alias string) (*pb.ModelAlias, bool) {
	if validateName(name) != nil || validateAlias(alias) != nil {
		return nil, false
	}
	return loadAlias(k.reader(r), name, alias)
}
