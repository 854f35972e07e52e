package bench

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/lineageledger/lineaged/node"
)

// pipelineBlocks signs the provenance load of lanes lanes in blocks of
// perLane transactions per lane: the licence definition first, then each
// lane's cycle in order, as the throughput workload sends them.
func pipelineBlocks(p *provenanceLoad, blocks, perLane int) [][][]byte {
	out := make([][][]byte, blocks)
	var wg sync.WaitGroup
	for w := range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for b := w; b < blocks; b += runtime.GOMAXPROCS(0) {
				txs := make([][]byte, 0, p.lanes()*perLane)
				for k := b * perLane; k < (b+1)*perLane; k++ {
					for i := range p.lanes() {
						if k == 0 {
							txs = append(txs, p.setupTx(i))
						} else {
							txs = append(txs, p.make(i, k-1))
						}
					}
				}
				out[b] = txs
			}
		}(w)
	}
	wg.Wait()
	return out
}

// cpuTime is the CPU the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkValidatorPipeline is the application's share of what a
// validator that is not the proposer spends on a transaction of the
// throughput workload, without consensus or network: CheckTx as the
// transaction arrives, then ProcessProposal, FinalizeBlock and Commit of
// the block holding it, on pebble with fsync and a node's cache settings
// and collector target, over a state grown by earlier blocks first. It
// reports the process CPU per transaction of each phase: the steadiest
// figure to compare two trees by (run it with -count and compare medians).
func BenchmarkValidatorPipeline(b *testing.B) {
	const lanes, perLane, warm, timed = 64, 16, 40, 20
	defer debug.SetGCPercent(debug.SetGCPercent(node.DefaultGCPercent))
	// As a node would (runtime.huge_pages), unless told otherwise.
	hp := node.StartHugePages(os.Getenv("LINEAGED_RUNTIME_HUGE_PAGES") != "false", time.Second)
	defer hp.Stop()
	orgs := []string{"org0", "org1", "org2", "org3"}
	p := newProvenanceLoad(localChainID, orgs, lanes)
	c, err := openLocalChain(b.TempDir(), p.accts)
	if err != nil {
		b.Fatal(err)
	}
	defer c.close()
	blocks := pipelineBlocks(p, warm+timed*b.N, perLane)
	ctx := context.Background()
	var check, process, finalize, commit time.Duration
	run := func(txs [][]byte, timing bool) {
		c.height++
		c.now = c.now.Add(time.Second)
		hash := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("pipeline block "), uint64(c.height)))
		t0 := cpuTime()
		for _, tx := range txs {
			res, err := c.app.CheckTx(ctx, &abci.CheckTxRequest{Tx: tx, Type: abci.CHECK_TX_TYPE_CHECK})
			if err != nil || res.Code != 0 {
				b.Fatalf("CheckTx at height %d: %v %s", c.height, err, res.GetLog())
			}
		}
		t1 := cpuTime()
		pp, err := c.app.ProcessProposal(ctx, &abci.ProcessProposalRequest{Txs: txs, Hash: hash[:], Height: c.height, Time: c.now})
		if err != nil || pp.Status != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
			b.Fatalf("ProcessProposal at height %d: %v %v", c.height, err, pp.GetStatus())
		}
		t2 := cpuTime()
		if _, err := c.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: txs, Hash: hash[:], Height: c.height, Time: c.now}); err != nil {
			b.Fatalf("FinalizeBlock at height %d: %v", c.height, err)
		}
		t3 := cpuTime()
		if _, err := c.app.Commit(ctx, &abci.CommitRequest{}); err != nil {
			b.Fatalf("Commit at height %d: %v", c.height, err)
		}
		t4 := cpuTime()
		if timing {
			check, process, finalize, commit = check+t1-t0, process+t2-t1, finalize+t3-t2, commit+t4-t3
		}
	}
	for _, txs := range blocks[:warm] {
		run(txs, false)
	}
	runtime.GC()
	b.ResetTimer()
	n := 0
	for _, txs := range blocks[warm:] {
		run(txs, true)
		n += len(txs)
	}
	b.StopTimer()
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(n) }
	b.ReportMetric(per(check), "check-µs/tx")
	b.ReportMetric(per(process), "process-µs/tx")
	b.ReportMetric(per(finalize), "finalize-µs/tx")
	b.ReportMetric(per(commit), "commit-µs/tx")
	b.ReportMetric(per(check+process+finalize+commit), "cpu-µs/tx")
	if n, ok := node.HugePagesInUse(); ok {
		b.ReportMetric(float64(n>>20), "huge-MiB")
	}
	b.ReportMetric(0, "ns/op")
}
