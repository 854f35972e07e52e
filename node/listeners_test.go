package node

import (
	"testing"

	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
)

// TestWriteListeners: stored listeners read back, each file keeps the rest
// of its settings, and empty addresses leave the stored ones.
func TestWriteListeners(t *testing.T) {
	admin, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
	home := t.TempDir()
	if _, err := Init(InitOptions{Home: home, ChainID: "c", OrgID: "alpha", OrgName: "Alpha", Admin: admin.Public(), Dev: true}); err != nil {
		t.Fatal(err)
	}
	before, err := ReadListeners(home)
	if err != nil {
		t.Fatal(err)
	}
	want := Listeners{RPC: "tcp://127.0.0.1:36657", P2P: "tcp://127.0.0.1:36656", GRPC: "127.0.0.1:39090", REST: "127.0.0.1:31317"}
	if err := WriteListeners(home, want); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadListeners(home); err != nil || got != want {
		t.Fatalf("read back %+v, %v; want %+v (before: %+v)", got, err, want, before)
	}
	if err := WriteListeners(home, Listeners{REST: "127.0.0.1:41317"}); err != nil {
		t.Fatal(err)
	}
	want.REST = "127.0.0.1:41317"
	if got, err := ReadListeners(home); err != nil || got != want {
		t.Fatalf("after moving REST: %+v, %v; want %+v", got, err, want)
	}
	cmt, err := LoadCometConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	if cmt.Consensus.CreateEmptyBlocks || cmt.Moniker == "" {
		t.Errorf("rewriting config.toml lost the dev settings: create_empty_blocks %v, moniker %q", cmt.Consensus.CreateEmptyBlocks, cmt.Moniker)
	}
}
