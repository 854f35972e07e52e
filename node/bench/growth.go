package bench

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// growthPoint is the state at one size.
type growthPoint struct {
	Records int `json:"records"`
	// FinalizeMS and CommitMS are the mean FinalizeBlock and Commit times
	// of the last blocks before this size.
	FinalizeMS float64 `json:"finalize_ms"`
	CommitMS   float64 `json:"commit_ms"`
	// DiskBytes is the state database on disk.
	DiskBytes int64 `json:"disk_bytes"`
	// RSSBytes is the resident set of the process holding the state, after
	// a garbage collection; HeapBytes its live Go heap.
	RSSBytes  int64 `json:"rss_bytes"`
	HeapBytes int64 `json:"heap_bytes"`
}

// growthResult is how state and commit time grow with records.
type growthResult struct {
	BlockRecords int           `json:"block_records"`
	Points       []growthPoint `json:"points"`
	// BaseRSSBytes is the process's resident set before the store opened.
	BaseRSSBytes int64   `json:"base_rss_bytes"`
	Seconds      float64 `json:"seconds"`
	// TxBytes is the size of one registration transaction.
	TxBytes int `json:"tx_bytes"`
}

// growthBlocksAveraged is how many blocks before a size its commit time
// is averaged over.
const growthBlocksAveraged = 5

func licenceMsg(id string) *licensespb.MsgDefineLicense {
	return &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{
		Id: id, SpdxId: "CC-BY-4.0",
		Usage: &licensespb.Usage{CommercialUse: true, Derivatives: true, Redistribution: true, AiTraining: true, AttributionRequired: true},
	}}
}

// runGrowth registers datasets in blocks of perBlock, through signed
// transactions executed and committed by the application on a pebble
// store with fsync on commit (a node's defaults), and records the state at
// each checkpoint (a number of records).
func runGrowth(ctx context.Context, dir string, checkpoints []int, perBlock int, logf func(string, ...any)) (*growthResult, error) {
	base, _ := residentBytes()
	stewards := make([]*benchAccount, 8)
	for i := range stewards {
		stewards[i] = newAccount(fmt.Sprint("growth steward ", i), "org0")
	}
	stateDir := filepath.Join(dir, "growth")
	c, err := openLocalChain(stateDir, stewards)
	if err != nil {
		return nil, err
	}
	defer c.close()
	if _, err := c.execute(c.sign([]txPlan{{acct: stewards[0], msg: licenceMsg("org0/corpus")}})); err != nil {
		return nil, err
	}
	last := checkpoints[len(checkpoints)-1]
	res := &growthResult{BlockRecords: perBlock, BaseRSSBytes: base}
	registration := func(n int) *lineagepb.MsgRegisterDataset {
		return &lineagepb.MsgRegisterDataset{Dataset: &lineagepb.DatasetSpec{
			Digest: digestOf("growth dataset ", n), Namespace: "org0/corpora", Name: fmt.Sprintf("crawl-%08d", n),
			Version: "2026.11", SizeBytes: 1_000_000_000 + uint64(n), MediaType: "application/x-parquet",
			SchemaDigest: digestOf("growth schema"),
			Uri:          fmt.Sprintf("s3://org0-lake/raw/crawl/part-%08d.parquet", n), LicenseIds: []string{"org0/corpus"},
		}}
	}
	res.TxBytes = len(stewards[0].signTx(c.chainID, 1, "", registration(last)))
	start := time.Now()
	var recent []blockTiming
	next := 0
	err = c.populate(ctx, false, func(b int) []txPlan {
		lo := b * perBlock
		if lo >= last {
			return nil
		}
		plans := make([]txPlan, 0, perBlock)
		for n := lo; n < min(lo+perBlock, last); n++ {
			plans = append(plans, txPlan{acct: stewards[n%len(stewards)], msg: registration(n)})
		}
		return plans
	}, func(b int, t blockTiming) error {
		recent = append(recent, t)
		if len(recent) > growthBlocksAveraged {
			recent = recent[1:]
		}
		records := min((b+1)*perBlock, last)
		if next >= len(checkpoints) || records < checkpoints[next] {
			return nil
		}
		next++
		pt := growthPoint{Records: records}
		for _, r := range recent {
			pt.FinalizeMS += float64(r.finalize.Microseconds()) / 1000 / float64(len(recent))
			pt.CommitMS += float64(r.commit.Microseconds()) / 1000 / float64(len(recent))
		}
		var err error
		if pt.DiskBytes, err = dirSize(stateDir); err != nil {
			return err
		}
		pt.RSSBytes, pt.HeapBytes = residentBytes()
		res.Points = append(res.Points, pt)
		logf("growth: %d records: finalize %.1f ms, commit %.1f ms per block; %d MiB on disk; RSS %d MiB (%v)",
			records, pt.FinalizeMS, pt.CommitMS, pt.DiskBytes>>20, pt.RSSBytes>>20, time.Since(start).Round(time.Second))
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// dirSize is the total size of the files under dir.
func dirSize(dir string) (int64, error) {
	var total int64
	// Compactions delete files while the walk runs: those no longer count.
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err != nil {
				return err
			}
			total += info.Size()
		}
		return nil
	})
	return total, err
}
