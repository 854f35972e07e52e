package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	crypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/app/store/proof"
	"github.com/lineageledger/lineaged/app/store/proofv1"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/kit"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	mpb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// MaxQueryBytes bounds the request of one query.
const MaxQueryBytes = 64 << 10

// ProofOpType is the type of the one proof operation an ABCI query with
// Prove set carries: its Key is the query path and its Data the
// deterministic encoding of a [proofv1.ProofBundle] proving every read the
// query made (see [proof.Verify]). The name predates the move of the
// message to lineage.proof.v1 and is kept for compatibility: it is on the
// wire of ABCI query responses, and the bundle's encoding did not change.
const ProofOpType = "lineage.app.v1.ProofBundle"

// queryService binds a generated gRPC service description to a constructor
// of its implementation over one version of the state and the block that
// produced it. The same binding serves ABCI queries (path = "/" + full
// method name) and gRPC.
type queryService struct {
	desc *grpc.ServiceDesc
	impl func(r kit.Reader, blk kit.Block) any
}

func (a *App) queryServices() []queryService {
	return []queryService{
		{&appv1.Query_ServiceDesc, func(r kit.Reader, _ kit.Block) any { return paramsQuerier{r} }},
		{&mpb.Query_ServiceDesc, func(r kit.Reader, _ kit.Block) any { return a.membership.Querier(r) }},
		{&lineagepb.Query_ServiceDesc, func(r kit.Reader, blk kit.Block) any { return a.lineage.Querier(r, blk) }},
		{&modelspb.Query_ServiceDesc, func(r kit.Reader, blk kit.Block) any { return a.models.Querier(r, blk) }},
		{&licensespb.Query_ServiceDesc, func(r kit.Reader, blk kit.Block) any { return a.licenses.Querier(r, blk) }},
		{&gatepb.Query_ServiceDesc, func(r kit.Reader, blk kit.Block) any { return a.gate.Querier(r, blk) }},
	}
}

// queryHandler answers one method over a state version and the block that
// produced it.
type queryHandler func(ctx context.Context, r kit.Reader, blk kit.Block, req []byte) (proto.Message, error)

func (a *App) queryHandlers() map[string]queryHandler {
	out := map[string]queryHandler{}
	for _, svc := range a.queryServices() {
		for _, m := range svc.desc.Methods {
			impl, handler := svc.impl, m.Handler
			out["/"+svc.desc.ServiceName+"/"+m.MethodName] = func(ctx context.Context, r kit.Reader, blk kit.Block, req []byte) (proto.Message, error) {
				dec := func(v any) error {
					if err := proto.Unmarshal(req, v.(proto.Message)); err != nil {
						return ErrInvalidRequest.Wrapf("%v", err)
					}
					return nil
				}
				resp, err := handler(impl(r, blk), ctx, dec, nil)
				if err != nil {
					return nil, err
				}
				return resp.(proto.Message), nil
			}
		}
	}
	return out
}

// RegisterGRPC serves every query service on s, each call reading the
// latest committed state. (The generated handlers are given the querier
// for that state instead of one long-lived implementation.)
func (a *App) RegisterGRPC(s *grpc.Server) {
	for _, svc := range a.queryServices() {
		desc := *svc.desc
		desc.HandlerType = nil
		desc.Methods = slices.Clone(desc.Methods)
		for i, m := range desc.Methods {
			impl, handler := svc.impl, m.Handler
			path := "/" + desc.ServiceName + "/" + m.MethodName
			desc.Methods[i].Handler = func(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (resp any, err error) {
				if metrics := a.metrics.Load(); metrics != nil {
					start := time.Now()
					defer func() { metrics.grpcQueryDone(path, resp, err, time.Since(start)) }()
				}
				view := a.store.Committed()
				if view.Height() == 0 {
					return nil, ErrInvalidRequest.Wrapf("no block committed yet")
				}
				_, err = runQuery(ctx, func(ctx context.Context, r kit.Reader, blk kit.Block, _ []byte) (proto.Message, error) {
					out, err := handler(impl(r, blk), ctx, dec, icpt)
					if err != nil {
						return nil, err
					}
					resp = out
					return out.(proto.Message), nil
				}, view, a.blockOf(view), nil)
				return resp, err
			}
		}
		s.RegisterService(&desc, nil)
	}
}

// QueryPaths lists every ABCI query path the application answers.
func (a *App) QueryPaths() []string {
	var out []string
	for p := range a.queries {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Query implements abci.Application. Path is a full gRPC method name, Data
// its encoded request, Height the state version (0: latest committed).
// Queries read committed versions only and never wait for a block to be
// executed.
//
// With Prove set the response carries ProofOps with one operation of type
// [ProofOpType] proving every read, whether the query succeeded or failed
// with its own error: a verifier re-running it with [OfflineQuery] over the
// proven reads gets the same answer or the same error.
func (a *App) Query(ctx context.Context, req *abci.QueryRequest) (*abci.QueryResponse, error) {
	metrics := a.metrics.Load()
	if metrics == nil {
		return a.query(ctx, req)
	}
	start := time.Now()
	res, err := a.query(ctx, req)
	metrics.abciQueryDone(req.Path, res, time.Since(start))
	return res, err
}

func (a *App) query(ctx context.Context, req *abci.QueryRequest) (*abci.QueryResponse, error) {
	// Until a version is opened the response reports the height asked for;
	// then the height read, success or not.
	res := &abci.QueryResponse{Height: req.Height}
	fail := func(err error) (*abci.QueryResponse, error) {
		cs, code, ok := kit.CodeOf(err)
		if !ok {
			cs, code = ErrInternal.Codespace, ErrInternal.Code
		}
		res.Code, res.Codespace, res.Log, res.Value = code, cs, err.Error(), nil
		return res, nil
	}
	if req.Path == SimulatePath {
		if req.Height != 0 || req.Prove {
			return fail(ErrInvalidRequest.Wrapf("%s runs on the mempool's view of the latest state, without proofs", SimulatePath))
		}
		value, height, err := a.simulate(req.Data)
		if err != nil {
			return fail(err)
		}
		res.Value, res.Height = value, height
		return res, nil
	}
	h, err := lookupQuery(a.queries, req.Path, req.Data)
	if err != nil {
		return fail(err)
	}
	view, err := a.viewAt(req.Height)
	if err != nil {
		return fail(err)
	}
	res.Height = view.Height()
	if !req.Prove {
		if res.Value, err = answerQuery(ctx, h, view, a.blockOf(view), req.Data); err != nil {
			return fail(err)
		}
		return res, nil
	}
	answer, bundle, qerr := a.prove(ctx, h, view, req.Data)
	if bundle == nil {
		return fail(qerr)
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(bundle)
	if err != nil {
		return fail(fmt.Errorf("failed to encode proofs: %w", err))
	}
	res.ProofOps = &crypto.ProofOps{Ops: []crypto.ProofOp{{Type: ProofOpType, Key: []byte(req.Path), Data: data}}}
	if qerr != nil {
		return fail(qerr)
	}
	res.Value = answer
	return res, nil
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
	if metrics := a.metrics.Load(); metrics != nil {
		start := time.Now()
		defer func() { metrics.encodedQueryDone(path, answer, err, time.Since(start)) }()
	}
	handler, err := lookupQuery(a.queries, path, req)
	if err != nil {
		return nil, nil, 0, err
	}
	view, err := a.viewAt(height)
	if err != nil {
		return nil, nil, 0, err
	}
	answer, bundle, err = a.prove(ctx, handler, view, req)
	return answer, bundle, view.Height(), err
}

// prove runs a query over a recorder of view and proves its reads. bundle
// is nil only if the reads could not be proven, with err saying why;
// otherwise err is the query's own error, if any.
func (a *App) prove(ctx context.Context, h queryHandler, view *store.View, req []byte) (answer []byte, bundle *proofv1.ProofBundle, err error) {
	rec := store.NewRecorder(view)
	// The block (chain id, time) is read outside the recorder: a verifier
	// takes it from the signed header of the version, not from proofs.
	answer, qerr := answerQuery(ctx, h, rec, a.blockOf(view), req)
	start := time.Now() // for metrics only
	bundle, err = rec.Proofs()
	if err != nil {
		if errors.Is(err, store.ErrIO) {
			panic(err) // as runQuery: a node that cannot read its state must stop
		}
		return nil, nil, fmt.Errorf("%w: failed to prove the reads of the query at height %d: %w", ErrInternal, view.Height(), err)
	}
	a.metrics.Load().proved(time.Since(start))
	return answer, bundle, qerr
}

// OfflineQuery answers the query at path with the encoded request req over
// r, which stands for the state of block blk, using the same handlers as
// [App.Query] but no store: a verifier runs it over a [proof.Reader]
// (under [proof.Run]) to check a proven answer. It returns the
// deterministic encoding of the answer, or the same coded error App.Query
// reports. A panic of r wrapping [proof.ErrUnproven] (or [store.ErrIO]) goes
// through unchanged, so that proof.Run around OfflineQuery catches it.
func OfflineQuery(ctx context.Context, path string, r kit.Reader, blk kit.Block, req []byte) ([]byte, error) {
	h, err := lookupQuery(offlineApp().queries, path, req)
	if err != nil {
		return nil, err
	}
	return answerQuery(ctx, h, r, blk, req)
}

// offlineApp holds the keepers and query handlers of OfflineQuery.
var offlineApp = sync.OnceValue(func() *App { return newStateless(nil) })

// lookupQuery finds the handler of path and bounds the request.
func lookupQuery(queries map[string]queryHandler, path string, req []byte) (queryHandler, error) {
	if len(req) > MaxQueryBytes {
		return nil, ErrInvalidRequest.Wrapf("request of %d bytes exceeds %d", len(req), MaxQueryBytes)
	}
	h, ok := queries[path]
	if !ok {
		return nil, ErrUnknownQuery.Wrapf("%q", path)
	}
	return h, nil
}

// viewAt opens the committed version at height (0: the latest).
func (a *App) viewAt(height int64) (*store.View, error) {
	if height == 0 {
		view := a.store.Committed()
		if view.Height() == 0 {
			return nil, ErrInvalidRequest.Wrapf("no block committed yet")
		}
		return view, nil
	}
	view, err := a.store.At(height)
	if err != nil {
		if errors.Is(err, store.ErrVersionUnavailable) {
			return nil, ErrInvalidRequest.Wrapf("%v", err)
		}
		return nil, err
	}
	return view, nil
}

// answerQuery runs a query handler and encodes its answer deterministically,
// so that the same answer always has the same bytes.
func answerQuery(ctx context.Context, h queryHandler, r kit.Reader, blk kit.Block, req []byte) ([]byte, error) {
	resp, err := runQuery(ctx, h, r, blk, req)
	if err != nil {
		return nil, err
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(resp)
	if err != nil {
		return nil, fmt.Errorf("failed to encode response: %w", err)
	}
	return b, nil
}

// runQuery runs a query handler; a panic (a bug hit by some request) becomes
// an internal error rather than taking the node down, unless the database
// itself failed, or a verifier's reader was asked for state it holds no
// proof of: those go on as panics.
func runQuery(ctx context.Context, h queryHandler, r kit.Reader, blk kit.Block, req []byte) (resp proto.Message, err error) {
	defer func() {
		if p := recover(); p != nil {
			if e, ok := p.(error); ok && (errors.Is(e, store.ErrIO) || errors.Is(e, proof.ErrUnproven)) {
				panic(p)
			}
			resp, err = nil, ErrInternal.Wrapf("query failed unexpectedly: %v", p)
		}
	}()
	return h(ctx, r, blk, req)
}

type paramsQuerier struct{ r kit.Reader }

func (q paramsQuerier) Params(context.Context, *appv1.QueryParamsRequest) (*appv1.QueryParamsResponse, error) {
	return &appv1.QueryParamsResponse{Params: loadParams(q.r)}, nil
}
