package bench

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/store/proof"
	"github.com/lineageledger/lineaged/app/store/proofv1"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/kit"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	"github.com/lineageledger/lineaged/x/models"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// opStats are the throughput and latencies of a repeated operation.
type opStats struct {
	perSecond float64
	latencies []time.Duration // sorted
}

func (s opStats) p(q float64) time.Duration { return percentile(s.latencies, q) }

// measure runs op n times on workers goroutines and times each call.
func measure(n, workers int, op func(i int) error) (opStats, error) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := time.Now()
				if err := op(i); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err, ok := firstErr.Load().(error); ok {
		return opStats{}, err
	}
	slices.Sort(lat)
	return opStats{perSecond: float64(n) / elapsed.Seconds(), latencies: lat}, nil
}

// gateFamily is how the gate population is shaped: a family is one
// training dataset and a chain of five model versions, each fine-tuned
// from the one before, published by one of sixteen publishers across four
// organisations; even families are under their organisation's open licence
// (every use permitted), odd ones under its grant-required licence, so that
// checks come out both ALLOW and DENY (no grant).
const gateVersions = 5

type gatePopulation struct {
	orgs       []string
	admins     []*benchAccount
	publishers []*benchAccount
}

func newGatePopulation() *gatePopulation {
	g := &gatePopulation{orgs: []string{"org0", "org1", "org2", "org3"}}
	for i, org := range g.orgs {
		g.admins = append(g.admins, newAccount(fmt.Sprint("gate admin ", i), org))
	}
	for i := 0; i < 16; i++ {
		g.publishers = append(g.publishers, newAccount(fmt.Sprint("gate publisher ", i), g.orgs[i%len(g.orgs)]))
	}
	return g
}

func (g *gatePopulation) accounts() []*benchAccount {
	return append(slices.Clone(g.admins), g.publishers...)
}

func (g *gatePopulation) licences() []txPlan {
	var out []txPlan
	for i, org := range g.orgs {
		all := &licensespb.Usage{CommercialUse: true, Derivatives: true, Redistribution: true, AiTraining: true, AttributionRequired: true}
		out = append(out,
			txPlan{acct: g.admins[i], msg: &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{Id: org + "/open", SpdxId: "Apache-2.0", Usage: all}}},
			txPlan{acct: g.admins[i], msg: &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{
				Id: org + "/restricted", SpdxId: "LicenseRef-restricted", Usage: all, GrantRequired: true,
			}}})
	}
	return out
}

func (g *gatePopulation) modelName(f int) string {
	return fmt.Sprintf("%s/family-%06d", g.publishers[f%len(g.publishers)].org, f)
}

// family plans family f: its dataset and its versions.
func (g *gatePopulation) family(f int) []txPlan {
	pub := g.publishers[f%len(g.publishers)]
	lic := pub.org + "/open"
	if f%2 == 1 {
		lic = pub.org + "/restricted"
	}
	data := digestOf("gate dataset ", f)
	out := []txPlan{{acct: pub, msg: &lineagepb.MsgRegisterDataset{Dataset: &lineagepb.DatasetSpec{
		Digest: data, Namespace: pub.org + "/training", Name: fmt.Sprintf("family-%06d-sft", f), Version: "1",
		SizeBytes: 50_000_000, MediaType: "application/jsonl", LicenseIds: []string{lic},
	}}}}
	name := g.modelName(f)
	for v := 1; v <= gateVersions; v++ {
		manifest := digestOf("gate manifest ", f, " ", v)
		sig, err := pub.key.Sign(models.ManifestSignBytes(manifest))
		if err != nil {
			panic(err)
		}
		spec := &modelspb.ModelSpec{
			Name: name, Version: fmt.Sprintf("%d.0", v), ManifestDigest: manifest, Format: "safetensors",
			TrainingDatasets: []string{data}, LicenseIds: []string{lic},
		}
		if v > 1 {
			spec.BaseModel = models.Ref(name, fmt.Sprintf("%d.0", v-1))
		}
		out = append(out, txPlan{acct: pub, msg: &modelspb.MsgRegisterModel{Model: spec, PublisherSignature: sig}})
	}
	return out
}

// gateResult is the gate measured at one population size.
type gateResult struct {
	models               int
	plain, prove, verify opStats
	allow, deny          int
	proofKeys            float64
	proofBytes           float64
}

// runGate populates a chain with model families up to each size in turn
// and measures gate checks at each: the plain query, the same query with
// proofs built for every read, and the offline verification of those
// proofs (proof.Verify and the re-run with modules.Table.Answer).
func runGate(ctx context.Context, dir string, sizes []int, ops int, logf func(string, ...any)) ([]gateResult, error) {
	g := newGatePopulation()
	c, err := openLocalChain(filepath.Join(dir, "gate"), g.accounts())
	if err != nil {
		return nil, err
	}
	defer c.close()
	if _, err := c.execute(c.sign(g.licences())); err != nil {
		return nil, err
	}
	const familiesPerBlock = 200 // 1,200 transactions
	families := 0
	var out []gateResult
	for _, size := range sizes {
		want := size / gateVersions
		start := time.Now()
		from := families
		err := c.populate(ctx, true, func(b int) []txPlan {
			lo := from + b*familiesPerBlock
			if lo >= want {
				return nil
			}
			var plans []txPlan
			for f := lo; f < min(lo+familiesPerBlock, want); f++ {
				plans = append(plans, g.family(f)...)
			}
			return plans
		}, nil)
		if err != nil {
			return nil, err
		}
		families = want
		logf("gate: %d models in state (%d families populated in %v)", families*gateVersions, want-from, time.Since(start).Round(time.Second))
		res, err := measureGate(ctx, c, g, families, ops)
		if err != nil {
			return nil, err
		}
		res.models = families * gateVersions
		out = append(out, res)
	}
	return out, nil
}

func measureGate(ctx context.Context, c *localChain, g *gatePopulation, families, ops int) (gateResult, error) {
	rng := rand.New(rand.NewPCG(1, uint64(families)))
	// One request per operation, so that checks do not all hit warm
	// caches.
	distinct := ops
	reqs := make([][]byte, distinct)
	for i := range reqs {
		f := rng.IntN(families)
		req := &gatepb.CheckRequest{
			Model: models.Ref(g.modelName(f), fmt.Sprintf("%d.0", gateVersions)),
			Org:   g.orgs[rng.IntN(len(g.orgs))],
			Uses:  []gatepb.Use{gatepb.Use_USE_DERIVATIVES, gatepb.Use_USE_AI_TRAINING},
		}
		b, err := proto.Marshal(req)
		if err != nil {
			return gateResult{}, err
		}
		reqs[i] = b
	}
	path := gatepb.Query_Check_FullMethodName
	workers := runtime.GOMAXPROCS(0)
	var res gateResult
	var err error

	res.plain, err = measure(ops, workers, func(i int) error {
		_, err := c.rawQuery(path, reqs[i%distinct])
		return err
	})
	if err != nil {
		return res, err
	}
	res.prove, err = measure(ops, workers, func(i int) error {
		_, bundle, _, err := c.app.ProveQuery(ctx, path, reqs[i%distinct], 0)
		if bundle == nil {
			return fmt.Errorf("no proofs: %w", err)
		}
		return err
	})
	if err != nil {
		return res, err
	}

	// Proofs built once per request; verification then needs only them,
	// the app hash and the block (chain id, height, time).
	view := c.st.Committed()
	blk := kit.Block{ChainID: c.chainID, Height: view.Height(), Time: view.Time()}
	answers := make([][]byte, distinct)
	bundles := make([]*proofv1.ProofBundle, distinct)
	for i, req := range reqs {
		answer, bundle, _, err := c.app.ProveQuery(ctx, path, req, 0)
		if err != nil {
			return res, err
		}
		answers[i], bundles[i] = answer, bundle
		var resp gatepb.CheckResponse
		if err := proto.Unmarshal(answer, &resp); err != nil {
			return res, err
		}
		if resp.Verdict == gatepb.Verdict_VERDICT_ALLOW {
			res.allow++
		} else {
			res.deny++
		}
		res.proofKeys += float64(len(bundle.Keys))
		res.proofBytes += float64(proto.Size(bundle))
	}
	res.proofKeys /= float64(distinct)
	res.proofBytes /= float64(distinct)
	hash := view.Hash()
	res.verify, err = measure(ops, workers, func(i int) error {
		return verifyOffline(ctx, bundles[i%distinct], hash, path, reqs[i%distinct], blk, answers[i%distinct])
	})
	return res, err
}

// verifyOffline is what a receipt verifier does after the signatures:
// check the proofs against the app hash, re-run the query on the proven
// reads alone, and compare the answer.
func verifyOffline(ctx context.Context, bundle *proofv1.ProofBundle, appHash []byte, path string, req []byte, blk kit.Block, want []byte) error {
	reader, err := proof.Verify(bundle, appHash)
	if err != nil {
		return err
	}
	var answer []byte
	var qerr error
	if err := proof.Run(func() { answer, qerr = modules.Default().Answer(ctx, path, reader, blk, req) }); err != nil {
		return err
	}
	if qerr != nil {
		return qerr
	}
	if !bytes.Equal(answer, want) {
		return fmt.Errorf("re-run of %s gave a different answer", path)
	}
	return nil
}
