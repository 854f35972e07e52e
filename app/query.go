package app

import (
	"context"
	"errors"
	"fmt"
	"slices"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/x/kit"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	mpb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// MaxQueryBytes bounds the request of one query.
const MaxQueryBytes = 64 << 10

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
			desc.Methods[i].Handler = func(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
				view := a.store.Committed()
				if view.Height() == 0 {
					return nil, ErrInvalidRequest.Wrapf("no block committed yet")
				}
				var resp any
				_, err := runQuery(ctx, func(ctx context.Context, r kit.Reader, blk kit.Block, _ []byte) (proto.Message, error) {
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
func (a *App) Query(ctx context.Context, req *abci.QueryRequest) (*abci.QueryResponse, error) {
	fail := func(err error) (*abci.QueryResponse, error) {
		cs, code, ok := kit.CodeOf(err)
		if !ok {
			cs, code = ErrInternal.Codespace, ErrInternal.Code
		}
		return &abci.QueryResponse{Code: code, Codespace: cs, Log: err.Error(), Height: req.Height}, nil
	}
	if len(req.Data) > MaxQueryBytes {
		return fail(ErrInvalidRequest.Wrapf("request of %d bytes exceeds %d", len(req.Data), MaxQueryBytes))
	}
	h, ok := a.queries[req.Path]
	if !ok {
		return fail(ErrUnknownQuery.Wrapf("%q", req.Path))
	}
	var view *store.View
	if req.Height == 0 {
		view = a.store.Committed()
		if view.Height() == 0 {
			return fail(ErrInvalidRequest.Wrapf("no block committed yet"))
		}
	} else {
		var err error
		if view, err = a.store.At(req.Height); err != nil {
			if errors.Is(err, store.ErrVersionUnavailable) {
				return fail(ErrInvalidRequest.Wrapf("%v", err))
			}
			return fail(err)
		}
	}
	resp, err := runQuery(ctx, h, view, a.blockOf(view), req.Data)
	if err != nil {
		return fail(err)
	}
	b, err := proto.Marshal(resp)
	if err != nil {
		return fail(fmt.Errorf("failed to encode response: %w", err))
	}
	return &abci.QueryResponse{Value: b, Height: view.Height()}, nil
}

// runQuery runs a query handler; a panic (a bug hit by some request) becomes
// an internal error rather than taking the node down, unless the database
// itself failed.
func runQuery(ctx context.Context, h queryHandler, r kit.Reader, blk kit.Block, req []byte) (resp proto.Message, err error) {
	defer func() {
		if p := recover(); p != nil {
			if e, ok := p.(error); ok && errors.Is(e, store.ErrIO) {
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
