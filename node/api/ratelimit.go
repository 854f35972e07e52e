package api

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// RateLimiter keeps a token bucket per client: the REST server takes a
// token per request ([Config.Limiter]) and a gRPC server, given its
// interceptors, one per call or stream, so that one limiter shared by both
// listeners of the query API holds each client to one rate whichever it
// calls. The client is the connection's remote IPv4 address, or its IPv6
// /64 network (see clientKey); a proxy in front of the node makes all its
// clients one.
type RateLimiter struct {
	limit rate.Limit
	burst int
	// idle is how long a bucket takes to fill up again: an entry unused
	// that long is the same as a new one and can be dropped.
	idle time.Duration

	mu        sync.Mutex
	clients   map[string]*client
	lastSweep time.Time
}

type client struct {
	limiter  *rate.Limiter
	lastSeen time.Time
}

// NewRateLimiter allows each client limit requests per second, and burst
// at once.
func NewRateLimiter(limit float64, burst int) (*RateLimiter, error) {
	if math.IsNaN(limit) || math.IsInf(limit, 0) || limit <= 0 {
		return nil, fmt.Errorf("rate limit %v: want a finite, positive number of requests per second", limit)
	}
	if burst < 1 {
		return nil, fmt.Errorf("rate burst %d: want at least 1", burst)
	}
	idle := time.Duration(math.Ceil(float64(burst)/limit)) * time.Second
	return &RateLimiter{
		limit:   rate.Limit(limit),
		burst:   burst,
		idle:    max(idle, time.Minute),
		clients: map[string]*client{},
	}, nil
}

// allow takes a token from the bucket of the client at remoteAddr, or says
// how long until there is one.
func (l *RateLimiter) allow(remoteAddr string, now time.Time) (ok bool, retryAfter time.Duration) {
	key := clientKey(remoteAddr)
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= l.idle {
		for k, c := range l.clients {
			if now.Sub(c.lastSeen) >= l.idle {
				delete(l.clients, k)
			}
		}
		l.lastSweep = now
	}
	c := l.clients[key]
	if c == nil {
		c = &client{limiter: rate.NewLimiter(l.limit, l.burst)}
		l.clients[key] = c
	}
	c.lastSeen = now
	res := c.limiter.ReserveN(now, 1)
	if !res.OK() {
		return false, l.idle
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// limitedMessage is the message of a refusal with secs to wait.
func limitedMessage(secs int64) string {
	return fmt.Sprintf("rate limit exceeded: retry after %ds", secs)
}

// wrap answers 429 with Retry-After (whole seconds, at least 1) to clients
// over their rate.
func (l *RateLimiter) wrap(errs errorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, wait := l.allow(r.RemoteAddr, time.Now())
		if !ok {
			secs := retrySeconds(wait)
			w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
			errs.write(w, http.StatusTooManyRequests, codes.ResourceExhausted, limitedMessage(secs))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// errNoPeer refuses a call whose client is unknown, which a server on a
// network listener never makes.
var errNoPeer = status.Error(codes.Internal, "rate limit: the call has no peer address")

// check takes a token for the client of a gRPC call, or returns
// ResourceExhausted with a RetryInfo detail saying when to retry (and the
// same whole seconds as REST's Retry-After in its message).
func (l *RateLimiter) check(ctx context.Context) error {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return errNoPeer
	}
	ok, wait := l.allow(p.Addr.String(), time.Now())
	if ok {
		return nil
	}
	st := status.New(codes.ResourceExhausted, limitedMessage(retrySeconds(wait)))
	if withRetry, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(wait)}); err == nil {
		st = withRetry
	}
	return st.Err()
}

// UnaryServerInterceptor takes a token per call, refusing calls over the
// client's rate with ResourceExhausted before they run.
func (l *RateLimiter) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if err := l.check(ctx); err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
}

// StreamServerInterceptor takes a token per stream (server reflection
// streams), refusing streams over the client's rate with
// ResourceExhausted.
func (l *RateLimiter) StreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if err := l.check(ss.Context()); err != nil {
			return err
		}
		return h(srv, ss)
	}
}

// clientKey names the client of a remote address for rate limiting: its
// IPv4 address, or its IPv6 /64 network, since one host commonly holds a
// whole /64 and could otherwise take a fresh bucket per address.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		if p, err := addr.Prefix(64); err == nil {
			return p.String()
		}
	}
	return addr.String()
}
