package app

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/google/go-cmp/cmp"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/x/gate"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/gov"
	govpb "github.com/lineageledger/lineaged/x/gov/govv1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	"github.com/lineageledger/lineaged/x/membership"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	"github.com/lineageledger/lineaged/x/models"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// The golden history pins consensus: the app hash of every height, and a
// digest of every block's results, for a fixed sequence of blocks that
// touches every module and every message (successes, handler failures and
// a key rotation), once per rule set a chain may run under. A change that
// must not move consensus leaves the golden files as they are; one that
// does rewrites them with -update and says so.
//
// testdata/apphash.golden is the history of a chain made by the first
// release (rule set 0, that release's default parameters), which later
// releases must replay unchanged; testdata/apphash-rules1.golden that of a
// chain started by the release that brought rule set 1 (its default
// parameters), likewise; testdata/apphash-rules2.golden that of rule set
// 2; testdata/apphash-rules3.golden that of a chain started today. testdata/chain-v1.tar.gz is a pebble state
// directory the first release wrote after the first goldenFixtureHeight
// blocks: the current binary must open it, report the same last commit,
// and carry on to the same hashes.
const (
	appHashGolden       = "testdata/apphash.golden"
	chainFixture        = "testdata/chain-v1.tar.gz"
	goldenFixtureHeight = 20
)

// goldenRuns are the chains the golden files pin: one started under each
// rule set, with the default parameters of the release that brought it.
var goldenRuns = []struct {
	name, file string
	genesis    func(c *chain) *appv1.Genesis
}{
	{"first release", appHashGolden, firstReleaseGenesis},
	{"bound names", "testdata/apphash-rules1.golden", boundNamesGenesis},
	{"impact index", "testdata/apphash-rules2.golden", impactIndexGenesis},
	{"latest rules", "testdata/apphash-rules3.golden", governanceGenesis},
}

// impactIndexGenesis is the test genesis as the release that brought rule
// set 2 wrote it: its default parameters (no governance parameters).
func impactIndexGenesis(c *chain) *appv1.Genesis {
	g := testGenesis(c.admin, c.steward, c.beta)
	g.Params = &appv1.Params{MaxTxBytes: 64 << 10, MaxMemoBytes: 256, Rules: kit.RulesImpactIndex,
		GatePolicy: &gatepb.Policy{MaxLineageNodes: 1000, RequireNamespaceOwner: true, DenyRevokedDatasets: true}}
	return g
}

// governanceGenesis is the test genesis of a chain started today, with a
// voting period short enough for the golden history and a threshold of
// half the member organisations (gamma, admitted by the provenance
// scenario, never votes).
func governanceGenesis(c *chain) *appv1.Genesis {
	g := testGenesis(c.admin, c.steward, c.beta)
	g.Params.Gov.VotingPeriodBlocks = goldenVotingPeriod
	g.Params.Gov.Threshold = &govpb.Fraction{Numerator: 1, Denominator: 2}
	return g
}

// goldenVotingPeriod is the voting period of the golden chain of rule set
// kit.RulesGovernance.
const goldenVotingPeriod = 3

// boundNamesGenesis is the test genesis as the release that brought rule
// set 1 wrote it: its default parameters (a gate policy requiring namespace
// owners, nothing more).
func boundNamesGenesis(c *chain) *appv1.Genesis {
	g := testGenesis(c.admin, c.steward, c.beta)
	g.Params = &appv1.Params{MaxTxBytes: 64 << 10, MaxMemoBytes: 256, Rules: kit.RulesBoundNames,
		GatePolicy: &gatepb.Policy{MaxLineageNodes: 1000, RequireNamespaceOwner: true}}
	return g
}

// firstReleaseGenesis is the test genesis as the first release wrote it:
// its default parameters (rule set 0, a gate policy without
// require_namespace_owner) and no reserved namespaces.
func firstReleaseGenesis(c *chain) *appv1.Genesis {
	g := testGenesis(c.admin, c.steward, c.beta)
	g.Params = &appv1.Params{MaxTxBytes: 64 << 10, MaxMemoBytes: 256, GatePolicy: &gatepb.Policy{MaxLineageNodes: 1000}}
	for _, org := range g.Membership.Orgs {
		org.Namespaces = nil
	}
	return g
}

// goldenChain is a fresh chain in memory started with genesis.
func goldenChain(t *testing.T, genesis func(c *chain) *appv1.Genesis) *chain {
	c := newChainOn(t, mustMemStore(t), false)
	c.initChain(genesis(c))
	return c
}

// goldenHistory runs the golden sequence on c and returns, per height, the
// block's transactions and its golden line.
func goldenHistory(t *testing.T, c *chain) []finalized {
	t.Helper()
	runProvenanceScenario(t, c)

	// Models: deployments, a supersession, a revocation, and handler
	// failures (a duplicate, a revoked base, deploying a revoked version).
	admin := c.admin
	reg := func(name, version, base string) []byte {
		d := contentDigest(name + "@" + version)
		sig, err := admin.key.Sign(models.ManifestSignBytes(d))
		if err != nil {
			t.Fatal(err)
		}
		return c.tx(admin, &modelspb.MsgRegisterModel{Model: &modelspb.ModelSpec{Name: name, Version: version,
			ManifestDigest: d, Format: "gguf", BaseModel: base, LicenseIds: []string{"cc-by-4.0"}}, PublisherSignature: sig})
	}
	c.mustBlock(reg("acme/summariser", "1.0", ""), reg("acme/summariser", "1.1", "acme/summariser@1.0"))
	c.mustBlock(
		c.tx(admin, &modelspb.MsgRecordDeployment{Name: "acme/summariser", Version: "1.0", Environment: "azure/prod-eu", Note: "canary"}),
		c.tx(admin, &modelspb.MsgSupersedeModel{Name: "acme/summariser", Version: "1.0", SupersededBy: "acme/summariser@1.1"}),
	)
	c.block(
		reg("acme/summariser", "1.0", ""),
		c.tx(admin, &modelspb.MsgRevokeModel{Name: "acme/summariser", Version: "1.1", ReasonCode: modelspb.RevocationReason_REVOCATION_REASON_SECURITY, Reason: "poisoned shard"}),
		c.tx(admin, &modelspb.MsgRecordDeployment{Name: "acme/summariser", Version: "1.1", Environment: "azure/prod-eu"}),
		reg("acme/summariser", "2.0", "acme/summariser@1.1"),
	)

	// Membership: an account added, its roles changed, suspended and
	// reinstated, and a key rotated.
	newcomer := &actor{key: testKey(t, "golden-newcomer", keysv1.KeyType_KEY_TYPE_ED25519)}
	c.mustBlock(c.tx(admin, &membershippb.MsgAddAccount{PublicKey: newcomer.key.Public(),
		Roles: []membershippb.Role{membershippb.Role_ROLE_DEPLOYER}, Label: "deploy bot"}))
	c.mustBlock(c.tx(admin, &membershippb.MsgSetRoles{Address: newcomer.addr(), Roles: []membershippb.Role{membershippb.Role_ROLE_DEPLOYER, membershippb.Role_ROLE_LICENSOR}}))
	c.mustBlock(c.tx(admin, &membershippb.MsgSuspendAccount{Address: newcomer.addr(), Reason: "key on a lost laptop"}))
	c.mustBlock(c.tx(admin, &membershippb.MsgReinstateAccount{Address: newcomer.addr()}))
	rotated := testKey(t, "golden-newcomer-rotated", keysv1.KeyType_KEY_TYPE_ED25519)
	proof, err := rotated.Sign(membership.RotationSignBytes(testChainID, keys.AddressBytes(newcomer.key.Public()), newcomer.seq))
	if err != nil {
		t.Fatal(err)
	}
	c.mustBlock(c.tx(newcomer, &membershippb.MsgRotateKey{NewPublicKey: rotated.Public(), NewKeySignature: proof}))
	c.mustBlock(c.signedBy(rotated, newcomer.addr(), newcomer.seq,
		&modelspb.MsgRecordDeployment{Name: "acme/summariser", Version: "1.0", Environment: "on-prem"}))

	// Messages newer than the first two rule sets' golden files, on the
	// chains started since: a dataset revoked, and revoked again (a
	// handler failure).
	if modules.LoadParams(c.store.Committed()).Rules >= kit.RulesImpactIndex {
		revoke := func() []byte {
			return c.tx(admin, &lineagepb.MsgRevokeDataset{Digest: contentDigest("raw"),
				ReasonCode: lineagepb.DatasetRevocationReason_DATASET_REVOCATION_REASON_DATA, Reason: "holds personal data"})
		}
		c.mustBlock(revoke())
		if res, _ := c.block(revoke()); res[0].Codespace != "lineage" || res[0].Code != 15 {
			t.Fatalf("revoking twice: %s/%d %s", res[0].Codespace, res[0].Code, res[0].Log)
		}
	}
	if modules.LoadParams(c.store.Committed()).Rules >= kit.RulesGovernance {
		goldenGovernance(t, c)
	}
	return c.blocks
}

// goldenGovernance runs governance on the chains of rule set
// kit.RulesGovernance (voting period goldenVotingPeriod): a proposal that
// passes (a stricter gate policy, delta admitted) after a vote
// changed, one that fails at execution, one that expires, and a vote on
// no proposal (a handler failure).
func goldenGovernance(t *testing.T, c *chain) {
	if p := modules.LoadParams(c.store.Committed()).Gov; p.GetVotingPeriodBlocks() != goldenVotingPeriod {
		t.Fatalf("the golden history's governance needs a voting period of %d blocks (governanceGenesis), not %d", goldenVotingPeriod, p.GetVotingPeriodBlocks())
	}
	admin, beta := c.admin, c.beta
	delta := &actor{key: testKey(t, "golden-delta", keysv1.KeyType_KEY_TYPE_ED25519)}
	strict := gate.DefaultPolicy()
	strict.RequireSignature = true
	vote := func(a *actor, id uint64, opt govpb.VoteOption) []byte {
		return c.tx(a, &govpb.MsgVote{ProposalId: id, Option: opt})
	}
	yes, no := govpb.VoteOption_VOTE_OPTION_YES, govpb.VoteOption_VOTE_OPTION_NO
	c.mustBlock(c.tx(admin, &govpb.MsgSubmitProposal{Title: "Require publisher signatures; admit Delta", Messages: []*govpb.ProposalMessage{
		{Msg: &govpb.ProposalMessage_UpdateParams{UpdateParams: &govpb.MsgUpdateParams{GatePolicy: strict}}},
		{Msg: &govpb.ProposalMessage_CreateOrg{CreateOrg: &membershippb.MsgCreateOrg{OrgId: "delta", Name: "Delta AI",
			AdminPublicKey: delta.key.Public(), AdminRoles: []membershippb.Role{membershippb.Role_ROLE_ADMIN}}}},
	}}))
	res, _ := c.block(
		vote(admin, 1, yes), vote(beta, 1, no),
		c.tx(admin, &govpb.MsgSubmitProposal{Title: "Roles for an account that does not exist", Messages: []*govpb.ProposalMessage{
			{Msg: &govpb.ProposalMessage_SetAccountRoles{SetAccountRoles: &membershippb.MsgSetAccountRoles{
				Address: delta.addr(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}}}},
		}}),
		c.tx(beta, &govpb.MsgSubmitProposal{Title: "Nobody votes on this", Messages: []*govpb.ProposalMessage{
			{Msg: &govpb.ProposalMessage_SuspendOrg{SuspendOrg: &membershippb.MsgSuspendOrg{OrgId: "alpha", Reason: "test"}}},
		}}),
		vote(beta, 99, yes),
	)
	if r := res[4]; r.Codespace != "gov" || r.Code != gov.ErrProposalNotFound.Code {
		t.Fatalf("vote on no proposal: %s/%d %s", r.Codespace, r.Code, r.Log)
	}
	// Beta changes its vote; proposal 1 passes at the end of this block.
	c.mustBlock(vote(beta, 1, yes), vote(admin, 2, yes), vote(beta, 2, yes))
	// Delta, admitted, votes: proposal 2 passes and fails at execution
	// (it would leave delta without an admin); proposal 3 expires.
	c.mustBlock(vote(delta, 2, yes))
}

// goldenLine is one height of the golden file: height, app hash, and the
// SHA-256 of the block's results as CometBFT hashes them, plus their logs
// and events (which clients read).
func goldenLine(height int, blk finalized) string {
	h := sha256.New()
	for _, r := range blk.results {
		b, err := r.Marshal()
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(h, "%d:", len(b))
		h.Write(b)
	}
	return fmt.Sprintf("%d %X %x", height, blk.hash, h.Sum(nil)[:12])
}

func goldenText(blocks []finalized) string {
	var b strings.Builder
	for i, blk := range blocks {
		b.WriteString(goldenLine(i+1, blk))
		b.WriteByte('\n')
	}
	return b.String()
}

// TestAppHashGolden: the fixed history gives the recorded app hash at every
// height, on the validator path and on a full node replaying it on pebble,
// under each rule set.
func TestAppHashGolden(t *testing.T) {
	for _, run := range goldenRuns {
		t.Run(run.name, func(t *testing.T) {
			a := goldenChain(t, run.genesis)
			blocks := goldenHistory(t, a)
			got := goldenText(blocks)

			if *update {
				if err := os.WriteFile(run.file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s", run.file)
				return
			}
			want, err := os.ReadFile(run.file)
			if err != nil {
				t.Fatalf("%v (create it with -update)", err)
			}
			if got != string(want) {
				t.Fatalf("the golden history's app hashes or results changed; if consensus is meant to move, rerun with -update and say so.\n%s", cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")))
			}

			st, err := store.Open(store.Config{Backend: "pebbledb", Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			b := newChainOn(t, st, false)
			b.initChain(run.genesis(b))
			for _, blk := range blocks {
				b.fullNodeBlock(blk.txs...)
			}
			if replayed := goldenText(b.blocks); replayed != got {
				t.Fatalf("replay on pebble differs:\n%s", cmp.Diff(strings.Split(got, "\n"), strings.Split(replayed, "\n")))
			}
		})
	}
}

// TestReleaseChainContinues opens the state a released binary wrote and
// runs the rest of the golden history on it.
func TestReleaseChainContinues(t *testing.T) {
	a := goldenChain(t, firstReleaseGenesis)
	blocks := goldenHistory(t, a)
	dir := t.TempDir()
	extractFixture(t, chainFixture, dir)
	st, err := store.Open(store.Config{Backend: "pebbledb", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := newChainOn(t, st, false)
	info, err := c.app.Info(context.Background(), &abci.InfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if info.LastBlockHeight != goldenFixtureHeight || !bytes.Equal(info.LastBlockAppHash, blocks[goldenFixtureHeight-1].hash) {
		t.Fatalf("Info on the release's state: height %d hash %X; want %d %X", info.LastBlockHeight, info.LastBlockAppHash,
			goldenFixtureHeight, blocks[goldenFixtureHeight-1].hash)
	}
	c.now = genesisTime.Add(goldenFixtureHeight * time.Second) // the harness's clock: one second a block
	for i, blk := range blocks[goldenFixtureHeight:] {
		c.fullNodeBlock(blk.txs...)
		got, want := c.blocks[i], blk
		if !bytes.Equal(got.hash, want.hash) {
			t.Fatalf("height %d: app hash %X on the release's state, %X fresh", goldenFixtureHeight+i+1, got.hash, want.hash)
		}
	}
}

func extractFixture(t *testing.T, archive, dir string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.FromSlash(h.Name)
		if !filepath.IsLocal(name) {
			t.Fatalf("fixture entry %q escapes its directory", h.Name)
		}
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
