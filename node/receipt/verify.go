package receipt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"
	cmttypes "github.com/cometbft/cometbft/types"
	gogoproto "github.com/cosmos/gogoproto/proto"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/store/proof"
	"github.com/lineageledger/lineaged/app/store/proofv1"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/kit"
)

// Result is what a verified receipt establishes.
type Result struct {
	ChainID string
	Path    string
	Height  int64
	Time    time.Time
	AppHash []byte
	Request []byte
	Answer  []byte
	Error   *AnswerError
	// Keys and Ranges count the proven reads.
	Keys, Ranges int
	// StateHash is the hash of the state header (the header of Height):
	// what --trust Height:StateHash pins. SignedHash is that of the signed
	// header at Height+1.
	StateHash, SignedHash []byte
	// AppVersion is the app version both headers name.
	AppVersion uint64
	// Verified lists the heights verified from the trust root, in order,
	// ending at the signed header's.
	Verified []int64
}

// lightBlock is a signed header with the validator set that signed it.
type lightBlock struct {
	*cmttypes.SignedHeader
	vals *cmttypes.ValidatorSet
}

// Verify checks a parsed receipt against a trust root; see the package
// documentation for what that means. Errors wrap ErrInvalid or ErrUnusable.
func Verify(ctx context.Context, r *Receipt, trust Trust) (res *Result, err error) {
	// The CometBFT decoders are not hardened against every malformed input
	// (a validator without a key panics); a receipt is untrusted input.
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("%w: malformed content: %v", ErrInvalid, p)
		}
	}()
	return verify(ctx, r, trust)
}

func verify(ctx context.Context, r *Receipt, trust Trust) (*Result, error) {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	if trust.Genesis == nil && len(trust.Hash) == 0 {
		return nil, fmt.Errorf("%w: no trust root", ErrUnusable)
	}

	// Decode every part, insisting on canonical encodings.
	var shp cmtproto.SignedHeader
	if err := decodeGogo(r.SignedHeader, &shp, "signed_header"); err != nil {
		return nil, invalid("%v", err)
	}
	sh, err := cmttypes.SignedHeaderFromProto(&shp)
	if err != nil {
		return nil, invalid("signed_header: %v", err)
	}
	var vp cmtproto.ValidatorSet
	if err := decodeGogo(r.Validators, &vp, "validators"); err != nil {
		return nil, invalid("%v", err)
	}
	vals, err := canonicalValidators(&vp, r.Validators)
	if err != nil {
		return nil, invalid("validators: %v", err)
	}
	var hp cmtproto.Header
	if err := decodeGogo(r.StateHeader, &hp, "state_header"); err != nil {
		return nil, invalid("%v", err)
	}
	stateHeader, err := cmttypes.HeaderFromProto(&hp)
	if err != nil {
		return nil, invalid("state_header: %v", err)
	}
	var path []lightBlock
	for i, raw := range r.TrustPath {
		var lbp cmtproto.LightBlock
		if err := decodeGogo(raw, &lbp, fmt.Sprintf("trust_path[%d]", i)); err != nil {
			return nil, invalid("%v", err)
		}
		lb, err := cmttypes.LightBlockFromProto(&lbp)
		if err != nil {
			return nil, invalid("trust_path[%d]: %v", i, err)
		}
		if lbp.ValidatorSet == nil {
			return nil, invalid("trust_path[%d] has no validator set", i)
		}
		vsBytes, err := gogoproto.Marshal(lbp.ValidatorSet)
		if err != nil {
			return nil, invalid("trust_path[%d]: %v", i, err)
		}
		if lb.ValidatorSet, err = canonicalValidators(lbp.ValidatorSet, vsBytes); err != nil {
			return nil, invalid("trust_path[%d] validators: %v", i, err)
		}
		path = append(path, lightBlock{lb.SignedHeader, lb.ValidatorSet})
	}
	target := lightBlock{sh, vals}
	chain := append(path, target)

	// Headers and commits: each light block stands on its own, and the
	// trust path climbs towards the signed header.
	for i, lb := range chain {
		if err := checkLightBlock(r.ChainID, lb); err != nil {
			return nil, invalid("light block %d (height %d): %v", i, lb.Height, err)
		}
		if i > 0 && lb.Height <= chain[i-1].Height {
			return nil, invalid("trust path heights are not ascending at %d", lb.Height)
		}
		if lb.Height == stateHeader.Height && !bytes.Equal(lb.Hash(), stateHeader.Hash()) {
			return nil, invalid("trust path header %d is not the state header", lb.Height)
		}
	}

	// The state header is the block whose result the signed header commits.
	if sh.Height != r.Height+1 {
		return nil, invalid("signed header is at height %d, the state at %d needs %d", sh.Height, r.Height, r.Height+1)
	}
	if stateHeader.Height != r.Height || stateHeader.ChainID != r.ChainID {
		return nil, invalid("state header is %s@%d, want %s@%d", stateHeader.ChainID, stateHeader.Height, r.ChainID, r.Height)
	}
	if !bytes.Equal(stateHeader.Hash(), sh.LastBlockID.Hash) {
		return nil, invalid("state header %X is not the block header %d builds on (%X)", stateHeader.Hash(), sh.Height, sh.LastBlockID.Hash)
	}

	// The signed header is reached from the trust root.
	verified, err := establish(ctx, trust, chainOf{chainID: r.ChainID, path: path, state: &stateHeader, target: target})
	if err != nil {
		return nil, err
	}

	// The headers, now authenticated, name the rules the query ran with.
	for _, h := range []*cmttypes.Header{&stateHeader, sh.Header} {
		if h.Version.App != AppVersion {
			return nil, fmt.Errorf("%w: the header of height %d names app version %d, this verifier implements app version %d: verify it with a lineaged of that app version",
				ErrUnusable, h.Height, h.Version.App, AppVersion)
		}
	}

	// The proofs lead to the signed app hash.
	var bundle proofv1.ProofBundle
	if err := proto.Unmarshal(r.Proofs, &bundle); err != nil {
		return nil, invalid("proofs: %v", err)
	}
	if canon, err := (proto.MarshalOptions{Deterministic: true}).Marshal(&bundle); err != nil || !bytes.Equal(canon, r.Proofs) {
		return nil, invalid("proofs are not canonically encoded")
	}
	reader, err := proof.Verify(&bundle, sh.AppHash)
	if err != nil {
		return nil, invalid("proofs do not lead to app hash %X: %v", sh.AppHash, err)
	}

	// Re-run the query on the proven data alone.
	blk := kit.Block{ChainID: r.ChainID, Height: r.Height, Time: stateHeader.Time}
	var answer []byte
	var qerr error
	rec := proof.NewRecorder(reader)
	if err := proof.Run(func() {
		answer, qerr = modules.Default().Answer(ctx, r.Path, rec, blk, r.Request)
	}); err != nil {
		return nil, invalid("re-running %s needs state the receipt does not prove: %v", r.Path, err)
	}
	if err := proof.CheckMinimal(&bundle, rec); err != nil {
		return nil, invalid("proofs are not exactly those of the query: %v", err)
	}
	switch {
	case qerr != nil:
		cs, code, _ := kit.CodeOf(qerr)
		if r.Error == nil || r.Error.Codespace != cs || r.Error.Code != code || r.Error.Log != qerr.Error() {
			return nil, invalid("re-running %s fails with %s/%d %q, the receipt says %s", r.Path, cs, code, qerr.Error(), describeAnswer(r))
		}
	case r.Error != nil:
		return nil, invalid("re-running %s succeeds, the receipt says it failed with %s/%d", r.Path, r.Error.Codespace, r.Error.Code)
	case !sameAnswer(r.Path, answer, r.Answer):
		return nil, invalid("re-running %s gives a different answer than the receipt's", r.Path)
	}
	return &Result{
		ChainID: r.ChainID, Path: r.Path, Height: r.Height, Time: stateHeader.Time, AppHash: sh.AppHash,
		Request: r.Request, Answer: r.Answer, Error: r.Error, Keys: len(bundle.Keys), Ranges: len(bundle.Ranges),
		StateHash: stateHeader.Hash(), SignedHash: sh.Hash(), AppVersion: sh.Version.App, Verified: verified,
	}, nil
}

// earlierForms turn an answer into the forms earlier releases gave the
// same answer, by query path: an answer gains fields over time, and a
// receipt keeps the form of the release that made it. Each form states
// less than the current one, never something else.
var earlierForms = map[string][]func(*gatepb.CheckResponse){
	// Gate answers named no publisher before names were bound to
	// namespaces.
	gatepb.Query_Check_FullMethodName: {func(r *gatepb.CheckResponse) { r.PublisherOrg = "" }},
}

// sameAnswer reports whether recorded is the re-run answer, in its
// current form or in the form of an earlier release.
func sameAnswer(path string, rerun, recorded []byte) bool {
	if bytes.Equal(rerun, recorded) {
		return true
	}
	for _, earlier := range earlierForms[path] {
		var resp gatepb.CheckResponse
		if proto.Unmarshal(rerun, &resp) != nil {
			return false
		}
		earlier(&resp)
		if b, err := modules.Encode(&resp); err == nil && bytes.Equal(b, recorded) {
			return true
		}
	}
	return false
}

func describeAnswer(r *Receipt) string {
	if r.Error != nil {
		return fmt.Sprintf("%s/%d %q", r.Error.Codespace, r.Error.Code, r.Error.Log)
	}
	return "it succeeded"
}

// checkLightBlock checks a signed header on its own: well formed, signed
// by more than 2/3 of the validator set it names, every signature valid.
func checkLightBlock(chainID string, lb lightBlock) error {
	if err := lb.SignedHeader.ValidateBasic(chainID); err != nil {
		return err
	}
	if err := lb.vals.ValidateBasic(); err != nil {
		return fmt.Errorf("validator set: %w", err)
	}
	if !bytes.Equal(lb.vals.Hash(), lb.ValidatorsHash) {
		return fmt.Errorf("validator set hash %X is not the header's %X", lb.vals.Hash(), lb.ValidatorsHash)
	}
	// All signatures, not just enough of them: a corrupted one must not
	// pass unnoticed.
	if err := lb.vals.VerifyCommitLightAllSignatures(chainID, lb.Commit.BlockID, lb.Height, lb.Commit); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	// Signatures are matched to validators by position; the addresses they
	// carry are not signed, so check them too.
	if len(lb.Commit.Signatures) != lb.vals.Size() {
		return fmt.Errorf("commit has %d signatures for %d validators", len(lb.Commit.Signatures), lb.vals.Size())
	}
	for i, cs := range lb.Commit.Signatures {
		if cs.BlockIDFlag != cmttypes.BlockIDFlagAbsent && !bytes.Equal(cs.ValidatorAddress, lb.vals.Validators[i].Address) {
			return fmt.Errorf("commit signature %d names validator %X, the set has %X there", i, cs.ValidatorAddress, lb.vals.Validators[i].Address)
		}
	}
	return nil
}

// canonicalValidators reads a validator set whose every byte is determined
// by its validators' keys and powers: proposer priorities, the proposer and
// the total are not part of the set's hash, so the receipt must carry them
// exactly as NewValidatorSet derives them, or a changed byte there would go
// unnoticed.
func canonicalValidators(vp *cmtproto.ValidatorSet, encoded []byte) (*cmttypes.ValidatorSet, error) {
	decoded, err := cmttypes.ValidatorSetFromProto(vp)
	if err != nil {
		return nil, err
	}
	fresh := make([]*cmttypes.Validator, len(decoded.Validators))
	for i, v := range decoded.Validators {
		fresh[i] = cmttypes.NewValidator(v.PubKey, v.VotingPower)
		if !bytes.Equal(fresh[i].Address, v.Address) {
			return nil, fmt.Errorf("validator %d's address %X is not its key's %X", i, v.Address, fresh[i].Address)
		}
	}
	vals := cmttypes.NewValidatorSet(fresh)
	canon, err := EncodeValidators(vals)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(canon, encoded) {
		return nil, errors.New("not in canonical form")
	}
	return vals, nil
}

// EncodeValidators encodes a validator set as a receipt carries it: as
// NewValidatorSet builds it, the only form verification accepts.
func EncodeValidators(vals *cmttypes.ValidatorSet) ([]byte, error) {
	fresh := make([]*cmttypes.Validator, len(vals.Validators))
	for i, v := range vals.Validators {
		fresh[i] = cmttypes.NewValidator(v.PubKey, v.VotingPower)
	}
	vp, err := cmttypes.NewValidatorSet(fresh).ToProto()
	if err != nil {
		return nil, err
	}
	return gogoproto.Marshal(vp)
}

// decodeGogo decodes a CometBFT message and insists the bytes are its
// canonical encoding, so no byte can change without changing the content.
func decodeGogo(b []byte, m gogoproto.Message, field string) error {
	if len(b) == 0 {
		return fmt.Errorf("%s is missing", field)
	}
	if err := gogoproto.Unmarshal(b, m); err != nil {
		return fmt.Errorf("%s: %v", field, err)
	}
	canon, err := gogoproto.Marshal(m)
	if err != nil || !bytes.Equal(canon, b) {
		return fmt.Errorf("%s is not canonically encoded", field)
	}
	return nil
}

// EncodeLightBlock encodes a light block as a receipt's trust path carries
// it: its validator set as EncodeValidators writes it, the only form
// verification accepts.
func EncodeLightBlock(lb *cmttypes.LightBlock) ([]byte, error) {
	vb, err := EncodeValidators(lb.ValidatorSet)
	if err != nil {
		return nil, err
	}
	var vp cmtproto.ValidatorSet
	if err := gogoproto.Unmarshal(vb, &vp); err != nil {
		return nil, err
	}
	return gogoproto.Marshal(&cmtproto.LightBlock{SignedHeader: lb.SignedHeader.ToProto(), ValidatorSet: &vp})
}
