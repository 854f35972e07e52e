package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/txv1"
	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	"github.com/lineageledger/lineaged/x/lineage"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	"github.com/lineageledger/lineaged/x/models"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// benchAccount is a signing account the benchmark holds the key of.
type benchAccount struct {
	key  *keys.PrivateKey
	addr string
	org  string
}

// newAccount derives an Ed25519 key from a seed, so runs are reproducible.
func newAccount(seed, org string) *benchAccount {
	sum := sha256.Sum256([]byte("lineaged bench account " + seed))
	k, err := keys.PrivateKeyFromBytes(keysv1.KeyType_KEY_TYPE_ED25519, sum[:])
	if err != nil {
		panic(err) // any 32 bytes are an Ed25519 seed
	}
	return &benchAccount{key: k, addr: keys.Address(k.Public()), org: org}
}

// signTx signs a transaction carrying msg at sequence seq.
func (a *benchAccount) signTx(chainID string, seq uint64, memo string, msg proto.Message) []byte {
	body := &txv1.TxBody{ChainId: chainID, Signer: a.addr, Sequence: seq, Memo: memo}
	if err := app.SetMsg(body, msg); err != nil {
		panic(err) // only load messages are passed
	}
	raw, err := app.EncodeTx(body, a.key.Sign)
	if err != nil {
		panic(err) // in-memory keys do not fail
	}
	return raw
}

// digestOf is a content digest standing for the bytes parts name.
func digestOf(parts ...any) string {
	sum := sha256.Sum256([]byte(fmt.Sprint(parts...)))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// loadRoles are what a load account needs: datasets and runs, model
// versions, licences and grants.
var loadRoles = []membershippb.Role{membershippb.Role_ROLE_DATA_STEWARD, membershippb.Role_ROLE_MODEL_PUBLISHER, membershippb.Role_ROLE_LICENSOR}

// provenanceLoad is the realistic provenance load: each lane is an account
// of a validator's organisation that, in a cycle of four transactions,
// registers a raw dataset, records the run that cleans it into a new
// dataset, registers a model version trained on the cleaned set (with a
// publisher signature over its manifest), and grants another organisation
// rights on that model under the account's own licence. Every transaction
// refers only to records of its own lane made earlier, so lanes never wait
// for each other.
type provenanceLoad struct {
	chainID string
	accts   []*benchAccount
	// licensee is the organisation each lane grants to.
	licensee []string
}

// Message kinds of the cycle, by k % 4.
const (
	kindDataset = iota
	kindRun
	kindModel
	kindGrant
	kinds
)

var kindNames = [kinds]string{"dataset registration", "transformation run", "model version", "licence grant"}

func newProvenanceLoad(chainID string, orgs []string, lanes int) *provenanceLoad {
	p := &provenanceLoad{chainID: chainID}
	for i := 0; i < lanes; i++ {
		org := orgs[i%len(orgs)]
		p.accts = append(p.accts, newAccount(fmt.Sprintf("%s lane %d", chainID, i), org))
		p.licensee = append(p.licensee, orgs[(i+1)%len(orgs)])
	}
	return p
}

func (p *provenanceLoad) lanes() int { return len(p.accts) }

func lanePrefix(i int) string { return fmt.Sprintf("a%02d", i) }

// licence is the licence a lane defines in setup and offers its records
// under: everything permitted, with attribution, through a grant.
func (p *provenanceLoad) licence(i int) string { return p.accts[i].org + "/bench-" + lanePrefix(i) }

// setupTx defines lane i's licence: its sequence 0.
func (p *provenanceLoad) setupTx(i int) []byte {
	return p.accts[i].signTx(p.chainID, 0, "", &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{
		Id: p.licence(i), SpdxId: "CC-BY-4.0",
		Usage:         &licensespb.Usage{CommercialUse: true, Derivatives: true, Redistribution: true, AiTraining: true, AttributionRequired: true},
		GrantRequired: true,
	}})
}

// addAccountTx is an organisation admin's transaction adding a load
// account to its organisation.
func addAccountTx(chainID string, admin keyring.Signer, seq uint64, a *benchAccount, label string) ([]byte, error) {
	body := &txv1.TxBody{ChainId: chainID, Signer: admin.Address(), Sequence: seq}
	if err := app.SetMsg(body, &membershippb.MsgAddAccount{PublicKey: a.key.Public(), Roles: loadRoles, Label: label}); err != nil {
		return nil, err
	}
	return app.EncodeTx(body, admin.Sign)
}

func (p *provenanceLoad) rawDigest(i, k int) string { return digestOf(p.chainID, " raw ", i, " ", k) }
func (p *provenanceLoad) cleanDigest(i, k int) string {
	return digestOf(p.chainID, " clean ", i, " ", k)
}

func (p *provenanceLoad) modelRef(i, k int) (name, version string) {
	return p.accts[i].org + "/" + lanePrefix(i) + "-assistant", fmt.Sprintf("1.%d", k/kinds)
}

// run is the run message of lane i at k (k % 4 == kindRun).
func (p *provenanceLoad) run(i, k int) *lineagepb.MsgRecordRun {
	a := p.accts[i]
	return &lineagepb.MsgRecordRun{
		CodeDigest:        digestOf("code ", i, " ", k/64),
		ParametersDigest:  digestOf("params ", i, " ", k),
		EnvironmentDigest: digestOf("env ", i),
		Inputs:            []string{p.rawDigest(i, k-1)},
		NewOutputs: []*lineagepb.DatasetSpec{{
			Digest: p.cleanDigest(i, k), Namespace: a.org + "/corpora", Name: fmt.Sprintf("%s-clean-%06d", lanePrefix(i), k),
			Version: "2026.11", SizeBytes: 700_000_000 + uint64(k), MediaType: "application/x-parquet",
			Uri: fmt.Sprintf("s3://%s-lake/clean/%s/part-%06d.parquet", a.org, lanePrefix(i), k), LicenseIds: []string{p.licence(i)},
		}},
		Executor: fmt.Sprintf("spark/clean job-%s-%06d", lanePrefix(i), k),
	}
}

// make signs lane i's k-th load transaction (sequence k+1: the licence
// definition took 0).
func (p *provenanceLoad) make(i, k int) []byte {
	a := p.accts[i]
	var msg proto.Message
	memo := ""
	switch k % kinds {
	case kindDataset:
		msg = &lineagepb.MsgRegisterDataset{Dataset: &lineagepb.DatasetSpec{
			Digest: p.rawDigest(i, k), Namespace: a.org + "/corpora", Name: fmt.Sprintf("%s-crawl-%06d", lanePrefix(i), k),
			Version: "2026.11", SizeBytes: 1_000_000_000 + uint64(k), MediaType: "application/x-parquet",
			SchemaDigest: digestOf("schema ", i),
			Uri:          fmt.Sprintf("s3://%s-lake/raw/%s/part-%06d.parquet", a.org, lanePrefix(i), k), LicenseIds: []string{p.licence(i)},
		}}
	case kindRun:
		msg = p.run(i, k)
	case kindModel:
		run := p.run(i, k-1)
		runID := lineage.RunID(a.org, run.CodeDigest, run.ParametersDigest, run.EnvironmentDigest, run.Inputs, []string{run.NewOutputs[0].Digest}, run.Executor)
		name, version := p.modelRef(i, k)
		manifest := digestOf("manifest ", i, " ", k)
		sig, err := a.key.Sign(models.ManifestSignBytes(manifest))
		if err != nil {
			panic(err)
		}
		msg = &modelspb.MsgRegisterModel{Model: &modelspb.ModelSpec{
			Name: name, Version: version, ManifestDigest: manifest, FileManifestDigest: digestOf("files ", i, " ", k),
			Format: "safetensors", TrainingDatasets: []string{p.cleanDigest(i, k-1)}, TrainingRun: runID,
			EvaluationReportDigest: digestOf("eval ", i, " ", k), LicenseIds: []string{p.licence(i)},
		}, PublisherSignature: sig}
	case kindGrant:
		name, version := p.modelRef(i, k-1)
		msg = &licensespb.MsgGrantLicense{
			LicenseId: p.licence(i), LicenseeOrg: p.licensee[i], Subject: &licensespb.Subject{Kind: &licensespb.Subject_Model{Model: models.Ref(name, version)}},
			Usage: &licensespb.Usage{CommercialUse: true, Derivatives: true, AiTraining: true},
		}
		memo = fmt.Sprintf("grant approved by legal, ticket LEGAL-2026-%s%06d; contract MSA-%s-2026-017; EU and US production deployments only", strings.ToUpper(lanePrefix(i)), k, p.licensee[i])
	}
	return a.signTx(p.chainID, uint64(k)+1, memo, msg)
}

// sizes are the encoded sizes of one cycle of lane 0, late in a run (so
// that counters have as many digits as they will).
func (p *provenanceLoad) sizes() [kinds]int {
	var out [kinds]int
	for k := 4000; k < 4000+kinds; k++ {
		out[k%kinds] = len(p.make(0, k))
	}
	return out
}

// kvLoad is the baseline's load: unique "key=value" transactions for
// CometBFT's kvstore, each of the size of the provenance transaction of the
// same lane and position.
type kvLoad struct {
	tag   string
	n     int
	sizes [kinds]int
}

func (k *kvLoad) lanes() int { return k.n }

func (k *kvLoad) make(lane, i int) []byte {
	key := fmt.Sprintf("%s-%02d-%07d", k.tag, lane, i)
	size := k.sizes[i%kinds]
	sum := sha256.Sum256([]byte(key))
	fill := hex.EncodeToString(sum[:])
	var b strings.Builder
	b.Grow(size)
	b.WriteString(key)
	b.WriteByte('=')
	for b.Len() < size {
		b.WriteString(fill[:min(len(fill), size-b.Len())])
	}
	return []byte(b.String())
}
