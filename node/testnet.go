package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	"github.com/lineageledger/lineaged/x/membership"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// Ports every testnet node listens on, each on its own address.
const (
	TestnetP2PPort     = 26656
	TestnetRPCPort     = 26657
	TestnetMetricsPort = 26660
	TestnetGRPCPort    = 9090
	TestnetRESTPort    = 1317
)

// TestnetOptions describe a local multi-node network.
type TestnetOptions struct {
	// Validators and FullNodes count the nodes; validators come first.
	Validators, FullNodes int
	// OutputDir receives one home per node (node0, node1, ...) and
	// testnet.json.
	OutputDir string
	// StartingIP is the first node's address; the others follow
	// (127.0.0.11, 127.0.0.12, ... on loopback).
	StartingIP net.IP
	ChainID    string
	// Keyring returns the keyring of a node home: dev (unencrypted, marked)
	// or encrypted with a passphrase.
	Keyring func(home string) (*keyring.Keyring, error)
	// BlockTime tunes timeout_commit (0: CometBFT's default).
	BlockTime time.Duration
}

// TestnetNode is one node of a generated network, as testnet.json lists it.
type TestnetNode struct {
	Name string `json:"name"`
	// Home is the node's home, relative to the testnet directory.
	Home      string `json:"home"`
	IP        string `json:"ip"`
	ID        string `json:"id"`
	Validator bool   `json:"validator"`
	// Org and Admin are the node's organisation and its admin account
	// (whose key, "admin", is in the node's keyring); empty for full nodes.
	Org   string `json:"org,omitempty"`
	Admin string `json:"admin,omitempty"`
	RPC   string `json:"rpc"`
	P2P   string `json:"p2p"`
	GRPC  string `json:"grpc"`
	REST  string `json:"rest"`
}

// Testnet is testnet.json: what was generated.
type Testnet struct {
	ChainID string        `json:"chain_id"`
	Nodes   []TestnetNode `json:"nodes"`
}

// TestnetFile is the manifest written beside the node homes.
const TestnetFile = "testnet.json"

// LoadTestnet reads a generated network's manifest.
func LoadTestnet(dir string) (*Testnet, error) {
	b, err := os.ReadFile(filepath.Join(dir, TestnetFile))
	if err != nil {
		return nil, fmt.Errorf("failed to read testnet manifest: %w", err)
	}
	var tn Testnet
	if err := json.Unmarshal(b, &tn); err != nil {
		return nil, fmt.Errorf("invalid %s: %w", TestnetFile, err)
	}
	return &tn, nil
}

// InitTestnet writes the homes of a network of validators and full nodes on
// consecutive addresses, with persistent peers, one shared genesis and a
// consortium of one organisation per validator. Organisation org0's admin
// also holds consortium-admin.
func InitTestnet(o TestnetOptions) (*Testnet, error) {
	if o.Validators < 1 {
		return nil, errors.New("a testnet needs at least one validator")
	}
	if o.FullNodes < 0 || o.Validators+o.FullNodes > 200 {
		return nil, errors.New("a testnet has at most 200 nodes")
	}
	ip := o.StartingIP.To4()
	if ip == nil {
		return nil, fmt.Errorf("starting IP %v is not an IPv4 address", o.StartingIP)
	}
	if entries, err := os.ReadDir(o.OutputDir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s is not empty", o.OutputDir)
	}
	n := o.Validators + o.FullNodes
	tn := &Testnet{ChainID: o.ChainID}
	var vals []cmttypes.GenesisValidator
	gen := &appv1.Genesis{Params: modules.DefaultParams(), Membership: &membershippb.Genesis{}}

	// First pass: identities, keys and the consortium.
	for i := 0; i < n; i++ {
		addr := net.IPv4(ip[0], ip[1], ip[2], ip[3]+byte(i))
		if int(ip[3])+i > 254 {
			return nil, fmt.Errorf("%d nodes do not fit after %v", n, o.StartingIP)
		}
		node := TestnetNode{
			Name: fmt.Sprintf("node%d", i), IP: addr.String(), Validator: i < o.Validators,
			RPC:  fmt.Sprintf("tcp://%s:%d", addr, TestnetRPCPort),
			P2P:  fmt.Sprintf("tcp://%s:%d", addr, TestnetP2PPort),
			GRPC: fmt.Sprintf("%s:%d", addr, TestnetGRPCPort),
			REST: fmt.Sprintf("%s:%d", addr, TestnetRESTPort),
		}
		node.Home = node.Name
		home := filepath.Join(o.OutputDir, node.Home)
		cfg := cmtcfg.DefaultConfig()
		cfg.SetRoot(home)
		for _, dir := range []string{filepath.Join(home, "config"), filepath.Join(home, "data")} {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("failed to create %s: %w", dir, err)
			}
		}
		nk, err := p2p.LoadOrGenNodeKey(cfg.NodeKeyFile())
		if err != nil {
			return nil, fmt.Errorf("failed to create node key: %w", err)
		}
		node.ID = string(nk.ID())
		pv, err := loadOrGenValidatorKey(cfg)
		if err != nil {
			return nil, err
		}
		if node.Validator {
			pub, err := pv.GetPubKey()
			if err != nil {
				return nil, err
			}
			vals = append(vals, cmttypes.GenesisValidator{Address: pub.Address(), PubKey: pub, Power: 10, Name: node.Name})
			kr, err := o.Keyring(filepath.Join(home, "keyring"))
			if err != nil {
				return nil, err
			}
			info, err := kr.Add("admin", keysv1.KeyType_KEY_TYPE_ED25519)
			if err != nil {
				return nil, err
			}
			pubKey, err := info.Public()
			if err != nil {
				return nil, err
			}
			node.Org, node.Admin = fmt.Sprintf("org%d", i), keys.Address(pubKey)
			roles := []membershippb.Role{}
			for _, r := range membership.AllRoles() {
				if r != membershippb.Role_ROLE_CONSORTIUM_ADMIN || i == 0 {
					roles = append(roles, r)
				}
			}
			gen.Membership.Orgs = append(gen.Membership.Orgs, &membershippb.Org{Id: node.Org, Name: fmt.Sprintf("Organisation %d", i)})
			gen.Membership.Accounts = append(gen.Membership.Accounts, &membershippb.GenesisAccount{OrgId: node.Org, PublicKey: pubKey, Roles: roles, Label: node.Name + " admin"})
		}
		tn.Nodes = append(tn.Nodes, node)
	}

	doc, err := NewGenesisDoc(o.ChainID, gen, vals)
	if err != nil {
		return nil, err
	}

	// Second pass: configs that name every peer, and the shared genesis.
	for i, node := range tn.Nodes {
		var peers []string
		for j, other := range tn.Nodes {
			if j != i {
				peers = append(peers, fmt.Sprintf("%s@%s:%d", other.ID, other.IP, TestnetP2PPort))
			}
		}
		node := node
		tune := func(cfg *cmtcfg.Config, appCfg *Config) {
			cfg.P2P.ListenAddress = node.P2P
			cfg.P2P.ExternalAddress = fmt.Sprintf("%s:%d", node.IP, TestnetP2PPort)
			cfg.P2P.PersistentPeers = strings.Join(peers, ",")
			// Loopback and private addresses are what a local network has.
			cfg.P2P.AddrBookStrict = false
			cfg.P2P.AllowDuplicateIP = true
			cfg.RPC.ListenAddress = node.RPC
			cfg.Instrumentation.PrometheusListenAddr = fmt.Sprintf("%s:%d", node.IP, TestnetMetricsPort)
			cfg.StateSync.Enable = false
			if o.BlockTime > 0 {
				cfg.Consensus.TimeoutCommit = o.BlockTime
			}
			appCfg.API.GRPCAddress = node.GRPC
			appCfg.API.RESTAddress = node.REST
		}
		home := filepath.Join(o.OutputDir, node.Home)
		if _, err := prepareHome(home, node.Name, true, tune); err != nil {
			return nil, err
		}
		if err := doc.SaveAs(filepath.Join(home, "config", "genesis.json")); err != nil {
			return nil, fmt.Errorf("failed to write genesis: %w", err)
		}
		if err := writeInitialClientConfig(home, node.RPC, doc.ChainID); err != nil {
			return nil, err
		}
	}
	b, _ := json.MarshalIndent(tn, "", "  ")
	if err := os.WriteFile(filepath.Join(o.OutputDir, TestnetFile), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("failed to write %s: %w", TestnetFile, err)
	}
	return tn, nil
}
