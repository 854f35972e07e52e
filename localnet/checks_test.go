package localnet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/txv1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// consistency is what the end-of-test checks found across the nodes.
type consistency struct {
	// height is the common height every check ran at.
	height int64
	// lost counts acknowledged transactions some node does not have at
	// the height (or with the result) the network reported.
	lost int
	// double counts transactions found at two heights, and accounts whose
	// sequence differs from the number of their committed transactions.
	double int
	// forks counts heights at which two nodes hold different blocks.
	forks int
	// hashMismatches counts heights at which two nodes' headers record
	// different app hashes, and nodes whose ABCI info disagrees.
	hashMismatches int
	// compared is how many heights were compared across nodes.
	compared int64
	problems []string
}

func (c *consistency) problem(format string, args ...any) {
	if len(c.problems) < 20 {
		c.problems = append(c.problems, fmt.Sprintf(format, args...))
	}
}

// ok reports whether nothing was lost, doubled, forked or disagreed.
func (c *consistency) ok() bool {
	return c.lost == 0 && c.double == 0 && c.forks == 0 && c.hashMismatches == 0 && len(c.problems) == 0
}

// nodeView is one node's record of the chain up to the common height.
type nodeView struct {
	base    int64
	blockID map[int64][]byte
	appHash map[int64][]byte // from the header of each height
	numTxs  map[int64]int
	info    int64 // ABCI info height
	infoApp []byte
}

// verify settles the network and checks, on the given nodes:
//
//   - no fork: the same block hash at every height;
//   - equal app hashes at every height (each header records the app hash
//     after the previous block) and in every node's ABCI info;
//   - every transaction the load saw committed is on every node, at the
//     same height, with code 0;
//   - nothing executed twice: no transaction at two heights, and every
//     account's sequence equals the number of its committed transactions.
func (n *network) verify(l *load, idx []int) consistency {
	var c consistency
	// Settle: with the load stopped every node catches up. (Where empty
	// blocks keep coming, heights never stand still, hence the slack.)
	deadline := time.Now().Add(90 * time.Second)
	var hs []int64
	for {
		hs = n.heights(3 * time.Second)
		lo, hi := int64(-1), int64(-1)
		for _, i := range idx {
			if lo < 0 || hs[i] < lo {
				lo = hs[i]
			}
			hi = max(hi, hs[i])
		}
		if lo > 0 && hi-lo <= 2 {
			break
		}
		if time.Now().After(deadline) {
			c.problem("nodes did not catch up with each other within 90s: %v", hs)
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	c.height = -1
	for _, i := range idx {
		if c.height < 0 || hs[i] < c.height {
			c.height = hs[i]
		}
	}
	if c.height <= 0 {
		c.problem("no common height: %v", hs)
		return c
	}

	views := make([]*nodeView, len(n.nodes))
	errs := make([]error, len(n.nodes))
	var wg sync.WaitGroup
	for _, i := range idx {
		wg.Add(1)
		go func() {
			defer wg.Done()
			views[i], errs[i] = n.view(i, c.height)
		}()
	}
	wg.Wait()
	for _, i := range idx {
		if errs[i] != nil {
			c.problem("%s: %v", n.nodes[i].info.Name, errs[i])
			return c
		}
	}

	// Forks and app hashes, height by height against the first node with
	// the full history.
	ref := idx[0]
	for _, i := range idx {
		if views[i].base < views[ref].base {
			ref = i
		}
	}
	for h := views[ref].base; h <= c.height; h++ {
		c.compared++
		for _, i := range idx {
			if i == ref || h < views[i].base {
				continue
			}
			if !bytes.Equal(views[i].blockID[h], views[ref].blockID[h]) {
				c.forks++
				c.problem("fork at height %d: %s has block %X, %s has %X", h, n.nodes[ref].info.Name, views[ref].blockID[h], n.nodes[i].info.Name, views[i].blockID[h])
			}
			if !bytes.Equal(views[i].appHash[h], views[ref].appHash[h]) {
				c.hashMismatches++
				c.problem("app hash in header %d: %s has %X, %s has %X", h, n.nodes[ref].info.Name, views[ref].appHash[h], n.nodes[i].info.Name, views[i].appHash[h])
			}
		}
	}
	// ABCI info: nodes at the same height report the same app hash.
	for _, i := range idx {
		for _, j := range idx {
			if i < j && views[i].info == views[j].info && !bytes.Equal(views[i].infoApp, views[j].infoApp) {
				c.hashMismatches++
				c.problem("ABCI info at height %d: %s has app hash %X, %s has %X", views[i].info, n.nodes[i].info.Name, views[i].infoApp, n.nodes[j].info.Name, views[j].infoApp)
			}
		}
	}

	// Every transaction in the chain, read from the reference node.
	perSigner := map[string]uint64{}
	where := map[[32]byte]int64{}
	for h := views[ref].base; h <= c.height; h++ {
		if views[ref].numTxs[h] == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		blk, err := n.nodes[ref].rpc.RPC().Block(ctx, &h)
		cancel()
		if err != nil {
			c.problem("block %d from %s: %v", h, n.nodes[ref].info.Name, err)
			return c
		}
		for _, tx := range blk.Block.Txs {
			hash := sha256.Sum256(tx)
			if prev, seen := where[hash]; seen {
				c.double++
				c.problem("transaction %X at heights %d and %d", hash, prev, h)
				continue
			}
			where[hash] = h
			var env txv1.Tx
			var body txv1.TxBody
			if proto.Unmarshal(tx, &env) != nil || proto.Unmarshal(env.Body, &body) != nil {
				c.problem("undecodable transaction %X at height %d", hash, h)
				continue
			}
			perSigner[body.Signer]++
		}
	}

	// Sequences, on every node, at the common height.
	for _, a := range l.accounts {
		for _, i := range idx {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			var resp membershippb.QueryAccountResponse
			_, err := n.nodes[i].rpc.Query(ctx, "/lineage.membership.v1.Query/Account", &membershippb.QueryAccountRequest{Address: a.signer.Address()}, &resp, c.height)
			cancel()
			if err != nil {
				c.problem("account %s on %s at height %d: %v", a.org, n.nodes[i].info.Name, c.height, err)
				continue
			}
			if views[ref].base == 1 && resp.Account.Sequence != perSigner[a.signer.Address()] {
				c.double++
				c.problem("%s on %s: sequence %d, but %d of its transactions are committed", a.org, n.nodes[i].info.Name, resp.Account.Sequence, perSigner[a.signer.Address()])
			}
		}
	}

	// Acknowledged transactions: on every node, same height, code 0.
	l.mu.Lock()
	acked := append([]*txRecord(nil), l.acked...)
	l.mu.Unlock()
	for _, r := range acked {
		if r.code != 0 {
			c.problem("acknowledged %s seq %d failed with code %d: %s", r.acct.org, r.seq, r.code, r.log)
		}
		if h, ok := where[r.hash]; r.height <= c.height && r.height >= views[ref].base && (!ok || h != r.height) {
			c.lost++
			c.problem("acknowledged %s seq %d (height %d) is not in the reference chain at that height", r.acct.org, r.seq, r.height)
		}
	}
	lost := make([][]string, len(n.nodes))
	for _, i := range idx {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, r := range acked {
				if r.height < views[i].base {
					continue // before a state-synced node's history
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				tr, err := n.nodes[i].rpc.RPC().Tx(ctx, r.hash[:], false)
				cancel()
				if err != nil || tr.Height != r.height || tr.TxResult.Code != 0 {
					why := fmt.Sprint(err)
					if err == nil {
						why = fmt.Sprintf("height %d code %d", tr.Height, tr.TxResult.Code)
					}
					lost[i] = append(lost[i], fmt.Sprintf("acknowledged %s seq %d (height %d) on %s: %s", r.acct.org, r.seq, r.height, n.nodes[i].info.Name, why))
				}
			}
		}()
	}
	wg.Wait()
	for _, i := range idx {
		c.lost += len(lost[i])
		for _, p := range lost[i] {
			c.problem("%s", p)
		}
	}
	return c
}

// view reads node i's block metas up to height and its ABCI info.
func (n *network) view(i int, height int64) (*nodeView, error) {
	c := n.nodes[i].rpc.RPC()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	v := &nodeView{base: max(st.SyncInfo.EarliestBlockHeight, 1), blockID: map[int64][]byte{}, appHash: map[int64][]byte{}, numTxs: map[int64]int{}}
	for lo := v.base; lo <= height; lo += 20 {
		hi := min(lo+19, height)
		res, err := c.BlockchainInfo(ctx, lo, hi)
		if err != nil {
			return nil, fmt.Errorf("blockchain %d-%d: %w", lo, hi, err)
		}
		for _, m := range res.BlockMetas {
			v.blockID[m.Header.Height] = m.BlockID.Hash
			v.appHash[m.Header.Height] = m.Header.AppHash
			v.numTxs[m.Header.Height] = m.NumTxs
		}
		for h := lo; h <= hi; h++ {
			if v.blockID[h] == nil {
				return nil, fmt.Errorf("no block meta for height %d", h)
			}
		}
	}
	info, err := c.ABCIInfo(ctx)
	if err != nil {
		return nil, err
	}
	v.info, v.infoApp = info.Response.LastBlockHeight, info.Response.LastBlockAppHash
	return v, nil
}
