package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	crypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/app/store/proof"
	"github.com/lineageledger/lineaged/app/store/proofv1"
	"github.com/lineageledger/lineaged/x/kit"
)

// RegisterGRPC serves every query service on s, each call reading the
// latest committed state. (The generated handlers are given the querier
// for that state instead of one long-lived implementation.)
func (a *App) RegisterGRPC(s *grpc.Server) {
	for _, m := range a.mods.Modules() {
		for _, svc := range m.Services {
			if svc.New != nil {
				a.registerService(s, svc)
			}
		}
	}
}

func (a *App) registerService(s *grpc.Server, svc modules.Service) {
	desc := *svc.Desc
	desc.HandlerType = nil
	desc.Methods = slices.Clone(desc.Methods)
	for i, m := range desc.Methods {
		impl, handler := svc.New, m.Handler
		path := "/" + desc.ServiceName + "/" + m.MethodName
		desc.Methods[i].Handler = func(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (resp any, err error) {
			if metrics := a.metrics.Load(); metrics != nil {
				start := time.Now()
				defer func() { metrics.queryAnswered(path, asMessage(resp), err, time.Since(start)) }()
			}
			view := a.store.Committed()
			if view.Height() == 0 {
				return nil, modules.ErrInvalidRequest.Wrapf("no block committed yet")
			}
			_, err = modules.RunQuery(ctx, func(ctx context.Context, r kit.Reader, blk kit.Block, _ []byte) (proto.Message, error) {
				out, err := handler(impl(r, blk), ctx, dec, icpt)
				if err != nil {
					return nil, err
				}
				resp = out
				return out.(proto.Message), nil
			}, view, blockOf(view), nil)
			return resp, err
		}
	}
	s.RegisterService(&desc, nil)
}

// asMessage is a gRPC handler's answer as a message (nil if it has none).
func asMessage(resp any) proto.Message {
	m, _ := resp.(proto.Message)
	return m
}

// QueryPaths lists every ABCI query path the application answers but
// SimulatePath.
func (a *App) QueryPaths() []string { return a.mods.QueryPaths() }

// Query implements abci.Application. Path is a full gRPC method name, Data
// its encoded request, Height the state version (0: latest committed).
// Queries read committed versions only and never wait for a block to be
// executed.
//
// With Prove set the response carries ProofOps with one operation of type
// [proof.OpType] proving every read, whether the query succeeded or failed
// with its own error: a verifier re-running it with [modules.Table.Answer]
// over the proven reads gets the same answer or the same error.
func (a *App) Query(ctx context.Context, req *abci.QueryRequest) (*abci.QueryResponse, error) {
	start := time.Now() // for metrics only
	res, resp, err := a.query(ctx, req)
	if err != nil {
		cs, code := resultCode(err)
		res.Code, res.Codespace, res.Log, res.Value = code, cs, err.Error(), nil
	}
	a.metrics.Load().queryAnswered(req.Path, resp, err, time.Since(start))
	return res, nil
}

// query answers an ABCI query: the response so far, the answer, and the
// error to report instead.
func (a *App) query(ctx context.Context, req *abci.QueryRequest) (*abci.QueryResponse, proto.Message, error) {
	// Until a version is opened the response reports the height asked for;
	// then the height read, success or not.
	res := &abci.QueryResponse{Height: req.Height}
	if req.Path == SimulatePath {
		if req.Height != 0 || req.Prove {
			return res, nil, modules.ErrInvalidRequest.Wrapf("%s runs on the mempool's view of the latest state, without proofs", SimulatePath)
		}
		value, height, err := a.simulate(req.Data)
		res.Value, res.Height = value, height
		return res, nil, err
	}
	h, err := a.mods.Query(req.Path, req.Data)
	if err != nil {
		return res, nil, err
	}
	view, err := a.viewAt(req.Height)
	if err != nil {
		return res, nil, err
	}
	res.Height = view.Height()
	if !req.Prove {
		resp, err := modules.RunQuery(ctx, h, view, blockOf(view), req.Data)
		if err == nil {
			res.Value, err = modules.Encode(resp)
		}
		return res, resp, err
	}
	resp, answer, bundle, err := a.prove(ctx, h, view, req.Data)
	if bundle == nil {
		return res, nil, err
	}
	data, perr := proto.MarshalOptions{Deterministic: true}.Marshal(bundle)
	if perr != nil {
		return res, nil, fmt.Errorf("failed to encode proofs: %w", perr)
	}
	res.ProofOps = &crypto.ProofOps{Ops: []crypto.ProofOp{{Type: proof.OpType, Key: []byte(req.Path), Data: data}}}
	res.Value = answer
	return res, resp, err
}

// ProveQuery answers the query at path (a full gRPC method name) with the
// encoded request req over the committed version at height (0: the latest),
// and proves every read it made. h is the version read.
//
// If the query fails with its own error, err is that error and bundle still
// proves the reads that led to it (re-running the query over them fails the
// same way). If the query could not be run or proven (unknown path, height
// not available, proof generation failed), bundle is nil.
func (a *App) ProveQuery(ctx context.Context, path string, req []byte, height int64) (answer []byte, bundle *proofv1.ProofBundle, h int64, err error) {
	var resp proto.Message
	if metrics := a.metrics.Load(); metrics != nil {
		start := time.Now()
		defer func() { metrics.queryAnswered(path, resp, err, time.Since(start)) }()
	}
	handler, err := a.mods.Query(path, req)
	if err != nil {
		return nil, nil, 0, err
	}
	view, err := a.viewAt(height)
	if err != nil {
		return nil, nil, 0, err
	}
	resp, answer, bundle, err = a.prove(ctx, handler, view, req)
	return answer, bundle, view.Height(), err
}

// ProofLimits bound the work of answering queries with proofs: a query
// that reads thousands of keys (a wide lineage walk) makes megabytes of
// proofs and takes seconds to prove, and many at once take a node's memory
// and the CPU its consensus needs. They bound answers only; no state and no
// block's result depends on them.
type ProofLimits struct {
	// MaxConcurrent is how many proven queries may run at once (0: no
	// bound). One more is refused at once with [modules.ErrProofBusy],
	// for the client to retry shortly, rather than queued.
	MaxConcurrent int
	// MaxBytes bounds the encoded answer and proofs of one query together
	// (0: no bound). A query over it is refused with
	// [modules.ErrProofTooLarge], proving stopping as soon as the bound is
	// passed (see [store.Recorder.ProofsWithin]).
	MaxBytes int
}

// SetProofLimits bounds the proven queries the application answers: ABCI
// queries with Prove and [App.ProveQuery]. Call it before the node starts.
func (a *App) SetProofLimits(l ProofLimits) {
	a.proofs = proofLimiter{maxBytes: max(l.MaxBytes, 0)}
	if l.MaxConcurrent > 0 {
		a.proofs.slots = make(chan struct{}, l.MaxConcurrent)
	}
}

// proofLimiter applies [ProofLimits].
type proofLimiter struct {
	// slots holds a token per proven query running; nil: no bound.
	slots    chan struct{}
	maxBytes int
}

// acquire takes a slot, or fails with ErrProofBusy if none is free; the
// caller calls release when its proofs are built.
func (l proofLimiter) acquire() (release func(), err error) {
	if l.slots == nil {
		return func() {}, nil
	}
	select {
	case l.slots <- struct{}{}:
		return func() { <-l.slots }, nil
	default:
		return nil, modules.ErrProofBusy.Wrapf("this node answers at most %d queries with proofs at once: retry in a moment", cap(l.slots))
	}
}

// proofBudget is the most the proofs of an answer of answerBytes may take
// (0: no bound), or ok false if the answer alone is over the bound.
func (l proofLimiter) proofBudget(answerBytes int) (budget int, ok bool) {
	if l.maxBytes == 0 {
		return 0, true
	}
	budget = l.maxBytes - answerBytes
	return budget, budget > 0
}

// AskForLess says how to narrow a query refused as too large to prove.
const AskForLess = "ask for less (a smaller max_nodes or max_depth for a walk of the lineage, " +
	"a smaller limit for a list, a smaller policy.max_lineage_nodes for a gate check)"

func (l proofLimiter) tooLarge() error {
	return modules.ErrProofTooLarge.Wrapf("its answer and proofs exceed this node's bound of %d bytes: %s", l.maxBytes, AskForLess)
}

// prove runs a query over a recorder of view and proves its reads. bundle
// is nil only if the reads could not be proven, with err saying why (among
// them the bounds of [ProofLimits]); otherwise err is the query's own
// error, if any, and answer the encoded resp.
func (a *App) prove(ctx context.Context, h modules.QueryHandler, view *store.View, req []byte) (resp proto.Message, answer []byte, bundle *proofv1.ProofBundle, err error) {
	release, err := a.proofs.acquire()
	if err != nil {
		return nil, nil, nil, err
	}
	defer release()
	rec := store.NewRecorder(view)
	// The block (chain id, time) is read outside the recorder: a verifier
	// takes it from the signed header of the version, not from proofs.
	resp, qerr := modules.RunQuery(ctx, h, rec, blockOf(view), req)
	if qerr == nil {
		answer, qerr = modules.Encode(resp)
	}
	budget, ok := a.proofs.proofBudget(len(answer))
	if !ok {
		return nil, nil, nil, a.proofs.tooLarge()
	}
	start := time.Now() // for metrics only
	bundle, err = rec.ProofsWithin(budget)
	if err != nil {
		if errors.Is(err, store.ErrIO) {
			panic(err) // as RunQuery: a node that cannot read its state must stop
		}
		if errors.Is(err, store.ErrProofTooLarge) {
			return nil, nil, nil, a.proofs.tooLarge()
		}
		return nil, nil, nil, fmt.Errorf("%w: failed to prove the reads of the query at height %d: %w", modules.ErrInternal, view.Height(), err)
	}
	a.metrics.Load().proved(time.Since(start))
	if qerr != nil {
		return nil, nil, bundle, qerr
	}
	return resp, answer, bundle, nil
}

// viewAt opens the committed version at height (0: the latest).
func (a *App) viewAt(height int64) (*store.View, error) {
	if height == 0 {
		view := a.store.Committed()
		if view.Height() == 0 {
			return nil, modules.ErrInvalidRequest.Wrapf("no block committed yet")
		}
		return view, nil
	}
	view, err := a.store.At(height)
	if err != nil {
		if errors.Is(err, store.ErrVersionUnavailable) {
			return nil, modules.ErrInvalidRequest.Wrapf("%v", err)
		}
		return nil, err
	}
	return view, nil
}
