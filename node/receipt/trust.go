package receipt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"
)

// Trust is the root a verifier trusts: the chain's genesis (its initial
// validator set), or the hash of one header it trusts.
type Trust struct {
	Genesis *cmttypes.GenesisDoc
	// Height and Hash name a trusted header: Hash is the hash of the
	// header of block Height (its block ID, as CometBFT's RPC and
	// lineaged verify print it). Any height up to the receipt's signed
	// header works: the receipt's own state height, the signed header
	// (Height+1), a header of its trust path, or, with Source, any older
	// header of the chain.
	Height int64
	Hash   []byte
	// TrustingPeriod is how long after its time a trusted header (and
	// every header verified from it) may vouch for the next validator set:
	// zero means DefaultTrustingPeriod. Genesis trust never expires, and
	// a trusted signed header needs no validators at all.
	TrustingPeriod time.Duration
	// Now is the verifier's clock; zero means time.Now().
	Now time.Time
	// Source, if set, supplies headers the receipt does not carry: the
	// trusted header itself, and the intermediate headers bisection asks
	// for when the validator set changed too much. Nothing it supplies is
	// trusted; every header is verified.
	Source LightBlockSource
}

// LightBlockSource supplies signed headers with their validator sets, as
// CometBFT's light client providers do.
type LightBlockSource interface {
	LightBlock(ctx context.Context, height int64) (*cmttypes.LightBlock, error)
}

// DefaultTrustingPeriod is how long a trusted header is trusted, as
// CometBFT's light client has it by default.
const DefaultTrustingPeriod = 168 * time.Hour

// MaxClockDrift is how far into the verifier's future a header's time may
// be, as CometBFT's light client allows.
const MaxClockDrift = 10 * time.Second

// forever is the trusting period of genesis trust.
const forever = time.Duration(math.MaxInt64)

// root is a trusted header: its validators vouch for later headers.
type root struct {
	*cmttypes.SignedHeader                        // the commit may be nil
	vals                   *cmttypes.ValidatorSet // nil when unknown
	period                 time.Duration
	name                   string // for messages
	// genesis marks the genesis validators: a header they cannot reach
	// is most likely of another chain that shares the chain id.
	genesis bool
}

// periodAt is the trusting period to judge r with at now: its own, or for
// trust that never expires, one that has not yet run out.
func (r *root) periodAt(now time.Time) time.Duration {
	if r.period != forever {
		return r.period
	}
	age := max(now.Sub(r.Time), 0)
	if age > forever-time.Hour {
		return forever
	}
	return age + time.Hour
}

// chainOf is what the receipt carries: its trust path (ascending), its
// state header and its signed header.
type chainOf struct {
	chainID string
	path    []lightBlock
	state   *cmttypes.Header
	target  lightBlock
}

// establish verifies the receipt's signed header from the trust root, the
// way CometBFT's light client does: adjacent headers by the trusted next
// validators, others by more than 1/3 of a trusted validator set, and
// bisection through the headers the receipt carries (or Source supplies)
// when a jump is too long. It returns the heights it verified, ending at
// the signed header's.
func establish(ctx context.Context, trust Trust, c chainOf) ([]int64, error) {
	now := trust.Now
	if now.IsZero() {
		now = time.Now()
	}
	period := trust.TrustingPeriod
	if period == 0 {
		period = DefaultTrustingPeriod
	}
	r, err := findRoot(ctx, trust, c, period)
	if err != nil {
		return nil, err
	}
	if r.Height == c.target.Height {
		// The signed header itself is trusted: its hash pins its app hash.
		return []int64{r.Height}, nil
	}
	if r.Height > c.target.Height {
		return nil, fmt.Errorf("%w: the trusted header %d is newer than the receipt's signed header %d; trust an older header, or genesis", ErrUnusable, r.Height, c.target.Height)
	}
	if r.period != forever && headerExpired(r.SignedHeader, r.period, now) {
		return nil, fmt.Errorf("%w: the trusted header %d (%s) is older than the trusting period %s: trust a newer header, or genesis",
			ErrUnusable, r.Height, r.Time.UTC().Format(time.RFC3339), r.period)
	}

	// Bisection: pending holds the headers still to reach, the nearest on
	// top; a jump the trusted validators cannot vouch for gets a pivot
	// half-way, from the receipt's trust path or else from Source.
	var verified []int64
	pending := []lightBlock{c.target}
	for len(pending) > 0 {
		next := pending[len(pending)-1]
		if r.vals == nil && next.Height != r.Height+1 {
			return nil, fmt.Errorf("%w: the trusted header %d carries no validator set, so it can vouch only for the header after it (%d); trust another header",
				ErrUnusable, r.Height, r.Height+1)
		}
		err := verifyForward(r.SignedHeader, r.vals, next.SignedHeader, next.vals, r.periodAt(now), now)
		if err == nil {
			r = &root{SignedHeader: next.SignedHeader, vals: next.vals, period: r.period, name: fmt.Sprintf("header %d", next.Height)}
			verified = append(verified, next.Height)
			pending = pending[:len(pending)-1]
			continue
		}
		var untrusted errCannotVouch
		if !errors.As(err, &untrusted) {
			if _, other := errors.AsType[errNotNextValidators](err); other && r.genesis {
				return nil, otherChain(next.Height, err, "")
			}
			return nil, fmt.Errorf("%w: header %d does not verify from %s: %v", ErrInvalid, next.Height, r.name, err)
		}
		pivot, ok, err := pivotBetween(ctx, trust.Source, c, r.Height, next.Height)
		if err != nil {
			return nil, err
		}
		if !ok {
			if r.genesis && untrusted.signedByNone() {
				return nil, otherChain(next.Height, untrusted.reason,
					" (if every genesis validator has left the set since, the receipt needs a trust path, or let a node supply one)")
			}
			return nil, fmt.Errorf("%w: the validators of %s cannot vouch for header %d (%v), and no header between them is available: the receipt's trust path needs one, or let a node supply it",
				ErrInvalid, r.name, next.Height, untrusted.reason)
		}
		pending = append(pending, pivot)
	}
	return verified, nil
}

// otherChain reports a header the trusted genesis validators did not sign:
// chain ids are not unique (every `lineaged dev` chain is lineage-dev), so
// a genesis of the same chain id can still be of another chain.
func otherChain(height int64, detail error, unless string) error {
	return fmt.Errorf("%w: this receipt is from another chain or validator set than the trusted genesis: none of the genesis validators signed header %d (%v). Chains can share a chain id: trust the genesis file of the chain that made the receipt%s",
		ErrInvalid, height, detail, unless)
}

// findRoot resolves the trust root to a header.
func findRoot(ctx context.Context, trust Trust, c chainOf, period time.Duration) (*root, error) {
	if trust.Genesis != nil {
		g := trust.Genesis
		if g.ChainID != c.chainID {
			return nil, fmt.Errorf("%w: receipt is for chain %q, the trusted genesis for %q", ErrInvalid, c.chainID, g.ChainID)
		}
		gv := make([]*cmttypes.Validator, len(g.Validators))
		for i, v := range g.Validators {
			gv[i] = cmttypes.NewValidator(v.PubKey, v.Power)
		}
		vals := cmttypes.NewValidatorSet(gv)
		initial := g.InitialHeight
		if initial == 0 {
			initial = 1
		}
		// A header before the first, whose next validators are the genesis
		// set. Its time is only compared with later headers' (which must be
		// later than the trusted one's: the first block may carry the
		// genesis time itself), and it never expires.
		h := &cmttypes.Header{ChainID: g.ChainID, Height: initial - 1, Time: time.Unix(0, 0).UTC(), NextValidatorsHash: vals.Hash()}
		return &root{SignedHeader: &cmttypes.SignedHeader{Header: h}, vals: vals, period: forever, name: "the genesis validators", genesis: true}, nil
	}
	if len(trust.Hash) == 0 || trust.Height < 1 {
		return nil, fmt.Errorf("%w: no trust root (a trusted header needs a height of at least 1 and a hash)", ErrUnusable)
	}
	name := fmt.Sprintf("the trusted header %d", trust.Height)
	check := func(h *cmttypes.Header) error {
		if !bytes.Equal(h.Hash(), trust.Hash) {
			return fmt.Errorf("%w: header %d has hash %X, the trusted one is %X", ErrInvalid, h.Height, h.Hash(), trust.Hash)
		}
		return nil
	}
	for _, lb := range append(slices.Clone(c.path), c.target) {
		if lb.Height == trust.Height {
			if err := check(lb.Header); err != nil {
				return nil, err
			}
			return &root{SignedHeader: lb.SignedHeader, vals: lb.vals, period: period, name: name}, nil
		}
	}
	if c.state.Height == trust.Height {
		if err := check(c.state); err != nil {
			return nil, err
		}
		return &root{SignedHeader: &cmttypes.SignedHeader{Header: c.state}, period: period, name: name}, nil
	}
	if trust.Height > c.target.Height {
		return nil, fmt.Errorf("%w: the trusted header %d is newer than the receipt's signed header %d; trust an older header, or genesis", ErrUnusable, trust.Height, c.target.Height)
	}
	if trust.Source == nil {
		return nil, fmt.Errorf("%w: the receipt carries no header at the trusted height %d (it has %s); let a node supply it, or trust one it carries",
			ErrUnusable, trust.Height, carried(c))
	}
	lb, err := fetch(ctx, trust.Source, c.chainID, trust.Height)
	if err != nil {
		return nil, err
	}
	if err := check(lb.Header); err != nil {
		return nil, err
	}
	return &root{SignedHeader: lb.SignedHeader, vals: lb.vals, period: period, name: name}, nil
}

// pivotBetween picks a header strictly between heights lo and hi: of the
// receipt's trust path, the one nearest the middle; else the middle one
// from src.
func pivotBetween(ctx context.Context, src LightBlockSource, c chainOf, lo, hi int64) (lightBlock, bool, error) {
	mid := lo + (hi-lo)/2
	best, found := lightBlock{}, false
	for _, lb := range c.path {
		if lb.Height > lo && lb.Height < hi && (!found || abs(lb.Height-mid) < abs(best.Height-mid)) {
			best, found = lb, true
		}
	}
	if found || src == nil || hi-lo < 2 {
		return best, found, nil
	}
	lb, err := fetch(ctx, src, c.chainID, mid)
	if err != nil {
		return lightBlock{}, false, err
	}
	return lb, true, nil
}

// fetch asks src for the header of height and checks it on its own; it is
// trusted only once verified from the root.
func fetch(ctx context.Context, src LightBlockSource, chainID string, height int64) (lightBlock, error) {
	lb, err := src.LightBlock(ctx, height)
	if err != nil {
		return lightBlock{}, fmt.Errorf("%w: failed to fetch header %d: %v", ErrUnusable, height, err)
	}
	if lb == nil || lb.SignedHeader == nil || lb.ValidatorSet == nil || lb.Height != height {
		return lightBlock{}, fmt.Errorf("%w: the node supplied no header %d", ErrInvalid, height)
	}
	out := lightBlock{lb.SignedHeader, lb.ValidatorSet}
	if err := checkLightBlock(chainID, out); err != nil {
		return lightBlock{}, fmt.Errorf("%w: the node's header %d: %v", ErrInvalid, height, err)
	}
	return out, nil
}

func carried(c chainOf) string {
	var hs []string
	for _, lb := range c.path {
		hs = append(hs, fmt.Sprint(lb.Height))
	}
	hs = append(hs, fmt.Sprint(c.state.Height), fmt.Sprint(c.target.Height))
	return "headers " + strings.Join(hs, ", ")
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
