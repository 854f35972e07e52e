package receipt

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"
)

// blockSource supplies light blocks from a map, counting what it is asked.
type blockSource struct {
	blocks map[int64]lightBlock
	asked  []int64
}

func (s *blockSource) LightBlock(_ context.Context, h int64) (*cmttypes.LightBlock, error) {
	s.asked = append(s.asked, h)
	lb, ok := s.blocks[h]
	if !ok {
		return nil, fmt.Errorf("no block %d", h)
	}
	return &cmttypes.LightBlock{SignedHeader: lb.SignedHeader, ValidatorSet: lb.vals}, nil
}

// TestVerifyFromOlderHeader: a receipt verifies from any older trusted
// header, across validator-set changes too large for one jump, by
// bisection over the headers its trust path carries or a node supplies;
// the trusting period bounds trusted headers but not genesis.
func TestVerifyFromOlderHeader(t *testing.T) {
	ctx := context.Background()
	c := newSynthChain(t)
	a := newValidators(c.s, 3)
	b := newValidators(c.s, 2)
	setA := setOf(a...)
	setC := setOf(a[0], a[1], b[0]) // 2/3 of A stays: A vouches for C
	setB := setOf(a[0], b[0], b[1]) // 1/3 of A stays: A cannot vouch for B; C can
	c.setFrom(1, 1, setA)
	c.setFrom(2, 3, setC)
	c.setFrom(4, 6, setB)
	state := c.stateHeader()
	lb1, lb2 := c.lightBlock(1), c.lightBlock(2)
	now := c.timeOf(5).Add(time.Hour)
	pin1 := Trust{Height: 1, Hash: lb1.Hash(), Now: now}

	cases := []struct {
		name     string
		path     []int64
		trust    Trust
		source   bool
		want     error // nil: valid
		verified []int64
	}{
		{"older header, pivot in trust path", []int64{1, 2}, pin1, false, nil, []int64{2, 5}},
		{"older header, no pivot", []int64{1}, pin1, false, ErrInvalid, nil},
		{"older header, pivot from a node", []int64{1}, pin1, true, nil, []int64{3, 5}},
		{"older header from a node, pivot from a node", nil, pin1, true, nil, []int64{3, 5}},
		{"older header not carried", nil, pin1, false, ErrUnusable, nil},
		{"genesis, pivot in trust path", []int64{2}, Trust{Genesis: c.genesis().Genesis, Now: now}, false, nil, []int64{2, 5}},
		{"genesis, no pivot", nil, Trust{Genesis: c.genesis().Genesis, Now: now}, false, ErrInvalid, nil},
		{"genesis never expires", []int64{2}, Trust{Genesis: c.genesis().Genesis, Now: now.AddDate(10, 0, 0)}, false, nil, []int64{2, 5}},
		{"the state height users see", nil, Trust{Height: 4, Hash: state.Hash(), Now: now}, false, nil, []int64{5}},
		{"the state height, expired", nil, Trust{Height: 4, Hash: state.Hash(), Now: now.Add(DefaultTrustingPeriod)}, false, ErrUnusable, nil},
		{"the state height, longer trusting period", nil, Trust{Height: 4, Hash: state.Hash(), Now: now.Add(DefaultTrustingPeriod), TrustingPeriod: 2 * DefaultTrustingPeriod}, false, nil, []int64{5}},
		{"older header, expired", []int64{1, 2}, Trust{Height: 1, Hash: lb1.Hash(), Now: now.Add(DefaultTrustingPeriod)}, false, ErrUnusable, nil},
		{"the state height, wrong hash", nil, Trust{Height: 4, Hash: lb1.Hash(), Now: now}, false, ErrInvalid, nil},
		{"the signed header, never expires", nil, Trust{Height: 5, Hash: c.signedHash(), Now: now.AddDate(10, 0, 0)}, false, nil, []int64{5}},
		{"newer than the receipt", nil, Trust{Height: 6, Hash: lb1.Hash(), Now: now}, false, ErrUnusable, nil},
		{"trust path header as root", []int64{2}, Trust{Height: 2, Hash: lb2.Hash(), Now: now}, false, nil, []int64{5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			trust := tc.trust
			var src *blockSource
			if tc.source {
				src = &blockSource{blocks: map[int64]lightBlock{}}
				for h := int64(1); h <= 3; h++ {
					src.blocks[h] = c.lightBlock(h)
				}
				trust.Source = src
			}
			r := c.receipt(tc.path...)
			res, err := Verify(ctx, reparse(t, r), trust)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("Verify = %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !slices.Equal(res.Verified, tc.verified) {
				t.Fatalf("verified heights %v, want %v", res.Verified, tc.verified)
			}
		})
	}

	// A node that lies is caught: a pivot signed by a set A never vouched
	// for, or the trusted height's header swapped.
	forged := signer{}
	liar := &blockSource{blocks: map[int64]lightBlock{}}
	for h := int64(1); h <= 3; h++ {
		liar.blocks[h] = forged.block(t, blockSpec{chainID: c.orig.ChainID, height: h, time: c.timeOf(h), vals: setOf(newValidators(forged, 3)...), appVersion: AppVersion})
	}
	liar.blocks[1] = lb1
	if _, err := Verify(ctx, reparse(t, c.receipt(1)), Trust{Height: 1, Hash: lb1.Hash(), Now: now, Source: liar}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("forged pivot: %v", err)
	}
	delete(liar.blocks, 1)
	liar.blocks[1] = forged.block(t, blockSpec{chainID: c.orig.ChainID, height: 1, time: c.timeOf(1), vals: setOf(newValidators(forged, 1)...), appVersion: AppVersion})
	if _, err := Verify(ctx, reparse(t, c.receipt()), Trust{Height: 1, Hash: lb1.Hash(), Now: now, Source: liar}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("forged trusted header: %v", err)
	}
}

// reparse writes and reads a receipt, as a verifier gets it.
func reparse(t testing.TB, r *Receipt) *Receipt {
	t.Helper()
	data, err := Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
