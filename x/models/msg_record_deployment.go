package models

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// RecordDeployment records that the signer's organisation put a registered,
// unrevoked model version into service. The application has checked that
// the signer holds ROLE_DEPLOYER. Deployment ids come from a module sequence
// starting at 1.
func (k Keeper) RecordDeployment(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgRecordDeployment) ([]kit.Event, error) {
	if err := validateNameVersion(msg.Name, msg.Version); err != nil {
		return nil, err
	}
	if err := validateText("environment", msg.Environment, 1, MaxEnvironmentLen); err != nil {
		return nil, err
	}
	if err := validateText("note", msg.Note, 0, MaxDeploymentNoteLen); err != nil {
		return nil, err
	}
	if _, err := registeredModel(st, msg.Name, msg.Version); err != nil {
		return nil, err
	}
	if _, revoked := loadRevocation(st, msg.Name, msg.Version); revoked {
		return nil, ErrRevoked.Wrapf("%s cannot be deployed", Ref(msg.Name, msg.Version))
	}
	id := nextDeploymentID(st)
	kit.Save(st, DeploymentKey(id), &pb.Deployment{
		Id:          id,
		Name:        msg.Name,
		Version:     msg.Version,
		OrgId:       signer.OrgID,
		Environment: msg.Environment,
		Note:        msg.Note,
		DeployedBy:  signer.Address,
		Height:      blk.Height,
		Time:        timestamppb.New(blk.Time),
	})
	st.Set(VersionDeploymentKey(msg.Name, msg.Version, id), []byte{1})
	st.Set(NameDeploymentKey(msg.Name, id), []byte{1})
	return []kit.Event{kit.NewEvent("models.deployment_recorded",
		"id", strconv.FormatUint(id, 10), "name", msg.Name, "version", msg.Version,
		"org_id", signer.OrgID, "environment", msg.Environment).Searchable("name")}, nil
}

// nextDeploymentID advances the deployment sequence and returns the new id.
func nextDeploymentID(st kit.Store) uint64 {
	var last uint64
	if b := st.Get(DeploymentSeqKey()); b != nil {
		if len(b) != 8 {
			panic(fmt.Sprintf("models: corrupt deployment sequence %x", b))
		}
		last = binary.BigEndian.Uint64(b)
	}
	next := last + 1
	st.Set(DeploymentSeqKey(), binary.BigEndian.AppendUint64(nil, next))
	return next
}
