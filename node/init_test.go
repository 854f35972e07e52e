package node

import (
	"testing"

	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
)

// TestInitP2PListener: a dev chain's P2P listener is on loopback (it has
// one validator and no peers to reach it); a real node's stays reachable.
func TestInitP2PListener(t *testing.T) {
	admin, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
	for _, tc := range []struct {
		dev  bool
		want string
	}{
		{dev: true, want: "tcp://127.0.0.1:26656"},
		{dev: false, want: "tcp://0.0.0.0:26656"},
	} {
		home := t.TempDir()
		if _, err := Init(InitOptions{Home: home, ChainID: "c", OrgID: "alpha", OrgName: "Alpha", Admin: admin.Public(), Dev: tc.dev}); err != nil {
			t.Fatal(err)
		}
		cmt, err := LoadCometConfig(home)
		if err != nil {
			t.Fatal(err)
		}
		if got := cmt.P2P.ListenAddress; got != tc.want {
			t.Errorf("Init(Dev: %v): p2p.laddr = %q, want %q", tc.dev, got, tc.want)
		}
	}
}

// TestInitClientConfig: init points the home's client config at the node
// it made, keeping an output format chosen before (init --overwrite).
func TestInitClientConfig(t *testing.T) {
	admin, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
	home := t.TempDir()
	if err := WriteClientConfig(home, &ClientConfig{Node: "tcp://10.0.0.5:26657", ChainID: "old-1", Output: "json"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Init(InitOptions{Home: home, ChainID: "acme-1", OrgID: "alpha", OrgName: "Alpha", Admin: admin.Public()}); err != nil {
		t.Fatal(err)
	}
	got, _, err := LoadClientConfig(home)
	want := ClientConfig{Node: "tcp://127.0.0.1:26657", ChainID: "acme-1", Output: "json"}
	if err != nil || *got != want {
		t.Errorf("client config %+v, %v; want %+v", got, err, want)
	}
}

// TestInitBoundsBlockTimeStaleness: every home, dev or not, makes an empty
// block after at most MaxIdleBlockInterval without transactions, so that
// the time a record carries (the block's, from the commit of the block
// before) is never older than that when the record is committed.
func TestInitBoundsBlockTimeStaleness(t *testing.T) {
	admin, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
	for _, dev := range []bool{true, false} {
		home := t.TempDir()
		if _, err := Init(InitOptions{Home: home, ChainID: "c", OrgID: "alpha", OrgName: "Alpha", Admin: admin.Public(), Dev: dev}); err != nil {
			t.Fatal(err)
		}
		cmt, err := LoadCometConfig(home)
		if err != nil {
			t.Fatal(err)
		}
		c := cmt.Consensus
		if !c.WaitForTxs() || c.CreateEmptyBlocksInterval <= 0 || c.CreateEmptyBlocksInterval > MaxIdleBlockInterval {
			t.Errorf("Init(Dev: %v): create_empty_blocks=%v, interval %v: an idle chain's next block could carry a time older than %v",
				dev, c.CreateEmptyBlocks, c.CreateEmptyBlocksInterval, MaxIdleBlockInterval)
		}
	}
}
