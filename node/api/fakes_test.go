package api

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lineageledger/lineaged/app/appv1"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	govpb "github.com/lineageledger/lineaged/x/gov/govv1"
	keysv1 "github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// Test values with the characters the routes must carry through: ':' in
// digests, '/' in names and licence ids, '+' in versions.
const (
	testDigest  = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	testDigest2 = "sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
	testRunID   = "4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce"
	testModel   = "acme/llm-7b"
	testLicense = "acme/cc-by-4.0"
)

var testTime = timestamppb.New(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))

// cannedAnswers is what the fake services answer, by full method name; each
// sets fields the JSON round trip must preserve.
var cannedAnswers = map[string]proto.Message{
	appv1.Query_Params_FullMethodName: &appv1.QueryParamsResponse{Params: &appv1.Params{
		MaxTxBytes: 1 << 20, MaxMemoBytes: 256,
		GatePolicy: &gatepb.Policy{RequireSignature: true, MaxLineageNodes: 1000},
	}},
	appv1.Receipts_Receipt_FullMethodName: &appv1.ReceiptResponse{Receipt: []byte(`{"format":"lineage-receipt/v1"}`)},
	membershippb.Query_Account_FullMethodName: &membershippb.QueryAccountResponse{Account: &membershippb.Account{
		Address: "lin1qxyz", OrgId: "acme", Roles: []membershippb.Role{membershippb.Role_ROLE_ADMIN, membershippb.Role_ROLE_MODEL_PUBLISHER},
		PublicKey: &keysv1.PublicKey{Type: keysv1.KeyType_KEY_TYPE_ED25519, Key: []byte{1, 2, 3}},
		Sequence:  18446744073709551615, Status: membershippb.AccountStatus_ACCOUNT_STATUS_ACTIVE, CreatedHeight: 3,
	}},
	membershippb.Query_Org_FullMethodName:  &membershippb.QueryOrgResponse{Org: &membershippb.Org{Id: "acme", Name: "Acme Corp"}, AccountsTruncated: true},
	membershippb.Query_Orgs_FullMethodName: &membershippb.QueryOrgsResponse{Orgs: []*membershippb.Org{{Id: "acme"}, {Id: "beta"}}, NextStartAfter: "beta"},
	lineagepb.Query_Dataset_FullMethodName: &lineagepb.QueryDatasetResponse{
		Dataset:      &lineagepb.Dataset{Spec: &lineagepb.DatasetSpec{Digest: testDigest, Namespace: "acme/raw", Name: "web/crawl", Version: "2024.01"}, OwnerOrg: "acme", Time: testTime},
		Attestations: []*lineagepb.Attestation{{Digest: testDigest, OrgId: "beta", Height: 9}},
	},
	lineagepb.Query_DatasetByName_FullMethodName:  &lineagepb.QueryDatasetByNameResponse{Dataset: &lineagepb.Dataset{Spec: &lineagepb.DatasetSpec{Digest: testDigest}}},
	lineagepb.Query_DatasetHistory_FullMethodName: &lineagepb.QueryDatasetHistoryResponse{Datasets: []*lineagepb.Dataset{{OwnerOrg: "acme"}}, Truncated: true},
	lineagepb.Query_Lineage_FullMethodName: &lineagepb.QueryLineageResponse{
		Nodes: []*lineagepb.LineageNode{{Digest: testDigest}, {Digest: testDigest2, Depth: 1}},
		Edges: []*lineagepb.Edge{{Parent: testDigest2, Child: testDigest, RunId: testRunID}},
	},
	lineagepb.Query_Run_FullMethodName:           &lineagepb.QueryRunResponse{Run: &lineagepb.Run{Id: testRunID, Inputs: []string{testDigest2}, Outputs: []string{testDigest}}},
	lineagepb.Query_RunsByDataset_FullMethodName: &lineagepb.QueryRunsByDatasetResponse{ProducedBy: []*lineagepb.Run{{Id: testRunID}}},
	modelspb.Query_Model_FullMethodName: &modelspb.QueryModelResponse{
		Model:      &modelspb.ModelVersion{Spec: &modelspb.ModelSpec{Name: testModel, Version: "1.0", ManifestDigest: testDigest}, PublisherOrg: "acme"},
		Revocation: &modelspb.Revocation{Name: testModel, Version: "1.0", ReasonCode: modelspb.RevocationReason_REVOCATION_REASON_SECURITY},
	},
	modelspb.Query_ModelsByDigest_FullMethodName: &modelspb.QueryModelsByDigestResponse{Models: []*modelspb.ModelVersion{{PublisherOrg: "acme"}}},
	modelspb.Query_ModelVersions_FullMethodName:  &modelspb.QueryModelVersionsResponse{Models: []*modelspb.ModelVersion{{Height: 4}, {Height: 5}}, Truncated: true},
	modelspb.Query_ModelLineage_FullMethodName: &modelspb.QueryModelLineageResponse{
		BaseModels: []string{"acme/base@1"}, Datasets: []string{testDigest},
		Edges: []*modelspb.LineageEdge{{From: "model:acme/llm-7b@1.0", To: "dataset:" + testDigest, Kind: "trained_on"}},
	},
	modelspb.Query_Deployments_FullMethodName: &modelspb.QueryDeploymentsResponse{Deployments: []*modelspb.Deployment{{Id: 7, Name: testModel, Environment: "azure/eastus/prod"}}},
	licensespb.Query_License_FullMethodName: &licensespb.QueryLicenseResponse{
		License: &licensespb.License{Spec: &licensespb.LicenseSpec{Id: testLicense, SpdxId: "CC-BY-4.0", Usage: &licensespb.Usage{CommercialUse: true}}},
		Expired: true,
	},
	licensespb.Query_Licenses_FullMethodName: &licensespb.QueryLicensesResponse{Licenses: []*licensespb.License{{LicensorOrg: "acme"}}, NextStartAfter: testLicense},
	licensespb.Query_Grant_FullMethodName: &licensespb.QueryGrantResponse{
		Grant:  &licensespb.Grant{Id: "grant-7", Subject: &licensespb.Subject{Kind: &licensespb.Subject_Dataset{Dataset: testDigest}}},
		Active: true,
	},
	licensespb.Query_Grants_FullMethodName: &licensespb.QueryGrantsResponse{Grants: []*licensespb.QueryGrantResponse{{Active: true}}},
	licensespb.Query_EffectiveLicense_FullMethodName: &licensespb.QueryEffectiveLicenseResponse{
		Usage: &licensespb.Usage{AiTraining: true},
		Restrictions: []*licensespb.Restriction{{Use: "commercial_use", Causes: []*licensespb.Cause{{
			Subject: &licensespb.Subject{Kind: &licensespb.Subject_Model{Model: testModel + "@1.0"}}, Kind: licensespb.CauseKind_CAUSE_KIND_FORBIDDEN,
		}}}},
	},
	gatepb.Query_Check_FullMethodName: &gatepb.CheckResponse{
		Verdict:  gatepb.Verdict_VERDICT_DENY,
		Findings: []*gatepb.Finding{{Reason: gatepb.Reason_REASON_NO_GRANT_FOR_ORG, Use: gatepb.Use_USE_COMMERCIAL}},
		Height:   42, Time: testTime,
	},
	gatepb.Query_Policy_FullMethodName:   &gatepb.QueryPolicyResponse{Policy: &gatepb.Policy{DenySuperseded: true, AllowedPublisherOrgs: []string{"acme"}}},
	govpb.Query_Proposal_FullMethodName:  &govpb.QueryProposalResponse{Proposal: &govpb.Proposal{Id: 7, Title: "t", Status: govpb.ProposalStatus_PROPOSAL_STATUS_VOTING}},
	govpb.Query_Proposals_FullMethodName: &govpb.QueryProposalsResponse{Proposals: []*govpb.Proposal{{Id: 7}}, NextStartAfter: 7},
	govpb.Query_Votes_FullMethodName:     &govpb.QueryVotesResponse{Votes: []*govpb.Vote{{ProposalId: 7, OrgId: "acme", Option: govpb.VoteOption_VOTE_OPTION_YES}}},
	govpb.Query_Tally_FullMethodName:     &govpb.QueryTallyResponse{Tally: &govpb.Tally{Yes: 1, MemberOrgs: 2}, Status: govpb.ProposalStatus_PROPOSAL_STATUS_VOTING},
}

// fakeQueries implements every query service (their method names are
// distinct) with cannedAnswers, or the error set for a method.
type fakeQueries struct {
	mu   sync.Mutex
	errs map[string]error
}

func (f *fakeQueries) failWith(method string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.errs == nil {
		f.errs = map[string]error{}
	}
	f.errs[method] = err
}

func answer[T proto.Message](f *fakeQueries, method string) (T, error) {
	f.mu.Lock()
	err := f.errs[method]
	f.mu.Unlock()
	if err != nil {
		var zero T
		return zero, err
	}
	return proto.Clone(cannedAnswers[method]).(T), nil
}

func (f *fakeQueries) Params(context.Context, *appv1.QueryParamsRequest) (*appv1.QueryParamsResponse, error) {
	return answer[*appv1.QueryParamsResponse](f, appv1.Query_Params_FullMethodName)
}

func (f *fakeQueries) Receipt(context.Context, *appv1.ReceiptRequest) (*appv1.ReceiptResponse, error) {
	return answer[*appv1.ReceiptResponse](f, appv1.Receipts_Receipt_FullMethodName)
}

func (f *fakeQueries) Account(context.Context, *membershippb.QueryAccountRequest) (*membershippb.QueryAccountResponse, error) {
	return answer[*membershippb.QueryAccountResponse](f, membershippb.Query_Account_FullMethodName)
}

func (f *fakeQueries) Org(context.Context, *membershippb.QueryOrgRequest) (*membershippb.QueryOrgResponse, error) {
	return answer[*membershippb.QueryOrgResponse](f, membershippb.Query_Org_FullMethodName)
}

func (f *fakeQueries) Orgs(context.Context, *membershippb.QueryOrgsRequest) (*membershippb.QueryOrgsResponse, error) {
	return answer[*membershippb.QueryOrgsResponse](f, membershippb.Query_Orgs_FullMethodName)
}

func (f *fakeQueries) Proposal(context.Context, *govpb.QueryProposalRequest) (*govpb.QueryProposalResponse, error) {
	return answer[*govpb.QueryProposalResponse](f, govpb.Query_Proposal_FullMethodName)
}

func (f *fakeQueries) Proposals(context.Context, *govpb.QueryProposalsRequest) (*govpb.QueryProposalsResponse, error) {
	return answer[*govpb.QueryProposalsResponse](f, govpb.Query_Proposals_FullMethodName)
}

func (f *fakeQueries) Votes(context.Context, *govpb.QueryVotesRequest) (*govpb.QueryVotesResponse, error) {
	return answer[*govpb.QueryVotesResponse](f, govpb.Query_Votes_FullMethodName)
}

func (f *fakeQueries) Tally(context.Context, *govpb.QueryTallyRequest) (*govpb.QueryTallyResponse, error) {
	return answer[*govpb.QueryTallyResponse](f, govpb.Query_Tally_FullMethodName)
}

func (f *fakeQueries) Dataset(context.Context, *lineagepb.QueryDatasetRequest) (*lineagepb.QueryDatasetResponse, error) {
	return answer[*lineagepb.QueryDatasetResponse](f, lineagepb.Query_Dataset_FullMethodName)
}

func (f *fakeQueries) DatasetByName(context.Context, *lineagepb.QueryDatasetByNameRequest) (*lineagepb.QueryDatasetByNameResponse, error) {
	return answer[*lineagepb.QueryDatasetByNameResponse](f, lineagepb.Query_DatasetByName_FullMethodName)
}

func (f *fakeQueries) DatasetHistory(context.Context, *lineagepb.QueryDatasetHistoryRequest) (*lineagepb.QueryDatasetHistoryResponse, error) {
	return answer[*lineagepb.QueryDatasetHistoryResponse](f, lineagepb.Query_DatasetHistory_FullMethodName)
}

func (f *fakeQueries) Lineage(context.Context, *lineagepb.QueryLineageRequest) (*lineagepb.QueryLineageResponse, error) {
	return answer[*lineagepb.QueryLineageResponse](f, lineagepb.Query_Lineage_FullMethodName)
}

func (f *fakeQueries) Run(context.Context, *lineagepb.QueryRunRequest) (*lineagepb.QueryRunResponse, error) {
	return answer[*lineagepb.QueryRunResponse](f, lineagepb.Query_Run_FullMethodName)
}

func (f *fakeQueries) RunsByDataset(context.Context, *lineagepb.QueryRunsByDatasetRequest) (*lineagepb.QueryRunsByDatasetResponse, error) {
	return answer[*lineagepb.QueryRunsByDatasetResponse](f, lineagepb.Query_RunsByDataset_FullMethodName)
}

func (f *fakeQueries) Model(context.Context, *modelspb.QueryModelRequest) (*modelspb.QueryModelResponse, error) {
	return answer[*modelspb.QueryModelResponse](f, modelspb.Query_Model_FullMethodName)
}

func (f *fakeQueries) ModelsByDigest(context.Context, *modelspb.QueryModelsByDigestRequest) (*modelspb.QueryModelsByDigestResponse, error) {
	return answer[*modelspb.QueryModelsByDigestResponse](f, modelspb.Query_ModelsByDigest_FullMethodName)
}

func (f *fakeQueries) ModelVersions(context.Context, *modelspb.QueryModelVersionsRequest) (*modelspb.QueryModelVersionsResponse, error) {
	return answer[*modelspb.QueryModelVersionsResponse](f, modelspb.Query_ModelVersions_FullMethodName)
}

func (f *fakeQueries) ModelLineage(context.Context, *modelspb.QueryModelLineageRequest) (*modelspb.QueryModelLineageResponse, error) {
	return answer[*modelspb.QueryModelLineageResponse](f, modelspb.Query_ModelLineage_FullMethodName)
}

func (f *fakeQueries) Deployments(context.Context, *modelspb.QueryDeploymentsRequest) (*modelspb.QueryDeploymentsResponse, error) {
	return answer[*modelspb.QueryDeploymentsResponse](f, modelspb.Query_Deployments_FullMethodName)
}

func (f *fakeQueries) License(context.Context, *licensespb.QueryLicenseRequest) (*licensespb.QueryLicenseResponse, error) {
	return answer[*licensespb.QueryLicenseResponse](f, licensespb.Query_License_FullMethodName)
}

func (f *fakeQueries) Licenses(context.Context, *licensespb.QueryLicensesRequest) (*licensespb.QueryLicensesResponse, error) {
	return answer[*licensespb.QueryLicensesResponse](f, licensespb.Query_Licenses_FullMethodName)
}

func (f *fakeQueries) Grant(context.Context, *licensespb.QueryGrantRequest) (*licensespb.QueryGrantResponse, error) {
	return answer[*licensespb.QueryGrantResponse](f, licensespb.Query_Grant_FullMethodName)
}

func (f *fakeQueries) Grants(context.Context, *licensespb.QueryGrantsRequest) (*licensespb.QueryGrantsResponse, error) {
	return answer[*licensespb.QueryGrantsResponse](f, licensespb.Query_Grants_FullMethodName)
}

func (f *fakeQueries) EffectiveLicense(context.Context, *licensespb.QueryEffectiveLicenseRequest) (*licensespb.QueryEffectiveLicenseResponse, error) {
	return answer[*licensespb.QueryEffectiveLicenseResponse](f, licensespb.Query_EffectiveLicense_FullMethodName)
}

func (f *fakeQueries) Check(context.Context, *gatepb.CheckRequest) (*gatepb.CheckResponse, error) {
	return answer[*gatepb.CheckResponse](f, gatepb.Query_Check_FullMethodName)
}

func (f *fakeQueries) Policy(context.Context, *gatepb.QueryPolicyRequest) (*gatepb.QueryPolicyResponse, error) {
	return answer[*gatepb.QueryPolicyResponse](f, gatepb.Query_Policy_FullMethodName)
}

// allServices are the service descriptions the REST API must cover.
var allServices = []*grpc.ServiceDesc{
	&appv1.Query_ServiceDesc,
	&appv1.Receipts_ServiceDesc,
	&membershippb.Query_ServiceDesc,
	&lineagepb.Query_ServiceDesc,
	&modelspb.Query_ServiceDesc,
	&licensespb.Query_ServiceDesc,
	&gatepb.Query_ServiceDesc,
}

// served is one call the fake gRPC server received.
type served struct {
	method string
	req    proto.Message
	md     metadata.MD
}

// recorder notes every call the fake gRPC server receives.
type recorder struct {
	mu    sync.Mutex
	calls []served
}

func (r *recorder) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	r.mu.Lock()
	r.calls = append(r.calls, served{method: info.FullMethod, req: proto.Clone(req.(proto.Message)), md: md.Copy()})
	r.mu.Unlock()
	return h(ctx, req)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func (r *recorder) last(t *testing.T) served {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) == 0 {
		t.Fatal("the gRPC services received no call")
	}
	return r.calls[len(r.calls)-1]
}

// proofRequest is one call of the fake ReceiptFunc.
type proofRequest struct {
	method string
	req    proto.Message
	height int64
}

// fakeReceipts is a ReceiptFunc that records its calls and answers with a
// document naming the method and height, or with err.
type fakeReceipts struct {
	mu     sync.Mutex
	calls  []proofRequest
	err    error
	answer error
}

func (f *fakeReceipts) receipt(_ context.Context, method string, req proto.Message, height int64) ([]byte, error, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, proofRequest{method: method, req: proto.Clone(req), height: height})
	if f.err != nil {
		return nil, nil, f.err
	}
	return receiptFor(method, height), f.answer, nil
}

func receiptFor(method string, height int64) []byte {
	return []byte(`{"format":"lineage-receipt/v1","path":"` + method + `","height":` + strconv.FormatInt(height, 10) + `}`)
}

func (f *fakeReceipts) failWith(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

// proveError makes the receipts prove that the query failed with err.
func (f *fakeReceipts) proveError(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = err
}

func (f *fakeReceipts) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

func (f *fakeReceipts) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeReceipts) only(t *testing.T) proofRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) != 1 {
		t.Fatalf("ReceiptFunc called %d times, want once", len(f.calls))
	}
	return f.calls[0]
}

// harness is a started REST server over a real in-memory gRPC server
// that serves the fakes.
type harness struct {
	fake     *fakeQueries
	rec      *recorder
	receipts *fakeReceipts
	srv      *Server
	base     string
	client   *http.Client
}

type harnessOption func(*harnessConfig)

type harnessConfig struct {
	cfg        Config
	noReceipts bool
}

func withConfig(c Config) harnessOption { return func(h *harnessConfig) { h.cfg = c } }

func withoutReceipts() harnessOption { return func(h *harnessConfig) { h.noReceipts = true } }

// dialFakes serves the fakes on an in-memory listener and returns a client
// connection to them.
func dialFakes(t *testing.T, fake *fakeQueries, rec *recorder) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer(grpc.UnaryInterceptor(rec.intercept))
	appv1.RegisterQueryServer(gs, fake)
	appv1.RegisterReceiptsServer(gs, fake)
	membershippb.RegisterQueryServer(gs, fake)
	lineagepb.RegisterQueryServer(gs, fake)
	modelspb.RegisterQueryServer(gs, fake)
	licensespb.RegisterQueryServer(gs, fake)
	gatepb.RegisterQueryServer(gs, fake)
	govpb.RegisterQueryServer(gs, fake)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient("passthrough:///fakes",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	hc := harnessConfig{cfg: Config{Address: "127.0.0.1:0", RateLimit: 10000}}
	for _, o := range opts {
		o(&hc)
	}
	h := &harness{fake: &fakeQueries{}, rec: &recorder{}, receipts: &fakeReceipts{}, client: &http.Client{Timeout: 10 * time.Second}}
	conn := dialFakes(t, h.fake, h.rec)
	var rf ReceiptFunc
	if !hc.noReceipts {
		rf = h.receipts.receipt
	}
	srv, err := NewServer(hc.cfg, conn, rf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	h.srv = srv
	scheme := "http"
	if hc.cfg.TLSCertFile != "" {
		scheme = "https"
	}
	h.base = scheme + "://" + srv.Addr()
	return h
}

// do sends a request and returns the response with its body read.
func (h *harness) do(t *testing.T, method, path, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}
