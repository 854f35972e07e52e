package bench

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/x/membership"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// localChain drives the application in-process, as CometBFT would drive a
// validator, over a state database on disk: FinalizeBlock then Commit for
// each block of signed transactions. No consensus, no network, no mempool:
// what remains is the application's own cost.
type localChain struct {
	dir     string
	st      *store.Store
	app     *app.App
	chainID string
	height  int64
	now     time.Time
	seqs    map[*benchAccount]uint64
}

// localChainID is the chain id of every in-process chain.
const localChainID = "lineage-bench-local"

var localGenesisTime = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// openLocalChain creates a chain in dir (pebble, fsync on commit and the
// IAVL cache size of a default node) whose genesis makes each account a
// member of its organisation with every role.
func openLocalChain(dir string, accts []*benchAccount) (*localChain, error) {
	st, err := store.Open(store.Config{Backend: "pebbledb", Dir: dir, SyncWrites: true})
	if err != nil {
		return nil, err
	}
	c := &localChain{dir: dir, st: st, app: app.New(st, nil), chainID: localChainID, now: localGenesisTime, seqs: map[*benchAccount]uint64{}}
	gen := &appv1.Genesis{Params: modules.DefaultParams(), Membership: &membershippb.Genesis{}}
	seen := map[string]bool{}
	for i, a := range accts {
		if !seen[a.org] {
			seen[a.org] = true
			gen.Membership.Orgs = append(gen.Membership.Orgs, &membershippb.Org{Id: a.org, Name: "Organisation " + a.org})
		}
		gen.Membership.Accounts = append(gen.Membership.Accounts, &membershippb.GenesisAccount{
			OrgId: a.org, PublicKey: a.key.Public(), Roles: membership.AllRoles(), Label: fmt.Sprintf("bench account %d", i),
		})
	}
	state, err := modules.GenesisJSON(gen)
	if err != nil {
		st.Close()
		return nil, err
	}
	if _, err := c.app.InitChain(context.Background(), &abci.InitChainRequest{
		ChainId: c.chainID, Time: localGenesisTime, InitialHeight: 1, AppStateBytes: state,
	}); err != nil {
		st.Close()
		return nil, fmt.Errorf("InitChain: %w", err)
	}
	return c, nil
}

func (c *localChain) close() error {
	if err := c.app.Close(); err != nil {
		return err
	}
	return c.st.Close()
}

// txPlan is a transaction to sign: the next sequence of acct, carrying msg.
type txPlan struct {
	acct *benchAccount
	msg  proto.Message
	memo string
}

// sign assigns sequences in plan order and signs in parallel.
func (c *localChain) sign(plans []txPlan) [][]byte {
	seqs := make([]uint64, len(plans))
	for i, p := range plans {
		seqs[i] = c.seqs[p.acct]
		c.seqs[p.acct]++
	}
	out := make([][]byte, len(plans))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(plans); i += workers {
				out[i] = plans[i].acct.signTx(c.chainID, seqs[i], plans[i].memo, plans[i].msg)
			}
		}(w)
	}
	wg.Wait()
	return out
}

// blockTiming is how long a block took to execute and to commit.
type blockTiming struct {
	finalize, commit time.Duration
}

// execute runs one block; a transaction that fails is an error, as the
// populations are built to succeed.
func (c *localChain) execute(txs [][]byte) (blockTiming, error) {
	c.height++
	c.now = c.now.Add(time.Second)
	hash := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("bench block "), uint64(c.height)))
	ctx := context.Background()
	t0 := time.Now()
	fb, err := c.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: txs, Hash: hash[:], Height: c.height, Time: c.now})
	if err != nil {
		return blockTiming{}, fmt.Errorf("FinalizeBlock %d: %w", c.height, err)
	}
	t1 := time.Now()
	if _, err := c.app.Commit(ctx, &abci.CommitRequest{}); err != nil {
		return blockTiming{}, fmt.Errorf("Commit %d: %w", c.height, err)
	}
	t2 := time.Now()
	for i, r := range fb.TxResults {
		if r.Code != 0 {
			return blockTiming{}, fmt.Errorf("height %d tx %d: %s/%d %s", c.height, i, r.Codespace, r.Code, r.Log)
		}
	}
	return blockTiming{finalize: t1.Sub(t0), commit: t2.Sub(t1)}, nil
}

// populate executes blocks planned by plan (nil: no more blocks); after
// calls back after each block. With overlap, the next block is signed
// while the current one executes, which is faster but competes with the
// execution for the CPU: timed blocks are signed beforehand.
func (c *localChain) populate(ctx context.Context, overlap bool, plan func(block int) []txPlan, after func(block int, t blockTiming) error) error {
	type signed struct {
		n   int
		txs [][]byte
	}
	if !overlap {
		for n := 0; ; n++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			p := plan(n)
			if p == nil {
				return nil
			}
			t, err := c.execute(c.sign(p))
			if err != nil {
				return err
			}
			if after != nil {
				if err := after(n, t); err != nil {
					return err
				}
			}
		}
	}
	blocks := make(chan signed, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(blocks)
		for n := 0; ; n++ {
			p := plan(n)
			if p == nil {
				return
			}
			select {
			case blocks <- signed{n, c.sign(p)}:
			case <-stop:
				return
			}
		}
	}()
	for b := range blocks {
		if err := ctx.Err(); err != nil {
			return err
		}
		t, err := c.execute(b.txs)
		if err != nil {
			return err
		}
		if after != nil {
			if err := after(b.n, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// rawQuery runs an ABCI query with an encoded request on the latest state.
func (c *localChain) rawQuery(path string, data []byte) ([]byte, error) {
	res, err := c.app.Query(context.Background(), &abci.QueryRequest{Path: path, Data: data})
	if err != nil {
		return nil, err
	}
	if res.Code != 0 {
		return nil, fmt.Errorf("%s: %s/%d %s", path, res.Codespace, res.Code, res.Log)
	}
	return res.Value, nil
}
