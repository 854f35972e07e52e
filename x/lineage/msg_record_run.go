package lineage

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// runDomain separates run ids from every other hash on the chain.
const runDomain = "lineage-ledger/run/v1\x00"

// RunID is the id of a run: lower-case hex SHA-256 of its canonical
// encoding (documented in doc.go). Inputs and outputs are sorted here, so
// their order in a message does not change the id.
func RunID(orgID, codeDigest, parametersDigest, environmentDigest string, inputs, outputs []string, executor string) string {
	h := sha256.New()
	h.Write([]byte(runDomain))
	str := func(s string) {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(s))))
		h.Write([]byte(s))
	}
	list := func(xs []string) {
		sorted := slices.Clone(xs)
		slices.Sort(sorted)
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(sorted))))
		for _, x := range sorted {
			str(x)
		}
	}
	str(orgID)
	str(codeDigest)
	str(parametersDigest)
	str(environmentDigest)
	list(inputs)
	list(outputs)
	str(executor)
	return hex.EncodeToString(h.Sum(nil))
}

// RecordRun records a transformation run of the signer's organisation:
// code (and optionally parameters and environment) that turned registered
// input datasets into output datasets. Outputs are either registered
// datasets (linked) or new datasets registered here, owned by the signer's
// organisation. The application has checked that the signer holds
// ROLE_DATA_STEWARD.
func (k Keeper) RecordRun(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgRecordRun) ([]kit.Event, error) {
	if err := validateDigest("code_digest", msg.CodeDigest, true); err != nil {
		return nil, err
	}
	if err := validateDigest("parameters_digest", msg.ParametersDigest, false); err != nil {
		return nil, err
	}
	if err := validateDigest("environment_digest", msg.EnvironmentDigest, false); err != nil {
		return nil, err
	}
	if err := validateText("executor", msg.Executor, 0, MaxExecutorLen); err != nil {
		return nil, err
	}
	if err := validateRunDatasets(msg); err != nil {
		return nil, err
	}

	outputs := slices.Clone(msg.Outputs)
	for _, spec := range msg.NewOutputs {
		outputs = append(outputs, spec.Digest)
	}
	id := RunID(signer.OrgID, msg.CodeDigest, msg.ParametersDigest, msg.EnvironmentDigest, msg.Inputs, outputs, msg.Executor)
	if st.Has(RunKey(id)) {
		return nil, ErrRunExists.Wrapf("run %s", id)
	}

	for i, d := range msg.Inputs {
		if !st.Has(DatasetKey(d)) {
			return nil, ErrUnknownDataset.Wrapf("inputs[%d] %s is not registered", i, d)
		}
	}
	for i, d := range msg.Outputs {
		if !st.Has(DatasetKey(d)) {
			return nil, ErrUnknownDataset.Wrapf("outputs[%d] %s is not registered; register it through new_outputs", i, d)
		}
	}
	pendingNames := make(map[string]string, len(msg.NewOutputs))
	for i, spec := range msg.NewOutputs {
		field := fmt.Sprintf("new_outputs[%d]", i)
		if st.Has(DatasetKey(spec.Digest)) {
			return nil, ErrDatasetExists.Wrapf("%s %s is already registered; link it through outputs instead", field, spec.Digest)
		}
		if err := checkNameFree(st, field, spec, pendingNames); err != nil {
			return nil, err
		}
		pendingNames[string(NameKey(spec.Namespace, spec.Name, spec.Version))] = spec.Digest
		if err := k.checkLicenses(view, blk, field, spec); err != nil {
			return nil, err
		}
	}
	// New outputs have no edges yet, so only linked outputs can close a cycle.
	if err := checkNoCycle(st, msg.Inputs, msg.Outputs); err != nil {
		return nil, err
	}

	events := make([]kit.Event, 0, 1+len(msg.NewOutputs))
	for _, spec := range msg.NewOutputs {
		events = append(events, storeDataset(st, blk, signer, spec))
	}
	run := &pb.Run{
		Id:                id,
		CodeDigest:        msg.CodeDigest,
		ParametersDigest:  msg.ParametersDigest,
		EnvironmentDigest: msg.EnvironmentDigest,
		Inputs:            slices.Sorted(slices.Values(msg.Inputs)),
		Outputs:           slices.Sorted(slices.Values(outputs)),
		Executor:          msg.Executor,
		OrgId:             signer.OrgID,
		RecordedBy:        signer.Address,
		Height:            blk.Height,
		Time:              timestamppb.New(blk.Time),
	}
	kit.Save(st, RunKey(id), run)
	for _, in := range run.Inputs {
		st.Set(ConsumedByKey(in, id), []byte{1})
	}
	for _, out := range run.Outputs {
		st.Set(ProducedByKey(out, id), []byte{1})
		for _, in := range run.Inputs {
			st.Set(UpstreamKey(out, in, id), []byte{1})
			st.Set(DownstreamKey(in, out, id), []byte{1})
		}
	}
	events = append(events, kit.NewEvent("lineage.run_recorded",
		"run_id", id, "org_id", signer.OrgID, "recorded_by", signer.Address, "code_digest", msg.CodeDigest,
		"inputs", strconv.Itoa(len(run.Inputs)), "outputs", strconv.Itoa(len(run.Outputs))).Searchable("run_id"))
	return events, nil
}

// validateRunDatasets checks the shape of a run's dataset lists: counts,
// canonical digests, valid new-output specs, no repeats, and no dataset
// that is both an input and an output.
func validateRunDatasets(msg *pb.MsgRecordRun) error {
	if len(msg.Inputs) == 0 {
		return ErrInvalidField.Wrapf("inputs: a run needs at least one input")
	}
	if len(msg.Inputs) > MaxRunInputs {
		return ErrInvalidField.Wrapf("inputs: at most %d, got %d", MaxRunInputs, len(msg.Inputs))
	}
	nOut := len(msg.Outputs) + len(msg.NewOutputs)
	if nOut == 0 {
		return ErrInvalidField.Wrapf("outputs, new_outputs: a run needs at least one output")
	}
	if nOut > MaxRunOutputs {
		return ErrInvalidField.Wrapf("outputs, new_outputs: at most %d together, got %d", MaxRunOutputs, nOut)
	}
	if edges := len(msg.Inputs) * nOut; edges > MaxRunEdges {
		return ErrInvalidField.Wrapf("inputs × outputs: at most %d derived-from edges per run, got %d (split the run)", MaxRunEdges, edges)
	}
	// listed maps each digest to the field that first named it.
	listed := make(map[string]string, len(msg.Inputs)+nOut)
	for i, d := range msg.Inputs {
		field := fmt.Sprintf("inputs[%d]", i)
		if err := validateDigest(field, d, true); err != nil {
			return err
		}
		if first, dup := listed[d]; dup {
			return ErrInvalidField.Wrapf("%s: %s is already listed as %s", field, d, first)
		}
		listed[d] = field
	}
	addOutput := func(field, d string) error {
		first, dup := listed[d]
		switch {
		case !dup:
			listed[d] = field
			return nil
		case slices.Contains(msg.Inputs, d):
			return ErrLineageCycle.Wrapf("%s: %s is also %s; a dataset cannot be derived from itself", field, d, first)
		default:
			return ErrInvalidField.Wrapf("%s: %s is already listed as %s", field, d, first)
		}
	}
	for i, d := range msg.Outputs {
		field := fmt.Sprintf("outputs[%d]", i)
		if err := validateDigest(field, d, true); err != nil {
			return err
		}
		if err := addOutput(field, d); err != nil {
			return err
		}
	}
	for i, spec := range msg.NewOutputs {
		field := fmt.Sprintf("new_outputs[%d]", i)
		if err := validateSpec(field, spec); err != nil {
			return err
		}
		if err := addOutput(field+".digest", spec.Digest); err != nil {
			return err
		}
	}
	return nil
}

// ClaimedOutputNamespaces are the namespaces of the datasets a run
// registers, for the application to check against the signer's
// organisation's namespaces.
func ClaimedOutputNamespaces(msg *pb.MsgRecordRun) []string {
	out := make([]string, len(msg.NewOutputs))
	for i, d := range msg.NewOutputs {
		out[i] = d.GetNamespace()
	}
	return out
}
