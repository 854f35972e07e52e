package bench

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadTransactions: every kind of provenance transaction is 300-800
// bytes whatever its position, and the kvstore's are valid key=value
// transactions of exactly the same sizes, all distinct.
func TestLoadTransactions(t *testing.T) {
	p := newProvenanceLoad("lineage-bench", []string{"org0", "org1", "org2", "org3"}, 64)
	sizes := p.sizes()
	for _, lane := range []int{0, 63} {
		for _, k := range []int{0, 1, 2, 3, 4000, 4001, 4002, 4003, 999_996, 999_997, 999_998, 999_999} {
			if n := len(p.make(lane, k)); n < 300 || n > 800 {
				t.Errorf("lane %d tx %d (%s) is %d bytes, want 300-800", lane, k, kindNames[k%kinds], n)
			}
		}
	}
	kv := &kvLoad{tag: "kv4v", n: 64, sizes: sizes}
	seen := map[string]bool{}
	for lane := 0; lane < 64; lane++ {
		for k := 0; k < 50; k++ {
			tx := kv.make(lane, k)
			if len(tx) != sizes[k%kinds] {
				t.Fatalf("kv tx %d/%d is %d bytes, want %d", lane, k, len(tx), sizes[k%kinds])
			}
			if bytes.Count(tx, []byte("=")) != 1 || bytes.Contains(tx, []byte(":")) || tx[0] == '=' || tx[len(tx)-1] == '=' {
				t.Fatalf("kv tx %q is not key=value", tx)
			}
			if seen[string(tx)] {
				t.Fatalf("kv tx %d/%d repeats", lane, k)
			}
			seen[string(tx)] = true
		}
	}
}

func TestParseBlock(t *testing.T) {
	full := `{"jsonrpc":"2.0","id":-1,"result":{"block_id":{"hash":"AB"},"block":{"header":{"version":{"block":"11"},"chain_id":"c","height":"7","time":"2026-11-28T20:46:03.295123Z","last_block_id":{}},"data":{"txs":["YT1i","Yz1k"]},"evidence":{"evidence":[]}}}}`
	b, err := parseBlock(7, []byte(full))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 28, 20, 46, 3, 295123000, time.UTC); !b.time.Equal(want) || len(b.txs) != 2 || b.txs[0] != "YT1i" || b.txs[1] != "Yz1k" {
		t.Fatalf("parsed %v %q", b.time, b.txs)
	}
	for _, empty := range []string{`"txs":[]`, `"txs":null`} {
		b, err := parseBlock(7, []byte(strings.Replace(full, `"txs":["YT1i","Yz1k"]`, empty, 1)))
		if err != nil || len(b.txs) != 0 {
			t.Fatalf("%s: %v %q", empty, err, b.txs)
		}
	}
	_, err = parseBlock(9, []byte(`{"jsonrpc":"2.0","id":-1,"error":{"code":-32603,"message":"Internal error","data":"height 9 must be less than or equal to the current blockchain height 8"}}`))
	var rerr *rpcError
	if !errors.As(err, &rerr) || !strings.Contains(rerr.Data, "must be less than") {
		t.Fatalf("future block: %v", err)
	}
}

func TestWindowRate(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := &loader{blocks: map[int64]*blockSeen{}}
	// Block h's header time is the commit of h-1; one block per second,
	// 100 load transactions each.
	for h := int64(1); h <= 10; h++ {
		l.blocks[h] = &blockSeen{time: base.Add(time.Duration(h-1) * time.Second), observed: base.Add(time.Duration(h) * time.Second), txs: 120, load: 100}
	}
	// Blocks committed in [3 s, 6 s]: 3, 4, 5, 6 (committed at 3..6 s, by
	// the header of the next block); from the commit of 2 at 2 s.
	rate, blocks, perBlock := l.windowRate(base.Add(3*time.Second), base.Add(6*time.Second))
	if blocks != 4 || perBlock != 120 || rate != 100 {
		t.Fatalf("rate %v over %d blocks of %v", rate, blocks, perBlock)
	}
}

func TestFormat(t *testing.T) {
	for got, want := range map[string]string{
		fmtCount(1234567): "1,234,567", fmtCount(999): "999", fmtCount(2.5): "2.5",
		fmtDur(1234 * time.Microsecond): "1.23 ms", fmtDur(95 * time.Microsecond): "95.0 µs", fmtDur(2 * time.Second): "2.00 s",
		fmtBytes(512): "512 B", fmtBytes(48 << 10): "48.0 KiB", fmtBytes(3 << 30): "3.00 GiB",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// smokeSizes are the quick mode's smallest pieces.
func smokeSizes() Sizes {
	return Sizes{
		Topologies: []int{1}, Lanes: 8, StartRate: 80, RateFactor: 2, MaxSteps: 1,
		Warm: time.Second, Window: 2 * time.Second, LatencyWindow: 2 * time.Second, ProfileWindow: 2 * time.Second, Drain: 20 * time.Second,
		GateModels: []int{100}, GateOps: 40,
		LineageDepth: 3, LineageReps: 3,
		GrowthCheckpoints: []int{200, 400}, GrowthBlock: 100,
		ReceiptIters: 3,
	}
}

// TestQuickPieces runs every workload at the smallest sizes: the
// in-process ones, and (unless -short) a one-validator lineaged network
// built from this tree, with the kvstore baseline if the pinned cometbft
// is installed in .cache/bin.
func TestQuickPieces(t *testing.T) {
	sz := smokeSizes()
	opts := Options{Sizes: &sz, GrowthInProcess: true, WorkDir: t.TempDir(), IPPrefix: "127.0.4", Log: testLog{t}}
	only := []string{WorkloadGate, WorkloadLineage, WorkloadGrowth}
	if !testing.Short() {
		bin := filepath.Join(t.TempDir(), "lineaged")
		if out, err := exec.Command("go", "build", "-o", bin, "github.com/lineageledger/lineaged/cmd/lineaged").CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		opts.Lineaged = bin
		only = append(only, WorkloadThroughput, WorkloadProofs)
		if cmt, err := filepath.Abs("../../.cache/bin/cometbft"); err == nil {
			if out, err := exec.Command(cmt, "version").Output(); err == nil && strings.TrimSpace(string(out)) == "1.0.1" {
				opts.CometBFT = cmt
			}
		}
	}
	opts.Only = only
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + md.String())
	want := map[string]int{"gate": 4, "lineage": 2, "state growth": 4}
	if !testing.Short() {
		want["throughput"], want["latency"], want["cost"], want["proofs"] = 1, 2, 1, 3
	}
	got := map[string]int{}
	for _, row := range r.Rows {
		got[row.Workload]++
		if row.Ours == "" || strings.Contains(row.Ours, "n/a") {
			t.Errorf("row %+v has no value", row)
		}
		if opts.CometBFT != "" && row.Workload == "throughput" && row.Ratio == "" {
			t.Errorf("throughput row has no ratio to the baseline: %+v", row)
		}
	}
	for w, n := range want {
		if got[w] != n {
			t.Errorf("%d %s rows, want %d", got[w], w, n)
		}
	}
	if !strings.Contains(md.String(), "| workload | setting | metric |") || !strings.Contains(md.String(), "cores") {
		t.Errorf("report lacks the table or the machine:\n%s", md.String())
	}
	if _, err := os.Stat(opts.WorkDir); err != nil {
		t.Fatal(err)
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func TestParsePeakRSS(t *testing.T) {
	cases := []struct {
		name, status string
		want         int64
	}{
		{"typical", "Name:\tlineaged\nVmPeak:\t 3252560 kB\nVmHWM:\t 1435956 kB\nVmRSS:\t 1300000 kB\n", 1435956 << 10},
		{"absent (a kernel thread)", "Name:\tkthreadd\nState:\tS (sleeping)\n", 0},
		{"unexpected unit", "VmHWM:\t 12 MB\n", 0},
		{"garbled", "VmHWM:\t lots kB\n", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := parsePeakRSS(tc.status); got != tc.want {
				t.Fatalf("parsePeakRSS = %d, want %d", got, tc.want)
			}
		})
	}
	if own := peakRSSOf(os.Getpid()); own <= 0 {
		t.Fatalf("peak RSS of this process = %d, want > 0", own)
	}
}
