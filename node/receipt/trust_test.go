package receipt

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"
	cmtversionpb "github.com/cometbft/cometbft/api/cometbft/version/v1"
	"github.com/cometbft/cometbft/crypto/tmhash"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
)

const trustChain = "trust-test"

// signer holds mock validators by address.
type signer map[string]cmttypes.MockPV

func newValidators(s signer, n int) []*cmttypes.Validator {
	out := make([]*cmttypes.Validator, n)
	for i := range out {
		pv := cmttypes.NewMockPV()
		v := pv.ExtractIntoValidator(10)
		s[string(v.Address)] = pv
		out[i] = v
	}
	return out
}

// setOf builds a validator set from validators (copies, so sets do not
// share proposer priorities).
func setOf(vals ...*cmttypes.Validator) *cmttypes.ValidatorSet {
	cp := make([]*cmttypes.Validator, len(vals))
	for i, v := range vals {
		cp[i] = cmttypes.NewValidator(v.PubKey, v.VotingPower)
	}
	return cmttypes.NewValidatorSet(cp)
}

// signedBlock makes a header at height naming vals, committed by all of
// them.
func signedBlock(t testing.TB, s signer, height int64, vals *cmttypes.ValidatorSet) lightBlock {
	t.Helper()
	return s.block(t, blockSpec{
		chainID: trustChain, height: height, time: time.Unix(1_700_000_000+height, 0).UTC(), vals: vals,
		lastBlockID: cmttypes.BlockID{Hash: tmhash.Sum([]byte("prev")), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: tmhash.Sum([]byte("prev-parts"))}},
	})
}

// blockSpec is what a test header says; unset parts get defaults.
type blockSpec struct {
	chainID     string
	height      int64
	time        time.Time
	vals, next  *cmttypes.ValidatorSet // next: vals if nil
	lastBlockID cmttypes.BlockID
	appHash     []byte
	appVersion  uint64
}

func (b blockSpec) header() *cmttypes.Header {
	next := b.next
	if next == nil {
		next = b.vals
	}
	appHash := b.appHash
	if appHash == nil {
		appHash = tmhash.Sum(nil)
	}
	return &cmttypes.Header{
		Version: cmtversionpb.Consensus{Block: version.BlockProtocol, App: b.appVersion},
		ChainID: b.chainID, Height: b.height, Time: b.time,
		LastBlockID:    b.lastBlockID,
		LastCommitHash: tmhash.Sum(nil), DataHash: tmhash.Sum(nil), ConsensusHash: tmhash.Sum(nil),
		AppHash: appHash, LastResultsHash: tmhash.Sum(nil), EvidenceHash: tmhash.Sum(nil),
		ValidatorsHash: b.vals.Hash(), NextValidatorsHash: next.Hash(),
		ProposerAddress: b.vals.Validators[0].Address,
	}
}

// block makes the header b describes, committed by all of its validators.
func (s signer) block(t testing.TB, b blockSpec) lightBlock {
	t.Helper()
	h := b.header()
	blockID := cmttypes.BlockID{Hash: h.Hash(), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: tmhash.Sum([]byte("parts"))}}
	voteSet := cmttypes.NewVoteSet(b.chainID, b.height, 0, cmtproto.PrecommitType, b.vals)
	ordered := make([]cmttypes.PrivValidator, len(b.vals.Validators))
	for i, v := range b.vals.Validators {
		ordered[i] = s[string(v.Address)]
	}
	ext, err := cmttypes.MakeExtCommit(blockID, b.height, 0, voteSet, ordered, b.time, false)
	if err != nil {
		t.Fatal(err)
	}
	return lightBlock{&cmttypes.SignedHeader{Header: h, Commit: ext.ToCommit()}, b.vals}
}

// testNow is the verifier's clock in tests of signedBlock's headers.
var testNow = time.Unix(1_700_000_100, 0)

// chainFor makes what a receipt would carry from light blocks: the last is
// the signed header, the others its trust path; the state header is an
// unsigned header just below the signed one.
func chainFor(t testing.TB, blocks []lightBlock) chainOf {
	t.Helper()
	target := blocks[len(blocks)-1]
	state := blockSpec{chainID: trustChain, height: target.Height - 1, time: target.Time.Add(-time.Second), vals: target.vals}.header()
	return chainOf{chainID: trustChain, path: blocks[:len(blocks)-1], state: state, target: target}
}

func genesisOf(vals []*cmttypes.Validator) Trust {
	return genesisFor(trustChain, vals)
}

func genesisFor(chainID string, vals []*cmttypes.Validator) Trust {
	doc := &cmttypes.GenesisDoc{ChainID: chainID}
	for _, v := range vals {
		doc.Validators = append(doc.Validators, cmttypes.GenesisValidator{Address: v.Address, PubKey: v.PubKey, Power: v.VotingPower})
	}
	return Trust{Genesis: doc}
}

// TestTrustPath: a validator set that changed since the trust root is
// accepted only when more than 1/3 of the trusted set vouches for it.
func TestTrustPath(t *testing.T) {
	s := signer{}
	a := newValidators(s, 3)     // the genesis set
	fresh := newValidators(s, 3) // validators that joined later
	setA := setOf(a...)
	setB := setOf(a[0], a[1], fresh[0])     // 2 of A's 3 stay: 2/3 of A vouches
	setC := setOf(a[0], fresh[1], fresh[2]) // 1 of A's 3 stays: exactly 1/3, not more
	setD := setOf(fresh...)                 // none of A
	genesis := genesisOf(a)

	cases := []struct {
		name  string
		trust func(chain []lightBlock) Trust
		chain []lightBlock
		ok    bool
	}{
		{"genesis set unchanged", func([]lightBlock) Trust { return genesis }, []lightBlock{signedBlock(t, s, 10, setA)}, true},
		{"set changed, vouched by 2/3", func([]lightBlock) Trust { return genesis }, []lightBlock{signedBlock(t, s, 10, setB)}, true},
		{"set changed through a path", func([]lightBlock) Trust { return genesis },
			[]lightBlock{signedBlock(t, s, 5, setB), signedBlock(t, s, 10, setOf(a[0], fresh[0], fresh[1]))}, true},
		{"set changed, only 1/3 vouches", func([]lightBlock) Trust { return genesis }, []lightBlock{signedBlock(t, s, 10, setC)}, false},
		{"entirely new set", func([]lightBlock) Trust { return genesis }, []lightBlock{signedBlock(t, s, 10, setD)}, false},
		{"trusted header, same set", func(c []lightBlock) Trust { return Trust{Height: 5, Hash: c[0].Hash()} },
			[]lightBlock{signedBlock(t, s, 5, setD), signedBlock(t, s, 10, setD)}, true},
		{"trusted header, unvouched change", func(c []lightBlock) Trust { return Trust{Height: 5, Hash: c[0].Hash()} },
			[]lightBlock{signedBlock(t, s, 5, setA), signedBlock(t, s, 10, setD)}, false},
		{"trusted hash wrong", func(c []lightBlock) Trust { return Trust{Height: 5, Hash: tmhash.Sum([]byte("x"))} },
			[]lightBlock{signedBlock(t, s, 5, setA), signedBlock(t, s, 10, setA)}, false},
		{"trusted height absent", func(c []lightBlock) Trust { return Trust{Height: 7, Hash: c[0].Hash()} },
			[]lightBlock{signedBlock(t, s, 5, setA), signedBlock(t, s, 10, setA)}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, lb := range c.chain {
				if err := checkLightBlock(trustChain, lb); err != nil {
					t.Fatalf("light block %d does not stand on its own: %v", lb.Height, err)
				}
			}
			trust := c.trust(c.chain)
			trust.Now = testNow
			_, err := establish(context.Background(), trust, chainFor(t, c.chain))
			if (err == nil) != c.ok {
				t.Fatalf("establish = %v, want ok=%v", err, c.ok)
			}
		})
	}

	// A commit signed by someone outside the named set is refused.
	lb := signedBlock(t, s, 10, setA)
	forged := signedBlock(t, s, 10, setD)
	lb.Commit = forged.Commit
	if err := checkLightBlock(trustChain, lb); err == nil {
		t.Fatal("header committed by another set accepted")
	}
}

// TestGenesisOfAnotherChain: a receipt whose headers none of the trusted
// genesis validators signed, of a chain with the same chain id (every dev
// chain is lineage-dev), is refused as another chain's, not with the light
// client's "insufficient voting power: got 0"; a chain whose set merely
// changed too much is not called another chain.
func TestGenesisOfAnotherChain(t *testing.T) {
	s := signer{}
	a, other := newValidators(s, 3), newValidators(s, 3)
	genesis := genesisOf(a)
	genesis.Now = testNow
	const want = "another chain or validator set than the trusted genesis"
	for _, tc := range []struct {
		name  string
		chain []lightBlock
		other bool
	}{
		{"first header", []lightBlock{signedBlock(t, s, 1, setOf(other...))}, true},
		{"later header", []lightBlock{signedBlock(t, s, 10, setOf(other...))}, true},
		{"set changed, only 1/3 vouches", []lightBlock{signedBlock(t, s, 10, setOf(a[0], other[1], other[2]))}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := establish(context.Background(), genesis, chainFor(t, tc.chain))
			if err == nil || !errors.Is(err, ErrInvalid) {
				t.Fatalf("establish = %v, want invalid", err)
			}
			if got := strings.Contains(err.Error(), want); got != tc.other {
				t.Errorf("%v: says another chain %v, want %v", err, got, tc.other)
			}
		})
	}
}
