package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/google/go-cmp/cmp"
	"github.com/lineageledger/lineaged/app/appv1"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	govpb "github.com/lineageledger/lineaged/x/gov/govv1"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// routeCase is one request to one route, the request message the gRPC
// service must receive for it, and (implicitly) the canned answer of
// that method as the JSON response.
type routeCase struct {
	// route is the operation as the OpenAPI document lists it.
	route      string
	method     string
	path       string
	body       string
	grpcMethod string
	wantReq    proto.Message
}

func datasetSubject(d string) *licensespb.Subject {
	return &licensespb.Subject{Kind: &licensespb.Subject_Dataset{Dataset: d}}
}

func modelSubject(m string) *licensespb.Subject {
	return &licensespb.Subject{Kind: &licensespb.Subject_Model{Model: m}}
}

// routeCases hits every route once.
var routeCases = []routeCase{
	{
		route: "GET /v1/params", method: "GET", path: "/v1/params",
		grpcMethod: appv1.Query_Params_FullMethodName, wantReq: &appv1.QueryParamsRequest{},
	},
	{
		route: "POST /v1/receipts", method: "POST", path: "/v1/receipts",
		body:       `{"path":"/lineage.models.v1.Query/Model","request":"CgNhYmM=","height":"12"}`,
		grpcMethod: appv1.Receipts_Receipt_FullMethodName,
		wantReq:    &appv1.ReceiptRequest{Path: modelspb.Query_Model_FullMethodName, Request: []byte("\n\x03abc"), Height: 12},
	},
	{
		route: "GET /v1/membership/accounts/{address}", method: "GET", path: "/v1/membership/accounts/lin1qxyz",
		grpcMethod: membershippb.Query_Account_FullMethodName, wantReq: &membershippb.QueryAccountRequest{Address: "lin1qxyz"},
	},
	{
		route: "GET /v1/membership/orgs/{org_id}", method: "GET", path: "/v1/membership/orgs/acme",
		grpcMethod: membershippb.Query_Org_FullMethodName, wantReq: &membershippb.QueryOrgRequest{OrgId: "acme"},
	},
	{
		route: "GET /v1/membership/orgs", method: "GET", path: "/v1/membership/orgs?start_after=acme&limit=5",
		grpcMethod: membershippb.Query_Orgs_FullMethodName, wantReq: &membershippb.QueryOrgsRequest{StartAfter: "acme", Limit: 5},
	},
	{
		route: "GET /v1/gov/proposals/{proposal_id}", method: "GET", path: "/v1/gov/proposals/7",
		grpcMethod: govpb.Query_Proposal_FullMethodName, wantReq: &govpb.QueryProposalRequest{ProposalId: 7},
	},
	{
		route: "GET /v1/gov/proposals", method: "GET", path: "/v1/gov/proposals?status=PROPOSAL_STATUS_VOTING&start_after=3&limit=5",
		grpcMethod: govpb.Query_Proposals_FullMethodName,
		wantReq:    &govpb.QueryProposalsRequest{Status: govpb.ProposalStatus_PROPOSAL_STATUS_VOTING, StartAfter: 3, Limit: 5},
	},
	{
		route: "GET /v1/gov/proposals/{proposal_id}/votes", method: "GET", path: "/v1/gov/proposals/7/votes?start_after=acme&limit=2",
		grpcMethod: govpb.Query_Votes_FullMethodName, wantReq: &govpb.QueryVotesRequest{ProposalId: 7, StartAfter: "acme", Limit: 2},
	},
	{
		route: "GET /v1/gov/proposals/{proposal_id}/tally", method: "GET", path: "/v1/gov/proposals/7/tally",
		grpcMethod: govpb.Query_Tally_FullMethodName, wantReq: &govpb.QueryTallyRequest{ProposalId: 7},
	},
	{
		route: "GET /v1/datasets/{digest}", method: "GET", path: "/v1/datasets/" + testDigest,
		grpcMethod: lineagepb.Query_Dataset_FullMethodName, wantReq: &lineagepb.QueryDatasetRequest{Digest: testDigest},
	},
	{
		route: "GET /v1/datasets/{digest}/lineage", method: "GET",
		path:       "/v1/datasets/" + testDigest + "/lineage?direction=upstream&max_depth=5&max_nodes=50",
		grpcMethod: lineagepb.Query_Lineage_FullMethodName,
		wantReq:    &lineagepb.QueryLineageRequest{Digest: testDigest, Direction: lineagepb.Direction_DIRECTION_UPSTREAM, MaxDepth: 5, MaxNodes: 50},
	},
	{
		route: "GET /v1/datasets/{digest}/runs", method: "GET", path: "/v1/datasets/" + testDigest + "/runs?limit=7",
		grpcMethod: lineagepb.Query_RunsByDataset_FullMethodName, wantReq: &lineagepb.QueryRunsByDatasetRequest{Digest: testDigest, Limit: 7},
	},
	{
		route: "GET /v1/impact", method: "GET", path: "/v1/impact?model=acme/llm-7b@1.0&max_depth=4&max_nodes=30",
		grpcMethod: modelspb.Query_Impact_FullMethodName, wantReq: &modelspb.QueryImpactRequest{Model: testModel + "@1.0", MaxDepth: 4, MaxNodes: 30},
	},
	{
		route: "GET /v1/datasets/{digest}/revocation", method: "GET", path: "/v1/datasets/" + testDigest + "/revocation",
		grpcMethod: lineagepb.Query_DatasetRevocation_FullMethodName, wantReq: &lineagepb.QueryDatasetRevocationRequest{Digest: testDigest},
	},
	{
		route: "GET /v1/dataset-by-name", method: "GET",
		path:       "/v1/dataset-by-name?namespace=acme/raw&name=web/crawl&version=2024.01%2Bfix",
		grpcMethod: lineagepb.Query_DatasetByName_FullMethodName,
		wantReq:    &lineagepb.QueryDatasetByNameRequest{Namespace: "acme/raw", Name: "web/crawl", Version: "2024.01+fix"},
	},
	{
		route: "GET /v1/dataset-history", method: "GET", path: "/v1/dataset-history?namespace=acme%2Fraw&name=web/crawl&limit=3",
		grpcMethod: lineagepb.Query_DatasetHistory_FullMethodName,
		wantReq:    &lineagepb.QueryDatasetHistoryRequest{Namespace: "acme/raw", Name: "web/crawl", Limit: 3},
	},
	{
		route: "GET /v1/datasets", method: "GET",
		path:       "/v1/datasets?namespace=acme/raw&prefix=web&org=acme&license_id=acme/cc-by-4.0&start_after=" + testDigest + "&limit=5&max_scan=50",
		grpcMethod: lineagepb.Query_Datasets_FullMethodName,
		wantReq: &lineagepb.QueryDatasetsRequest{
			Namespace: "acme/raw", Prefix: "web", Org: "acme", LicenseId: testLicense, StartAfter: testDigest, Limit: 5, MaxScan: 50,
		},
	},
	{
		route: "GET /v1/runs/{id}", method: "GET", path: "/v1/runs/" + testRunID,
		grpcMethod: lineagepb.Query_Run_FullMethodName, wantReq: &lineagepb.QueryRunRequest{Id: testRunID},
	},
	{
		route: "GET /v1/models/{name}/versions/{version}", method: "GET", path: "/v1/models/acme/llm-7b/versions/1.0",
		grpcMethod: modelspb.Query_Model_FullMethodName, wantReq: &modelspb.QueryModelRequest{Name: testModel, Version: "1.0"},
	},
	{
		route: "GET /v1/models/{name}/versions", method: "GET", path: "/v1/models/acme/llm-7b/versions?limit=2",
		grpcMethod: modelspb.Query_ModelVersions_FullMethodName, wantReq: &modelspb.QueryModelVersionsRequest{Name: testModel, Limit: 2},
	},
	{
		route: "GET /v1/models/{name}/versions/{version}/lineage", method: "GET",
		path:       "/v1/models/acme/llm-7b/versions/1.0/lineage?max_depth=3&max_nodes=9",
		grpcMethod: modelspb.Query_ModelLineage_FullMethodName,
		wantReq:    &modelspb.QueryModelLineageRequest{Name: testModel, Version: "1.0", MaxDepth: 3, MaxNodes: 9},
	},
	{
		route: "GET /v1/models/{name}/deployments", method: "GET", path: "/v1/models/acme/llm-7b/deployments?version=1.0&limit=2",
		grpcMethod: modelspb.Query_Deployments_FullMethodName,
		wantReq:    &modelspb.QueryDeploymentsRequest{Name: testModel, Version: "1.0", Limit: 2},
	},
	{
		route: "GET /v1/models", method: "GET",
		path:       "/v1/models?namespace=acme&prefix=llm-&org=acme&license_id=acme/cc-by-4.0&start_after=acme/llm-7b@1.0%2Bfix&limit=3&max_scan=20",
		grpcMethod: modelspb.Query_Models_FullMethodName,
		wantReq: &modelspb.QueryModelsRequest{
			Namespace: "acme", Prefix: "llm-", Org: "acme", LicenseId: testLicense, StartAfter: testModel + "@1.0+fix", Limit: 3, MaxScan: 20,
		},
	},
	{
		route: "GET /v1/models/{name}/aliases/{alias}", method: "GET", path: "/v1/models/acme/llm-7b/aliases/production",
		grpcMethod: modelspb.Query_ModelAlias_FullMethodName, wantReq: &modelspb.QueryModelAliasRequest{Name: testModel, Alias: "production"},
	},
	{
		route: "GET /v1/models/{name}/aliases", method: "GET", path: "/v1/models/acme/llm-7b/aliases?start_after=canary&limit=2",
		grpcMethod: modelspb.Query_ModelAliases_FullMethodName,
		wantReq:    &modelspb.QueryModelAliasesRequest{Name: testModel, StartAfter: "canary", Limit: 2},
	},
	{
		route: "GET /v1/models/{name}/aliases/{alias}/history", method: "GET",
		path:       "/v1/models/acme/llm-7b/aliases/production/history?start_after=4&limit=3",
		grpcMethod: modelspb.Query_ModelAliasHistory_FullMethodName,
		wantReq:    &modelspb.QueryModelAliasHistoryRequest{Name: testModel, Alias: "production", StartAfter: 4, Limit: 3},
	},
	{
		route: "GET /v1/models-by-digest/{manifest_digest}", method: "GET", path: "/v1/models-by-digest/" + testDigest + "?limit=4",
		grpcMethod: modelspb.Query_ModelsByDigest_FullMethodName,
		wantReq:    &modelspb.QueryModelsByDigestRequest{ManifestDigest: testDigest, Limit: 4},
	},
	{
		route: "GET /v1/licenses/{id}", method: "GET", path: "/v1/licenses/acme/cc-by-4.0",
		grpcMethod: licensespb.Query_License_FullMethodName, wantReq: &licensespb.QueryLicenseRequest{Id: testLicense},
	},
	{
		route: "GET /v1/licenses", method: "GET", path: "/v1/licenses?start_after=acme/a&limit=10",
		grpcMethod: licensespb.Query_Licenses_FullMethodName, wantReq: &licensespb.QueryLicensesRequest{StartAfter: "acme/a", Limit: 10},
	},
	{
		route: "GET /v1/grants/{id}", method: "GET", path: "/v1/grants/grant-7",
		grpcMethod: licensespb.Query_Grant_FullMethodName, wantReq: &licensespb.QueryGrantRequest{Id: "grant-7"},
	},
	{
		route: "GET /v1/grants", method: "GET", path: "/v1/grants?subject.dataset=" + testDigest + "&licensee_org=beta",
		grpcMethod: licensespb.Query_Grants_FullMethodName,
		wantReq:    &licensespb.QueryGrantsRequest{Subject: datasetSubject(testDigest), LicenseeOrg: "beta"},
	},
	{
		route: "GET /v1/effective-license", method: "GET", path: "/v1/effective-license?subject.model=acme/llm-7b@1.0&org=beta&max_nodes=100",
		grpcMethod: licensespb.Query_EffectiveLicense_FullMethodName,
		wantReq:    &licensespb.QueryEffectiveLicenseRequest{Subject: modelSubject("acme/llm-7b@1.0"), Org: "beta", MaxNodes: 100},
	},
	{
		route: "POST /v1/effective-license", method: "POST", path: "/v1/effective-license",
		body:       `{"subject":{"dataset":"` + testDigest + `"},"org":"beta","max_nodes":10}`,
		grpcMethod: licensespb.Query_EffectiveLicense_FullMethodName,
		wantReq:    &licensespb.QueryEffectiveLicenseRequest{Subject: datasetSubject(testDigest), Org: "beta", MaxNodes: 10},
	},
	{
		route: "POST /v1/gate/check", method: "POST", path: "/v1/gate/check",
		body: `{"model":"acme/llm-7b@1.0","digest":"` + testDigest + `","org":"beta","uses":["USE_COMMERCIAL","USE_AI_TRAINING"],` +
			`"policy":{"require_signature":true,"allowed_publisher_orgs":["acme"]}}`,
		grpcMethod: gatepb.Query_Check_FullMethodName,
		wantReq: &gatepb.CheckRequest{
			Model: "acme/llm-7b@1.0", Digest: testDigest, Org: "beta",
			Uses:   []gatepb.Use{gatepb.Use_USE_COMMERCIAL, gatepb.Use_USE_AI_TRAINING},
			Policy: &gatepb.Policy{RequireSignature: true, AllowedPublisherOrgs: []string{"acme"}},
		},
	},
	{
		route: "GET /v1/gate/check", method: "GET",
		path: "/v1/gate/check?model=acme/llm-7b@1.0&org=beta&uses=commercial&uses=AI-training&uses=3" +
			"&policy.require_signature=true&policy.allowed_publisher_orgs=acme&policy.max_lineage_nodes=50",
		grpcMethod: gatepb.Query_Check_FullMethodName,
		wantReq: &gatepb.CheckRequest{
			Model: "acme/llm-7b@1.0", Org: "beta",
			Uses:   []gatepb.Use{gatepb.Use_USE_COMMERCIAL, gatepb.Use_USE_AI_TRAINING, gatepb.Use_USE_REDISTRIBUTION},
			Policy: &gatepb.Policy{RequireSignature: true, AllowedPublisherOrgs: []string{"acme"}, MaxLineageNodes: 50},
		},
	},
	{
		route: "GET /v1/gate/policy", method: "GET", path: "/v1/gate/policy",
		grpcMethod: gatepb.Query_Policy_FullMethodName, wantReq: &gatepb.QueryPolicyRequest{},
	},
}

// checkAnswer requires a 200 JSON response equal to the canned answer of
// method.
func checkAnswer(t *testing.T, resp *http.Response, body []byte, method string) {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	want := cannedAnswers[method]
	got := want.ProtoReflect().New().Interface()
	if err := protojson.Unmarshal(body, got); err != nil {
		t.Fatalf("response is not a %T: %v\n%s", want, err, body)
	}
	if !proto.Equal(got, want) {
		t.Errorf("response\n%v\nwant\n%v", got, want)
	}
}

// checkServed requires that the last gRPC call was method with want.
func checkServed(t *testing.T, h *harness, method string, want proto.Message) served {
	t.Helper()
	got := h.rec.last(t)
	if got.method != method {
		t.Fatalf("gRPC method %s, want %s", got.method, method)
	}
	if !proto.Equal(got.req, want) {
		t.Errorf("gRPC request\n%v\nwant\n%v", got.req, want)
	}
	return got
}

func TestEveryRoute(t *testing.T) {
	h := newHarness(t)
	for _, tc := range routeCases {
		t.Run(tc.route, func(t *testing.T) {
			before := h.rec.count()
			resp, body := h.do(t, tc.method, tc.path, tc.body)
			checkAnswer(t, resp, body, tc.grpcMethod)
			if n := h.rec.count() - before; n != 1 {
				t.Fatalf("%d gRPC calls, want 1", n)
			}
			checkServed(t, h, tc.grpcMethod, tc.wantReq)
		})
	}
}

// TestPathParameters covers the characters and ambiguities of the path
// patterns beyond the one request per route above.
func TestPathParameters(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name       string
		path       string
		grpcMethod string
		wantReq    proto.Message
	}{
		{"model name with an encoded slash", "/v1/models/acme%2Fllm-7b/versions/1.0",
			modelspb.Query_Model_FullMethodName, &modelspb.QueryModelRequest{Name: testModel, Version: "1.0"}},
		{"model name of three segments, version with +", "/v1/models/org/team/llm/versions/2.0+rc1",
			modelspb.Query_Model_FullMethodName, &modelspb.QueryModelRequest{Name: "org/team/llm", Version: "2.0+rc1"}},
		{"model name without a slash", "/v1/models/llm/versions",
			modelspb.Query_ModelVersions_FullMethodName, &modelspb.QueryModelVersionsRequest{Name: "llm"}},
		{"a name segment 'versions' goes to the list route", "/v1/models/a/versions/versions",
			modelspb.Query_ModelVersions_FullMethodName, &modelspb.QueryModelVersionsRequest{Name: "a/versions"}},
		{"a version named lineage is a version", "/v1/models/a/b/versions/lineage",
			modelspb.Query_Model_FullMethodName, &modelspb.QueryModelRequest{Name: "a/b", Version: "lineage"}},
		{"deployments of a deep name", "/v1/models/a/b/c/deployments",
			modelspb.Query_Deployments_FullMethodName, &modelspb.QueryDeploymentsRequest{Name: "a/b/c"}},
		{"licence id with an encoded slash", "/v1/licenses/acme%2Fcc-by-4.0",
			licensespb.Query_License_FullMethodName, &licensespb.QueryLicenseRequest{Id: testLicense}},
		{"licence id without a slash", "/v1/licenses/mit",
			licensespb.Query_License_FullMethodName, &licensespb.QueryLicenseRequest{Id: "mit"}},
		{"digest with an encoded colon", "/v1/datasets/" + strings.Replace(testDigest, ":", "%3A", 1),
			lineagepb.Query_Dataset_FullMethodName, &lineagepb.QueryDatasetRequest{Digest: testDigest}},
		{"digest of another algorithm", "/v1/datasets/blake2b-256:" + strings.Repeat("ab", 32) + "/runs",
			lineagepb.Query_RunsByDataset_FullMethodName, &lineagepb.QueryRunsByDatasetRequest{Digest: "blake2b-256:" + strings.Repeat("ab", 32)}},
		{"direction by number", "/v1/datasets/" + testDigest + "/lineage?direction=2",
			lineagepb.Query_Lineage_FullMethodName, &lineagepb.QueryLineageRequest{Digest: testDigest, Direction: lineagepb.Direction_DIRECTION_DOWNSTREAM}},
		{"direction by full name", "/v1/datasets/" + testDigest + "/lineage?direction=DIRECTION_DOWNSTREAM",
			lineagepb.Query_Lineage_FullMethodName, &lineagepb.QueryLineageRequest{Digest: testDigest, Direction: lineagepb.Direction_DIRECTION_DOWNSTREAM}},
		{"query parameters by JSON name", "/v1/membership/orgs?startAfter=acme",
			membershippb.Query_Orgs_FullMethodName, &membershippb.QueryOrgsRequest{StartAfter: "acme"}},
		{"grants on a model", "/v1/grants?subject.model=" + url.QueryEscape("acme/llm-7b@1.0"),
			licensespb.Query_Grants_FullMethodName, &licensespb.QueryGrantsRequest{Subject: modelSubject("acme/llm-7b@1.0")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := h.do(t, "GET", tc.path, "")
			checkAnswer(t, resp, body, tc.grpcMethod)
			checkServed(t, h, tc.grpcMethod, tc.wantReq)
		})
	}
}

// apiError is the JSON error body.
type apiError struct {
	Code    codes.Code `json:"code"`
	Message string     `json:"message"`
	Details []any      `json:"details"`
}

func decodeError(t *testing.T, resp *http.Response, body []byte, wantStatus int, wantCode codes.Code) apiError {
	t.Helper()
	if resp.StatusCode != wantStatus {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, wantStatus, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, body)
	}
	if e.Code != wantCode {
		t.Errorf("code %v, want %v (%s)", e.Code, wantCode, body)
	}
	return e
}

func TestErrors(t *testing.T) {
	h := newHarness(t)
	h.fake.failWith(membershippb.Query_Account_FullMethodName, status.Error(codes.NotFound, "membership/6: account not found: lin1zzz"))
	h.fake.failWith(modelspb.Query_Model_FullMethodName, status.Error(codes.InvalidArgument, "models/2: invalid version \"\""))
	h.fake.failWith(gatepb.Query_Policy_FullMethodName, status.Error(codes.Internal, "app/1: query failed unexpectedly"))

	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantCode                 codes.Code
		wantMessage              string
	}{
		{"not found keeps the application's message", "GET", "/v1/membership/accounts/lin1zzz", "",
			404, codes.NotFound, "membership/6: account not found: lin1zzz"},
		{"invalid argument", "GET", "/v1/models/acme/llm-7b/versions/x", "",
			400, codes.InvalidArgument, `models/2: invalid version ""`},
		{"internal", "GET", "/v1/gate/policy", "",
			500, codes.Internal, "app/1: query failed unexpectedly"},
		{"number expected", "GET", "/v1/membership/orgs?limit=many", "",
			400, codes.InvalidArgument, "many"},
		{"unknown enum value", "GET", "/v1/datasets/" + testDigest + "/lineage?direction=sideways", "",
			400, codes.InvalidArgument, "sideways"},
		{"malformed body", "POST", "/v1/gate/check", `{"model":`,
			400, codes.InvalidArgument, ""},
		{"unknown body field", "POST", "/v1/gate/check", `{"modle":"x"}`,
			400, codes.InvalidArgument, "modle"},
		{"malformed query", "GET", "/v1/params?x=%zz", "",
			400, codes.InvalidArgument, "malformed query"},
		{"unknown route", "GET", "/v1/nothing-here", "",
			404, codes.NotFound, "Not Found"},
		{"CometBFT routes are not proxied", "GET", "/dial_peers?peers=x", "",
			404, codes.NotFound, ""},
		{"a deep wildcard needs a segment", "GET", "/v1/models/versions", "",
			404, codes.NotFound, ""},
		{"wrong method", "POST", "/v1/params", `{}`,
			405, codes.Unimplemented, "POST is not allowed on /v1/params"},
		{"no form fallback to GET", "DELETE", "/v1/gate/policy", "",
			405, codes.Unimplemented, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := h.do(t, tc.method, tc.path, tc.body)
			e := decodeError(t, resp, body, tc.wantStatus, tc.wantCode)
			if !strings.Contains(e.Message, tc.wantMessage) {
				t.Errorf("message %q does not contain %q", e.Message, tc.wantMessage)
			}
		})
	}
}

func TestJSONUsesProtoNamesAndEmitsZeroValues(t *testing.T) {
	h := newHarness(t)
	_, body := h.do(t, "GET", "/v1/membership/orgs", "")
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got["next_start_after"] != "beta" {
		t.Errorf("next_start_after = %v in %s", got["next_start_after"], body)
	}
	_, body = h.do(t, "GET", "/v1/membership/accounts/x", "")
	if !strings.Contains(string(body), `"key_rotated_height":"0"`) || !strings.Contains(string(body), `"sequence":"18446744073709551615"`) {
		t.Errorf("want zero values present and 64-bit integers as strings: %s", body)
	}
}

// openAPIOperations lists "METHOD /path" of every operation in the served
// document, with the full gRPC method each one calls.
func openAPIOperations(t *testing.T, doc []byte) map[string]string {
	t.Helper()
	var d struct {
		Swagger string `json:"swagger"`
		Paths   map[string]map[string]struct {
			OperationID string   `json:"operationId"`
			Tags        []string `json:"tags"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("OpenAPI document is not JSON: %v", err)
	}
	if d.Swagger != "2.0" {
		t.Errorf("swagger %q, want 2.0", d.Swagger)
	}
	ops := map[string]string{}
	for path, methods := range d.Paths {
		for m, op := range methods {
			if len(op.Tags) != 1 {
				t.Fatalf("%s %s: tags %v, want the service", m, path, op.Tags)
			}
			// operationId is Service_Method, with a number appended for
			// additional bindings.
			_, name, ok := strings.Cut(op.OperationID, "_")
			if !ok {
				t.Fatalf("%s %s: operationId %q", m, path, op.OperationID)
			}
			name = strings.TrimRight(name, "0123456789")
			ops[strings.ToUpper(m)+" "+path] = "/" + op.Tags[0] + "/" + name
		}
	}
	return ops
}

func TestOpenAPIListsEveryRoute(t *testing.T) {
	h := newHarness(t)
	resp, body := h.do(t, "GET", OpenAPIPath, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ops := openAPIOperations(t, body)

	tested := map[string]string{}
	for _, tc := range routeCases {
		tested[tc.route] = tc.grpcMethod
	}
	for op, method := range ops {
		got, ok := tested[op]
		if !ok {
			t.Errorf("OpenAPI lists %s (%s), which routeCases does not test", op, method)
		} else if got != method {
			t.Errorf("%s: OpenAPI says %s, the route calls %s", op, method, got)
		}
	}
	for op := range tested {
		if _, ok := ops[op]; !ok {
			t.Errorf("routeCases tests %s, which OpenAPI does not list", op)
		}
	}

	// Every method of every query service has a route.
	routed := map[string]bool{}
	for _, m := range ops {
		routed[m] = true
	}
	for _, sd := range allServices {
		for _, m := range sd.Methods {
			if full := "/" + sd.ServiceName + "/" + m.MethodName; !routed[full] {
				t.Errorf("%s has no REST route", full)
			}
		}
	}
	if len(ops) != len(routeCases) {
		t.Errorf("OpenAPI lists %d operations, routeCases %d", len(ops), len(routeCases))
	}
}

// TestOpenAPIDocumentIsTheGeneratedOne: the served document is the
// generated lineage.swagger.json, with only the call parameters added.
func TestOpenAPIDocumentIsTheGeneratedOne(t *testing.T) {
	h := newHarness(t)
	_, body := h.do(t, "GET", OpenAPIPath, "")
	served := stripCallParams(t, body)
	var generated any
	if err := json.Unmarshal(generatedOpenAPI, &generated); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(generated, served); diff != "" {
		t.Errorf("served document, less height and prove, differs from lineage.swagger.json:\n%s", diff)
	}
	if h.rec.count() != 0 {
		t.Error("serving the OpenAPI document called a query service")
	}
}

// stripCallParams decodes an OpenAPI document and removes the height and
// prove parameters from its operations (and an emptied parameter list).
func stripCallParams(t *testing.T, doc []byte) any {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	for _, item := range d["paths"].(map[string]any) {
		for _, op := range item.(map[string]any) {
			o := op.(map[string]any)
			params, _ := o["parameters"].([]any)
			var kept []any
			for _, p := range params {
				if name := p.(map[string]any)["name"]; name != "height" && name != "prove" {
					kept = append(kept, p)
				}
			}
			if len(kept) == 0 {
				delete(o, "parameters")
			} else {
				o["parameters"] = kept
			}
		}
	}
	return d
}

// TestOpenAPIListsCallParameters: every operation that runs a query — every
// GET, and the POST forms of the gate check and the effective licence —
// lists the height and prove query parameters; POST /v1/receipts, which
// takes neither, lists neither.
func TestOpenAPIListsCallParameters(t *testing.T) {
	h := newHarness(t)
	_, body := h.do(t, "GET", OpenAPIPath, "")
	type param struct {
		Name     string `json:"name"`
		In       string `json:"in"`
		Type     string `json:"type"`
		Required bool   `json:"required"`
	}
	var d struct {
		Paths map[string]map[string]struct {
			Tags       []string `json:"tags"`
			Parameters []param  `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatal(err)
	}
	want := map[string]param{
		"height": {Name: "height", In: "query", Type: "string"},
		"prove":  {Name: "prove", In: "query", Type: "boolean"},
	}
	gets := 0
	for path, ops := range d.Paths {
		for method, op := range ops {
			got := map[string]param{}
			for _, p := range op.Parameters {
				if _, ok := want[p.Name]; ok {
					if _, dup := got[p.Name]; dup {
						t.Errorf("%s %s lists %s twice", method, path, p.Name)
					}
					got[p.Name] = p
				}
			}
			if slices.Contains(op.Tags, appv1.Receipts_ServiceDesc.ServiceName) {
				if len(got) != 0 {
					t.Errorf("%s %s lists %v, which it does not take", method, path, got)
				}
				continue
			}
			if method == "get" {
				gets++
			}
			if !cmp.Equal(got, want) {
				t.Errorf("%s %s: call parameters %v, want %v", method, path, got, want)
			}
		}
	}
	if gets < 20 {
		t.Errorf("only %d GET operations", gets)
	}
}
