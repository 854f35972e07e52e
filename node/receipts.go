package node

import (
	"context"
	"errors"
	"slices"
	"time"

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
	app     *app.App
	src     client.ReceiptSource
	metrics *nodeMetrics // nil: none
}

var _ appv1.ReceiptsServer = receiptService{}

// Receipt implements appv1.ReceiptsServer.
func (s receiptService) Receipt(ctx context.Context, req *appv1.ReceiptRequest) (*appv1.ReceiptResponse, error) {
	data, err := s.build(ctx, req.Path, req.Request, req.Height)
	if err != nil {
		return nil, err
	}
	return &appv1.ReceiptResponse{Receipt: data}, nil
}

// build makes the canonical receipt of one query.
func (s receiptService) build(ctx context.Context, path string, request []byte, height int64) ([]byte, error) {
	if !slices.Contains(s.app.QueryPaths(), path) {
		return nil, status.Errorf(codes.InvalidArgument, "%q is not a query path", path)
	}
	if len(request) > modules.MaxQueryBytes {
		return nil, status.Errorf(codes.InvalidArgument, "request of %d bytes exceeds %d", len(request), modules.MaxQueryBytes)
	}
	if height < 0 {
		return nil, status.Errorf(codes.InvalidArgument, "height %d is negative", height)
	}
	start := time.Now()
	r, err := client.BuildReceipt(ctx, s.src, path, request, height)
	if errors.Is(err, client.ErrNotYetProvable) {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	data, err := receipt.Marshal(r)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	s.metrics.receiptBuilt(time.Since(start))
	return data, nil
}

// receiptFor adapts build to the REST server's prove=true hook: the method
// and the decoded request as the gateway produced them.
func (s receiptService) receiptFor(ctx context.Context, method string, req proto.Message, height int64) ([]byte, error) {
	data, err := proto.Marshal(req)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "failed to encode request: %v", err)
	}
	return s.build(ctx, method, data, height)
}
