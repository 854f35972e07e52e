package node

import (
	"context"
	"strconv"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/modules"
)

// HeightMetadata is the gRPC metadata key that selects the state version a
// query reads (absent or 0: the latest).
const HeightMetadata = "x-lineage-height"

// inprocConn is a gRPC client connection that runs each call as an ABCI
// query on the app in the same process: the REST gateway talks to the
// application through it without a network hop or a second TLS setup.
type inprocConn struct {
	app *app.App
}

var _ grpc.ClientConnInterface = inprocConn{}

// Invoke implements grpc.ClientConnInterface.
func (c inprocConn) Invoke(ctx context.Context, method string, args, reply any, _ ...grpc.CallOption) error {
	req, ok := args.(proto.Message)
	if !ok {
		return status.Errorf(codes.Internal, "request %T is not a protobuf message", args)
	}
	data, err := proto.Marshal(req)
	if err != nil {
		return status.Errorf(codes.InvalidArgument, "failed to encode request: %v", err)
	}
	height, err := heightFrom(ctx)
	if err != nil {
		return err
	}
	res, err := c.app.Query(ctx, &abci.QueryRequest{Path: method, Data: data, Height: height})
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	if res.Code != 0 {
		return statusOf(res.Codespace, res.Code, res.Log)
	}
	if err := proto.Unmarshal(res.Value, reply.(proto.Message)); err != nil {
		return status.Errorf(codes.Internal, "failed to decode answer: %v", err)
	}
	return nil
}

// NewStream implements grpc.ClientConnInterface; no query streams.
func (inprocConn) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, status.Error(codes.Unimplemented, "streams are not served")
}

// heightFrom reads the requested state version from outgoing or incoming
// metadata.
func heightFrom(ctx context.Context) (int64, error) {
	var vals []string
	if md, ok := metadata.FromOutgoingContext(ctx); ok {
		vals = md.Get(HeightMetadata)
	}
	if md, ok := metadata.FromIncomingContext(ctx); ok && len(vals) == 0 {
		vals = md.Get(HeightMetadata)
	}
	if len(vals) == 0 || vals[0] == "" {
		return 0, nil
	}
	h, err := strconv.ParseInt(vals[0], 10, 64)
	if err != nil || h < 0 {
		return 0, status.Errorf(codes.InvalidArgument, "%s %q is not a height", HeightMetadata, vals[0])
	}
	return h, nil
}

// proofBusyRetry is when a client refused for too many proven queries at
// once should try again: proofs of most queries take milliseconds.
const proofBusyRetry = time.Second

// statusOf gives an application error a gRPC status: NotFound for the
// errors the module tables mark as answering for missing records, Internal
// for internal errors, ResourceExhausted for an answer too large to prove,
// Unavailable (with a RetryInfo detail) while the node proves as many
// queries as it will at once, InvalidArgument otherwise, with the stable
// codespace/code at the start of the message.
func statusOf(codespace string, code uint32, msg string) error {
	c := codes.InvalidArgument
	var retry time.Duration
	switch e := modules.Default().ErrorOf(codespace, code); {
	case e == modules.ErrInternal:
		c = codes.Internal
	case e == modules.ErrProofTooLarge:
		c = codes.ResourceExhausted
	case e == modules.ErrProofBusy:
		c, retry = codes.Unavailable, proofBusyRetry
	case e != nil && e.NotFound():
		c = codes.NotFound
	}
	st := status.Newf(c, "%s/%d: %s", codespace, code, msg)
	if retry > 0 {
		if withRetry, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(retry)}); err == nil {
			st = withRetry
		}
	}
	return st.Err()
}

// restConn is the REST gateway's connection: receipts go to the receipt
// service, every other method to the app.
type restConn struct {
	queries  inprocConn
	receipts receiptService
}

var _ grpc.ClientConnInterface = restConn{}

// Invoke implements grpc.ClientConnInterface.
func (c restConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	if method != appv1.Receipts_Receipt_FullMethodName {
		return c.queries.Invoke(ctx, method, args, reply, opts...)
	}
	req, ok := args.(*appv1.ReceiptRequest)
	if !ok {
		return status.Errorf(codes.Internal, "receipt request is %T", args)
	}
	resp, err := c.receipts.Receipt(ctx, req)
	if err != nil {
		return err
	}
	proto.Merge(reply.(proto.Message), resp)
	return nil
}

// NewStream implements grpc.ClientConnInterface.
func (c restConn) NewStream(ctx context.Context, d *grpc.StreamDesc, m string, o ...grpc.CallOption) (grpc.ClientStream, error) {
	return c.queries.NewStream(ctx, d, m, o...)
}
