package api

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

func fromPeer(addr string) context.Context {
	a, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		panic(err)
	}
	return peer.NewContext(context.Background(), &peer.Peer{Addr: a})
}

// streamIn is a server stream with only a context.
type streamIn struct {
	grpc.ServerStream
	ctx context.Context
}

func (s streamIn) Context() context.Context { return s.ctx }

// TestRateLimiterOnGRPC: the interceptors take tokens from the same
// buckets as the REST server given the same limiter: a client over its
// burst is refused on either listener, with ResourceExhausted and a
// RetryInfo over gRPC, before its call runs; other clients are not.
func TestRateLimiterOnGRPC(t *testing.T) {
	l, err := NewRateLimiter(0.1, 2)
	if err != nil {
		t.Fatal(err)
	}
	unary, stream := l.UnaryServerInterceptor(), l.StreamServerInterceptor()
	ran := 0
	handler := func(context.Context, any) (any, error) { ran++; return "ok", nil }
	ctx := fromPeer("192.0.2.10:5000")
	for i := range 2 {
		if _, err := unary(ctx, nil, &grpc.UnaryServerInfo{}, handler); err != nil {
			t.Fatalf("call %d of the burst: %v", i, err)
		}
	}
	_, err = unary(fromPeer("192.0.2.10:5001"), nil, &grpc.UnaryServerInfo{}, handler)
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted || !strings.HasPrefix(st.Message(), "rate limit exceeded: retry after ") {
		t.Fatalf("call over the burst from another port of the client: %v", err)
	}
	if len(st.Details()) != 1 {
		t.Fatalf("details %v, want one RetryInfo", st.Details())
	}
	if ri, ok := st.Details()[0].(*errdetails.RetryInfo); !ok || ri.GetRetryDelay().AsDuration() <= 0 {
		t.Errorf("details %v, want a RetryInfo with a delay", st.Details())
	}
	if ran != 2 {
		t.Errorf("handler ran %d times, want 2", ran)
	}
	err = stream(nil, streamIn{ctx: ctx}, &grpc.StreamServerInfo{}, func(any, grpc.ServerStream) error { ran++; return nil })
	if status.Code(err) != codes.ResourceExhausted || ran != 2 {
		t.Errorf("stream over the burst: %v (handler ran %d times)", err, ran)
	}

	// The client's REST requests share its bucket; another client has its own.
	h, err := newHandler(Config{MaxRequestBytes: DefaultMaxRequestBytes, Limiter: l}, dialFakes(t, &fakeQueries{}, &recorder{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		remote string
		want   int
	}{{"192.0.2.10:6000", http.StatusTooManyRequests}, {"192.0.2.11:6000", http.StatusOK}} {
		req := httptest.NewRequest("GET", "/v1/params", nil)
		req.RemoteAddr = tc.remote
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		if rr.Code != tc.want {
			t.Errorf("REST from %s: %d, want %d: %s", tc.remote, rr.Code, tc.want, rr.Body)
		}
	}
	if _, err := unary(fromPeer("192.0.2.11:5000"), nil, &grpc.UnaryServerInfo{}, handler); err != nil {
		t.Errorf("another client's second call: %v", err)
	}

	// A call without a peer is refused rather than given a shared bucket.
	if _, err := unary(context.Background(), nil, &grpc.UnaryServerInfo{}, handler); status.Code(err) != codes.Internal {
		t.Errorf("call without a peer: %v", err)
	}
}

func TestNewRateLimiterRejects(t *testing.T) {
	for _, tc := range []struct {
		limit float64
		burst int
	}{{0, 1}, {-1, 1}, {1, 0}} {
		if _, err := NewRateLimiter(tc.limit, tc.burst); err == nil {
			t.Errorf("NewRateLimiter(%v, %d) accepted", tc.limit, tc.burst)
		}
	}
}
