package api

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// TestUseAliases: the REST API reads a use by every name the CLI reads
// it, in a query parameter and in a request body alike.
func TestUseAliases(t *testing.T) {
	h := newHarness(t)
	const (
		commercial = gatepb.Use_USE_COMMERCIAL
		deriv      = gatepb.Use_USE_DERIVATIVES
		redist     = gatepb.Use_USE_REDISTRIBUTION
		training   = gatepb.Use_USE_AI_TRAINING
	)
	for _, tc := range []struct {
		name, method, path, body string
		want                     proto.Message
	}{
		{"query: the vocabulary", "GET", "/v1/gate/check?model=a/b@1&org=o&uses=commercial&uses=derivatives&uses=redistribution&uses=ai-training", "",
			&gatepb.CheckRequest{Model: "a/b@1", Org: "o", Uses: []gatepb.Use{commercial, deriv, redist, training}}},
		{"query: synonyms and old spellings", "GET", "/v1/gate/check?model=a/b@1&org=o&uses=fine-tune&uses=commercial_use&uses=ai_training&uses=USE_REDISTRIBUTION", "",
			&gatepb.CheckRequest{Model: "a/b@1", Org: "o", Uses: []gatepb.Use{deriv, commercial, training, redist}}},
		{"body: the vocabulary", "POST", "/v1/gate/check", `{"model":"a/b@1","org":"o","uses":["commercial","fine-tune","ai-training"]}`,
			&gatepb.CheckRequest{Model: "a/b@1", Org: "o", Uses: []gatepb.Use{commercial, deriv, training}}},
		{"body: enum names, numbers and old spellings", "POST", "/v1/gate/check", `{"model":"a/b@1","org":"o","uses":["USE_COMMERCIAL",3,"commercial_use","AI_TRAINING"]}`,
			&gatepb.CheckRequest{Model: "a/b@1", Org: "o", Uses: []gatepb.Use{commercial, redist, commercial, training}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := h.do(t, tc.method, tc.path, tc.body)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			got := h.rec.last(t)
			if !proto.Equal(got.req, tc.want) {
				t.Errorf("gRPC request\n%v\nwant\n%v", got.req, tc.want)
			}
		})
	}
	// Other enums by their short names.
	resp, body := h.do(t, "GET", "/v1/datasets/"+testDigest+"/lineage?direction=Down_Stream", "")
	if resp.StatusCode != 400 {
		t.Errorf("direction=Down_Stream: status %d", resp.StatusCode)
	}
	resp, body = h.do(t, "GET", "/v1/datasets/"+testDigest+"/lineage?direction=DownStream", "")
	if resp.StatusCode != 200 {
		t.Fatalf("direction=downstream: status %d: %s", resp.StatusCode, body)
	}
	if got := h.rec.last(t).req.(*lineagepb.QueryLineageRequest); got.Direction != lineagepb.Direction_DIRECTION_DOWNSTREAM {
		t.Errorf("direction %v", got.Direction)
	}
}

// TestUnknownEnumValuesListTheValidOnes: a value no alias reads is
// refused, naming every valid one, and nothing is asked.
func TestUnknownEnumValuesListTheValidOnes(t *testing.T) {
	h := newHarness(t)
	const uses = "want commercial, derivatives (or fine-tune), redistribution, ai-training"
	for _, tc := range []struct {
		name, method, path, body, want string
	}{
		{"query use", "GET", "/v1/gate/check?model=a/b@1&org=o&uses=commercial&uses=training", "", `uses: unknown value "training" (` + uses + `)`},
		{"body use", "POST", "/v1/gate/check", `{"model":"a/b@1","uses":["commercial","training"]}`, `uses: unknown value "training" (` + uses + `)`},
		{"query direction", "GET", "/v1/datasets/" + testDigest + "/lineage?direction=sideways", "", `direction: unknown value "sideways" (want upstream, downstream)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.rec.count()
			resp, body := h.do(t, tc.method, tc.path, tc.body)
			e := decodeError(t, resp, body, 400, codes.InvalidArgument)
			if !strings.Contains(e.Message, tc.want) {
				t.Errorf("message %q does not contain %q", e.Message, tc.want)
			}
			if n := h.rec.count() - before; n != 0 {
				t.Errorf("%d gRPC calls", n)
			}
		})
	}
	// A body with no alias in it is read as it was written: a key given
	// twice is still refused.
	resp, body := h.do(t, "POST", "/v1/gate/check", `{"model":"a/b@1","model":"c/d@1"}`)
	decodeError(t, resp, body, 400, codes.InvalidArgument)
}

// TestBodyAliasesOfOtherEnums: a body's enum value may drop the enum's
// prefix, as a query parameter's may; a body without aliases is passed on
// byte for byte.
func TestBodyAliasesOfOtherEnums(t *testing.T) {
	md := (&lineagepb.QueryLineageRequest{}).ProtoReflect().Descriptor()
	out, err := expandBodyAliases(md, []byte(`{"digest":"d","direction":"upstream","maxDepth":3}`))
	if err != nil {
		t.Fatal(err)
	}
	var got lineagepb.QueryLineageRequest
	if err := marshaler.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.Direction != lineagepb.Direction_DIRECTION_UPSTREAM || got.MaxDepth != 3 || got.Digest != "d" {
		t.Errorf("read %v from %s", &got, out)
	}
	in := []byte(`{"digest": "d",  "direction": "DIRECTION_UPSTREAM"}`)
	if out, err := expandBodyAliases(md, in); err != nil || string(out) != string(in) {
		t.Errorf("a body without aliases became %s, %v", out, err)
	}
	if _, err := expandBodyAliases(md, []byte(`{"direction":"sideways"}`)); err == nil || !strings.Contains(err.Error(), "want upstream, downstream") {
		t.Errorf("an unknown direction: %v", err)
	}
}
