package node_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/txv1"
	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/node/nodetest"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// buildBinary compiles lineaged once per test run.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "lineaged-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "lineaged")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/lineageledger/lineaged/cmd/lineaged").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func port(t *testing.T) int {
	p, err := nodetest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// devProcess is a `lineaged dev` child process.
type devProcess struct {
	cmd *exec.Cmd
	rpc string
}

func startDev(t *testing.T, bin, home string, rpcPort, p2pPort, grpcPort, restPort int) *devProcess {
	t.Helper()
	rpc := fmt.Sprintf("tcp://127.0.0.1:%d", rpcPort)
	cmd := exec.Command(bin, "dev", "--home", home, "--rpc.laddr", rpc,
		"--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", p2pPort),
		"--api.grpc_address", fmt.Sprintf("127.0.0.1:%d", grpcPort),
		"--api.rest_address", fmt.Sprintf("127.0.0.1:%d", restPort))
	logf, err := os.OpenFile(filepath.Join(filepath.Dir(home), "dev.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return &devProcess{cmd: cmd, rpc: rpc}
}

// logTail is the end of the dev nodes' log, for failure messages.
func logTail(base string) string {
	b, _ := os.ReadFile(filepath.Join(base, "dev.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// TestCrashRecovery kills a loaded `lineaged dev` with SIGKILL several
// times and checks after each restart that every transaction the node had
// reported committed is still there, with its effect, exactly once.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	home := filepath.Join(base, "home")
	rpcPort, p2pPort, grpcPort, restPort := port(t), port(t), port(t), port(t)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))

	type acked struct {
		hash   []byte
		height int64
		addr   string
	}
	var committed []acked
	const rounds = 3
	for round := 0; round < rounds; round++ {
		p := startDev(t, bin, home, rpcPort, p2pPort, grpcPort, restPort)
		c, err := client.Dial(p.rpc)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		if err := c.WaitForHeight(ctx, 1); err != nil {
			cancel()
			t.Fatalf("round %d: node did not come up: %v\n%s", round, err, logTail(base))
		}
		// Everything acknowledged before the last crash survived, once.
		for _, a := range committed {
			tr, err := c.RPC().Tx(ctx, a.hash, false)
			if err != nil || tr.Height != a.height || tr.TxResult.Code != 0 {
				t.Fatalf("round %d: acknowledged tx %X (height %d) lost after SIGKILL: %v", round, a.hash, a.height, err)
			}
			if _, err := c.Account(ctx, a.addr); err != nil {
				t.Fatalf("round %d: account %s created by acknowledged tx is gone: %v", round, a.addr, err)
			}
		}
		kr := keyring.Open(filepath.Join(home, "keyring"), keyring.Options{})
		signer, err := kr.Signer("dev-admin", "")
		if err != nil {
			t.Fatal(err)
		}
		acct, err := c.Account(ctx, signer.Address())
		if err != nil {
			t.Fatal(err)
		}
		// Every acknowledged tx spent its sequence (unacknowledged ones may
		// have committed too, so this is a lower bound).
		if acct.Sequence < uint64(len(committed)) {
			t.Fatalf("round %d: sequence %d below %d acknowledged txs", round, acct.Sequence, len(committed))
		}
		seq := acct.Sequence

		// Load: broadcast without waiting, and collect acknowledgements.
		var mu sync.Mutex
		pending := map[string]acked{}
		loadCtx, stopLoad := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			for loadCtx.Err() == nil {
				k, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
				body := &txv1.TxBody{ChainId: "lineage-dev", Signer: signer.Address(), Sequence: seq}
				app.SetMsg(body, &membershippb.MsgAddAccount{PublicKey: k.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}})
				raw, err := app.EncodeTx(body, signer.Sign)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := c.RPC().BroadcastTxSync(loadCtx, raw); err != nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				h := app.TxHash(raw)
				mu.Lock()
				pending[hex.EncodeToString(h[:])] = acked{hash: h[:], addr: keys.Address(k.Public())}
				mu.Unlock()
				seq++
			}
		}()
		go func() {
			defer wg.Done()
			for loadCtx.Err() == nil {
				mu.Lock()
				var todo []acked
				for _, a := range pending {
					todo = append(todo, a)
				}
				mu.Unlock()
				for _, a := range todo {
					tr, err := c.RPC().Tx(loadCtx, a.hash, false)
					if err != nil || tr.TxResult.Code != 0 {
						continue
					}
					a.height = tr.Height
					mu.Lock()
					delete(pending, hex.EncodeToString(a.hash))
					committed = append(committed, a)
					mu.Unlock()
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
		time.Sleep(time.Duration(1500+rng.Intn(2000)) * time.Millisecond)
		// SIGKILL while the load is running: no chance to flush anything.
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		stopLoad()
		wg.Wait()
		cancel()
		p.cmd.Wait()
		t.Logf("round %d: %d txs acknowledged so far", round, len(committed))
	}
	if len(committed) == 0 {
		t.Fatal("no transaction was ever acknowledged: the load did not run")
	}
	// Final restart and check.
	p := startDev(t, bin, home, rpcPort, p2pPort, grpcPort, restPort)
	c, _ := client.Dial(p.rpc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.WaitForHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	for _, a := range committed {
		if tr, err := c.RPC().Tx(ctx, a.hash, false); err != nil || tr.Height != a.height {
			t.Fatalf("acknowledged tx %X lost: %v", a.hash, err)
		}
		if _, err := c.Account(ctx, a.addr); err != nil {
			t.Fatalf("account %s lost: %v", a.addr, err)
		}
	}
	t.Logf("%d acknowledged txs survived %d SIGKILLs", len(committed), rounds)
}
