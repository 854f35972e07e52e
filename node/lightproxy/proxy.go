package lightproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/pebble"
	dbm "github.com/cometbft/cometbft-db"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/light/provider"
	lhttp "github.com/cometbft/cometbft/light/provider/http"
	lproxy "github.com/cometbft/cometbft/light/proxy"
	lrpc "github.com/cometbft/cometbft/light/rpc"
	dbs "github.com/cometbft/cometbft/light/store/db"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	rpcserver "github.com/cometbft/cometbft/rpc/jsonrpc/server"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
)

// DefaultListenAddress is where a proxy serves unless told otherwise.
const DefaultListenAddress = "tcp://127.0.0.1:8888"

// DefaultTrustingPeriod is how long a verified header stays a root for
// verifying newer ones: CometBFT's default for its light client.
const DefaultTrustingPeriod = 168 * time.Hour

// Config says what a proxy verifies and where it serves.
type Config struct {
	// Node is the CometBFT RPC address of the node whose answers are
	// verified, e.g. "tcp://127.0.0.1:26657" or "https://rpc.example.org".
	Node string
	// Witnesses are more nodes of the chain that the light client
	// cross-checks new headers with, to detect a fork. None: the node
	// itself (CometBFT's light client needs one), which detects no fork
	// but still verifies every signature.
	Witnesses []string
	// Trust is the root to start from. Zero: continue from the light
	// store in Home.
	Trust Trust
	// TrustingPeriod is how long a verified header can vouch for newer
	// ones; 0: DefaultTrustingPeriod.
	TrustingPeriod time.Duration
	// Home is the directory of the light store (verified headers).
	Home string
	// ListenAddress is where the proxy serves CometBFT's RPC; empty:
	// DefaultListenAddress.
	ListenAddress string
	// Logger receives the light client's and the server's logs; nil:
	// none.
	Logger log.Logger
}

// Proxy serves CometBFT's RPC on behalf of one node, verifying what can
// be verified: headers, commits and validator sets through CometBFT's
// light client (light/rpc), and every abci_query answer through a
// [Verifier].
type Proxy struct {
	lc       *light.Client
	rpc      *lrpc.Client
	verifier *Verifier
	db       dbm.DB
	listener net.Listener
	mux      *http.ServeMux
	server   *rpcserver.Config
	logger   log.Logger

	closeOnce sync.Once
	closeErr  error
}

// chainIDKey holds, in the light store's database, the chain the store
// was last used for, so that a restart needs no trust root.
var chainIDKey = []byte("lineaged/chain_id")

// New sets up a proxy: it opens the light store, initialises the light
// client from the trust root (or the store), checks that the root is
// within the trusting period, and binds the listen address. Serve then
// serves until Close.
func New(ctx context.Context, cfg Config) (_ *Proxy, err error) {
	if cfg.Node == "" {
		return nil, errors.New("no node to verify")
	}
	if cfg.Home == "" {
		return nil, errors.New("no directory for the light store")
	}
	if cfg.TrustingPeriod == 0 {
		cfg.TrustingPeriod = DefaultTrustingPeriod
	}
	if cfg.ListenAddress == "" {
		cfg.ListenAddress = DefaultListenAddress
	}
	if cfg.Logger == nil {
		cfg.Logger = log.NewNopLogger()
	}
	node := withScheme(cfg.Node)
	if err := os.MkdirAll(cfg.Home, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create the light store directory: %w", err)
	}
	dbOpts := &pebble.Options{Logger: quietPebble{}}
	dbOpts.EnsureDefaults()
	db, err := dbm.NewPebbleDBWithOpts("light", cfg.Home, dbOpts)
	if err != nil {
		return nil, fmt.Errorf("failed to open the light store: %w", err)
	}
	p := &Proxy{db: db, logger: cfg.Logger}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()

	rpc, err := rpchttp.NewWithTimeout(node, 30)
	if err != nil {
		return nil, fmt.Errorf("failed to set up an RPC client for %s: %w", node, err)
	}
	chainID, err := p.chainID(ctx, cfg.Trust, rpc)
	if err != nil {
		return nil, err
	}
	primary, err := lhttp.New(chainID, node)
	if err != nil {
		return nil, fmt.Errorf("failed to set up a header provider for %s: %w", node, err)
	}
	witnessAddrs := cfg.Witnesses
	if len(witnessAddrs) == 0 {
		witnessAddrs = []string{node}
	}
	witnesses := make([]provider.Provider, len(witnessAddrs))
	for i, addr := range witnessAddrs {
		if witnesses[i], err = lhttp.New(chainID, withScheme(addr)); err != nil {
			return nil, fmt.Errorf("failed to set up a header provider for witness %s: %w", addr, err)
		}
	}
	opts := []light.Option{light.Logger(cfg.Logger.With("module", "light")), light.SkippingVerification(light.DefaultTrustLevel)}
	store := dbs.New(db, chainID)
	switch {
	case cfg.Trust.IsZero():
		p.lc, err = light.NewClientFromTrustedStore(chainID, cfg.TrustingPeriod, primary, witnesses, store, opts...)
		if errors.Is(err, light.ErrEmptyTrustedStore) {
			return nil, fmt.Errorf("the light store in %s holds no trusted header: give a trust root", cfg.Home)
		}
	default:
		to := light.TrustOptions{Period: cfg.TrustingPeriod, Height: cfg.Trust.Height, Hash: cfg.Trust.Hash}
		if cfg.Trust.Genesis != nil {
			lb, gerr := genesisHeader(ctx, primary, cfg.Trust.Genesis)
			if gerr != nil {
				return nil, gerr
			}
			to.Height, to.Hash = lb.Height, lb.Hash()
		}
		p.lc, err = light.NewClient(ctx, chainID, to, primary, witnesses, store, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to start the light client: %w", err)
	}
	if err := db.SetSync(chainIDKey, []byte(chainID)); err != nil {
		return nil, fmt.Errorf("failed to write the light store: %w", err)
	}
	if err := p.checkTrustingPeriod(cfg.TrustingPeriod); err != nil {
		return nil, err
	}

	p.rpc = lrpc.NewClient(rpc, p.lc)
	p.verifier = NewVerifier(rpc, p.lc)
	p.server = rpcserver.DefaultConfig()
	// An answer may wait for the block that signs it, then bisect headers.
	p.server.WriteTimeout = time.Minute
	if p.listener, err = rpcserver.Listen(cfg.ListenAddress, p.server.MaxOpenConnections); err != nil {
		return nil, fmt.Errorf("failed to listen on %s: %w", cfg.ListenAddress, err)
	}
	p.mux = p.routes()
	return p, nil
}

// chainID is the chain to verify: the genesis's; for a trusted header,
// the node's (the header's hash pins it: a node lying about it fails
// there); with no root, the one the light store was last used for.
func (p *Proxy) chainID(ctx context.Context, trust Trust, rpc *rpchttp.HTTP) (string, error) {
	switch {
	case trust.Genesis != nil:
		return trust.Genesis.ChainID, nil
	case !trust.IsZero():
		st, err := rpc.Status(ctx)
		if err != nil {
			return "", fmt.Errorf("failed to reach the node: %w", err)
		}
		return st.NodeInfo.Network, nil
	}
	b, err := p.db.Get(chainIDKey)
	if err != nil {
		return "", fmt.Errorf("failed to read the light store: %w", err)
	}
	if len(b) == 0 {
		return "", errors.New("the light store is empty: give a trust root")
	}
	return string(b), nil
}

// checkTrustingPeriod refuses a root too old to vouch for anything newer:
// the light client would refuse every header later, with a less helpful
// error.
func (p *Proxy) checkTrustingPeriod(period time.Duration) error {
	lb, err := p.lc.TrustedLightBlock(0)
	if err != nil {
		return fmt.Errorf("failed to read the trusted header: %w", err)
	}
	if age := time.Since(lb.Time); age > period {
		return fmt.Errorf("the trusted header of height %d is from %s, older than the trusting period %s: "+
			"trust a recent header with HEIGHT:HASH, or accept a longer trusting period", lb.Height, lb.Time.UTC().Format(time.RFC3339), period)
	}
	return nil
}

// routes are CometBFT's light proxy routes, each verified by light/rpc as
// far as it can, with abci_query answered by the Verifier instead: the
// light/rpc client of CometBFT v1.0 cannot check an absence (it reads the
// state key as a key path), does not check that the proven key is the one
// asked, and has no block time for re-running a query.
func (p *Proxy) routes() *http.ServeMux {
	routes := lproxy.RPCRoutes(p.rpc)
	routes["abci_query"] = rpcserver.NewRPCFunc(p.abciQuery, "path,data,height,prove")
	mux := http.NewServeMux()
	rpcserver.RegisterRPCFuncs(mux, routes, p.logger)
	wm := rpcserver.NewWebsocketManager(routes,
		rpcserver.OnDisconnect(func(remoteAddr string) {
			_ = p.rpc.UnsubscribeAll(context.Background(), remoteAddr)
		}),
		rpcserver.ReadLimit(p.server.MaxBodyBytes),
	)
	wm.SetLogger(p.logger.With("protocol", "websocket"))
	mux.HandleFunc("/websocket", wm.WebsocketHandler)
	mux.HandleFunc("/v1/websocket", wm.WebsocketHandler)
	return mux
}

// abciQuery serves abci_query: always proven, whatever prove says.
func (p *Proxy) abciQuery(ctx *rpctypes.Context, path string, data cmtbytes.HexBytes, height int64, _ bool) (*ctypes.ResultABCIQuery, error) {
	res, err := p.verifier.Query(ctx.Context(), path, data, height)
	if err != nil {
		p.logger.Error("refused an answer", "path", path, "height", height, "err", err)
	}
	return res, err
}

// Addr is the address the proxy listens on.
func (p *Proxy) Addr() net.Addr { return p.listener.Addr() }

// ChainID is the chain the proxy verifies.
func (p *Proxy) ChainID() string { return p.lc.ChainID() }

// Serve serves until Close; it returns nil after Close.
func (p *Proxy) Serve() error {
	if !p.rpc.IsRunning() {
		if err := p.rpc.Start(); err != nil {
			return fmt.Errorf("failed to start the RPC client: %w", err)
		}
	}
	err := rpcserver.Serve(p.listener, p.mux, p.logger, p.server)
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Close stops serving and closes the light store; calls after the first
// do nothing.
func (p *Proxy) Close() error {
	p.closeOnce.Do(func() {
		var errs []error
		if p.listener != nil {
			if err := p.listener.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
		if p.rpc != nil && p.rpc.IsRunning() {
			errs = append(errs, p.rpc.Stop())
		}
		errs = append(errs, p.db.Close())
		p.closeErr = errors.Join(errs...)
	})
	return p.closeErr
}

// withScheme lets addresses be written as host:port.
func withScheme(addr string) string {
	if !strings.Contains(addr, "://") {
		return "tcp://" + addr
	}
	return addr
}

// quietPebble drops the light store's informational lines (write-ahead
// log replays, flushes), which say nothing to someone running a proxy; a
// fatal error still stops it, as pebble requires.
type quietPebble struct{}

func (quietPebble) Infof(string, ...any) {}

func (quietPebble) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("light store: "+format, args...))
}
