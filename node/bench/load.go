package bench

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
)

// txSource yields the load's transactions: the k-th transaction of a lane,
// as bytes to broadcast. Lanes are independent (one signing account each),
// so make may run concurrently for different lanes, while one lane's
// transactions must reach the chain in order.
type txSource interface {
	lanes() int
	make(lane, k int) []byte
}

// presigned is a transaction ready to broadcast: its JSON-RPC request and
// the key the observer finds it under.
type presigned struct {
	body []byte
	key  txKey
	size int
}

// txKey identifies a transaction by its base64 text, as the RPC shows it
// in blocks, hashed so the map stays small.
type txKey [16]byte

func keyOfBase64(s string) txKey {
	sum := sha256.Sum256([]byte(s))
	return txKey(sum[:16])
}

func presign(raw []byte) *presigned {
	return &presigned{body: broadcastBody(raw), key: keyOfBase64(base64.StdEncoding.EncodeToString(raw)), size: len(raw)}
}

// sent is one broadcast transaction and what became of it.
type sent struct {
	scheduled time.Time
	// sentAt is when its broadcast began; acked when the node answered.
	sentAt, acked time.Time
	accepted      bool
	observed      time.Time
}

// lane is one signing account's queue of signed, unsent transactions, and
// the node it broadcasts to. A lane sends serially, in order, so its
// sequences never overtake each other.
type lane struct {
	index, node int
	made        int
	queue       []*presigned
	broken      string
}

// blockSeen is a committed block as the observer found it.
type blockSeen struct {
	time     time.Time
	observed time.Time
	txs      int // all transactions
	load     int // the load's
}

// loader drives open-loop load against one network and observes which of
// its transactions are committed.
type loader struct {
	src      txSource
	nodes    []*rpcClient
	observer *rpcClient
	lanes    []*lane
	// pollEvery is how often the observer asks for the next block.
	pollEvery time.Duration

	mu      sync.Mutex
	byKey   map[txKey]*sent
	blocks  map[int64]*blockSeen
	scanned int64
	// Observer overhead: successful block fetches and their total time.
	fetches    int
	fetchTotal time.Duration
	// failures, if set, counts the transactions the chain has so far
	// executed with an error (handler failures: committed, not successful).
	failures func(ctx context.Context) (int, error)

	stop chan struct{}
	done chan struct{}
}

func newLoader(src txSource, nodes []*rpcClient, from int64) *loader {
	l := &loader{
		src: src, nodes: nodes, observer: nodes[0], pollEvery: 10 * time.Millisecond,
		byKey: map[txKey]*sent{}, blocks: map[int64]*blockSeen{}, scanned: from,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	for i := 0; i < src.lanes(); i++ {
		l.lanes = append(l.lanes, &lane{index: i, node: i % len(nodes)})
	}
	go l.observe()
	return l
}

func (l *loader) close() {
	close(l.stop)
	<-l.done
}

// observe follows the first node: a block counts as committed once the
// application reports its height (it has been executed, not only stored),
// and its transactions are marked with that moment.
func (l *loader) observe() {
	defer close(l.done)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-l.stop; cancel() }()
	var executed int64
	executedAt := map[int64]time.Time{}
	wait := func() bool {
		select {
		case <-l.stop:
			return false
		case <-time.After(l.pollEvery):
			return true
		}
	}
	for {
		l.mu.Lock()
		h := l.scanned + 1
		l.mu.Unlock()
		if executed < h {
			ah, err := l.observer.appHeight(ctx)
			if err == nil && ah > executed {
				now := time.Now()
				for k := max(executed+1, h); k <= ah; k++ {
					executedAt[k] = now
				}
				executed = ah
			}
			if executed < h {
				if !wait() {
					return
				}
				continue
			}
		}
		start := time.Now()
		b, err := l.observer.block(ctx, h)
		if err != nil {
			if !wait() {
				return
			}
			continue
		}
		now := executedAt[h]
		delete(executedAt, h)
		seen := &blockSeen{time: b.time, observed: now, txs: len(b.txs)}
		l.mu.Lock()
		l.fetches++
		l.fetchTotal += time.Since(start)
		for _, tx := range b.txs {
			k := keyOfBase64(tx)
			rec := l.byKey[k]
			if rec == nil {
				continue
			}
			delete(l.byKey, k)
			rec.observed = now
			seen.load++
		}
		l.blocks[h] = seen
		l.scanned = h
		l.mu.Unlock()
	}
}

// fill makes sure every lane holds at least n signed transactions,
// signing in parallel across lanes.
func (l *loader) fill(n int) {
	work := make(chan *lane)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ln := range work {
				for len(ln.queue) < n {
					ln.queue = append(ln.queue, presign(l.src.make(ln.index, ln.made)))
					ln.made++
				}
			}
		}()
	}
	for _, ln := range l.lanes {
		if ln.broken == "" {
			work <- ln
		}
	}
	close(work)
	wg.Wait()
}

// stepResult is one load step: offered rate, what the chain committed, and
// commit latencies.
type stepResult struct {
	// offered is the scheduled rate; accepted the rate at which the nodes
	// took transactions into their mempools during the window, which falls
	// short of it when broadcasts wait or find the mempool full.
	offered, accepted float64
	warm, window      time.Duration
	sent              int
	fullRetries       int
	rejected          int
	firstRejected     string
	// committed is the load's transactions per second in blocks of the
	// measuring window, from block times.
	committed float64
	// blocks and blockTxs describe the blocks of the window.
	blocks   int
	blockTxs float64
	// rated says the window held enough blocks for its committed rate to
	// count (a step after a stall rates the backlog, not a pace).
	rated bool
	// failed counts the step's transactions that were committed with an
	// error (zero unless the chain reports failures).
	failed int
	// lag is how late sends of the window started against the schedule
	// (the generator keeping up, or not); rtt how long broadcast_tx_sync
	// took; both sorted.
	lag, rtt []time.Duration
	// latencies of the transactions scheduled in the window, sorted.
	latencies  []time.Duration
	unobserved int
	// undrained is how many accepted transactions were still not seen
	// committed when the drain gave up.
	undrained int
	// cpu is the CPU time each watched process used during the window.
	cpu     []time.Duration
	selfCPU time.Duration
	// peakRSS is the largest peak resident memory of a watched process
	// since it started, read at the window's end.
	peakRSS int64
}

func (s stepResult) saturated() bool {
	return s.committed < 0.9*s.offered || s.fullRetries > 0
}

func (s stepResult) p(q float64) time.Duration { return percentile(s.latencies, q) }

// stepOptions describe one step.
type stepOptions struct {
	rate         float64
	warm, window time.Duration
	// drain bounds the wait, after the schedule ends, for accepted
	// transactions to be committed.
	drain time.Duration
	// pids are processes whose CPU time is measured over the window.
	pids []int
	// during, if set, runs at the start of the window, for its length.
	during func(ctx context.Context, window time.Duration)
}

// step offers rate transactions per second, open-loop, for warm + window:
// lane i sends its j-th transaction at t0 + (j·lanes + i)/rate, or as soon
// as its previous one was accepted if it is behind. Latency counts from the
// scheduled time, so a lagging generator cannot hide a slow chain.
func (l *loader) step(ctx context.Context, o stepOptions) (stepResult, error) {
	res := stepResult{offered: o.rate, warm: o.warm, window: o.window}
	total := o.warm + o.window
	lanes := len(l.lanes)
	perLane := int(math.Ceil(o.rate*total.Seconds()/float64(lanes))) + 1
	l.fill(perLane)

	failedBefore, err := l.failedSoFar(ctx)
	if err != nil {
		return res, err
	}
	t0 := time.Now().Add(200 * time.Millisecond)
	end := t0.Add(total)
	winStart := t0.Add(o.warm)
	var recsMu sync.Mutex
	var recs []*sent
	var wg sync.WaitGroup
	for _, ln := range l.lanes {
		if ln.broken != "" {
			continue
		}
		wg.Add(1)
		go func(ln *lane) {
			defer wg.Done()
			for j := 0; ; j++ {
				at := t0.Add(time.Duration(float64(j*lanes+ln.index) / o.rate * float64(time.Second)))
				if !at.Before(end) || len(ln.queue) == 0 {
					return
				}
				if d := time.Until(at); d > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(d):
					}
				}
				p := ln.queue[0]
				rec := &sent{scheduled: at, sentAt: time.Now()}
				l.mu.Lock()
				l.byKey[p.key] = rec
				l.mu.Unlock()
				out, why, retries := l.send(ctx, ln, p, end)
				rec.acked = time.Now()
				recsMu.Lock()
				res.fullRetries += retries
				switch out {
				case accepted:
					ln.queue = ln.queue[1:]
					rec.accepted = true
					res.sent++
					recs = append(recs, rec)
				case mempoolFull:
					// Out of time while the mempool was full: the
					// transaction stays first in the queue.
				case rejected:
					res.rejected++
					if res.firstRejected == "" {
						res.firstRejected = why
					}
					ln.broken = why
				}
				recsMu.Unlock()
				if out != accepted {
					l.mu.Lock()
					delete(l.byKey, p.key)
					l.mu.Unlock()
					return
				}
			}
		}(ln)
	}

	// CPU over the window, and whatever else watches it.
	cpuDone := make(chan struct{})
	go func() {
		defer close(cpuDone)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(winStart)):
		}
		before, selfBefore := processCPU(o.pids), selfCPU()
		var dwg sync.WaitGroup
		if o.during != nil {
			dwg.Add(1)
			go func() { defer dwg.Done(); o.during(ctx, o.window) }()
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(end)):
		}
		after, selfAfter := processCPU(o.pids), selfCPU()
		res.peakRSS = largestPeakRSS(o.pids)
		for i := range before {
			res.cpu = append(res.cpu, after[i]-before[i])
		}
		res.selfCPU = selfAfter - selfBefore
		dwg.Wait()
	}()
	wg.Wait()
	<-cpuDone
	if err := ctx.Err(); err != nil {
		return res, err
	}

	// Let the accepted transactions land.
	deadline := time.Now().Add(o.drain)
	for {
		waiting := l.unseen(recs)
		if waiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			res.undrained = waiting
			break
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}

	failedAfter, err := l.failedSoFar(ctx)
	if err != nil {
		return res, err
	}
	res.failed = failedAfter - failedBefore

	l.mu.Lock()
	defer l.mu.Unlock()
	acceptedInWindow := 0
	for _, r := range recs {
		if !r.acked.Before(winStart) && r.acked.Before(end) {
			acceptedInWindow++
		}
		if r.scheduled.Before(winStart) {
			continue
		}
		res.lag = append(res.lag, r.sentAt.Sub(r.scheduled))
		res.rtt = append(res.rtt, r.acked.Sub(r.sentAt))
		if r.observed.IsZero() {
			res.unobserved++
			continue
		}
		res.latencies = append(res.latencies, r.observed.Sub(r.scheduled))
	}
	res.accepted = float64(acceptedInWindow) / o.window.Seconds()
	slices.Sort(res.latencies)
	slices.Sort(res.lag)
	slices.Sort(res.rtt)
	res.committed, res.blocks, res.blockTxs = l.windowRate(winStart, end)
	return res, nil
}

// unseen counts the transactions of recs not yet seen committed.
func (l *loader) unseen(recs []*sent) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range recs {
		if r.observed.IsZero() {
			n++
		}
	}
	return n
}

func (l *loader) failedSoFar(ctx context.Context) (int, error) {
	if l.failures == nil {
		return 0, nil
	}
	return l.failures(ctx)
}

// send broadcasts p until it is accepted or rejected; while the mempool is
// full it retries, until end.
func (l *loader) send(ctx context.Context, ln *lane, p *presigned, end time.Time) (outcome, string, int) {
	retries, transient := 0, 0
	for {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		out, why, err := l.nodes[ln.node].broadcast(rctx, p.body)
		cancel()
		switch {
		case err != nil && ctx.Err() != nil:
			return rejected, ctx.Err().Error(), retries
		case err != nil:
			// The node may have accepted it before the error: sending the
			// same bytes again is harmless ("already in cache").
			transient++
			if transient > 5 {
				return rejected, err.Error(), retries
			}
			time.Sleep(50 * time.Millisecond)
			continue
		case out == mempoolFull:
			retries++
			if time.Now().After(end) {
				return mempoolFull, why, retries
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		return out, why, retries
	}
}

// committedAt is when block h was committed: the time in the header of
// block h+1 (CometBFT's median of the precommits for h), or, before that
// block is seen, when the observer found h. (A block's own header time is
// the commit time of the block before it, about one block interval before
// its transactions were collected.)
func (l *loader) committedAt(h int64) time.Time {
	if next, ok := l.blocks[h+1]; ok {
		return next.time
	}
	return l.blocks[h].observed
}

// windowRate is the load's committed rate over the blocks committed in
// [from, to]: their load transactions over the time from the commit of the
// block before them to the commit of the last of them.
func (l *loader) windowRate(from, to time.Time) (rate float64, blocks int, perBlock float64) {
	var hs []int64
	for h := range l.blocks {
		if at := l.committedAt(h); !at.Before(from) && !at.After(to) {
			hs = append(hs, h)
		}
	}
	slices.Sort(hs)
	if len(hs) == 0 {
		return 0, 0, 0
	}
	total, load := 0, 0
	for _, h := range hs {
		total += l.blocks[h].txs
		load += l.blocks[h].load
	}
	perBlock = float64(total) / float64(len(hs))
	first, last := hs[0], hs[len(hs)-1]
	start := from
	if _, ok := l.blocks[first-1]; ok {
		start = l.committedAt(first - 1)
	}
	span := l.committedAt(last).Sub(start)
	if span <= 0 {
		return 0, len(hs), perBlock
	}
	return float64(load) / span.Seconds(), len(hs), perBlock
}

// observerCost is the observer's mean time to fetch and decode one block
// with its results.
func (l *loader) observerCost() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fetches == 0 {
		return 0
	}
	return l.fetchTotal / time.Duration(l.fetches)
}

// submitInOrder broadcasts each node's transactions in order and waits
// until all are committed; any failure is an error. It is how accounts and
// licences are set up before the load.
func (l *loader) submitInOrder(ctx context.Context, perNode map[int][][]byte, timeout time.Duration) error {
	var recs []*sent
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, len(perNode))
	for n, txs := range perNode {
		wg.Add(1)
		go func(n int, txs [][]byte) {
			defer wg.Done()
			for _, raw := range txs {
				p := presign(raw)
				rec := &sent{scheduled: time.Now()}
				l.mu.Lock()
				l.byKey[p.key] = rec
				l.mu.Unlock()
				out, why, _ := l.send(ctx, &lane{node: n}, p, time.Now().Add(timeout))
				if out != accepted {
					errs <- fmt.Errorf("setup transaction refused by node %d: %s", n, why)
					return
				}
				mu.Lock()
				recs = append(recs, rec)
				mu.Unlock()
			}
		}(n, txs)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for {
		waiting := l.unseen(recs)
		if waiting == 0 {
			failed, err := l.failedSoFar(ctx)
			if err != nil {
				return err
			}
			if failed > 0 {
				return fmt.Errorf("%d setup transactions failed", failed)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d setup transactions not committed within %v", waiting, len(recs), timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// percentile is the q-quantile (0..1) of sorted durations, nearest rank.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
