package localnet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/txv1"
	"github.com/lineageledger/lineaged/node/keyring"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// loadConfig tunes the load generator.
type loadConfig struct {
	// rate is the transactions per second offered across all accounts,
	// open-loop: on schedule whatever the network does.
	rate float64
	// maxPending bounds one account's uncommitted transactions; arrivals
	// beyond it are counted as skipped rather than queued without end.
	maxPending int
}

// txRecord is one signed transaction of the load and what became of it.
type txRecord struct {
	acct *account
	seq  uint64
	raw  []byte
	hash [32]byte
	// scheduled is when the open-loop schedule submitted it: commit latency
	// counts from here, so a stalled client cannot hide the wait.
	scheduled time.Time
	// lastSent and sentAt (the observer's scanned height then) drive
	// rebroadcasts.
	lastSent time.Time
	sentAt   int64

	// Set by the observer when it finds the transaction in a block.
	height   int64
	code     uint32
	log      string
	observed time.Time
}

// account is a validator organisation's admin, which the load signs for.
type account struct {
	index  int
	org    string
	signer keyring.Signer
	queue  chan time.Time
	// next is the sequence of the next transaction to sign; every sequence
	// is signed exactly once, so a transaction can only ever be re-sent,
	// never re-made.
	next uint64
	// pending are signed and not yet seen committed, by sequence (guarded
	// by load.mu).
	pending []*txRecord
	// preferred is the node broadcasts go to first (its own validator),
	// moved when that node fails or sits on transactions.
	preferred int
	license   string
}

// load submits realistic signed provenance transactions — licence
// definitions and dataset registrations by each organisation's admin — to
// any live node, and observes the chain to learn which were committed.
type load struct {
	net *network
	cfg loadConfig

	mu       sync.Mutex
	accounts []*account
	byHash   map[[32]byte]*txRecord
	// acked are the transactions seen committed, in commit order.
	acked []*txRecord
	// doubles are transactions found at a second height; rejections are
	// mempool refusals other than sequence races; both must stay empty.
	doubles    []string
	rejections []string
	foreign    int
	skipped    int
	signed     int
	resent     int
	// scanned is the highest height whose block the observer has read.
	scanned    int64
	blockTimes map[int64]time.Time
	samples    []heightSample
	downUntil  []time.Time

	startedAt, stoppedAt time.Time
	stopSchedule         chan struct{}
	stopAll              chan struct{}
	scheduleDone         sync.WaitGroup
	wg                   sync.WaitGroup
}

// heightSample is every node's height at one moment (-1: unreachable).
type heightSample struct {
	at      time.Time
	heights []int64
}

// startLoad begins the load and the observer; the test's cleanup stops
// them if the test does not.
func startLoad(t *testing.T, n *network, cfg loadConfig) *load {
	t.Helper()
	if cfg.maxPending == 0 {
		cfg.maxPending = 2000
	}
	l := &load{
		net: n, cfg: cfg, byHash: map[[32]byte]*txRecord{}, blockTimes: map[int64]time.Time{},
		downUntil: make([]time.Time, len(n.nodes)), stopSchedule: make(chan struct{}), stopAll: make(chan struct{}),
	}
	vals := n.validators()
	for _, i := range vals {
		info := n.nodes[i].info
		kr := keyring.Open(filepath.Join(n.nodes[i].home, "keyring"), keyring.Options{})
		signer, err := kr.Signer("admin", "")
		if err != nil {
			t.Fatalf("%s admin key: %v", info.Name, err)
		}
		if signer.Address() != info.Admin {
			t.Fatalf("%s admin key signs for %s, testnet.json says %s", info.Name, signer.Address(), info.Admin)
		}
		l.accounts = append(l.accounts, &account{
			index: len(l.accounts), org: info.Org, signer: signer, preferred: i,
			queue: make(chan time.Time, cfg.maxPending),
		})
	}
	// Sequences start where the chain has them (zero on a fresh chain).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, a := range l.accounts {
		acct, err := n.nodes[vals[0]].rpc.Account(ctx, a.signer.Address())
		if err != nil {
			t.Fatal(err)
		}
		a.next = acct.Sequence
		a.license = fmt.Sprintf("%s/faults-%d", a.org, a.next)
	}
	hs := n.heights(2 * time.Second)
	l.scanned = maxOf(hs, n.others())
	l.startedAt = time.Now()
	l.wg.Add(1 + len(l.accounts))
	go l.observe()
	for _, a := range l.accounts {
		go l.work(a)
	}
	l.scheduleDone.Add(1)
	go l.schedule()
	t.Cleanup(func() { l.stop() })
	return l
}

// schedule offers transactions at the configured rate, round-robin over
// the accounts.
func (l *load) schedule() {
	defer l.scheduleDone.Done()
	interval := time.Duration(float64(time.Second) / l.cfg.rate)
	next := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for k := 0; ; k++ {
		select {
		case <-l.stopSchedule:
			return
		case <-timer.C:
		}
		a := l.accounts[k%len(l.accounts)]
		l.mu.Lock()
		full := len(a.pending)+len(a.queue) >= l.cfg.maxPending
		if full {
			l.skipped++
		}
		l.mu.Unlock()
		if !full {
			a.queue <- next
		}
		next = next.Add(interval)
		timer.Reset(time.Until(next))
	}
}

// work signs and broadcasts one account's transactions in sequence order,
// and re-sends what the network sits on.
func (l *load) work(a *account) {
	defer l.wg.Done()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-l.stopAll:
			return
		case at := <-a.queue:
			l.submit(a, at)
		case <-tick.C:
			l.unstall(a)
		}
	}
}

// message is the n-th transaction of an account: a licence definition now
// and then, dataset registrations offered under the account's first
// licence otherwise.
func (a *account) message(seq uint64) proto.Message {
	id := fmt.Sprintf("%s/faults-%d", a.org, seq)
	if id == a.license || seq%10 == 0 {
		return &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{
			Id: id, SpdxId: "CC-BY-4.0",
			Usage: &licensespb.Usage{CommercialUse: true, Derivatives: true, Redistribution: true, AiTraining: true, AttributionRequired: true},
		}}
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s dataset shard %d", a.org, seq)))
	return &lineagepb.MsgRegisterDataset{Dataset: &lineagepb.DatasetSpec{
		Digest: "sha256:" + hex.EncodeToString(sum[:]), Namespace: a.org + "/faults", Name: fmt.Sprintf("shard-%06d", seq),
		Version: "1", SizeBytes: 1_000_000 + seq, MediaType: "application/x-parquet",
		Uri: fmt.Sprintf("s3://%s-corpora/shards/%06d.parquet", a.org, seq), LicenseIds: []string{a.license},
	}}
}

// submit signs the account's next transaction and broadcasts it.
func (l *load) submit(a *account, at time.Time) {
	body := &txv1.TxBody{ChainId: l.net.chainID, Signer: a.signer.Address(), Sequence: a.next}
	if err := app.SetMsg(body, a.message(a.next)); err != nil {
		panic(err)
	}
	raw, err := app.EncodeTx(body, a.signer.Sign)
	if err != nil {
		panic(err)
	}
	rec := &txRecord{acct: a, seq: a.next, raw: raw, hash: app.TxHash(raw), scheduled: at}
	a.next++
	// Known before it is sent, so the observer cannot miss it.
	l.mu.Lock()
	l.byHash[rec.hash] = rec
	a.pending = append(a.pending, rec)
	l.signed++
	l.mu.Unlock()
	l.broadcast(a, rec)
}

// sendOutcome is what one broadcast to one node achieved.
type sendOutcome int

const (
	// accepted: in that node's mempool, or already spent (committed).
	accepted sendOutcome = iota
	// gap: an earlier sequence of the account is missing at that node.
	gap
	// unreachable: the node did not answer (down, paused, catching up).
	unreachable
	// refused: any other CheckTx rejection, which the load never expects.
	refused
)

// checkTxRejection matches how CometBFT reports a CheckTx rejection as an
// RPC error.
var checkTxRejection = regexp.MustCompile(`(?s)is invalid: code=(\d+), data=[0-9A-Fa-f]*, log='(.*)', codespace='([^']*)'`)

// sendTo broadcasts rec to node i and classifies the answer.
func (l *load) sendTo(i int, rec *txRecord) (sendOutcome, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	l.mu.Lock()
	rec.lastSent, rec.sentAt = time.Now(), l.scanned
	l.mu.Unlock()
	res, err := l.net.nodes[i].rpc.RPC().BroadcastTxSync(ctx, rec.raw)
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "already exists in cache") {
			return accepted, ""
		}
		if m := checkTxRejection.FindStringSubmatch(msg); m != nil {
			code, _ := strconv.ParseUint(m[1], 10, 32)
			return classify(m[3], uint32(code), m[2])
		}
		return unreachable, msg
	}
	return classify(res.Codespace, res.Code, res.Log)
}

func classify(codespace string, code uint32, log string) (sendOutcome, string) {
	switch {
	case code == 0:
		return accepted, ""
	case codespace == modules.ErrSequenceReused.Codespace && code == modules.ErrSequenceReused.Code:
		// Spent: this very transaction was committed (or sits in that
		// mempool); the observer will find it.
		return accepted, ""
	case codespace == modules.ErrSequenceFuture.Codespace && code == modules.ErrSequenceFuture.Code:
		return gap, log
	}
	return refused, fmt.Sprintf("%s/%d: %s", codespace, code, log)
}

// broadcast gets rec into some live node's mempool, starting with the
// account's preferred node.
func (l *load) broadcast(a *account, rec *txRecord) {
	n := len(l.net.nodes)
	for k := 0; k < n; k++ {
		i := (a.preferred + k) % n
		if l.isDown(i) && k < n-1 {
			continue
		}
		out, why := l.sendTo(i, rec)
		switch out {
		case accepted:
			a.preferred = i
			return
		case gap:
			// The node lacks an earlier transaction (lost with a crashed
			// node's mempool, or stuck on the other side of a partition):
			// give it the account's pending ones in order.
			if l.refill(a, i, rec) {
				a.preferred = i
				return
			}
		case unreachable:
			l.markDown(i)
		case refused:
			l.mu.Lock()
			l.rejections = append(l.rejections, fmt.Sprintf("%s seq %d at %s: %s", a.org, rec.seq, l.net.nodes[i].info.Name, why))
			l.mu.Unlock()
			return
		}
	}
	// Nobody took it now; unstall tries again once the chain moves on.
}

// refill re-sends the account's pending transactions to node i in
// sequence order, and reports whether target (if any) was accepted.
func (l *load) refill(a *account, i int, target *txRecord) bool {
	l.mu.Lock()
	list := slices.Clone(a.pending)
	l.mu.Unlock()
	ok := false
	for k, rec := range list {
		if k >= 200 {
			break
		}
		out, why := l.sendTo(i, rec)
		if rec != target {
			l.mu.Lock()
			l.resent++
			l.mu.Unlock()
		}
		switch out {
		case unreachable:
			l.markDown(i)
			return false
		case refused:
			l.mu.Lock()
			l.rejections = append(l.rejections, fmt.Sprintf("%s seq %d at %s: %s", a.org, rec.seq, l.net.nodes[i].info.Name, why))
			l.mu.Unlock()
			return false
		case accepted:
			ok = ok || rec == target
		}
	}
	return ok
}

// unstall re-sends an account's pending transactions through another node
// when the chain has moved on three blocks without the oldest of them (it
// sits in a mempool that is not proposing — a partitioned or lagging node —
// or it was lost with a killed node), or when it has waited ten seconds
// (a quiet chain makes no blocks to count). While the chain is halted
// little is re-sent; there is nothing to gain.
func (l *load) unstall(a *account) {
	l.mu.Lock()
	stalled := false
	if len(a.pending) > 0 {
		oldest := a.pending[0]
		waited := time.Since(oldest.lastSent)
		stalled = waited > 2*time.Second && (l.scanned >= oldest.sentAt+3 || waited > 10*time.Second)
	}
	l.mu.Unlock()
	if !stalled {
		return
	}
	n := len(l.net.nodes)
	for k := 1; k <= n; k++ {
		i := (a.preferred + k) % n
		if !l.isDown(i) || k == n {
			a.preferred = i
			break
		}
	}
	l.refill(a, a.preferred, nil)
}

func (l *load) markDown(i int) {
	l.mu.Lock()
	l.downUntil[i] = time.Now().Add(3 * time.Second)
	l.mu.Unlock()
}

func (l *load) isDown(i int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Now().Before(l.downUntil[i])
}

// observe polls every node's height, keeps the samples, and reads each new
// block from the highest node to learn which transactions were committed,
// at which height and with which result.
func (l *load) observe() {
	defer l.wg.Done()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-l.stopAll:
			return
		case <-tick.C:
		}
		hs := l.net.heights(time.Second)
		l.mu.Lock()
		l.samples = append(l.samples, heightSample{at: time.Now(), heights: hs})
		from := l.scanned
		l.mu.Unlock()
		best := 0
		for i, h := range hs {
			if h > hs[best] {
				best = i
			}
		}
		for h := from + 1; h <= hs[best]; h++ {
			if !l.scan(best, h) {
				break
			}
		}
	}
}

// scan reads block h (and its results) from node i.
func (l *load) scan(i int, h int64) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c := l.net.nodes[i].rpc.RPC()
	blk, err := c.Block(ctx, &h)
	if err != nil {
		return false
	}
	res, err := c.BlockResults(ctx, &h)
	if err != nil || len(res.TxResults) != len(blk.Block.Txs) {
		return false
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.blockTimes[h] = blk.Block.Time
	for k, tx := range blk.Block.Txs {
		rec := l.byHash[sha256.Sum256(tx)]
		switch {
		case rec == nil:
			l.foreign++
		case rec.height != 0:
			l.doubles = append(l.doubles, fmt.Sprintf("%s seq %d at heights %d and %d", rec.acct.org, rec.seq, rec.height, h))
		default:
			rec.height, rec.code, rec.log, rec.observed = h, res.TxResults[k].Code, res.TxResults[k].Log, now
			l.acked = append(l.acked, rec)
			a := rec.acct
			if k := slices.Index(a.pending, rec); k >= 0 {
				a.pending = slices.Delete(a.pending, k, k+1)
			}
		}
	}
	l.scanned = h
	return true
}

// pending counts signed transactions not yet seen committed.
func (l *load) pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, a := range l.accounts {
		n += len(a.pending) + len(a.queue)
	}
	return n
}

// drain stops offering new transactions and waits (up to timeout) until
// every signed one is committed; it returns how many were not.
func (l *load) drain(timeout time.Duration) int {
	l.stopScheduling()
	deadline := time.Now().Add(timeout)
	for l.pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	left := l.pending()
	l.stop()
	return left
}

func (l *load) stopScheduling() {
	l.mu.Lock()
	select {
	case <-l.stopSchedule:
	default:
		close(l.stopSchedule)
		l.stoppedAt = time.Now()
	}
	l.mu.Unlock()
	l.scheduleDone.Wait()
}

// stop ends the load and the observer (idempotent).
func (l *load) stop() {
	l.stopScheduling()
	l.mu.Lock()
	select {
	case <-l.stopAll:
		l.mu.Unlock()
		return
	default:
		close(l.stopAll)
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// samplesBetween returns the height samples taken in [from, to].
func (l *load) samplesBetween(from, to time.Time) []heightSample {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []heightSample
	for _, s := range l.samples {
		if !s.at.Before(from) && !s.at.After(to) {
			out = append(out, s)
		}
	}
	return out
}

// loadStats are the figures of a load run.
type loadStats struct {
	signed, acked, skipped, resent, foreign int
	failed                                  int // acked with a non-zero code
	p50, p99, maxLatency                    time.Duration
	blocksPerMin                            float64
	longestGap                              time.Duration
	firstHeight, lastHeight                 int64
	doubles, rejections                     []string
}

// stats summarises the run between the load's start and the end of its
// schedule.
func (l *load) stats() loadStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := loadStats{signed: l.signed, acked: len(l.acked), skipped: l.skipped, resent: l.resent, foreign: l.foreign,
		doubles: slices.Clone(l.doubles), rejections: slices.Clone(l.rejections)}
	end := l.stoppedAt
	if end.IsZero() {
		end = time.Now()
	}
	var lat []time.Duration
	for _, r := range l.acked {
		if r.code != 0 {
			s.failed++
		}
		lat = append(lat, r.observed.Sub(r.scheduled))
	}
	slices.Sort(lat)
	s.p50, s.p99 = percentile(lat, 50), percentile(lat, 99)
	if len(lat) > 0 {
		s.maxLatency = lat[len(lat)-1]
	}
	var heights []int64
	for h, bt := range l.blockTimes {
		if !bt.Before(l.startedAt) && !bt.After(end) {
			heights = append(heights, h)
		}
	}
	slices.Sort(heights)
	if len(heights) > 0 {
		s.firstHeight, s.lastHeight = heights[0], heights[len(heights)-1]
		s.blocksPerMin = float64(len(heights)) / end.Sub(l.startedAt).Minutes()
	}
	for k := 1; k < len(heights); k++ {
		if heights[k] == heights[k-1]+1 {
			s.longestGap = max(s.longestGap, l.blockTimes[heights[k]].Sub(l.blockTimes[heights[k-1]]))
		}
	}
	return s
}

// percentile is the p-th percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

// TestPercentile: nearest rank, so p99 of few samples is the largest.
func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 200; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    int
		want time.Duration
	}{{50, 100 * time.Millisecond}, {99, 198 * time.Millisecond}, {100, 200 * time.Millisecond}, {1, 2 * time.Millisecond}} {
		if got := percentile(d, c.p); got != c.want {
			t.Errorf("p%d = %v, want %v", c.p, got, c.want)
		}
	}
	if got := percentile(d[:3], 99); got != 3*time.Millisecond {
		t.Errorf("p99 of 3 = %v", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of none = %v", got)
	}
}
