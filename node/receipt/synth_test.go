package receipt

import (
	"testing"
	"time"

	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"
	"github.com/cometbft/cometbft/crypto/tmhash"
	cmttypes "github.com/cometbft/cometbft/types"
	gogoproto "github.com/cosmos/gogoproto/proto"
)

// synthChain re-signs the real fixture receipt's proven content with
// validators the test holds keys of, so that tests can give it headers the
// fixture's chain never had: other validator sets, other app versions, a
// trust path.
type synthChain struct {
	t     testing.TB
	s     signer
	orig  *Receipt
	state *cmttypes.Header // the fixture's state header
	app   []byte           // the fixture's signed app hash
	// sets[h] is the validator set of height h, for every height up to the
	// signed header; appVersion is every header's app version.
	sets       map[int64]*cmttypes.ValidatorSet
	appVersion uint64
}

func newSynthChain(t testing.TB) *synthChain {
	t.Helper()
	data, _ := fixture(t)
	r, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var hp cmtproto.Header
	if err := gogoproto.Unmarshal(r.StateHeader, &hp); err != nil {
		t.Fatal(err)
	}
	state, err := cmttypes.HeaderFromProto(&hp)
	if err != nil {
		t.Fatal(err)
	}
	var shp cmtproto.SignedHeader
	if err := gogoproto.Unmarshal(r.SignedHeader, &shp); err != nil {
		t.Fatal(err)
	}
	return &synthChain{t: t, s: signer{}, orig: r, state: &state, app: shp.Header.AppHash, sets: map[int64]*cmttypes.ValidatorSet{}, appVersion: AppVersion}
}

// timeOf is the time of height h: the fixture's state time at its height,
// a second per block around it.
func (c *synthChain) timeOf(h int64) time.Time {
	return c.state.Time.Add(time.Duration(h-c.orig.Height) * time.Second)
}

// setFrom gives heights from..to (inclusive) the set vals.
func (c *synthChain) setFrom(from, to int64, vals *cmttypes.ValidatorSet) {
	for h := from; h <= to; h++ {
		c.sets[h] = vals
	}
}

// lightBlock makes the header of height h (below the state's).
func (c *synthChain) lightBlock(h int64) lightBlock {
	c.t.Helper()
	return c.s.block(c.t, blockSpec{
		chainID: c.orig.ChainID, height: h, time: c.timeOf(h), vals: c.sets[h], next: c.sets[h+1],
		lastBlockID: cmttypes.BlockID{Hash: tmhash.Sum([]byte{byte(h)}), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: tmhash.Sum(nil)}},
		appVersion:  c.appVersion,
	})
}

// stateHeader is the fixture's state header naming the test's validators.
func (c *synthChain) stateHeader() *cmttypes.Header {
	h := *c.state
	h.Version.App = c.appVersion
	h.ValidatorsHash = c.sets[c.orig.Height].Hash()
	h.NextValidatorsHash = c.sets[c.orig.Height+1].Hash()
	h.ProposerAddress = c.sets[c.orig.Height].Validators[0].Address
	return &h
}

// receipt builds the receipt, with light blocks of the given heights as its
// trust path.
func (c *synthChain) receipt(path ...int64) *Receipt {
	c.t.Helper()
	r := *c.orig
	state := c.stateHeader()
	next := c.orig.Height + 1
	signed := c.s.block(c.t, blockSpec{
		chainID: r.ChainID, height: next, time: c.timeOf(next), vals: c.sets[next],
		lastBlockID: cmttypes.BlockID{Hash: state.Hash(), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: tmhash.Sum([]byte("parts"))}},
		appHash:     c.app, appVersion: c.appVersion,
	})
	var err error
	if r.StateHeader, err = gogoproto.Marshal(state.ToProto()); err != nil {
		c.t.Fatal(err)
	}
	if r.SignedHeader, err = gogoproto.Marshal(signed.SignedHeader.ToProto()); err != nil {
		c.t.Fatal(err)
	}
	if r.Validators, err = EncodeValidators(signed.vals); err != nil {
		c.t.Fatal(err)
	}
	r.TrustPath = nil
	for _, h := range path {
		r.TrustPath = append(r.TrustPath, c.encode(c.lightBlock(h)))
	}
	return &r
}

func (c *synthChain) encode(lb lightBlock) []byte {
	c.t.Helper()
	b, err := EncodeLightBlock(&cmttypes.LightBlock{SignedHeader: lb.SignedHeader, ValidatorSet: lb.vals})
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

// genesis trusts the validators of the first height.
func (c *synthChain) genesis() Trust {
	return genesisFor(c.orig.ChainID, c.sets[1].Validators)
}

// signedHash is the hash of the signed header receipt() makes.
func (c *synthChain) signedHash() []byte {
	c.t.Helper()
	r := c.receipt()
	var shp cmtproto.SignedHeader
	if err := gogoproto.Unmarshal(r.SignedHeader, &shp); err != nil {
		c.t.Fatal(err)
	}
	sh, err := cmttypes.SignedHeaderFromProto(&shp)
	if err != nil {
		c.t.Fatal(err)
	}
	return sh.Hash()
}
