package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
	gogoproto "github.com/cosmos/gogoproto/proto"
	"github.com/lineageledger/lineaged/app/store/proof"
	"github.com/lineageledger/lineaged/node/receipt"
)

// ReceiptSource is what building a receipt needs from a node: its ABCI query with
// proofs and CometBFT's headers, commits and validator sets. CometBFT's
// HTTP client (remote) and local client (in-process) both provide it.
type ReceiptSource interface {
	Status(ctx context.Context) (*ctypes.ResultStatus, error)
	ABCIInfo(ctx context.Context) (*ctypes.ResultABCIInfo, error)
	ABCIQueryWithOptions(ctx context.Context, path string, data cmtbytes.HexBytes, opts rpcclient.ABCIQueryOptions) (*ctypes.ResultABCIQuery, error)
	Header(ctx context.Context, height *int64) (*ctypes.ResultHeader, error)
	Commit(ctx context.Context, height *int64) (*ctypes.ResultCommit, error)
	Validators(ctx context.Context, height *int64, page, perPage *int) (*ctypes.ResultValidators, error)
}

// ErrNotYetProvable means the height asked for has no signed header
// committing to it yet: the next block must be made first.
var ErrNotYetProvable = errors.New("state not yet provable")

// NextBlockWait bounds how long BuildReceipt waits, for the latest state, for the
// block whose header commits to it.
var NextBlockWait = 15 * time.Second

// BuildReceipt answers the query at path with the encoded request at height, with
// proofs and the headers that make it verifiable. Height 0 means the latest
// state. Its app hash is only signed in the next block's header: if the
// latest block changed nothing, the state before it (the same state) is
// proven at once; else BuildReceipt waits for the next block (CometBFT makes it
// promptly after a change), up to NextBlockWait, and otherwise falls back to
// the newest state already proven.
//
// A query that fails with its own error (a record that does not exist) is
// proven too: the receipt carries the error. One the node could not run or
// prove at all fails with a [*QueryError] (among them its bounds on proofs:
// "tx/21" too large, "tx/22" too many at once).
func BuildReceipt(ctx context.Context, src ReceiptSource, path string, request []byte, height int64) (*receipt.Receipt, error) {
	st, err := src.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("failed to reach node: %w", err)
	}
	latest := st.SyncInfo.LatestBlockHeight
	if height == 0 {
		if height, err = latestProvable(ctx, src, latest); err != nil {
			return nil, err
		}
		if latest, err = waitForHeight(ctx, src, height+1, NextBlockWait); err != nil {
			return nil, err
		}
		if latest < height+1 {
			height = latest - 1
		}
	}
	if height < 1 {
		return nil, fmt.Errorf("%w: the chain needs two blocks before its first state can be proven", ErrNotYetProvable)
	}
	if height+1 > latest {
		return nil, fmt.Errorf("%w: height %d is proven by the header of height %d, and the chain is at %d", ErrNotYetProvable, height, height+1, latest)
	}
	res, err := src.ABCIQueryWithOptions(ctx, path, request, rpcclient.ABCIQueryOptions{Height: height, Prove: true})
	if err != nil {
		return nil, fmt.Errorf("failed to query %s: %w", path, err)
	}
	q := res.Response
	if q.Code != 0 && q.ProofOps == nil {
		// Not an answer that can be proven: the query could not be run or
		// proven at all (an unknown path or height, or the node's bounds on
		// proofs).
		return nil, fmt.Errorf("failed to prove %s: %w", path, &QueryError{Codespace: q.Codespace, Code: q.Code, Log: q.Log})
	}
	r := &receipt.Receipt{Format: receipt.Format, ChainID: st.NodeInfo.Network, Path: path, Request: request, Height: height}
	if q.Code != 0 {
		r.Error = &receipt.AnswerError{Codespace: q.Codespace, Code: q.Code, Log: q.Log}
	} else {
		r.Answer = q.Value
	}
	if q.ProofOps == nil || len(q.ProofOps.Ops) != 1 || q.ProofOps.Ops[0].Type != proof.OpType {
		return nil, fmt.Errorf("node returned no %s proofs for %s", proof.OpType, path)
	}
	r.Proofs = q.ProofOps.Ops[0].Data

	next := height + 1
	com, err := src.Commit(ctx, &next)
	if err != nil {
		return nil, fmt.Errorf("failed to fetch the commit of height %d: %w", next, err)
	}
	if r.SignedHeader, err = marshalGogo(com.SignedHeader.ToProto()); err != nil {
		return nil, err
	}
	hdr, err := src.Header(ctx, &height)
	if err != nil {
		return nil, fmt.Errorf("failed to fetch the header of height %d: %w", height, err)
	}
	if !bytes.Equal(hdr.Header.Hash(), com.Header.LastBlockID.Hash) {
		return nil, fmt.Errorf("node's header %d is not the one header %d builds on", height, next)
	}
	if r.StateHeader, err = marshalGogo(hdr.Header.ToProto()); err != nil {
		return nil, err
	}
	vals, err := validatorSet(ctx, src, next)
	if err != nil {
		return nil, err
	}
	if r.Validators, err = receipt.EncodeValidators(vals); err != nil {
		return nil, fmt.Errorf("failed to encode validator set: %w", err)
	}
	return r, nil
}

// latestProvable picks the state to prove for "latest": the newest state,
// unless the newest block left the state as it was, in which case the state
// before it is the same and its header already signs it.
func latestProvable(ctx context.Context, src ReceiptSource, latest int64) (int64, error) {
	if latest < 2 {
		return latest, nil
	}
	info, err := src.ABCIInfo(ctx)
	if err != nil {
		return 0, fmt.Errorf("failed to reach node: %w", err)
	}
	if info.Response.LastBlockHeight != latest {
		return latest, nil
	}
	hdr, err := src.Header(ctx, &latest)
	if err != nil {
		return 0, fmt.Errorf("failed to fetch the header of height %d: %w", latest, err)
	}
	if bytes.Equal(hdr.Header.AppHash, info.Response.LastBlockAppHash) {
		return latest - 1, nil
	}
	return latest, nil
}

// waitForHeight polls until the chain reaches height or wait passes, and
// returns the latest height seen.
func waitForHeight(ctx context.Context, src ReceiptSource, height int64, wait time.Duration) (int64, error) {
	deadline := time.Now().Add(wait)
	for {
		st, err := src.Status(ctx)
		if err != nil {
			return 0, fmt.Errorf("failed to reach node: %w", err)
		}
		if latest := st.SyncInfo.LatestBlockHeight; latest >= height || time.Now().After(deadline) {
			return latest, nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("waiting for block %d: %w", height, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// validatorSet fetches the whole validator set at height, page by page.
func validatorSet(ctx context.Context, src ReceiptSource, height int64) (*cmttypes.ValidatorSet, error) {
	var all []*cmttypes.Validator
	perPage := 100
	for page := 1; ; page++ {
		res, err := src.Validators(ctx, &height, &page, &perPage)
		if err != nil {
			return nil, fmt.Errorf("failed to fetch validators of height %d: %w", height, err)
		}
		all = append(all, res.Validators...)
		if len(all) >= res.Total || len(res.Validators) == 0 {
			break
		}
	}
	vals := cmttypes.NewValidatorSet(all)
	if err := vals.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("node returned an invalid validator set for height %d: %w", height, err)
	}
	return vals, nil
}

func marshalGogo(m gogoproto.Message) ([]byte, error) {
	b, err := gogoproto.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("failed to encode %T: %w", m, err)
	}
	return b, nil
}
