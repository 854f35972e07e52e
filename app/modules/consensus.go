package modules

import (
	"slices"

	"github.com/lineageledger/lineaged/x/kit"
)

// The parts of the table the consensus calls read: end-of-block work,
// block preamble kinds and vote extensions. The application owns their
// wire forms (lineage.app.v1.Preamble, VoteExtension) and translates
// CometBFT's commit info; the modules see kit types only.

// EndBlock runs every module's end-of-block work on st, the whole state,
// in table order, and returns their events and validator-set changes in
// that order.
func (t *Table) EndBlock(st kit.Store, blk kit.Block) ([]kit.Event, []kit.ValidatorUpdate) {
	var events []kit.Event
	var updates []kit.ValidatorUpdate
	for _, m := range t.modules {
		if m.EndBlock == nil {
			continue
		}
		ev, up := m.EndBlock(kit.Prefixed(st, []byte{m.Prefix}), kit.ReadOnly(st), blk, authority{t, st})
		events = append(events, ev...)
		updates = append(updates, up...)
	}
	return events, updates
}

// PreambleKinds lists the wire names of every preamble kind, sorted: the
// order their entries take in a preamble.
func (t *Table) PreambleKinds() []string { return sortedKeys(t.preamble) }

// BuildPreamble asks kind for its entry of the next block (nil: none).
func (t *Table) BuildPreamble(kind string, view kit.Reader, blk kit.Block, last kit.CommitInfo) []byte {
	p, ok := t.preamble[kind]
	if !ok || p.kind.Build == nil {
		return nil
	}
	return p.kind.Build(kit.ReadOnly(view), blk, last)
}

// ExecutePreamble checks and executes one entry of a block's preamble on
// st, the whole state; an unknown kind is refused.
func (t *Table) ExecutePreamble(kind string, st kit.Store, blk kit.Block, last kit.CommitInfo, data []byte) ([]kit.Event, error) {
	p, ok := t.preamble[kind]
	if !ok {
		return nil, ErrInvalidPreamble.Wrapf("unknown kind %q", kind)
	}
	return p.kind.Execute(kit.Prefixed(st, p.prefix), kit.ReadOnly(st), blk, last, data)
}

// VoteExtensionKinds lists the wire names of every vote extension, sorted.
func (t *Table) VoteExtensionKinds() []string { return sortedKeys(t.votes) }

// VotePayload is what kind asks this validator to sign at height (nil:
// nothing), on view, the last committed state, whose app hash is appHash.
func (t *Table) VotePayload(kind string, view kit.Reader, height int64, appHash []byte) []byte {
	v := t.votes[kind]
	if v == nil || v.Payload == nil {
		return nil
	}
	return v.Payload(kit.ReadOnly(view), height, appHash)
}

// VerifyVote checks another validator's entry of kind.
func (t *Table) VerifyVote(kind string, view kit.Reader, height int64, appHash, validator, payload, signature []byte) error {
	v := t.votes[kind]
	if v == nil {
		return ErrInvalidVoteExtension.Wrapf("unknown kind %q", kind)
	}
	return v.Verify(kit.ReadOnly(view), height, appHash, validator, payload, signature)
}

// boundPreamble is a preamble kind with its module's prefix.
type boundPreamble struct {
	kind   *PreambleKind
	prefix []byte
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
