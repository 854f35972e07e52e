package modules

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/store/kv"
	"github.com/lineageledger/lineaged/app/store/proof"
	"github.com/lineageledger/lineaged/x/kit"
)

// MaxQueryBytes bounds the request of one query.
const MaxQueryBytes = 64 << 10

// QueryHandler answers one query method over a version of the state and
// the block that produced it; req is the encoded request message.
type QueryHandler func(ctx context.Context, r kit.Reader, blk kit.Block, req []byte) (proto.Message, error)

// queryHandlers binds every method of every module's query services to
// its path, "/" + the full method name.
func (t *Table) queryHandlers() map[string]QueryHandler {
	out := map[string]QueryHandler{}
	for _, m := range t.modules {
		for _, svc := range m.Services {
			if svc.New == nil {
				continue
			}
			for _, md := range svc.Desc.Methods {
				impl, handler := svc.New, md.Handler
				out["/"+svc.Desc.ServiceName+"/"+md.MethodName] = func(ctx context.Context, r kit.Reader, blk kit.Block, req []byte) (proto.Message, error) {
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
	}
	return out
}

// QueryPaths lists every query path the table answers, sorted.
func (t *Table) QueryPaths() []string {
	out := make([]string, 0, len(t.queries))
	for p := range t.queries {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Query finds the handler of path and bounds the request.
func (t *Table) Query(path string, req []byte) (QueryHandler, error) {
	if len(req) > MaxQueryBytes {
		return nil, ErrInvalidRequest.Wrapf("request of %d bytes exceeds %d", len(req), MaxQueryBytes)
	}
	h, ok := t.queries[path]
	if !ok {
		return nil, ErrUnknownQuery.Wrapf("%q", path)
	}
	return h, nil
}

// Answer runs the query at path with the encoded request req over r,
// which stands for the state of block blk, and encodes the answer
// deterministically, so that the same answer always has the same bytes. It
// needs no store: a verifier runs it over proven reads to check a proven
// answer, and gets the same answer, or the same coded error, as the node.
func (t *Table) Answer(ctx context.Context, path string, r kit.Reader, blk kit.Block, req []byte) ([]byte, error) {
	h, err := t.Query(path, req)
	if err != nil {
		return nil, err
	}
	resp, err := RunQuery(ctx, h, r, blk, req)
	if err != nil {
		return nil, err
	}
	return Encode(resp)
}

// Encode is the deterministic encoding of a query's answer.
func Encode(resp proto.Message) ([]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(resp)
	if err != nil {
		return nil, fmt.Errorf("failed to encode response: %w", err)
	}
	return b, nil
}

// RunQuery runs a query handler. A panic (a bug hit by some request)
// becomes an internal error rather than taking the node down, unless the
// database itself failed, or a verifier's reader was asked for state it
// holds no proof of: those go on as panics, for their callers to handle.
func RunQuery(ctx context.Context, h QueryHandler, r kit.Reader, blk kit.Block, req []byte) (resp proto.Message, err error) {
	defer func() {
		if p := recover(); p != nil {
			if e, ok := p.(error); ok && passThrough(e) {
				panic(p)
			}
			resp, err = nil, ErrInternal.Wrapf("query failed unexpectedly: %v", p)
		}
	}()
	return h(ctx, r, blk, req)
}

// passThrough reports whether a panic with e must go on.
func passThrough(e error) bool {
	return errors.Is(e, kv.ErrIO) || errors.Is(e, proof.ErrUnproven)
}

// paramsQuerier answers lineage.app.v1.Query.
type paramsQuerier struct{ r kit.Reader }

var _ appv1.QueryServer = paramsQuerier{}

func newParamsQuerier(r kit.Reader, _ kit.Block) paramsQuerier { return paramsQuerier{r} }

// Params implements appv1.QueryServer.
func (q paramsQuerier) Params(context.Context, *appv1.QueryParamsRequest) (*appv1.QueryParamsResponse, error) {
	return &appv1.QueryParamsResponse{Params: LoadParams(q.r)}, nil
}
