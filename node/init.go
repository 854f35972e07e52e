package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	"github.com/lineageledger/lineaged/x/membership"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// ErrInitialized means a home already holds a chain.
var ErrInitialized = errors.New("home already initialized")

// InitOptions describe a new single-validator home with a one-org
// consortium. Multi-validator networks build on [WriteHome].
type InitOptions struct {
	Home    string
	ChainID string
	Moniker string
	// OrgID and OrgName name the founding organisation.
	OrgID, OrgName string
	// Admin is the founding admin account's key; it receives AdminRoles
	// (every role if empty).
	Admin      *keysv1.PublicKey
	AdminRoles []membershippb.Role
	// Dev tunes consensus for a local dev chain: short timeouts, blocks
	// only when there are transactions, and a governance voting period of
	// DevVotingPeriodBlocks.
	Dev bool
	// Overwrite replaces an existing config and genesis (never data).
	Overwrite bool
	// ListenHost, if set, is the one address every listener of the node
	// binds (P2P, RPC, APIs, metrics), each on its usual port: for a
	// machine that should listen on one address, or several nodes of a
	// rehearsal on one machine (127.0.0.2, 127.0.0.3, ...).
	ListenHost string
}

// Init writes a fresh single-validator home.
func Init(o InitOptions) (*cmttypes.GenesisDoc, error) {
	if o.OrgID == "" || o.Admin == nil {
		return nil, errors.New("init needs a founding organisation and an admin key")
	}
	roles := o.AdminRoles
	if len(roles) == 0 {
		roles = membership.AllRoles()
	}
	var tune func(*cmtcfg.Config, *Config)
	if o.Dev {
		tune = devTuning
	}
	if o.ListenHost != "" {
		if net.ParseIP(o.ListenHost) == nil {
			return nil, fmt.Errorf("listen host %q: want an IP address", o.ListenHost)
		}
		dev := tune
		tune = func(cfg *cmtcfg.Config, appCfg *Config) {
			if dev != nil {
				dev(cfg, appCfg)
			}
			listenOn(cfg, appCfg, o.ListenHost)
		}
	}
	cfg, err := prepareHome(o.Home, o.Moniker, o.Overwrite, tune)
	if err != nil {
		return nil, err
	}
	pv, err := loadOrGenValidatorKey(cfg)
	if err != nil {
		return nil, err
	}
	pub, err := pv.GetPubKey()
	if err != nil {
		return nil, fmt.Errorf("failed to read validator key: %w", err)
	}
	params := modules.DefaultParams()
	if o.Dev {
		// A dev chain makes blocks only when there are transactions:
		// proposals there are decided within a few of them.
		params.Gov.VotingPeriodBlocks = DevVotingPeriodBlocks
	}
	gen := &appv1.Genesis{
		Params: params,
		Membership: &membershippb.Genesis{
			Orgs:     []*membershippb.Org{{Id: o.OrgID, Name: o.OrgName}},
			Accounts: []*membershippb.GenesisAccount{{OrgId: o.OrgID, PublicKey: o.Admin, Roles: roles, Label: "founding admin"}},
		},
	}
	doc, err := NewGenesisDoc(o.ChainID, gen, []cmttypes.GenesisValidator{{Address: pub.Address(), PubKey: pub, Power: 10, Name: cfg.Moniker}})
	if err != nil {
		return nil, err
	}
	if err := doc.SaveAs(cfg.GenesisFile()); err != nil {
		return nil, fmt.Errorf("failed to write genesis: %w", err)
	}
	if err := writeInitialClientConfig(o.Home, cfg.RPC.ListenAddress, doc.ChainID); err != nil {
		return nil, err
	}
	return doc, nil
}

// DevVotingPeriodBlocks is the governance voting period of a dev chain:
// a proposal is submitted in one block and decided at the end of the
// second block after it, so its one organisation's vote has to follow it
// at once (CometBFT adds an empty block after each that changes the state).
const DevVotingPeriodBlocks = 3

// MaxIdleBlockInterval is how long a chain made by init, dev or testnet
// waits without transactions before it makes an empty block: so the time a
// record carries is at most about this old when it is committed.
const MaxIdleBlockInterval = 30 * time.Second

// DevP2PAddress is where a dev chain's P2P listens: loopback, since its
// single validator has no peers to reach it.
const DevP2PAddress = "tcp://127.0.0.1:26656"

// devTuning makes a chain for local development: short timeouts, blocks
// when there are transactions (and after MaxIdleBlockInterval without), P2P
// on loopback, no metrics listener to collide with.
func devTuning(cfg *cmtcfg.Config, _ *Config) {
	cfg.P2P.ListenAddress = DevP2PAddress
	cfg.Consensus.CreateEmptyBlocks = false
	cfg.Consensus.TimeoutPropose = time.Second
	cfg.Consensus.TimeoutCommit = 200 * time.Millisecond
	cfg.P2P.AllowDuplicateIP = true
	cfg.P2P.PexReactor = false
	// Several dev chains (and tests) may run side by side.
	cfg.Instrumentation.Prometheus = false
}

// listenOn binds every listener of a node to host, on its usual port.
func listenOn(cfg *cmtcfg.Config, appCfg *Config, host string) {
	hp := func(port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }
	cfg.P2P.ListenAddress = "tcp://" + hp(26656)
	cfg.RPC.ListenAddress = "tcp://" + hp(26657)
	cfg.Instrumentation.PrometheusListenAddr = hp(26660)
	appCfg.API.GRPCAddress = hp(9090)
	appCfg.API.RESTAddress = hp(1317)
}

// prepareHome writes config.toml, app.toml and the node key of a home;
// tune, if set, adjusts both configs before they are written.
func prepareHome(home, moniker string, overwrite bool, tune func(*cmtcfg.Config, *Config)) (*cmtcfg.Config, error) {
	cfg := cmtcfg.DefaultConfig()
	cfg.SetRoot(home)
	if _, err := os.Stat(cfg.GenesisFile()); err == nil && !overwrite {
		return nil, fmt.Errorf("%w: %s exists (use --overwrite to replace config and genesis)", ErrInitialized, cfg.GenesisFile())
	}
	if moniker != "" {
		cfg.Moniker = moniker
	}
	// Every key bigger than the application's limit would be refused by
	// CheckTx anyway; refuse it at the door.
	cfg.Mempool.MaxTxBytes = int(modules.DefaultParams().MaxTxBytes)
	// An audit ledger keeps empty blocks rare: one after 30 s without
	// transactions keeps the chain visibly alive without bloating it, and
	// bounds how old a block's time can be when it is committed (a block's
	// time comes from the commit of the block before it).
	cfg.Consensus.CreateEmptyBlocksInterval = MaxIdleBlockInterval
	cfg.Instrumentation.Prometheus = true
	// The metrics listener has no TLS: keep it on loopback unless the
	// operator chooses otherwise (behind a TLS-terminating proxy).
	cfg.Instrumentation.PrometheusListenAddr = "127.0.0.1:26660"
	appCfg := DefaultConfig()
	if tune != nil {
		tune(cfg, appCfg)
	}
	for _, dir := range []string{filepath.Join(home, "config"), filepath.Join(home, "data")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("failed to create %s: %w", dir, err)
		}
	}
	cmtcfg.WriteConfigFile(filepath.Join(home, "config", "config.toml"), cfg)
	if err := WriteConfig(home, appCfg); err != nil {
		return nil, err
	}
	if _, err := p2p.LoadOrGenNodeKey(cfg.NodeKeyFile()); err != nil {
		return nil, fmt.Errorf("failed to create node key: %w", err)
	}
	return cfg, nil
}

func loadOrGenValidatorKey(cfg *cmtcfg.Config) (*privval.FilePV, error) {
	pv, err := privval.LoadOrGenFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile(),
		func() (cmtcrypto.PrivKey, error) { return ed25519.GenPrivKey(), nil })
	if err != nil {
		return nil, fmt.Errorf("failed to create validator key: %w", err)
	}
	return pv, nil
}

// NewGenesisDoc builds and validates a genesis document.
func NewGenesisDoc(chainID string, gen *appv1.Genesis, vals []cmttypes.GenesisValidator) (*cmttypes.GenesisDoc, error) {
	appState, err := modules.GenesisJSON(gen)
	if err != nil {
		return nil, fmt.Errorf("failed to encode app_state: %w", err)
	}
	if err := app.ValidateGenesis(chainID, appState); err != nil {
		return nil, err
	}
	params := cmttypes.DefaultConsensusParams()
	doc := &cmttypes.GenesisDoc{
		ChainID:         chainID,
		GenesisTime:     time.Now().UTC().Truncate(time.Second),
		InitialHeight:   1,
		ConsensusParams: params,
		Validators:      vals,
		AppState:        json.RawMessage(appState),
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("invalid genesis: %w", err)
	}
	return doc, nil
}
