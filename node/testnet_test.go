package node

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/node/keyring"
)

func TestInitTestnet(t *testing.T) {
	dir := t.TempDir()
	devKeyring := func(home string) (*keyring.Keyring, error) { return keyring.CreateDev(home, nil) }
	tn, err := InitTestnet(TestnetOptions{
		Validators: 3, FullNodes: 1, OutputDir: dir, StartingIP: net.ParseIP("127.0.0.21"),
		ChainID: "tn-test", Keyring: devKeyring,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tn.Nodes) != 4 || !tn.Nodes[2].Validator || tn.Nodes[3].Validator {
		t.Fatalf("nodes %+v", tn.Nodes)
	}
	loaded, err := LoadTestnet(dir)
	if err != nil || len(loaded.Nodes) != 4 || loaded.Nodes[1].IP != "127.0.0.22" {
		t.Fatalf("manifest %+v, %v", loaded, err)
	}
	var genesis []byte
	for i, n := range tn.Nodes {
		home := filepath.Join(dir, n.Home)
		g, err := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			genesis = g
		} else if !bytes.Equal(g, genesis) {
			t.Fatalf("%s has a different genesis", n.Name)
		}
		cmt, err := LoadCometConfig(home)
		if err != nil {
			t.Fatal(err)
		}
		if cmt.RPC.ListenAddress != n.RPC || cmt.P2P.ListenAddress != n.P2P {
			t.Errorf("%s listens on %s / %s", n.Name, cmt.RPC.ListenAddress, cmt.P2P.ListenAddress)
		}
		peers := strings.Split(cmt.P2P.PersistentPeers, ",")
		if len(peers) != 3 {
			t.Errorf("%s has peers %v", n.Name, peers)
		}
		for _, p := range peers {
			if strings.Contains(p, n.ID) {
				t.Errorf("%s lists itself as a peer", n.Name)
			}
		}
		cfg, err := LoadConfig(home, NewViper())
		if err != nil || cfg.API.RESTAddress != n.REST || cfg.API.GRPCAddress != n.GRPC {
			t.Errorf("%s app config %+v, %v", n.Name, cfg.API, err)
		}
		// The command line run with this home talks to this node, of this chain.
		if cc, exists, err := LoadClientConfig(home); err != nil || !exists || cc.Node != n.RPC || cc.ChainID != "tn-test" {
			t.Errorf("%s client config %+v (exists %v), %v; want node %s on tn-test", n.Name, cc, exists, err, n.RPC)
		}
		if n.Validator {
			info, err := keyring.Open(filepath.Join(home, "keyring"), keyring.Options{}).Show("admin")
			if err != nil || info.Address != n.Admin {
				t.Errorf("%s admin key %v, %v; manifest says %s", n.Name, info, err, n.Admin)
			}
		}
	}
	doc, err := cmttypes.GenesisDocFromJSON(genesis)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Validators) != 3 || doc.ChainID != "tn-test" {
		t.Fatalf("genesis validators %d, chain %s", len(doc.Validators), doc.ChainID)
	}
	g, err := modules.ParseGenesis(doc.AppState)
	if err != nil || len(g.Membership.Orgs) != 3 || len(g.Membership.Accounts) != 3 {
		t.Fatalf("consortium %v, %v", g.GetMembership(), err)
	}
	if _, err := InitTestnet(TestnetOptions{Validators: 1, OutputDir: dir, StartingIP: net.ParseIP("127.0.0.21"), ChainID: "x", Keyring: devKeyring}); err == nil {
		t.Fatal("testnet generated into a non-empty directory")
	}
}
