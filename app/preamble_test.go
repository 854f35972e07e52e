package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// The chain's modules use neither a block preamble, vote extensions nor
// validator updates yet; this test-only module uses all three, the way
// anchoring will: each validator signs the height and app hash of the
// block it precommits, the next proposer collects the signatures into the
// block's preamble, every validator checks them against the previous
// block's commit, and the block records who signed. Every fifth block
// its end-of-block work changes a validator's power.
const (
	testPrefix     byte = 0xf0
	testKind            = "witness.sig" // module "witness", kind "sig"
	testUpdateEach      = 5
)

// validatorKey is the key a test validator signs its vote extension with.
func validatorKey(t testing.TB, addr []byte) *keys.PrivateKey {
	return testKey(t, fmt.Sprintf("witness-%X", addr), keysv1.KeyType_KEY_TYPE_ED25519)
}

// witnessPayload is what a validator signs at height: the height and the
// app hash of the last committed state.
func witnessPayload(height int64, appHash []byte) []byte {
	return append(binary.BigEndian.AppendUint64([]byte("witness\x00"), uint64(height)), appHash...)
}

// witnessModule is the test module. Its preamble data is, per signer,
// address(20) ‖ len(payload) ‖ payload ‖ len(sig) ‖ sig.
func witnessModule(t testing.TB) modules.Module {
	verify := func(validator, payload, sig []byte) error {
		return keys.Verify(validatorKey(t, validator).Public(), payload, sig)
	}
	return modules.Module{
		Name: "witness", Prefix: testPrefix,
		VoteExtensions: []*modules.VoteExtension{{
			Name:    "sig",
			Payload: func(_ kit.Reader, height int64, appHash []byte) []byte { return witnessPayload(height, appHash) },
			Verify: func(_ kit.Reader, height int64, appHash, validator, payload, sig []byte) error {
				if !bytes.Equal(payload, witnessPayload(height, appHash)) {
					return errors.New("payload is not this height's")
				}
				return verify(validator, payload, sig)
			},
		}},
		Preamble: []*modules.PreambleKind{{
			Name: "sig",
			Build: func(_ kit.Reader, _ kit.Block, last kit.CommitInfo) []byte {
				var out []byte
				for _, v := range last.Votes {
					if v.Signed && v.Payload != nil {
						out = append(out, v.Validator...)
						out = protowire.AppendBytes(out, v.Payload)
						out = protowire.AppendBytes(out, v.Signature)
					}
				}
				return out
			},
			Execute: func(st kit.Store, _ kit.Reader, blk kit.Block, last kit.CommitInfo, data []byte) ([]kit.Event, error) {
				signed := map[string]bool{}
				for _, v := range last.Votes {
					signed[string(v.Validator)] = v.Signed
				}
				n := 0
				for len(data) > 0 {
					if len(data) < 20 {
						return nil, errors.New("truncated signer")
					}
					addr := data[:20]
					payload, k := protowire.ConsumeBytes(data[20:])
					if k < 0 {
						return nil, errors.New("truncated payload")
					}
					sig, l := protowire.ConsumeBytes(data[20+k:])
					if l < 0 {
						return nil, errors.New("truncated signature")
					}
					data = data[20+k+l:]
					if !signed[string(addr)] {
						return nil, fmt.Errorf("%X did not sign the previous block", addr)
					}
					signed[string(addr)] = false // once each
					if binary.BigEndian.Uint64(payload[len("witness\x00"):]) != uint64(blk.Height-1) {
						return nil, errors.New("signature for another height")
					}
					if err := verify(addr, payload, sig); err != nil {
						return nil, err
					}
					n++
				}
				st.Set(binary.BigEndian.AppendUint64(nil, uint64(blk.Height)), []byte{byte(n)})
				return []kit.Event{kit.NewEvent("witness.signed", "signers", strconv.Itoa(n))}, nil
			},
		}},
		EndBlock: func(st kit.Store, _ kit.Reader, blk kit.Block, _ kit.Authority) ([]kit.Event, []kit.ValidatorUpdate) {
			if blk.Height%testUpdateEach != 0 {
				return nil, nil
			}
			st.Set([]byte("last-update"), binary.BigEndian.AppendUint64(nil, uint64(blk.Height)))
			pub := validatorKey(t, []byte("joining")).Public()
			return []kit.Event{kit.NewEvent("witness.power", "height", strconv.FormatInt(blk.Height, 10))},
				[]kit.ValidatorUpdate{{PubKeyType: "ed25519", PubKey: pub.Key, Power: blk.Height}}
		},
	}
}

// testValidators are three validators' consensus addresses.
var testValidators = [][]byte{bytes.Repeat([]byte{1}, 20), bytes.Repeat([]byte{2}, 20), bytes.Repeat([]byte{3}, 20)}

// keySigner signs with a test key, as the node's signer would.
type keySigner struct{ key *keys.PrivateKey }

func (s keySigner) Sign(payload []byte) ([]byte, error) { return s.key.Sign(payload) }

// extensions has every test validator extend its vote for height on c's
// app, as each validator's node would, and returns the extensions.
func extensions(t *testing.T, c *chain, height int64) [][]byte {
	t.Helper()
	var out [][]byte
	for _, v := range testValidators {
		if err := c.app.SetVoteSigner(testKind, keySigner{validatorKey(t, v)}); err != nil {
			t.Fatal(err)
		}
		res, err := c.app.ExtendVote(context.Background(), &abci.ExtendVoteRequest{Height: height})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res.VoteExtension)
	}
	return out
}

// lastCommit is the commit of the previous block: every validator signed
// but those in absent, with its extension.
func lastCommit(exts [][]byte, absent ...int) (abci.ExtendedCommitInfo, abci.CommitInfo) {
	var ext abci.ExtendedCommitInfo
	var plain abci.CommitInfo
	for i, addr := range testValidators {
		flag := cmtproto.BlockIDFlagCommit
		for _, a := range absent {
			if a == i {
				flag = cmtproto.BlockIDFlagAbsent
			}
		}
		val := abci.Validator{Address: addr, Power: 10}
		e := abci.ExtendedVoteInfo{Validator: val, BlockIdFlag: flag}
		if flag == cmtproto.BlockIDFlagCommit {
			e.VoteExtension = exts[i]
		}
		ext.Votes = append(ext.Votes, e)
		plain.Votes = append(plain.Votes, abci.VoteInfo{Validator: val, BlockIdFlag: flag})
	}
	return ext, plain
}

// proposeWitnessed runs the next block as its proposer and the other
// validators do, with txs from the mempool: PrepareProposal from the
// extended commit, then ProcessProposal, FinalizeBlock and Commit.
func proposeWitnessed(t *testing.T, c *chain, ext abci.ExtendedCommitInfo, plain abci.CommitInfo, txs ...[]byte) (*abci.PrepareProposalResponse, *abci.FinalizeBlockResponse) {
	t.Helper()
	c.height++
	c.now = c.now.Add(1e9)
	ctx := context.Background()
	prep, err := c.app.PrepareProposal(ctx, &abci.PrepareProposalRequest{Txs: txs, MaxTxBytes: 1 << 20, Height: c.height, Time: c.now, LocalLastCommit: ext})
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256([]byte(fmt.Sprint("witnessed", c.height)))
	pp, err := c.app.ProcessProposal(ctx, &abci.ProcessProposalRequest{Txs: prep.Txs, Hash: hash[:], Height: c.height, Time: c.now, ProposedLastCommit: plain})
	if err != nil {
		t.Fatal(err)
	}
	if pp.Status != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("height %d: the proposer's own block was rejected", c.height)
	}
	fb, err := c.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: prep.Txs, Hash: hash[:], Height: c.height, Time: c.now, DecidedLastCommit: plain})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.app.Commit(ctx, &abci.CommitRequest{}); err != nil {
		t.Fatal(err)
	}
	c.blocks = append(c.blocks, finalized{txs: prep.Txs, hash: fb.AppHash, results: fb.TxResults})
	return prep, fb
}

// witnessed reads how many signers the block at height recorded (-1: none).
func witnessed(c *chain, height int64) int {
	v := c.store.Committed().Get(append([]byte{testPrefix}, binary.BigEndian.AppendUint64(nil, uint64(height))...))
	if v == nil {
		return -1
	}
	return int(v[0])
}

func processes(t *testing.T, c *chain, plain abci.CommitInfo, txs ...[]byte) abci.ProcessProposalStatus {
	t.Helper()
	res, err := c.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{Txs: txs, Hash: []byte("other"), Height: c.height + 1, Time: c.now.Add(1e9), ProposedLastCommit: plain})
	if err != nil {
		t.Fatal(err)
	}
	return res.Status
}

// TestPreambleAccepted: votes extended with signatures become the next
// block's preamble, which every validator accepts and which records who
// signed; FinalizeBlock returns the module's validator updates.
func TestPreambleAccepted(t *testing.T) {
	c := newChainOn(t, mustMemStore(t), true, witnessModule(t))
	c.mustBlock()
	exts := extensions(t, c, c.height+1)
	for i, e := range exts {
		if len(e) == 0 {
			t.Fatalf("validator %d extended nothing", i)
		}
		res, err := c.app.VerifyVoteExtension(context.Background(), &abci.VerifyVoteExtensionRequest{Height: c.height + 1, ValidatorAddress: testValidators[i], VoteExtension: e})
		if err != nil || res.Status != abci.VERIFY_VOTE_EXTENSION_STATUS_ACCEPT {
			t.Fatalf("validator %d's extension refused (%v)", i, err)
		}
	}
	// The block at height h+1 carries the precommits of h+1's signatures
	// only in block h+2: finalize h+1 first.
	c.mustBlock()
	steward := c.tx(c.admin, &membershippb.MsgSetRoles{Address: c.steward.addr(), Roles: []membershippb.Role{membershippb.Role_ROLE_DATA_STEWARD}})
	ext, plain := lastCommit(exts, 2) // the third validator's precommit missed the commit
	prep, fb := proposeWitnessed(t, c, ext, plain, steward)
	if len(prep.Txs) != 2 || !isPreamble(prep.Txs[0]) || !bytes.Equal(prep.Txs[1], steward) {
		t.Fatalf("proposal = %d entries, first a preamble %v", len(prep.Txs), len(prep.Txs) > 0 && isPreamble(prep.Txs[0]))
	}
	if r := fb.TxResults[0]; r.Code != 0 || len(r.Events) != 1 || r.Events[0].Type != "witness.signed" || r.Events[0].Attributes[0].Value != "2" {
		t.Fatalf("preamble result %s/%d %q, events %v", r.Codespace, r.Code, r.Log, r.Events)
	}
	if r := fb.TxResults[1]; r.Code != 0 {
		t.Fatalf("transaction after the preamble: %s/%d %s", r.Codespace, r.Code, r.Log)
	}
	if n := witnessed(c, c.height); n != 2 {
		t.Fatalf("recorded %d signers, want 2", n)
	}
	// A commit without extensions (vote extensions off) gives no preamble.
	_, plain = lastCommit(make([][]byte, 3))
	prep, _ = proposeWitnessed(t, c, abci.ExtendedCommitInfo{Votes: nil}, plain)
	if len(prep.Txs) != 0 {
		t.Fatalf("a block without extensions got %d entries", len(prep.Txs))
	}
	// Height 5: the module's end-of-block work asks for a validator change.
	for c.height < testUpdateEach-1 {
		c.mustBlock()
	}
	_, fb = proposeWitnessed(t, c, abci.ExtendedCommitInfo{}, abci.CommitInfo{})
	if len(fb.ValidatorUpdates) != 1 || fb.ValidatorUpdates[0].Power != testUpdateEach || fb.ValidatorUpdates[0].PubKeyType != "ed25519" ||
		len(fb.Events) != 1 || fb.Events[0].Type != "witness.power" {
		t.Fatalf("height %d: updates %v, events %v", c.height, fb.ValidatorUpdates, fb.Events)
	}
}

// TestPreambleRejected: ProcessProposal rejects every block whose preamble
// is malformed, misplaced, repeated, of an unknown kind or fails its
// module's check against the previous block's commit; the state is as
// before.
func TestPreambleRejected(t *testing.T) {
	c := newChainOn(t, mustMemStore(t), true, witnessModule(t))
	c.mustBlock()
	exts := extensions(t, c, c.height+1)
	c.mustBlock()
	ext, plain := lastCommit(exts)
	good := c.app.buildPreamble(c.app.base(), c.app.block(c.height+1, c.now), ext)
	if good == nil || processes(t, c, plain, good) != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatal("the honest preamble is refused")
	}
	entry := func(kind string, data []byte) []byte {
		return append([]byte(PreambleMarker), kit.Marshal(&appv1.Preamble{Entries: []*appv1.PreambleEntry{{Kind: kind, Data: data}}})...)
	}
	p, err := decodePreamble(good)
	if err != nil {
		t.Fatal(err)
	}
	data := p.Entries[0].Data
	tampered := bytes.Clone(data)
	tampered[len(tampered)-1] ^= 1
	_, twoAbsent := lastCommit(exts, 1)
	before := appHash(c)
	tx := c.tx(c.admin, &membershippb.MsgSetRoles{Address: c.steward.addr(), Roles: []membershippb.Role{membershippb.Role_ROLE_DATA_STEWARD}})
	for _, tc := range []struct {
		name  string
		plain abci.CommitInfo
		txs   [][]byte
	}{
		{"forged signature", plain, [][]byte{entry(testKind, tampered)}},
		{"a signer absent from the commit", twoAbsent, [][]byte{good}},
		{"unknown kind", plain, [][]byte{entry("witness.other", data)}},
		{"no entries", plain, [][]byte{[]byte(PreambleMarker)}},
		{"trailing bytes", plain, [][]byte{append(bytes.Clone(good), 0)}},
		{"kinds repeated", plain, [][]byte{append([]byte(PreambleMarker), kit.Marshal(&appv1.Preamble{Entries: []*appv1.PreambleEntry{{Kind: testKind, Data: data}, {Kind: testKind, Data: data}}})...)}},
		{"after a transaction", plain, [][]byte{tx, good}},
		{"twice", plain, [][]byte{good, good}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := processes(t, c, tc.plain, tc.txs...); got != abci.PROCESS_PROPOSAL_STATUS_REJECT {
				t.Fatalf("ProcessProposal = %v, want REJECT", got)
			}
		})
	}
	if !bytes.Equal(appHash(c), before) || witnessed(c, c.height+1) != -1 {
		t.Fatal("a rejected proposal changed the state")
	}
}

// TestPreambleReplayed: a full node replaying the blocks with FinalizeBlock
// alone (block sync, crash recovery) gets the same results and app hashes;
// a block decided with a failing preamble (only a faulty majority could)
// gets the preamble's error as its result and writes nothing of it.
func TestPreambleReplayed(t *testing.T) {
	a := newChainOn(t, mustMemStore(t), true, witnessModule(t))
	a.mustBlock()
	decided := map[int64]abci.CommitInfo{} // by height
	for i := 0; i < 3; i++ {
		exts := extensions(t, a, a.height+1)
		a.mustBlock()
		ext, plain := lastCommit(exts, i)
		proposeWitnessed(t, a, ext, plain, a.tx(a.admin, &membershippb.MsgSetRoles{Address: a.steward.addr(), Roles: []membershippb.Role{membershippb.Role_ROLE_DATA_STEWARD}}))
		decided[a.height] = plain
	}
	st, err := store.Open(store.Config{Backend: "pebbledb", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := newChainOn(t, st, true, witnessModule(t))
	for _, blk := range a.blocks {
		b.height++
		b.now = b.now.Add(1e9)
		fb, err := b.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Txs: blk.txs, Hash: []byte("replay"), Height: b.height, Time: b.now, DecidedLastCommit: decided[b.height]})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fb.AppHash, blk.hash) {
			t.Fatalf("height %d: replay hash %X, original %X", b.height, fb.AppHash, blk.hash)
		}
		for j := range fb.TxResults {
			compareResult(t, fmt.Sprintf("height %d entry %d", b.height, j), blk.results[j], fb.TxResults[j])
		}
	}
	if witnessed(b, b.height) != 2 {
		t.Fatalf("replayed last block recorded %d signers", witnessed(b, b.height))
	}

	// The same preamble decided against a commit it does not match.
	last := a.blocks[len(a.blocks)-1]
	b.height++
	b.now = b.now.Add(1e9)
	fb, err := b.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Txs: last.txs[:1], Hash: []byte("faulty"), Height: b.height, Time: b.now})
	if err != nil {
		t.Fatal(err)
	}
	if r := fb.TxResults[0]; r.Code == 0 || len(r.Events) != 0 {
		t.Fatalf("failing preamble in a decided block: %s/%d %q with %d events", r.Codespace, r.Code, r.Log, len(r.Events))
	}
	if _, err := b.app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
		t.Fatal(err)
	}
	if witnessed(b, b.height) != -1 {
		t.Fatal("a failing preamble wrote its record")
	}
}

// TestPreambleNotATransaction: CheckTx refuses a preamble with a clear
// error, and a proposer does not take one from the mempool for its own.
func TestPreambleNotATransaction(t *testing.T) {
	c := newChainOn(t, mustMemStore(t), true, witnessModule(t))
	c.mustBlock()
	exts := extensions(t, c, c.height+1)
	c.mustBlock()
	ext, _ := lastCommit(exts)
	pre := c.app.buildPreamble(c.app.base(), c.app.block(c.height+1, c.now), ext)
	res := c.checkTx(pre)
	if res.Codespace != modules.Codespace || res.Code != modules.ErrMalformedTx.Code || !bytes.Contains([]byte(res.Log), []byte("preamble")) {
		t.Fatalf("CheckTx of a preamble = %s/%d %q", res.Codespace, res.Code, res.Log)
	}
	// Submitted anyway (a faulty peer's mempool), it is left out of a
	// proposal whose commit has no extensions, not taken as its preamble.
	prep, err := c.app.PrepareProposal(context.Background(), &abci.PrepareProposalRequest{Txs: [][]byte{pre}, MaxTxBytes: 1 << 20, Height: c.height + 1, Time: c.now.Add(1e9)})
	if err != nil {
		t.Fatal(err)
	}
	if len(prep.Txs) != 0 {
		t.Fatalf("the proposer kept a preamble from its mempool: %d entries", len(prep.Txs))
	}
}

// TestVoteExtensionVerification: an extension is refused when its payload
// is not this height's, its signature is not the validator's, its kind is
// unknown, or it is not canonically encoded; an empty one is accepted.
func TestVoteExtensionVerification(t *testing.T) {
	c := newChainOn(t, mustMemStore(t), true, witnessModule(t))
	c.mustBlock()
	h := c.height + 1
	good := extensions(t, c, h)[0]
	decoded, err := decodeVoteExtension(good)
	if err != nil {
		t.Fatal(err)
	}
	entry := decoded.Entries[0]
	with := func(mod func(e *appv1.VoteExtensionEntry)) []byte {
		e := &appv1.VoteExtensionEntry{Kind: entry.Kind, Payload: bytes.Clone(entry.Payload), Signature: bytes.Clone(entry.Signature)}
		mod(e)
		return kit.Marshal(&appv1.VoteExtension{Entries: []*appv1.VoteExtensionEntry{e}})
	}
	for _, tc := range []struct {
		name      string
		validator []byte
		height    int64
		raw       []byte
		want      abci.VerifyVoteExtensionStatus
	}{
		{"honest", testValidators[0], h, good, abci.VERIFY_VOTE_EXTENSION_STATUS_ACCEPT},
		{"empty", testValidators[1], h, nil, abci.VERIFY_VOTE_EXTENSION_STATUS_ACCEPT},
		{"another validator's", testValidators[1], h, good, abci.VERIFY_VOTE_EXTENSION_STATUS_REJECT},
		{"another height", testValidators[0], h + 1, good, abci.VERIFY_VOTE_EXTENSION_STATUS_REJECT},
		{"forged signature", testValidators[0], h, with(func(e *appv1.VoteExtensionEntry) { e.Signature[0] ^= 1 }), abci.VERIFY_VOTE_EXTENSION_STATUS_REJECT},
		{"unknown kind", testValidators[0], h, with(func(e *appv1.VoteExtensionEntry) { e.Kind = "witness.other" }), abci.VERIFY_VOTE_EXTENSION_STATUS_REJECT},
		{"trailing bytes", testValidators[0], h, append(bytes.Clone(good), 0), abci.VERIFY_VOTE_EXTENSION_STATUS_REJECT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.app.VerifyVoteExtension(context.Background(), &abci.VerifyVoteExtensionRequest{Height: tc.height, ValidatorAddress: tc.validator, VoteExtension: tc.raw})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.want {
				t.Fatalf("VerifyVoteExtension = %v, want %v", res.Status, tc.want)
			}
		})
	}
	if err := c.app.SetVoteSigner("nobody.asks", keySigner{}); err == nil {
		t.Fatal("SetVoteSigner accepted a kind no module has")
	}
}

// FuzzDecodePreamble: a proposer's preamble is untrusted input to every
// validator. Decoding never panics, and accepts only the one canonical
// encoding of entries in strictly ascending kinds; ProcessProposal never
// panics on it either.
func FuzzDecodePreamble(f *testing.F) {
	c := newChainOn(f, mustMemStore(f), true, witnessModule(f))
	c.mustBlock()
	f.Add(append([]byte(PreambleMarker), kit.Marshal(&appv1.Preamble{Entries: []*appv1.PreambleEntry{{Kind: testKind, Data: bytes.Repeat([]byte{1}, 20)}}})...))
	f.Add([]byte(PreambleMarker + "\x0a\x00"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		raw = append([]byte(PreambleMarker), raw...)
		p, err := decodePreamble(raw)
		if err == nil {
			if !bytes.Equal(append([]byte(PreambleMarker), kit.Marshal(p)...), raw) {
				t.Fatal("accepted a preamble that is not canonically encoded")
			}
			for i := 1; i < len(p.Entries); i++ {
				if p.Entries[i-1].Kind >= p.Entries[i].Kind {
					t.Fatal("accepted kinds out of order")
				}
			}
		}
		if _, err := c.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{Txs: [][]byte{raw}, Height: c.height + 1, Time: c.now.Add(1e9)}); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzVerifyVoteExtension: another validator's vote extension is untrusted
// input. Checking it never panics, and accepts only what decodes in its
// canonical form with every entry verified.
func FuzzVerifyVoteExtension(f *testing.F) {
	c := newChainOn(f, mustMemStore(f), true, witnessModule(f))
	c.mustBlock()
	f.Add(testValidators[0], int64(2), []byte{})
	f.Add(testValidators[0], int64(2), kit.Marshal(&appv1.VoteExtension{Entries: []*appv1.VoteExtensionEntry{{Kind: testKind, Payload: []byte("p"), Signature: []byte("s")}}}))
	f.Fuzz(func(t *testing.T, validator []byte, height int64, raw []byte) {
		res, err := c.app.VerifyVoteExtension(context.Background(), &abci.VerifyVoteExtensionRequest{Height: height, ValidatorAddress: validator, VoteExtension: raw})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status == abci.VERIFY_VOTE_EXTENSION_STATUS_ACCEPT && len(raw) > 0 {
			if _, err := decodeVoteExtension(raw); err != nil {
				t.Fatalf("accepted an extension that does not decode: %v", err)
			}
		}
	})
}
