package app

import (
	"bytes"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/x/kit"
)

// PreambleMarker starts a block's preamble (lineage.app.v1.Preamble): the
// entries a proposer, not a user, puts at the head of a block. No
// transaction starts with a zero byte (protobuf has no field 0), so the
// marker tells the two apart in one comparison.
const PreambleMarker = "\x00lineage/preamble/v1\x00"

// labelPreamble is the metrics label of a block's preamble.
const labelPreamble = "preamble"

// isPreamble reports whether a block entry is a preamble.
func isPreamble(raw []byte) bool { return bytes.HasPrefix(raw, []byte(PreambleMarker)) }

// splitPreamble separates a block's preamble, if its first entry is one,
// from its transactions.
func splitPreamble(txs [][]byte) (preamble []byte, rest [][]byte) {
	if len(txs) > 0 && isPreamble(txs[0]) {
		return txs[0], txs[1:]
	}
	return nil, txs
}

// buildPreamble asks every preamble kind for its entry of the block about
// to be proposed, from the votes on the previous block with their
// extensions; nil when no kind has one.
func (a *App) buildPreamble(base kit.Reader, blk kit.Block, last abci.ExtendedCommitInfo) []byte {
	var p appv1.Preamble
	for _, kind := range a.mods.PreambleKinds() {
		data := a.mods.BuildPreamble(kind, base, blk, extendedCommitInfo(last, kind))
		if data != nil {
			p.Entries = append(p.Entries, &appv1.PreambleEntry{Kind: kind, Data: data})
		}
	}
	if len(p.Entries) == 0 {
		return nil
	}
	return append([]byte(PreambleMarker), kit.Marshal(&p)...)
}

// runPreamble checks a block's preamble and executes its entries on c, all
// or none: a preamble that is malformed (not canonical, kinds out of
// order, unknown or repeated) or whose entry fails changes nothing. It
// reports whether it succeeded; ProcessProposal rejects a block whose
// preamble fails.
func (a *App) runPreamble(c *store.Cache, blk kit.Block, raw []byte, last kit.CommitInfo) (*abci.ExecTxResult, bool) {
	p, err := decodePreamble(raw)
	if err != nil {
		return errorResult(err), false
	}
	pc := store.NewCache(c)
	res := &abci.ExecTxResult{}
	for _, e := range p.Entries {
		events, err := a.mods.ExecutePreamble(e.Kind, pc, blk, last, e.Data)
		if err != nil {
			if _, _, coded := kit.CodeOf(err); !coded {
				err = modules.ErrInvalidPreamble.Wrapf("%s: %v", e.Kind, err)
			}
			return errorResult(err), false
		}
		for _, ev := range events {
			res.Events = append(res.Events, abciEvent(ev))
		}
	}
	pc.Write(c)
	return res, true
}

// decodePreamble parses a preamble and insists on its one canonical
// encoding, with kinds strictly ascending.
func decodePreamble(raw []byte) (*appv1.Preamble, error) {
	body := raw[len(PreambleMarker):]
	var p appv1.Preamble
	if err := proto.Unmarshal(body, &p); err != nil {
		return nil, modules.ErrInvalidPreamble.Wrapf("%v", err)
	}
	if hasUnknownFields(p.ProtoReflect()) || !bytes.Equal(kit.Marshal(&p), body) {
		return nil, modules.ErrInvalidPreamble.Wrapf("not canonically encoded")
	}
	if len(p.Entries) == 0 {
		return nil, modules.ErrInvalidPreamble.Wrapf("no entries")
	}
	for i, e := range p.Entries {
		if i > 0 && p.Entries[i-1].Kind >= e.Kind {
			return nil, modules.ErrInvalidPreamble.Wrapf("kind %q out of order or repeated", e.Kind)
		}
	}
	return &p, nil
}

// commitInfo is CometBFT's commit of the previous block as modules see it.
func commitInfo(ci abci.CommitInfo) kit.CommitInfo {
	out := kit.CommitInfo{Round: ci.Round, Votes: make([]kit.Vote, len(ci.Votes))}
	for i, v := range ci.Votes {
		out.Votes[i] = vote(v.Validator, v.BlockIdFlag)
	}
	return out
}

// extendedCommitInfo is the commit of the previous block as a proposer
// sees it, each vote with its extension's entry of kind, if it has one
// that decodes ("" for none: what the other validators see of the same
// commit). CometBFT has checked every extension's signature by the
// validator's consensus key; the entry's own signature is the module's to
// check.
func extendedCommitInfo(ci abci.ExtendedCommitInfo, kind string) kit.CommitInfo {
	out := kit.CommitInfo{Round: ci.Round, Votes: make([]kit.Vote, len(ci.Votes))}
	for i, v := range ci.Votes {
		out.Votes[i] = vote(v.Validator, v.BlockIdFlag)
		if kind == "" || len(v.VoteExtension) == 0 {
			continue
		}
		if ext, err := decodeVoteExtension(v.VoteExtension); err == nil {
			for _, e := range ext.Entries {
				if e.Kind == kind {
					out.Votes[i].Payload, out.Votes[i].Signature = e.Payload, e.Signature
				}
			}
		}
	}
	return out
}

func vote(v abci.Validator, flag cmtproto.BlockIDFlag) kit.Vote {
	return kit.Vote{Validator: v.Address, Power: v.Power, Signed: flag == cmtproto.BlockIDFlagCommit}
}
