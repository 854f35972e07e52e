package api

import (
	"context"
	"errors"
	"strconv"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/appv1"
)

// HeightMetadataKey is the outgoing gRPC metadata key that carries the
// state version a request asked for with ?height=n (n > 0). The connection
// given to [NewServer] must answer such a call from that version, and from
// the latest committed state when the key is absent.
const HeightMetadataKey = "x-lineage-height"

// ReceiptFunc answers a query with a receipt instead of a plain answer:
// method is the full gRPC method name ("/lineage.models.v1.Query/Model"),
// req the decoded request, height the state version to prove (0: the latest
// provable one). The receipt is written to the client verbatim as
// application/json.
//
// answer is the query's own error that the receipt proves (a record that
// does not exist), nil if the query answered: the response then has the
// HTTP status of that error (404 for a missing record), and still the
// receipt as its body. err means no receipt was made: errors carrying a
// gRPC status keep their code (and so their HTTP status); any other error
// is answered as 500 Internal with its message.
type ReceiptFunc func(ctx context.Context, method string, req proto.Message, height int64) (receipt []byte, answer, err error)

// call is what one HTTP request asked of the query it makes, and, when it
// asked for proof, the receipt that answers it. The middleware creates it;
// queryConn fills it in.
type call struct {
	prove  bool
	height int64

	mu      sync.Mutex
	proven  bool
	receipt []byte
	// failed says the receipt proves an error, not an answer.
	failed bool
}

type callKey struct{}

func withCall(ctx context.Context, c *call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

func (c *call) setReceipt(b []byte, failed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.proven = true
	c.receipt = b
	c.failed = failed
}

// result is the receipt, whether it proves an error, and whether one was
// made.
func (c *call) result() (receipt []byte, failed, proven bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.receipt, c.failed, c.proven
}

// queryConn stands between the gateway's generated clients and the
// connection that answers queries. It sees every call with its full method
// name and decoded request, so it can answer ?prove=true requests through a
// ReceiptFunc and pass ?height=n on as metadata, without the application
// knowing about HTTP.
type queryConn struct {
	next     grpc.ClientConnInterface
	receipts ReceiptFunc
}

var _ grpc.ClientConnInterface = queryConn{}

// Invoke implements grpc.ClientConnInterface.
func (c queryConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	cl := callFrom(ctx)
	if cl == nil {
		cl = &call{}
	}
	if err := checkCall(cl, method); err != nil {
		return err
	}
	if !cl.prove {
		return c.next.Invoke(withHeight(ctx, cl.height), method, args, reply, opts...)
	}
	req, ok := args.(proto.Message)
	if !ok {
		return status.Errorf(codes.Internal, "request of %s is a %T, not a protobuf message", method, args)
	}
	if c.receipts == nil {
		return status.Error(codes.Unimplemented, "this node does not serve receipts")
	}
	receipt, answer, err := c.receipts(ctx, method, req, cl.height)
	if err != nil {
		return receiptError(err)
	}
	cl.setReceipt(receipt, answer != nil)
	if answer != nil {
		// The gateway answers with the error's status; the middleware
		// keeps that status and sends the receipt instead of the error.
		return receiptError(answer)
	}
	return nil
}

// NewStream implements grpc.ClientConnInterface. No route streams today;
// a stream cannot be proven, but ?height applies to it.
func (c queryConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	cl := callFrom(ctx)
	if cl == nil {
		cl = &call{}
	}
	if cl.prove {
		return nil, status.Errorf(codes.InvalidArgument, "prove is not available for the streaming method %s", method)
	}
	if err := checkCall(cl, method); err != nil {
		return nil, err
	}
	return c.next.NewStream(withHeight(ctx, cl.height), desc, method, opts...)
}

// checkCall rejects prove and height on the receipt method itself, whose
// request names its own height and which is already a receipt.
func checkCall(cl *call, method string) error {
	if method != appv1.Receipts_Receipt_FullMethodName {
		return nil
	}
	if cl.prove {
		return status.Error(codes.InvalidArgument, "prove does not apply to /v1/receipts: its answer is a receipt already")
	}
	if cl.height != 0 {
		return status.Error(codes.InvalidArgument, "height does not apply to /v1/receipts: set the request's height field")
	}
	return nil
}

// withHeight sets (or, for the latest state, clears) the height metadata on
// the outgoing context; nothing a client sends can set it otherwise.
func withHeight(ctx context.Context, height int64) context.Context {
	md, _ := metadata.FromOutgoingContext(ctx)
	md = md.Copy()
	md.Delete(HeightMetadataKey)
	if height > 0 {
		md.Set(HeightMetadataKey, strconv.FormatInt(height, 10))
	}
	return metadata.NewOutgoingContext(ctx, md)
}

// receiptError keeps a gRPC status and maps context errors; anything else
// is an internal failure.
func receiptError(err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return status.FromContextError(err).Err()
	}
	return status.Errorf(codes.Internal, "failed to build receipt: %v", err)
}
