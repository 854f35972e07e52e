package api

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// observed collects what Config.ObserveRequest is given.
type observed struct {
	mu  sync.Mutex
	got []string
}

func (o *observed) observe(route string, status int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, fmt.Sprintf("%d %s", status, route))
}

// take returns what was observed, once there are at least n reports:
// the observer runs after the response is sent, so the client may read it
// first.
func (o *observed) take(n int) []string {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		o.mu.Lock()
		enough := len(o.got) >= n
		o.mu.Unlock()
		if enough {
			break
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.got
	o.got = nil
	return out
}

// TestObserveRequest: every request is reported once, after its answer,
// with the template of the route that answered (never the client's path)
// and its status; requests no route answered report no route.
func TestObserveRequest(t *testing.T) {
	obs := &observed{}
	h := newHarness(t, withConfig(Config{Address: "127.0.0.1:0", RateLimit: 10000, MaxRequestBytes: 64, ObserveRequest: obs.observe}))
	h.fake.failWith(modelspb.Query_Deployments_FullMethodName, status.Error(codes.NotFound, "models/16: no such model"))
	cases := []struct {
		method, path, body string
		want               string
	}{
		{"GET", "/v1/params", "", "200 GET /v1/params"},
		{"GET", "/v1/models/" + testModel + "/versions/1.0", "", "200 GET /v1/models/{name=**}/versions/{version=*}"},
		{"GET", "/v1/models/other/versions/2.0?prove=true", "", "200 GET /v1/models/{name=**}/versions/{version=*}"},
		{"GET", "/v1/models/" + testModel + "/deployments", "", "404 GET /v1/models/{name=**}/deployments"},
		{"POST", "/v1/gate/check", `{"model":"a@1","uses":["USE_COMMERCIAL"]}`, "200 POST /v1/gate/check"},
		{"POST", "/v1/gate/check", `{"nonsense":1}`, "400 POST /v1/gate/check"},
		{"GET", "/v1/gate/check?uses=bogus", "", "400 GET /v1/gate/check"},
		{"GET", "/v1/openapi.json", "", "200 GET /v1/openapi.json"},
		{"GET", "/v1/openapi.json?prove=true", "", "400 GET /v1/openapi.json"},
		// Answered before or without routing.
		{"GET", "/v1/nowhere/" + testDigest, "", "404 "},
		{"DELETE", "/v1/params", "", "405 "},
		{"GET", "/v1/params?height=-1", "", "400 "},
		{"POST", "/v1/gate/check", `{"model":"` + string(make([]byte, 100)) + `"}`, "413 "},
	}
	for _, tc := range cases {
		resp, body := h.do(t, tc.method, tc.path, tc.body)
		got := obs.take(1)
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s %s (%d %s): observed %q, want [%q]", tc.method, tc.path, resp.StatusCode, body, got, tc.want)
			continue
		}
		if want := fmt.Sprint(resp.StatusCode); got[0][:3] != want {
			t.Errorf("%s %s: observed status %s, response %s", tc.method, tc.path, got[0][:3], want)
		}
	}
}

// TestObserveRequestRateLimited: refused requests are reported too.
func TestObserveRequestRateLimited(t *testing.T) {
	obs := &observed{}
	h := newHarness(t, withConfig(Config{Address: "127.0.0.1:0", RateLimit: 0.1, RateBurst: 1, ObserveRequest: obs.observe}))
	h.do(t, "GET", "/v1/params", "")
	h.do(t, "GET", "/v1/params", "")
	got := obs.take(2)
	slices.Sort(got)
	if want := []string{"200 GET /v1/params", "429 "}; !slices.Equal(got, want) {
		t.Fatalf("observed %q, want %q", got, want)
	}
}

// TestStatusWriter: the first final status counts; a body without one is
// 200.
func TestStatusWriter(t *testing.T) {
	rec := &statusWriter{ResponseWriter: discardWriter{}}
	if rec.statusCode() != http.StatusOK {
		t.Errorf("nothing written: %d", rec.statusCode())
	}
	rec.WriteHeader(http.StatusEarlyHints)
	rec.WriteHeader(http.StatusTeapot)
	rec.WriteHeader(http.StatusOK)
	if rec.statusCode() != http.StatusTeapot {
		t.Errorf("status %d, want the first final one", rec.statusCode())
	}
	rec = &statusWriter{ResponseWriter: discardWriter{}}
	_, _ = rec.Write([]byte("x"))
	rec.WriteHeader(http.StatusNotFound)
	if rec.statusCode() != http.StatusOK {
		t.Errorf("status %d after a body, want 200", rec.statusCode())
	}
}

type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) WriteHeader(int)             {}
