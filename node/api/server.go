package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	cmtlog "github.com/cometbft/cometbft/libs/log"
	"google.golang.org/grpc"
)

// Server timeouts. A query gets requestTimeout (its context is cancelled
// then); the connection's write deadline leaves room to send the answer or
// the timeout error after it.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	requestTimeout    = 30 * time.Second
	writeTimeout      = requestTimeout + 10*time.Second
	idleTimeout       = 2 * time.Minute
	// maxHeaderBytes bounds the request line and headers, and so the query
	// string of a GET.
	maxHeaderBytes = 64 << 10
)

// Server serves the REST API over HTTP(S).
type Server struct {
	cfg    Config
	logger cmtlog.Logger
	srv    *http.Server

	mu      sync.Mutex
	ln      net.Listener
	started bool
}

// NewServer builds the REST server over conn, which answers every query
// service's calls (see [HeightMetadataKey] for the one piece of metadata it
// must honour). receipts answers ?prove=true; nil makes such requests fail
// with 501. cfg is validated (and its defaults filled) here; the TLS key
// pair, when configured, is loaded here too, so that a bad one fails before
// the node starts.
func NewServer(cfg Config, conn grpc.ClientConnInterface, receipts ReceiptFunc, logger cmtlog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid REST API config: %w", err)
	}
	if conn == nil {
		return nil, errors.New("REST API needs a connection to the query services")
	}
	if logger == nil {
		logger = cmtlog.NewNopLogger()
	}
	var tlsConfig *tls.Config
	if cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("failed to load REST API TLS key pair: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	handler, err := newHandler(cfg, queryConn{next: conn, receipts: receipts})
	if err != nil {
		return nil, err
	}
	return &Server{
		cfg:    cfg,
		logger: logger,
		srv: &http.Server{
			Handler:           handler,
			TLSConfig:         tlsConfig,
			ReadHeaderTimeout: readHeaderTimeout,
			ReadTimeout:       readTimeout,
			WriteTimeout:      writeTimeout,
			IdleTimeout:       idleTimeout,
			MaxHeaderBytes:    maxHeaderBytes,
			ErrorLog:          log.New(logWriter{logger}, "", 0),
		},
	}, nil
}

// newHandler is the whole request path, outermost first: the observer (if
// configured), CORS, rate limit, body limit, prove/height, then the
// gateway's routes.
func newHandler(cfg Config, conn grpc.ClientConnInterface) (http.Handler, error) {
	mux, err := newGateway(conn)
	if err != nil {
		return nil, err
	}
	limiter := cfg.Limiter
	if limiter == nil {
		if limiter, err = NewRateLimiter(cfg.RateLimit, cfg.RateBurst); err != nil {
			return nil, err
		}
	}
	var errs errorWriter
	var h http.Handler = mux
	h = callParams(requestTimeout, errs, h)
	h = limitBody(cfg.MaxRequestBytes, errs, h)
	h = limiter.wrap(errs, h)
	h = cors(cfg.CORSAllowedOrigins, errs, h)
	if cfg.ObserveRequest != nil {
		h = observe(cfg.ObserveRequest, h)
	}
	return h, nil
}

// Handler is the server's complete HTTP handler, middleware included, for
// serving it on a listener of the caller's.
func (s *Server) Handler() http.Handler { return s.srv.Handler }

// Start listens on the configured address and serves in the background. A
// server starts at most once.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("REST API already started")
	}
	ln, err := net.Listen("tcp", s.cfg.Address)
	if err != nil {
		return fmt.Errorf("failed to listen for the REST API on %s: %w", s.cfg.Address, err)
	}
	s.ln, s.started = ln, true
	useTLS := s.srv.TLSConfig != nil
	go func() {
		var err error
		if useTLS {
			err = s.srv.ServeTLS(ln, "", "")
		} else {
			err = s.srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("REST API stopped", "err", err)
		}
	}()
	s.logger.Info("serving REST API", "addr", ln.Addr().String(), "tls", useTLS)
	return nil
}

// Addr is the address the server listens on once started (with the port
// chosen when the configured one was 0), else the configured address.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return s.ln.Addr().String()
	}
	return s.cfg.Address
}

// Stop stops accepting connections and waits for requests in flight until
// ctx ends; then it closes the remaining connections and returns ctx's
// error. Stopping a server that never started is a no-op.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		return nil
	}
	if err := s.srv.Shutdown(ctx); err != nil {
		if cerr := s.srv.Close(); cerr != nil {
			return errors.Join(err, cerr)
		}
		return err
	}
	return nil
}

// logWriter sends net/http's own messages to the node's log: failed TLS
// handshakes (any scanner causes them) at debug level, the rest (panics in
// handlers, accept errors) as errors.
type logWriter struct{ logger cmtlog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	if strings.Contains(msg, "TLS handshake error") {
		w.logger.Debug("REST API", "msg", msg)
	} else {
		w.logger.Error("REST API", "msg", msg)
	}
	return len(p), nil
}
