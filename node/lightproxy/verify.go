package lightproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"
	"github.com/cometbft/cometbft/crypto/merkle"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/store/proof"
	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/x/kit"
)

// ErrUnverified means an answer could not be verified: the node sent
// something its proofs or the trusted headers do not support, or no proof
// at all. The proxy answers with this error instead of the node's answer.
var ErrUnverified = errors.New("answer not verified")

// LightClient is what verification needs of CometBFT's light client
// (*light.Client): headers it verified from its trust root.
type LightClient interface {
	ChainID() string
	VerifyLightBlockAtHeight(ctx context.Context, height int64, now time.Time) (*cmttypes.LightBlock, error)
}

// Verifier asks a node ABCI queries and returns only answers it has
// verified against headers a light client verified.
type Verifier struct {
	node client.ReceiptSource
	lc   LightClient
}

// NewVerifier verifies node's answers with the headers of lc.
func NewVerifier(node client.ReceiptSource, lc LightClient) *Verifier {
	return &Verifier{node: node, lc: lc}
}

// Query asks the node the query at path with data at height (0: the
// latest state that a header already commits to, see
// [client.ProvableHeight]), always with proofs, and returns the answer
// only once it is verified:
//
//  1. the answer's height has a next header, which the light client
//     verifies (bisecting from its trust root as needed), and whose app
//     hash is the root the proofs must lead to;
//  2. the answer carries exactly one proof operation, of the type its path
//     calls for, and its Key is the key that operation must prove
//     ([KeyPath]): the state key asked, or the path;
//  3. a merkle.ProofRuntime with the ICS 23 decoder ([DecodeICS23Op]) and
//     this query's bundle decoder ([BundleOpDecoder], with the block time
//     of the light client's header of that height) verifies the value (or,
//     for a state key, the absence) along the key path, up to the app hash.
//
// The answer returned holds only what was verified: code, codespace and
// log (of a query method's error, which its re-run reproduced), key,
// value, proofs and height. Every failure wraps [ErrUnverified]; a node
// error that comes without proofs (an unknown path, a height the node no
// longer keeps) is reported as such, unverified.
func (v *Verifier) Query(ctx context.Context, path string, data []byte, height int64) (*ctypes.ResultABCIQuery, error) {
	unverified := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrUnverified, fmt.Sprintf(format, args...))
	}
	kp, err := KeyPath(path, data)
	if err != nil {
		return nil, unverified("%v", err)
	}
	if height < 0 {
		return nil, unverified("negative height %d", height)
	}
	h, err := client.ProvableHeight(ctx, v.node, height)
	if err != nil {
		return nil, unverified("%v", err)
	}
	res, err := v.node.ABCIQueryWithOptions(ctx, path, data, rpcclient.ABCIQueryOptions{Height: h, Prove: true})
	if err != nil {
		return nil, fmt.Errorf("failed to query the node: %w", err)
	}
	q := res.Response
	if q.ProofOps == nil || len(q.ProofOps.Ops) == 0 {
		if q.Code != 0 {
			return nil, unverified("the node answered %s/%d without proofs: %s", q.Codespace, q.Code, q.Log)
		}
		return nil, unverified("the node answered without proofs")
	}
	if q.Height != h {
		return nil, unverified("asked for height %d, the node answered for %d", h, q.Height)
	}
	if len(q.ProofOps.Ops) != 1 {
		return nil, unverified("%d proof operations, want one", len(q.ProofOps.Ops))
	}
	wantType, wantKey := proof.OpType, []byte(path)
	if path == app.StateKeyPath {
		wantType, wantKey = proof.ICS23OpType, data
		if q.Code != 0 {
			return nil, unverified("the node answered %s/%d for a state key: %s", q.Codespace, q.Code, q.Log)
		}
	}
	if op := q.ProofOps.Ops[0]; op.Type != wantType {
		return nil, unverified("proof operation of type %q, want %q", op.Type, wantType)
	}
	if !bytes.Equal(q.Key, wantKey) {
		return nil, unverified("the answer is for key %x, asked %x", q.Key, wantKey)
	}

	// The app hash of height h is in the header of h+1; the block time the
	// query ran with is in the header of h.
	now := time.Now()
	next, err := v.lc.VerifyLightBlockAtHeight(ctx, h+1, now)
	if err != nil {
		return nil, unverified("cannot verify the header of height %d: %v", h+1, err)
	}
	prt := merkle.NewProofRuntime()
	prt.RegisterOpDecoder(proof.ICS23OpType, DecodeICS23Op)
	if path != app.StateKeyPath {
		cur, err := v.lc.VerifyLightBlockAtHeight(ctx, h, now)
		if err != nil {
			return nil, unverified("cannot verify the header of height %d: %v", h, err)
		}
		if !bytes.Equal(cur.Hash(), next.LastBlockID.Hash) {
			return nil, unverified("header %d is not the one header %d builds on", h, h+1)
		}
		query := Query{Path: path, Request: data, Block: kit.Block{ChainID: v.lc.ChainID(), Height: h, Time: cur.Time}}
		if q.Code != 0 {
			query.Error = &QueryError{Codespace: q.Codespace, Code: q.Code, Log: q.Log}
		}
		prt.RegisterOpDecoder(proof.OpType, BundleOpDecoder(ctx, query))
	}
	switch {
	case path == app.StateKeyPath && len(q.Value) == 0:
		err = prt.VerifyAbsence(q.ProofOps, next.AppHash, kp.String())
	default:
		err = prt.VerifyValue(q.ProofOps, next.AppHash, kp.String(), q.Value)
	}
	if err != nil {
		return nil, unverified("proofs do not lead from the answer to app hash %X of height %d: %v", next.AppHash, h, err)
	}

	out := abci.QueryResponse{Key: q.Key, Value: q.Value, Height: q.Height, ProofOps: &cmtcrypto.ProofOps{Ops: q.ProofOps.Ops}}
	if q.Code != 0 {
		out.Code, out.Codespace, out.Log = q.Code, q.Codespace, q.Log
	}
	return &ctypes.ResultABCIQuery{Response: out}, nil
}
