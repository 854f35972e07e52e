package lightproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	cmtcrypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"
	"github.com/cometbft/cometbft/crypto/merkle"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/store/proof"
	"github.com/lineageledger/lineaged/app/store/proofv1"
	"github.com/lineageledger/lineaged/x/kit"
)

// KeyPath is the merkle key path that the one proof operation of a proven
// abci_query answer must carry, built from what the client asked (it has
// the shape of CometBFT's light/rpc KeyPathFunc):
//
//   - for [app.StateKeyPath], the state key asked, "/x:<hex>": the key of
//     the [proof.ICS23OpType] operation;
//   - for a query method, the path itself (URL-escaped, so "/" becomes
//     "%2F"): the key of the [proof.OpType] operation.
//
// Either way the path has one element, because the state is one tree whose
// root is the app hash: no store-level operation follows.
func KeyPath(path string, data []byte) (merkle.KeyPath, error) {
	switch {
	case path == app.StateKeyPath:
		if len(data) == 0 {
			return nil, fmt.Errorf("%s needs a state key", app.StateKeyPath)
		}
		return merkle.KeyPath{}.AppendKey(data, merkle.KeyEncodingHex), nil
	case path == app.SimulatePath:
		return nil, fmt.Errorf("%s answers from the mempool and is never proven", app.SimulatePath)
	case len(path) < 2 || path[0] != '/':
		return nil, fmt.Errorf("query path %q is not a full method name", path)
	}
	return merkle.KeyPath{}.AppendKey([]byte(path), merkle.KeyEncodingURL), nil
}

// ICS23Op is a [proof.ICS23OpType] operation: one ICS 23 commitment proof
// of one state key, leading to the app hash.
type ICS23Op struct {
	Key []byte
	// Proof is the encoded ics23.CommitmentProof.
	Proof []byte
}

var _ merkle.ProofOperator = ICS23Op{}

// DecodeICS23Op is the merkle.OpDecoder of [proof.ICS23OpType].
func DecodeICS23Op(op cmtcrypto.ProofOp) (merkle.ProofOperator, error) {
	if op.Type != proof.ICS23OpType {
		return nil, fmt.Errorf("proof op of type %q is not %q", op.Type, proof.ICS23OpType)
	}
	return ICS23Op{Key: op.Key, Proof: op.Data}, nil
}

// GetKey implements merkle.ProofOperator.
func (o ICS23Op) GetKey() []byte { return o.Key }

// ProofOp implements merkle.ProofOperator.
func (o ICS23Op) ProofOp() cmtcrypto.ProofOp {
	return cmtcrypto.ProofOp{Type: proof.ICS23OpType, Key: o.Key, Data: o.Proof}
}

// Run implements merkle.ProofOperator: with one value in args it proves
// that the key holds it, with none that the key is absent, and it returns
// the root the proof leads to ([proof.VerifyKeyProof]).
func (o ICS23Op) Run(args [][]byte) ([][]byte, error) {
	var value []byte
	switch len(args) {
	case 0:
	case 1:
		if value = args[0]; len(value) == 0 {
			return nil, errors.New("an empty value is an absent key: prove absence instead")
		}
	default:
		return nil, fmt.Errorf("an %s operation proves one key, not %d values", proof.ICS23OpType, len(args))
	}
	root, err := proof.KeyProofRoot(o.Proof)
	if err != nil {
		return nil, err
	}
	if err := proof.VerifyKeyProof(o.Proof, root, o.Key, value); err != nil {
		return nil, err
	}
	return [][]byte{root}, nil
}

// Query is what a [proof.OpType] operation must answer: the query a client
// asked and the block whose state it read, taken from a header the
// verifier trusts (its time is the clock the query ran with).
type Query struct {
	Path    string
	Request []byte
	Block   kit.Block
	// Error is the error the node answered with; nil if it answered with a
	// value.
	Error *QueryError
}

// QueryError is an error answer: the codespace, code and log of the
// response.
type QueryError struct {
	Codespace string
	Code      uint32
	Log       string
}

// BundleOp is a [proof.OpType] operation bound to the query it must
// answer: a [proofv1.ProofBundle] of every read the query made.
type BundleOp struct {
	ctx    context.Context
	query  Query
	key    []byte
	data   []byte
	bundle *proofv1.ProofBundle
}

var _ merkle.ProofOperator = (*BundleOp)(nil)

// BundleOpDecoder is the merkle.OpDecoder of [proof.OpType] for one query:
// a bundle proves nothing on its own, only the answer to a question, so
// each question needs its decoder. The bundle must be canonically encoded
// (as [proto.MarshalOptions] Deterministic writes it), so that no byte of
// it can change without changing what it says.
func BundleOpDecoder(ctx context.Context, q Query) merkle.OpDecoder {
	return func(op cmtcrypto.ProofOp) (merkle.ProofOperator, error) {
		if op.Type != proof.OpType {
			return nil, fmt.Errorf("proof op of type %q is not %q", op.Type, proof.OpType)
		}
		var bundle proofv1.ProofBundle
		if err := proto.Unmarshal(op.Data, &bundle); err != nil {
			return nil, fmt.Errorf("%w: undecodable proof bundle: %w", proof.ErrInvalid, err)
		}
		if canon, err := (proto.MarshalOptions{Deterministic: true}).Marshal(&bundle); err != nil || !bytes.Equal(canon, op.Data) {
			return nil, fmt.Errorf("%w: proof bundle is not canonically encoded", proof.ErrInvalid)
		}
		return &BundleOp{ctx: ctx, query: q, key: op.Key, data: op.Data, bundle: &bundle}, nil
	}
}

// GetKey implements merkle.ProofOperator.
func (o *BundleOp) GetKey() []byte { return o.key }

// ProofOp implements merkle.ProofOperator.
func (o *BundleOp) ProofOp() cmtcrypto.ProofOp {
	return cmtcrypto.ProofOp{Type: proof.OpType, Key: o.key, Data: o.data}
}

// Run implements merkle.ProofOperator. args holds the one answer to check
// (empty for an error answer). Run checks every proof of the bundle
// against the root it names ([proof.Verify]), re-runs the query over the
// proven reads alone ([modules.Table.Answer]), requires that the bundle
// proves exactly those reads ([proof.CheckMinimal]) and that the re-run
// gives exactly the answer, or exactly the error, the node gave; then it
// returns the bundle's root, which the caller compares with the app hash
// it trusts.
func (o *BundleOp) Run(args [][]byte) ([][]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("a %s operation proves one answer, not %d", proof.OpType, len(args))
	}
	q := o.query
	reader, err := proof.Verify(o.bundle, o.bundle.Root)
	if err != nil {
		return nil, err
	}
	rec := proof.NewRecorder(reader)
	var answer []byte
	var qerr error
	if err := proof.Run(func() {
		answer, qerr = modules.Default().Answer(o.ctx, q.Path, rec, q.Block, q.Request)
	}); err != nil {
		return nil, fmt.Errorf("%w: re-running %s needs state the proofs do not cover: %w", proof.ErrInvalid, q.Path, err)
	}
	if err := proof.CheckMinimal(o.bundle, rec); err != nil {
		return nil, fmt.Errorf("the proofs are not exactly those of the query: %w", err)
	}
	switch {
	case qerr != nil:
		cs, code, _ := kit.CodeOf(qerr)
		if q.Error == nil || q.Error.Codespace != cs || q.Error.Code != code || q.Error.Log != qerr.Error() {
			return nil, fmt.Errorf("%w: re-running %s fails with %s/%d %q, the node answered otherwise", proof.ErrInvalid, q.Path, cs, code, qerr.Error())
		}
		if len(args[0]) != 0 {
			return nil, fmt.Errorf("%w: the node answered %s with both an error and a value", proof.ErrInvalid, q.Path)
		}
	case q.Error != nil:
		return nil, fmt.Errorf("%w: re-running %s succeeds, the node answered %s/%d", proof.ErrInvalid, q.Path, q.Error.Codespace, q.Error.Code)
	case !bytes.Equal(answer, args[0]):
		return nil, fmt.Errorf("%w: re-running %s gives another answer than the node's", proof.ErrInvalid, q.Path)
	}
	return [][]byte{bytes.Clone(o.bundle.Root)}, nil
}
