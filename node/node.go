package node

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtflags "github.com/cometbft/cometbft/libs/cli/flags"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	rpclocal "github.com/cometbft/cometbft/rpc/client/local"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/snapshots"
	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/node/api"
	"github.com/lineageledger/lineaged/x/kit"
)

// Node is a running (or ready to run) Lineage Ledger node.
type Node struct {
	home   string
	cmtCfg *cmtcfg.Config
	cfg    *Config
	logger cmtlog.Logger

	store *store.Store
	app   *app.App
	cmt   *nm.Node
	grpc  *grpc.Server
	apiLn net.Listener
	rest  *api.Server
	// metrics are nil unless Prometheus is enabled.
	metrics *nodeMetrics

	stopOnce sync.Once
	stopErr  error
	// stopping is set once Stop begins: listeners closing then are
	// expected (see shutdownLogger).
	stopping atomic.Bool
}

// NewLogger builds the node's logger from its config.
func NewLogger(w io.Writer, c LogConfig) (cmtlog.Logger, error) {
	var l cmtlog.Logger
	if c.Format == "json" {
		l = cmtlog.NewTMJSONLogger(cmtlog.NewSyncWriter(w))
	} else {
		l = cmtlog.NewTMLogger(cmtlog.NewSyncWriter(w))
	}
	return cmtflags.ParseLogLevel(c.Level, l, "info")
}

// ProposalBudget is how long this node, as proposer, may spend executing
// the transactions of a proposal: a third of the propose timeout, which
// leaves the rest for sending the block and for validators whose clocks
// started the round a little earlier.
func ProposalBudget(cmtCfg *cmtcfg.Config) time.Duration {
	return cmtCfg.Consensus.TimeoutPropose / 3
}

// New opens the state and builds the node of home; [Node.Start] runs it.
func New(home string, cmtCfg *cmtcfg.Config, cfg *Config, logger cmtlog.Logger) (*Node, error) {
	nodeBytes := cfg.State.NodeCacheMiB
	if nodeBytes == 0 {
		nodeBytes = -1 // off, where the store takes 0 for its default
	}
	st, err := store.Open(store.Config{
		Backend:      cfg.State.DBBackend,
		Dir:          filepath.Join(home, "data"),
		CacheSize:    cfg.State.IAVLCacheSize,
		DBCacheMiB:   cfg.State.DBCacheMiB,
		NodeBytesMiB: nodeBytes,
		SyncWrites:   cfg.State.SyncWrites,
		KeepRecent:   cfg.State.KeepRecent,
	})
	if err != nil {
		return nil, err
	}
	n := &Node{home: home, cmtCfg: cmtCfg, cfg: cfg, store: st}
	logger = shutdownLogger{Logger: logger, stopping: &n.stopping}
	n.logger = logger
	n.app = app.New(st, logger.With("module", "app"))
	n.app.SetProposalBudget(ProposalBudget(cmtCfg))
	n.app.SetCheckHandlers(cfg.Mempool.RunHandlers)
	n.app.SetProofLimits(proofLimits(cfg.API))
	if err := n.app.SetSnapshots(snapshots.Config{
		Dir:        filepath.Join(home, "data", "snapshots"),
		Interval:   cfg.State.SnapshotInterval,
		KeepRecent: cfg.State.SnapshotKeepRecent,
	}); err != nil {
		st.Close()
		return nil, fmt.Errorf("invalid snapshot settings: %w", err)
	}
	// Ours go on the registry CometBFT serves, when it serves one.
	if cmtCfg.Instrumentation.Prometheus {
		if err := n.enableMetrics(prometheus.DefaultRegisterer); err != nil {
			st.Close()
			return nil, err
		}
	}

	nodeKey, err := p2p.LoadNodeKey(cmtCfg.NodeKeyFile())
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("failed to load node key: %w", err)
	}
	pv := privval.LoadFilePV(cmtCfg.PrivValidatorKeyFile(), cmtCfg.PrivValidatorStateFile())
	n.cmt, err = nm.NewNode(context.Background(), cmtCfg, pv, nodeKey,
		// One lock per ABCI connection rather than one for all: the
		// application guards its own state, so mempool checks (and their
		// signature checks) overlap block execution.
		proxy.NewConnSyncLocalClientCreator(n.app),
		nm.DefaultGenesisDocProviderFunc(cmtCfg),
		dbProvider,
		nm.DefaultMetricsProvider(cmtCfg.Instrumentation),
		logger)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("failed to create CometBFT node: %w", err)
	}
	return n, nil
}

// proofLimits are the application's bounds on proven queries for the API
// settings c: a receipt carries the answer and proofs in base64, so the
// largest receipt bounds them at three quarters of its size, which also
// bounds a proven ABCI answer sent in JSON by CometBFT's RPC.
func proofLimits(c APIConfig) app.ProofLimits {
	return app.ProofLimits{
		MaxConcurrent: c.MaxConcurrentProofs,
		MaxBytes:      base64.StdEncoding.DecodedLen(c.MaxReceiptBytes),
	}
}

// RPCAddress is CometBFT's RPC listen address.
func (n *Node) RPCAddress() string { return n.cmtCfg.RPC.ListenAddress }

// APIAddress is the gRPC query API's address, empty if disabled.
func (n *Node) APIAddress() string {
	if n.apiLn == nil {
		return ""
	}
	return n.apiLn.Addr().String()
}

// RESTAddress is the REST API's address, empty if disabled.
func (n *Node) RESTAddress() string {
	if n.rest == nil {
		return ""
	}
	return n.rest.Addr()
}

// ChainID is the chain's id from genesis.
func (n *Node) ChainID() string { return n.cmt.GenesisDoc().ChainID }

// Height is the last committed height.
func (n *Node) Height() int64 {
	h, _ := n.store.LastCommit()
	return h
}

// WaitForHeight blocks until height h is committed or ctx ends.
func (n *Node) WaitForHeight(ctx context.Context, h int64) error {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for n.Height() < h {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// Start starts consensus, P2P, RPC and the query API.
func (n *Node) Start() error {
	if err := n.cmt.Start(); err != nil {
		n.store.Close()
		return fmt.Errorf("failed to start CometBFT: %w", err)
	}
	if err := n.startAPI(); err != nil {
		n.Stop()
		return err
	}
	return nil
}

func (n *Node) startAPI() error {
	receipts := newReceiptService(n.app, rpclocal.New(n.cmt), n.cfg.API.MaxReceiptBytes, n.metrics)
	// One limiter for both listeners: a client has one rate, whichever
	// API it calls.
	limiter, err := api.NewRateLimiter(n.cfg.API.RateLimit, n.cfg.API.RateBurst)
	if err != nil {
		return fmt.Errorf("invalid API rate limit: %w", err)
	}
	if err := n.startGRPC(receipts, limiter); err != nil {
		return err
	}
	return n.startREST(receipts, limiter)
}

func (n *Node) startREST(receipts receiptService, limiter *api.RateLimiter) error {
	c := n.cfg.API
	if c.RESTAddress == "" {
		return nil
	}
	// The gateway reaches queries in-process, and receipts through the same
	// service the gRPC API offers.
	conn := restConn{queries: inprocConn{app: n.app}, receipts: receipts}
	srv, err := api.NewServer(api.Config{
		Address: c.RESTAddress, TLSCertFile: c.TLSCertFile, TLSKeyFile: c.TLSKeyFile,
		CORSAllowedOrigins: c.CORSAllowedOrigins, MaxRequestBytes: c.MaxRequestBytes,
		RateLimit: c.RateLimit, RateBurst: c.RateBurst, Limiter: limiter, ObserveRequest: n.metrics.restObserver(),
	}, conn, receipts.receiptFor, n.logger.With("module", "rest"))
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("failed to start the REST API: %w", err)
	}
	n.rest = srv
	n.logger.Info("serving REST API", "addr", srv.Addr(), "tls", c.TLSCertFile != "")
	return nil
}

func (n *Node) startGRPC(receipts receiptService, limiter *api.RateLimiter) error {
	c := n.cfg.API
	if c.GRPCAddress == "" {
		return nil
	}
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(c.MaxRequestBytes),
		// The rate limit first: a refused call costs nothing more.
		grpc.ChainUnaryInterceptor(limiter.UnaryServerInterceptor(), grpcErrors),
		grpc.StreamInterceptor(limiter.StreamServerInterceptor()),
	}
	if c.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("failed to load API TLS key pair: %w", err)
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})))
	}
	ln, err := net.Listen("tcp", c.GRPCAddress)
	if err != nil {
		return fmt.Errorf("failed to listen for the API on %s: %w", c.GRPCAddress, err)
	}
	n.grpc = grpc.NewServer(opts...)
	n.app.RegisterGRPC(n.grpc)
	appv1.RegisterReceiptsServer(n.grpc, receipts)
	reflection.Register(n.grpc)
	n.apiLn = ln
	go func() {
		if err := n.grpc.Serve(ln); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			n.logger.Error("query API stopped", "err", err)
		}
	}()
	n.logger.Info("serving gRPC query API", "addr", ln.Addr().String(), "tls", c.TLSCertFile != "")
	return nil
}

// grpcErrors gives application errors a gRPC status (see statusOf).
func grpcErrors(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	resp, err := h(ctx, req)
	if err == nil {
		return resp, nil
	}
	cs, code, ok := kit.CodeOf(err)
	if !ok {
		if _, isStatus := status.FromError(err); isStatus {
			return nil, err
		}
		return nil, status.Error(codes.Internal, err.Error())
	}
	return nil, statusOf(cs, code, err.Error())
}

// Stop shuts the node down gracefully: API, then consensus, then state.
func (n *Node) Stop() error {
	n.stopOnce.Do(func() {
		n.stopping.Store(true)
		if n.rest != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = n.rest.Stop(ctx)
			cancel()
		}
		if n.grpc != nil {
			n.grpc.GracefulStop()
		}
		var errs []error
		if n.cmt.IsRunning() {
			if err := n.cmt.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("failed to stop CometBFT: %w", err))
			}
			n.cmt.Wait()
		}
		// A snapshot being written must finish (or stop) before the state
		// closes under it.
		if err := n.app.Close(); err != nil {
			errs = append(errs, err)
		}
		if err := n.store.Close(); err != nil {
			errs = append(errs, err)
		}
		n.stopErr = errors.Join(errs...)
	})
	return n.stopErr
}
