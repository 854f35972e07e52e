package app

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/x/kit"
)

// VoteSigner signs what a module asks a validator to sign in its
// precommits, with a key the node holds (a validator's anchoring key, for
// instance): the application hands it the payload and never sees the key,
// and no module ever holds one.
type VoteSigner interface {
	Sign(payload []byte) ([]byte, error)
}

// SetVoteSigner gives the application the signer of one vote extension
// kind ("<module>.<name>"). A validator without a signer for a kind signs
// nothing of it. Call it before the node starts.
func (a *App) SetVoteSigner(kind string, s VoteSigner) error {
	for _, k := range a.mods.VoteExtensionKinds() {
		if k == kind {
			if a.voteSigners == nil {
				a.voteSigners = map[string]VoteSigner{}
			}
			a.voteSigners[kind] = s
			return nil
		}
	}
	return fmt.Errorf("no module asks validators to sign %q (known: %s)", kind, strings.Join(a.mods.VoteExtensionKinds(), ", "))
}

// ExtendVote implements abci.Application: for each kind a module asks for
// and this node has a signer of, the payload and its signature. At height
// H it can sign only what is known before H executes: the last committed
// state, whose app hash is the one in header H. A kind this node cannot
// sign now is left out rather than failing the vote.
func (a *App) ExtendVote(_ context.Context, req *abci.ExtendVoteRequest) (*abci.ExtendVoteResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	view := a.store.Committed()
	var ext appv1.VoteExtension
	for _, kind := range a.mods.VoteExtensionKinds() {
		s := a.voteSigners[kind]
		if s == nil {
			continue
		}
		payload := a.mods.VotePayload(kind, view, req.Height, view.Hash())
		if payload == nil {
			continue
		}
		sig, err := s.Sign(payload)
		if err != nil {
			a.logger.Error("failed to sign a vote extension; voting without it", "kind", kind, "height", req.Height, "err", err)
			continue
		}
		ext.Entries = append(ext.Entries, &appv1.VoteExtensionEntry{Kind: kind, Payload: payload, Signature: sig})
	}
	if len(ext.Entries) == 0 {
		return &abci.ExtendVoteResponse{}, nil
	}
	return &abci.ExtendVoteResponse{VoteExtension: kit.Marshal(&ext)}, nil
}

// VerifyVoteExtension implements abci.Application: every entry of another
// validator's extension must be of a known kind and verify by that kind's
// rule; an empty extension is accepted (a validator may have nothing to
// sign).
func (a *App) VerifyVoteExtension(_ context.Context, req *abci.VerifyVoteExtensionRequest) (*abci.VerifyVoteExtensionResponse, error) {
	reject := &abci.VerifyVoteExtensionResponse{Status: abci.VERIFY_VOTE_EXTENSION_STATUS_REJECT}
	if len(req.VoteExtension) == 0 {
		return &abci.VerifyVoteExtensionResponse{Status: abci.VERIFY_VOTE_EXTENSION_STATUS_ACCEPT}, nil
	}
	ext, err := decodeVoteExtension(req.VoteExtension)
	if err != nil {
		a.logger.Info("rejecting a vote extension", "height", req.Height, "validator", fmt.Sprintf("%X", req.ValidatorAddress), "err", err)
		return reject, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	view := a.store.Committed()
	for _, e := range ext.Entries {
		if err := a.mods.VerifyVote(e.Kind, view, req.Height, view.Hash(), req.ValidatorAddress, e.Payload, e.Signature); err != nil {
			a.logger.Info("rejecting a vote extension", "height", req.Height, "validator", fmt.Sprintf("%X", req.ValidatorAddress), "kind", e.Kind, "err", err)
			return reject, nil
		}
	}
	return &abci.VerifyVoteExtensionResponse{Status: abci.VERIFY_VOTE_EXTENSION_STATUS_ACCEPT}, nil
}

// decodeVoteExtension parses a vote extension in its one canonical
// encoding, kinds strictly ascending.
func decodeVoteExtension(raw []byte) (*appv1.VoteExtension, error) {
	var ext appv1.VoteExtension
	if err := proto.Unmarshal(raw, &ext); err != nil {
		return nil, modules.ErrInvalidVoteExtension.Wrapf("%v", err)
	}
	if hasUnknownFields(ext.ProtoReflect()) || !bytes.Equal(kit.Marshal(&ext), raw) {
		return nil, modules.ErrInvalidVoteExtension.Wrapf("not canonically encoded")
	}
	for i, e := range ext.Entries {
		if i > 0 && ext.Entries[i-1].Kind >= e.Kind {
			return nil, modules.ErrInvalidVoteExtension.Wrapf("kind %q out of order or repeated", e.Kind)
		}
	}
	return &ext, nil
}
