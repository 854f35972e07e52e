package node

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// TestReplay runs a node, commits a few transactions, stops it and
// replays its blocks on a fresh state: every app hash agrees, up to any
// height. A changed genesis is caught at InitChain, and input replay cannot
// use (a running node, no blocks, a height past the store) is refused as
// unusable rather than judged.
func TestReplay(t *testing.T) {
	n, admin := startTestNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := client.Dial(n.RPCAddress())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	const txs = 4
	for i := 0; i < txs; i++ {
		k, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
		raw, err := c.Build(ctx, keySigner{admin}, &membershippb.MsgAddAccount{PublicKey: k.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}}, client.TxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res, err := c.Submit(ctx, raw); err != nil || !res.OK() {
			t.Fatalf("tx %d: %+v, %v", i, res, err)
		}
	}
	home := n.home

	if _, err := Replay(ctx, home, ReplayOptions{}); !errors.Is(err, ErrReplayUnusable) {
		t.Fatalf("replay of a running node = %v, want ErrReplayUnusable", err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}

	res, err := Replay(ctx, home, ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Mismatch != nil {
		t.Fatalf("replay disagrees: %s", res.Mismatch)
	}
	last := n.Height()
	if res.From != 1 || res.To < last || res.Blocks != res.To || res.Txs != txs {
		t.Fatalf("replayed %+v; node at height %d with %d txs", res, last, txs)
	}
	if res.Checked.Headers != res.To || !res.Checked.StateStore || res.Checked.AppHeight != last {
		t.Fatalf("checks made: %+v (node at height %d)", res.Checked, last)
	}

	part, err := Replay(ctx, home, ReplayOptions{To: 2})
	if err != nil || part.Mismatch != nil || part.To != 2 || part.Blocks != 2 || part.Checked.AppHeight != 2 {
		t.Fatalf("replay to height 2 = %+v, %v", part, err)
	}
	if bytes.Equal(part.AppHash, res.AppHash) {
		t.Fatal("app hash at height 2 equals the final one though transactions followed")
	}

	if _, err := Replay(ctx, home, ReplayOptions{To: res.To + 1}); !errors.Is(err, ErrReplayUnusable) {
		t.Fatalf("replay past the store = %v, want ErrReplayUnusable", err)
	}
	if _, err := Replay(ctx, t.TempDir(), ReplayOptions{}); !errors.Is(err, ErrReplayUnusable) {
		t.Fatalf("replay of an empty directory = %v, want ErrReplayUnusable", err)
	}

	// A genesis changed after the fact yields another initial state.
	gen := filepath.Join(home, "config", "genesis.json")
	b, err := os.ReadFile(gen)
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(b, []byte(`"Alpha"`), []byte(`"Alphx"`), 1)
	if bytes.Equal(changed, b) {
		t.Fatal("genesis does not name organisation Alpha")
	}
	if err := os.WriteFile(gen, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	bad, err := Replay(ctx, home, ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m := bad.Mismatch; m == nil || !m.Genesis || m.Height != 0 || m.What != "app hash" || bad.Blocks != 0 {
		t.Fatalf("replay over a changed genesis = %+v", bad)
	}
}
