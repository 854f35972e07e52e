package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/node/receipt"
)

// receiptService serves lineage.app.v1.Receipts from the node's own
// CometBFT stores.
type receiptService struct {
	app *app.App
	src client.ReceiptSource
	// maxBytes bounds a receipt (0: no bound).
	maxBytes int
	metrics  *nodeMetrics // nil: none
}

var _ appv1.ReceiptsServer = receiptService{}

// newReceiptService builds the receipts of app from the stores rpc reads,
// and runs their proven queries on app directly, as the REST API runs its
// plain ones: through CometBFT's query connection they would wait in line
// behind each other and every other RPC query, where app's bound on proofs
// at once ([app.ProofLimits]) should decide instead.
func newReceiptService(a *app.App, rpc client.ReceiptSource, maxBytes int, metrics *nodeMetrics) receiptService {
	return receiptService{app: a, src: appQuerySource{ReceiptSource: rpc, app: a}, maxBytes: maxBytes, metrics: metrics}
}

// appQuerySource is a ReceiptSource whose ABCI queries go to the app in
// the same process.
type appQuerySource struct {
	client.ReceiptSource
	app *app.App
}

// ABCIQueryWithOptions implements client.ReceiptSource.
func (s appQuerySource) ABCIQueryWithOptions(ctx context.Context, path string, data cmtbytes.HexBytes, opts rpcclient.ABCIQueryOptions) (*ctypes.ResultABCIQuery, error) {
	res, err := s.app.Query(ctx, &abci.QueryRequest{Path: path, Data: data, Height: opts.Height, Prove: opts.Prove})
	if err != nil {
		return nil, err
	}
	return &ctypes.ResultABCIQuery{Response: *res}, nil
}

// Receipt implements appv1.ReceiptsServer. A receipt proving that the
// query failed (a missing record) is an answer like any other here.
func (s receiptService) Receipt(ctx context.Context, req *appv1.ReceiptRequest) (*appv1.ReceiptResponse, error) {
	data, _, err := s.build(ctx, req.Path, req.Request, req.Height)
	if err != nil {
		return nil, err
	}
	return &appv1.ReceiptResponse{Receipt: data}, nil
}

// build makes the canonical receipt of one query. answer is the query's
// own error that the receipt proves, as a gRPC status (nil when the query
// answered); err says why no receipt was made, as a gRPC status too.
func (s receiptService) build(ctx context.Context, path string, request []byte, height int64) (data []byte, answer, err error) {
	if !slices.Contains(s.app.QueryPaths(), path) {
		return nil, nil, status.Errorf(codes.InvalidArgument, "%q is not a query path", path)
	}
	if len(request) > modules.MaxQueryBytes {
		return nil, nil, status.Errorf(codes.InvalidArgument, "request of %d bytes exceeds %d", len(request), modules.MaxQueryBytes)
	}
	if height < 0 {
		return nil, nil, status.Errorf(codes.InvalidArgument, "height %d is negative", height)
	}
	start := time.Now()
	r, err := client.BuildReceipt(ctx, s.src, path, request, height)
	if errors.Is(err, client.ErrNotYetProvable) {
		return nil, nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	if qe, ok := errors.AsType[*client.QueryError](err); ok {
		if e := modules.ErrProofTooLarge; qe.Codespace == e.Codespace && qe.Code == e.Code {
			// The app's bound is the receipt's, less base64's expansion:
			// say so in the receipt's terms.
			return nil, nil, s.tooLarge(0)
		}
		return nil, nil, statusOf(qe.Codespace, qe.Code, qe.Log)
	}
	if err != nil {
		return nil, nil, status.Error(codes.Internal, err.Error())
	}
	data, err = receipt.Marshal(r)
	if err != nil {
		return nil, nil, status.Error(codes.Internal, err.Error())
	}
	if s.maxBytes > 0 && len(data) > s.maxBytes {
		return nil, nil, s.tooLarge(len(data))
	}
	s.metrics.receiptBuilt(time.Since(start))
	if r.Error != nil {
		answer = statusOf(r.Error.Codespace, r.Error.Code, r.Error.Log)
	}
	return data, answer, nil
}

// tooLarge is the error for a receipt of size bytes (0: not made) over
// the bound, in the application's form for an answer too large to prove.
func (s receiptService) tooLarge(size int) error {
	e := modules.ErrProofTooLarge
	what := "the receipt would exceed"
	if size > 0 {
		what = fmt.Sprintf("the receipt of %d bytes exceeds", size)
	}
	return statusOf(e.Codespace, e.Code, fmt.Sprintf("%s: %s this node's bound of %d bytes (api.max_receipt_bytes): %s", e.Message, what, s.maxBytes, app.AskForLess))
}

// receiptFor adapts build to the REST server's prove=true hook: the method
// and the decoded request as the gateway produced them.
func (s receiptService) receiptFor(ctx context.Context, method string, req proto.Message, height int64) (receipt []byte, answer, err error) {
	data, err := proto.Marshal(req)
	if err != nil {
		return nil, nil, status.Errorf(codes.InvalidArgument, "failed to encode request: %v", err)
	}
	return s.build(ctx, method, data, height)
}
