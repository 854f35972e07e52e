package api

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/lineageledger/lineaged/app/appv1"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// withParams adds query parameters to a path that may have some already.
func withParams(path, params string) string {
	if strings.Contains(path, "?") {
		return path + "&" + params
	}
	return path + "?" + params
}

// TestProveEveryRoute asks every query route for a receipt: the server must
// answer with the ReceiptFunc's bytes, for the route's method and the
// request the plain query would have sent, and not run the query.
func TestProveEveryRoute(t *testing.T) {
	for _, tc := range routeCases {
		if tc.grpcMethod == appv1.Receipts_Receipt_FullMethodName {
			continue // refused; see TestProveRefused
		}
		t.Run(tc.route, func(t *testing.T) {
			h := newHarness(t)
			resp, body := h.do(t, tc.method, withParams(tc.path, "prove=true&height=7"), tc.body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d; body %s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if want := receiptFor(tc.grpcMethod, 7); string(body) != string(want) {
				t.Errorf("body %s, want the receipt %s", body, want)
			}
			got := h.receipts.only(t)
			if got.method != tc.grpcMethod || got.height != 7 {
				t.Errorf("ReceiptFunc(%s, height %d), want (%s, 7)", got.method, got.height, tc.grpcMethod)
			}
			if !proto.Equal(got.req, tc.wantReq) {
				t.Errorf("ReceiptFunc request\n%v\nwant\n%v", got.req, tc.wantReq)
			}
			if n := h.rec.count(); n != 0 {
				t.Errorf("the query ran too (%d gRPC calls)", n)
			}
		})
	}
}

func TestProveForms(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		query      string
		wantProof  bool
		wantHeight int64
	}{
		{"prove", true, 0},
		{"prove=1", true, 0},
		{"prove=TRUE&height=0", true, 0},
		{"prove=true&height=18", true, 18},
		{"prove=false", false, 0},
		{"prove=0&height=3", false, 3},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			h.receipts.reset()
			before := h.rec.count()
			resp, body := h.do(t, "GET", "/v1/membership/orgs?limit=3&"+tc.query, "")
			if tc.wantProof {
				if resp.StatusCode != 200 || string(body) != string(receiptFor(membershippb.Query_Orgs_FullMethodName, tc.wantHeight)) {
					t.Fatalf("status %d, body %s; want the receipt", resp.StatusCode, body)
				}
				if got := h.receipts.only(t); !proto.Equal(got.req, &membershippb.QueryOrgsRequest{Limit: 3}) {
					t.Errorf("request %v", got.req)
				}
				return
			}
			checkAnswer(t, resp, body, membershippb.Query_Orgs_FullMethodName)
			if h.rec.count() != before+1 {
				t.Fatal("the query did not run")
			}
			checkServed(t, h, membershippb.Query_Orgs_FullMethodName, &membershippb.QueryOrgsRequest{Limit: 3})
			if h.receipts.count() != 0 {
				t.Error("ReceiptFunc called without prove")
			}
		})
	}
}

func TestProveErrors(t *testing.T) {
	t.Run("a status keeps its code", func(t *testing.T) {
		h := newHarness(t)
		h.receipts.failWith(status.Error(codes.Unavailable, "state not yet provable: wait for the next block"))
		resp, body := h.do(t, "GET", "/v1/params?prove=true", "")
		e := decodeError(t, resp, body, http.StatusServiceUnavailable, codes.Unavailable)
		if e.Message != "state not yet provable: wait for the next block" {
			t.Errorf("message %q", e.Message)
		}
	})
	t.Run("a receipt of a missing record is 404, with the receipt", func(t *testing.T) {
		h := newHarness(t)
		h.receipts.proveError(status.Error(codes.NotFound, "models/16: not found: alpha/ghost@9"))
		resp, body := h.do(t, "GET", "/v1/models/alpha/ghost/versions/9?prove=true", "")
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d, want 404; body %s", resp.StatusCode, body)
		}
		if want := receiptFor(modelspb.Query_Model_FullMethodName, 0); string(body) != string(want) {
			t.Errorf("body %s, want the receipt %s", body, want)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
	})
	t.Run("a receipt of a refused request keeps its 400", func(t *testing.T) {
		h := newHarness(t)
		h.receipts.proveError(status.Error(codes.InvalidArgument, "lineage/2: invalid digest"))
		resp, body := h.do(t, "GET", "/v1/datasets/sha256:00?prove=true", "")
		if resp.StatusCode != http.StatusBadRequest || string(body) != string(receiptFor(lineagepb.Query_Dataset_FullMethodName, 0)) {
			t.Fatalf("status %d, body %s; want 400 with the receipt", resp.StatusCode, body)
		}
	})
	t.Run("too large is 413", func(t *testing.T) {
		h := newHarness(t)
		msg := "tx/21: answer too large to prove: ask for less (a smaller max_nodes ...)"
		h.receipts.failWith(status.Error(codes.ResourceExhausted, msg))
		resp, body := h.do(t, "GET", "/v1/datasets/sha256:00/lineage?prove=true", "")
		e := decodeError(t, resp, body, http.StatusRequestEntityTooLarge, codes.ResourceExhausted)
		if e.Message != msg {
			t.Errorf("message %q", e.Message)
		}
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			t.Errorf("Retry-After %q on an answer retrying will not shrink", ra)
		}
	})
	t.Run("busy is 503 with Retry-After", func(t *testing.T) {
		h := newHarness(t)
		st, err := status.New(codes.Unavailable, "tx/22: too many proven queries at once").
			WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(1500 * time.Millisecond)})
		if err != nil {
			t.Fatal(err)
		}
		h.receipts.failWith(st.Err())
		resp, body := h.do(t, "GET", "/v1/params?prove=true", "")
		decodeError(t, resp, body, http.StatusServiceUnavailable, codes.Unavailable)
		if ra := resp.Header.Get("Retry-After"); ra != "2" {
			t.Errorf("Retry-After %q, want 2 (1.5 s rounded up)", ra)
		}
	})
	t.Run("another error is internal, with its message", func(t *testing.T) {
		h := newHarness(t)
		h.receipts.failWith(errors.New("boom"))
		resp, body := h.do(t, "GET", "/v1/params?prove=true", "")
		e := decodeError(t, resp, body, http.StatusInternalServerError, codes.Internal)
		if e.Message != "failed to build receipt: boom" {
			t.Errorf("message %q", e.Message)
		}
	})
	t.Run("a node without receipts", func(t *testing.T) {
		h := newHarness(t, withoutReceipts())
		resp, body := h.do(t, "GET", "/v1/params?prove=true", "")
		decodeError(t, resp, body, http.StatusNotImplemented, codes.Unimplemented)
		if h.rec.count() != 0 {
			t.Error("the query ran instead")
		}
	})
}

func TestProveRefused(t *testing.T) {
	h := newHarness(t)
	receiptBody := `{"path":"/lineage.app.v1.Query/Params","request":"","height":"3"}`
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantCode                 codes.Code
		wantMessage              string
	}{
		{"prove of a receipt", "POST", "/v1/receipts?prove=true", receiptBody, 400, codes.InvalidArgument, "prove does not apply"},
		{"height of a receipt", "POST", "/v1/receipts?height=3", receiptBody, 400, codes.InvalidArgument, "height does not apply"},
		{"prove of the OpenAPI document", "GET", OpenAPIPath + "?prove=true", "", 400, codes.InvalidArgument, "prove is not available on /v1/openapi.json"},
		{"prove of an unknown route", "GET", "/v1/nothing?prove=true", "", 404, codes.NotFound, "Not Found"},
		{"prove of a bad request", "GET", "/v1/membership/orgs?limit=x&prove=true", "", 400, codes.InvalidArgument, "x"},
		{"prove not a boolean", "GET", "/v1/params?prove=maybe", "", 400, codes.InvalidArgument, `prove="maybe"`},
		{"prove twice", "GET", "/v1/params?prove=true&prove=false", "", 400, codes.InvalidArgument, "prove given 2 times"},
		{"negative height", "GET", "/v1/params?height=-1", "", 400, codes.InvalidArgument, `height="-1"`},
		{"height not a number", "GET", "/v1/params?height=latest", "", 400, codes.InvalidArgument, `height="latest"`},
		{"height twice", "GET", "/v1/params?height=1&height=2", "", 400, codes.InvalidArgument, "height given 2 times"},
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
	if h.receipts.count() != 0 || h.rec.count() != 0 {
		t.Errorf("refused requests reached ReceiptFunc (%d) or the services (%d)", h.receipts.count(), h.rec.count())
	}
}

func TestHeightBecomesMetadata(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name    string
		path    string
		headers []string
		want    []string
	}{
		{"absent", "/v1/params", nil, nil},
		{"zero means latest", "/v1/params?height=0", nil, nil},
		{"set", "/v1/params?height=12", nil, []string{"12"}},
		{"with the route's own parameters", "/v1/membership/orgs?limit=2&height=3&start_after=a", nil, []string{"3"}},
		{"headers cannot set it", "/v1/params",
			[]string{"Grpc-Metadata-X-Lineage-Height", "99", "X-Lineage-Height", "98"}, nil},
		{"headers cannot add to it", "/v1/params?height=5",
			[]string{"Grpc-Metadata-X-Lineage-Height", "99", "X-Lineage-Height", "98"}, []string{"5"}},
		{"on a POST route", "/v1/gate/check?height=8", nil, []string{"8"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method, body := "GET", ""
			if strings.HasPrefix(tc.path, "/v1/gate/check") {
				method, body = "POST", `{"org":"beta"}`
			}
			resp, rb := h.do(t, method, tc.path, body, tc.headers...)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, rb)
			}
			got := h.rec.last(t)
			if v := got.md.Get(HeightMetadataKey); !slices.Equal(v, tc.want) {
				t.Errorf("%s = %q, want %q", HeightMetadataKey, v, tc.want)
			}
			if strings.Contains(tc.path, "limit=2") {
				if !proto.Equal(got.req, &membershippb.QueryOrgsRequest{Limit: 2, StartAfter: "a"}) {
					t.Errorf("request %v", got.req)
				}
			}
			if tc.name == "on a POST route" && !proto.Equal(got.req, &gatepb.CheckRequest{Org: "beta"}) {
				t.Errorf("request %v", got.req)
			}
		})
	}
}

func TestParseCall(t *testing.T) {
	q, err := url.ParseQuery("name=a&prove=&height=9&limit=1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseCall(q)
	if err != nil {
		t.Fatal(err)
	}
	if !c.prove || c.height != 9 {
		t.Errorf("prove %v height %d, want true 9", c.prove, c.height)
	}
	if got := q.Encode(); got != "limit=1&name=a" {
		t.Errorf("remaining query %q, want limit=1&name=a", got)
	}
}

func TestProveReceiptIsNotMixedWithTheModelAnswer(t *testing.T) {
	h := newHarness(t)
	resp, body := h.do(t, "GET", "/v1/models/acme/llm-7b/versions/1.0?prove", "")
	if resp.StatusCode != 200 || strings.Contains(string(body), "publisher_org") {
		t.Fatalf("status %d, body %s: want only the receipt", resp.StatusCode, body)
	}
	if got := h.receipts.only(t); got.method != modelspb.Query_Model_FullMethodName || got.height != 0 {
		t.Errorf("ReceiptFunc(%s, %d)", got.method, got.height)
	}
}
