package receipt

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	cmtmath "github.com/cometbft/cometbft/libs/math"
	cmttypes "github.com/cometbft/cometbft/types"
)

// The light-client rule for one step forward, written against CometBFT's
// types alone: CometBFT's light package would bring its client, and with
// it databases, into every program that verifies receipts.

// trustLevel is how much of the power of trusted validators must have
// signed a later header for them to vouch for it: more than a third, so
// that at least one honest validator did, as CometBFT's light client
// assumes.
var trustLevel = cmtmath.Fraction{Numerator: 1, Denominator: 3}

// errCannotVouch means the trusted validators signed too little of a
// non-adjacent header to vouch for it; a header between the two may
// bridge the gap (bisection).
type errCannotVouch struct{ reason error }

func (e errCannotVouch) Error() string {
	return fmt.Sprintf("the trusted validators cannot vouch for it: %v", e.reason)
}

// signedByNone reports whether none of the trusted validators signed.
func (e errCannotVouch) signedByNone() bool {
	weak, ok := errors.AsType[cmttypes.ErrNotEnoughVotingPowerSigned](e.reason)
	return ok && weak.Got == 0
}

// errNotNextValidators means the header after a trusted one is signed by
// other validators than the trusted header named as next.
type errNotNextValidators struct{ got, want []byte }

func (e errNotNextValidators) Error() string {
	return fmt.Sprintf("header names validators %X, the trusted header named %X as next", e.got, e.want)
}

// headerExpired reports whether trust in h has run out at now.
func headerExpired(h *cmttypes.SignedHeader, period time.Duration, now time.Time) bool {
	return !h.Time.Add(period).After(now)
}

// verifyForward checks untrusted, a later signed header with the validator
// set that signed it, from trusted and its validators (nil when unknown;
// then only the next header can be checked), trusted for period at now:
//
//   - untrusted is well formed for the chain, later in height and time
//     than trusted, not from beyond now and the allowed clock drift, and
//     names the validator set given;
//   - the next header must be by the validators trusted names as next; a
//     later one must be signed by more than a third of the trusted
//     validators' power ([errCannotVouch] if not);
//   - and its own validators must have signed it with more than two
//     thirds of their power.
func verifyForward(trusted *cmttypes.SignedHeader, trustedVals *cmttypes.ValidatorSet, untrusted *cmttypes.SignedHeader, untrustedVals *cmttypes.ValidatorSet, period time.Duration, now time.Time) error {
	if headerExpired(trusted, period, now) {
		return fmt.Errorf("trust in header %d ran out at %v", trusted.Height, trusted.Time.Add(period))
	}
	if err := untrusted.ValidateBasic(trusted.ChainID); err != nil {
		return fmt.Errorf("malformed header: %w", err)
	}
	switch {
	case untrusted.Height <= trusted.Height:
		return fmt.Errorf("header %d is not after the trusted header %d", untrusted.Height, trusted.Height)
	case !untrusted.Time.After(trusted.Time):
		return fmt.Errorf("header time %v is not after the trusted header's %v", untrusted.Time, trusted.Time)
	case !untrusted.Time.Before(now.Add(MaxClockDrift)):
		return fmt.Errorf("header time %v is in the future (now %v, allowed drift %v)", untrusted.Time, now, MaxClockDrift)
	case !bytes.Equal(untrusted.ValidatorsHash, untrustedVals.Hash()):
		return fmt.Errorf("header names validators %X, the set given hashes to %X", untrusted.ValidatorsHash, untrustedVals.Hash())
	}
	if untrusted.Height == trusted.Height+1 {
		if !bytes.Equal(untrusted.ValidatorsHash, trusted.NextValidatorsHash) {
			return errNotNextValidators{got: untrusted.ValidatorsHash, want: trusted.NextValidatorsHash}
		}
	} else {
		if trustedVals == nil {
			return errors.New("the trusted header carries no validator set")
		}
		if err := trustedVals.VerifyCommitLightTrusting(trusted.ChainID, untrusted.Commit, trustLevel); err != nil {
			if _, weak := errors.AsType[cmttypes.ErrNotEnoughVotingPowerSigned](err); weak {
				return errCannotVouch{err}
			}
			return err
		}
	}
	return untrustedVals.VerifyCommitLight(trusted.ChainID, untrusted.Commit.BlockID, untrusted.Height, untrusted.Commit)
}
