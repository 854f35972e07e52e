package lightproxy

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/cometbft/cometbft/crypto/tmhash"
	"github.com/cometbft/cometbft/light/provider"
	cmttypes "github.com/cometbft/cometbft/types"
)

// Trust is the root a proxy's light client starts from: the chain's
// genesis, whose validators are trusted to sign its first header, or the
// hash of one header the user trusts (from a node of their own, a
// colleague, an anchor).
type Trust struct {
	Genesis *cmttypes.GenesisDoc
	// Height and Hash name a trusted header.
	Height int64
	Hash   []byte
}

// IsZero reports whether t names no root.
func (t Trust) IsZero() bool { return t.Genesis == nil && len(t.Hash) == 0 }

// ParseTrust reads a trust root: HEIGHT:HASH (the hex hash of the header
// at HEIGHT) or the path of a genesis file.
func ParseTrust(s string) (Trust, error) {
	if h, hash, ok := strings.Cut(s, ":"); ok {
		if height, err := strconv.ParseInt(h, 10, 64); err == nil {
			b, err := hex.DecodeString(hash)
			if err != nil || len(b) != tmhash.Size || height < 1 {
				return Trust{}, fmt.Errorf("trust root %q: want HEIGHT:HASH with a positive height and a 64-digit hex header hash", s)
			}
			return Trust{Height: height, Hash: b}, nil
		}
	}
	if _, err := os.Stat(s); err != nil {
		return Trust{}, fmt.Errorf("trust root %q is neither HEIGHT:HASH nor a readable genesis file: %w", s, err)
	}
	doc, err := cmttypes.GenesisDocFromFile(s)
	if err != nil {
		return Trust{}, fmt.Errorf("trust root %s: %w", s, err)
	}
	return Trust{Genesis: doc}, nil
}

// genesisHeader fetches the chain's first light block from p and checks
// it against the genesis: the chain id, the validator set the genesis
// names, and a commit signed by more than 2/3 of it. Its hash is then as
// trusted as the genesis file.
func genesisHeader(ctx context.Context, p provider.Provider, doc *cmttypes.GenesisDoc) (*cmttypes.LightBlock, error) {
	if len(doc.Validators) == 0 {
		return nil, errors.New("the genesis names no validators: trust a header with HEIGHT:HASH instead")
	}
	height := max(doc.InitialHeight, 1)
	lb, err := p.LightBlock(ctx, height)
	if err != nil {
		return nil, fmt.Errorf("failed to fetch the chain's first header (height %d) and its commit: %w", height, err)
	}
	if err := lb.ValidateBasic(doc.ChainID); err != nil {
		return nil, fmt.Errorf("the node's first header is invalid: %w", err)
	}
	vals := make([]*cmttypes.Validator, len(doc.Validators))
	for i, v := range doc.Validators {
		vals[i] = cmttypes.NewValidator(v.PubKey, v.Power)
	}
	set := cmttypes.NewValidatorSet(vals)
	if !bytes.Equal(lb.ValidatorsHash, set.Hash()) {
		return nil, fmt.Errorf("the node's header %d names validators %X, the genesis %X", height, lb.ValidatorsHash, set.Hash())
	}
	if err := set.VerifyCommitLight(doc.ChainID, lb.Commit.BlockID, lb.Height, lb.Commit); err != nil {
		return nil, fmt.Errorf("the node's header %d is not signed by the genesis validators: %w", height, err)
	}
	return lb, nil
}
