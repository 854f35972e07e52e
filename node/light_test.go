package node

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/libs/log"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/store/proof"
	"github.com/lineageledger/lineaged/node/lightproxy"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/models"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// lightConfig runs lineaged light against the node at rpcURL, trusting
// the genesis of n.
func lightConfig(t *testing.T, n *Node, rpcURL string) lightproxy.Config {
	return lightproxy.Config{
		Node:          rpcURL,
		Trust:         lightproxy.Trust{Genesis: genesisTrust(t, n).Genesis},
		Home:          t.TempDir(),
		ListenAddress: "tcp://127.0.0.1:0",
		Logger:        log.NewNopLogger(),
	}
}

// startLightProxy runs lineaged light against the node at rpcURL, trusting
// the genesis of n (or as tweak says), and returns a stock CometBFT RPC
// client of the proxy.
func startLightProxy(t *testing.T, n *Node, rpcURL string, tweaks ...func(*lightproxy.Config)) *rpchttp.HTTP {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := lightConfig(t, n, rpcURL)
	for _, tweak := range tweaks {
		tweak(&cfg)
	}
	p, err := lightproxy.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Serve() }()
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	c, err := rpchttp.New("http://" + p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// query asks through the proxy with a stock client, as any tool would.
func query(ctx context.Context, c *rpchttp.HTTP, path string, data []byte, height int64) (*ctypes.ResultABCIQuery, error) {
	return c.ABCIQueryWithOptions(ctx, path, data, rpcclient.ABCIQueryOptions{Height: height})
}

var chainIDKey = []byte{0x01, 0x02} // app/modules: the chain id

func orgStateKey(id string) []byte { return append([]byte{0x02, 0x01, byte(len(id))}, id...) }

// TestLightProxyVerifiesQueries: through lineaged light, a stock CometBFT
// RPC client gets raw state keys (present and absent) and query methods
// (answers and errors) proven against light-client-verified headers, with
// exactly the node's own answers.
func TestLightProxyVerifiesQueries(t *testing.T) {
	n, admin := startTestNode(t)
	c := provenanceFixture(t, n, admin)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	lc := startLightProxy(t, n, n.RPCAddress())

	// A present key.
	res, err := query(ctx, lc, app.StateKeyPath, chainIDKey, 0)
	if err != nil {
		t.Fatalf("present key: %v", err)
	}
	q := res.Response
	if q.Code != 0 || string(q.Value) != "node-test" || !bytes.Equal(q.Key, chainIDKey) || q.Height < 1 {
		t.Fatalf("present key answered %+v", q)
	}
	if ops := q.ProofOps.GetOps(); len(ops) != 1 || ops[0].Type != proof.ICS23OpType || !bytes.Equal(ops[0].Key, chainIDKey) {
		t.Fatalf("present key proven by %v", q.ProofOps)
	}
	latest := q.Height

	// An absent key, now and at an earlier height.
	for _, h := range []int64{0, 1, latest} {
		res, err := query(ctx, lc, app.StateKeyPath, orgStateKey("zeta"), h)
		if err != nil {
			t.Fatalf("absent key at %d: %v", h, err)
		}
		if q := res.Response; q.Code != 0 || len(q.Value) != 0 || !bytes.Equal(q.Key, orgStateKey("zeta")) || q.ProofOps == nil {
			t.Fatalf("absent key at %d answered %+v", h, q)
		}
	}

	// A query method, proven by its bundle and re-run by the proxy: the
	// same bytes the node answers at that height.
	modelReq, _ := proto.Marshal(&modelspb.QueryModelRequest{Name: "alpha/bot", Version: "1.0"})
	gateReq, _ := proto.Marshal(&gatepb.CheckRequest{Model: "alpha/bot@1.0", Org: "alpha", Uses: []gatepb.Use{gatepb.Use_USE_COMMERCIAL}})
	for _, tc := range []struct {
		path string
		req  []byte
	}{
		{"/lineage.models.v1.Query/Model", modelReq},
		{"/lineage.gate.v1.Query/Check", gateReq},
	} {
		res, err := query(ctx, lc, tc.path, tc.req, 0)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		q := res.Response
		direct, err := c.RPC().ABCIQueryWithOptions(ctx, tc.path, tc.req, rpcclient.ABCIQueryOptions{Height: q.Height})
		if err != nil {
			t.Fatal(err)
		}
		if q.Code != 0 || len(q.Value) == 0 || !bytes.Equal(q.Value, direct.Response.Value) || string(q.Key) != tc.path {
			t.Fatalf("%s through the proxy: %+v; the node says %x", tc.path, q, direct.Response.Value)
		}
		if ops := q.ProofOps.GetOps(); len(ops) != 1 || ops[0].Type != proof.OpType {
			t.Fatalf("%s proven by %v", tc.path, q.ProofOps)
		}
	}
	var verdict gatepb.CheckResponse
	res, _ = query(ctx, lc, "/lineage.gate.v1.Query/Check", gateReq, 0)
	if err := proto.Unmarshal(res.Response.Value, &verdict); err != nil || verdict.Verdict != gatepb.Verdict_VERDICT_ALLOW {
		t.Fatalf("gate verdict %v (%v), want ALLOW", &verdict, err)
	}

	// A query failing with its own error is proven too: the re-run over the
	// proofs fails the same way.
	missing, _ := proto.Marshal(&modelspb.QueryModelRequest{Name: "alpha/nothing", Version: "1.0"})
	res, err = query(ctx, lc, "/lineage.models.v1.Query/Model", missing, 0)
	if err != nil {
		t.Fatalf("missing model: %v", err)
	}
	if q := res.Response; q.Codespace != models.ErrNotFound.Codespace || q.Code != models.ErrNotFound.Code || q.ProofOps == nil {
		t.Fatalf("missing model answered %+v", q)
	}

	// What cannot be proven is refused, not passed on.
	for _, tc := range []struct{ path, data string }{
		{app.SimulatePath, "x"},
		{"/lineage.models.v1.Query/Nothing", ""},
		{app.StateKeyPath, ""},
	} {
		if _, err := query(ctx, lc, tc.path, []byte(tc.data), 0); err == nil {
			t.Errorf("%s was answered", tc.path)
		}
	}
}

// TestLightProxyCatchesLyingNode: behind a node that changes its
// abci_query answers in transit, lineaged light answers every query with
// an error, never with the node's answer.
func TestLightProxyCatchesLyingNode(t *testing.T) {
	n, admin := startTestNode(t)
	provenanceFixture(t, n, admin)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	modelReq, _ := proto.Marshal(&modelspb.QueryModelRequest{Name: "alpha/bot", Version: "1.0"})
	missing, _ := proto.Marshal(&modelspb.QueryModelRequest{Name: "alpha/nothing", Version: "1.0"})
	queries := []struct {
		name, path string
		data       []byte
	}{
		{"present key", app.StateKeyPath, chainIDKey},
		{"absent key", app.StateKeyPath, orgStateKey("zeta")},
		{"query method", "/lineage.models.v1.Query/Model", modelReq},
		{"query method failing", "/lineage.models.v1.Query/Model", missing},
	}
	// Each lie changes an answer (or the question the node is asked) if it
	// can, and says whether it did.
	lies := map[string]lie{
		"value flipped": {answer: func(resp map[string]any) bool {
			v := decode64(resp["value"])
			if len(v) == 0 {
				v = []byte("forged")
			} else {
				v[len(v)/2] ^= 0x01
			}
			resp["value"] = base64.StdEncoding.EncodeToString(v)
			return true
		}},
		"value dropped": {answer: func(resp map[string]any) bool {
			had := len(decode64(resp["value"])) > 0
			delete(resp, "value")
			return had
		}},
		"proof flipped": {answer: func(resp map[string]any) bool {
			op := resp["proofOps"].(map[string]any)["ops"].([]any)[0].(map[string]any)
			d := decode64(op["data"])
			d[len(d)/2] ^= 0x01
			op["data"] = base64.StdEncoding.EncodeToString(d)
			return true
		}},
		"key changed": {answer: func(resp map[string]any) bool {
			k := decode64(resp["key"])
			k[len(k)-1] ^= 0x01
			resp["key"] = base64.StdEncoding.EncodeToString(k)
			return true
		}},
		"height changed": {answer: func(resp map[string]any) bool {
			h, _ := strconv.ParseInt(resp["height"].(string), 10, 64)
			resp["height"] = strconv.FormatInt(h-1, 10)
			return true
		}},
		"error hidden": {answer: func(resp map[string]any) bool {
			code, _ := resp["code"].(float64)
			delete(resp, "code")
			delete(resp, "codespace")
			delete(resp, "log")
			return code != 0
		}},
		"another question answered": {ask: func(params map[string]any) bool {
			// The node answers, with valid proofs, a request one bit off.
			d, _ := hex.DecodeString(params["data"].(string))
			d[len(d)-1] ^= 0x01
			params["data"] = hex.EncodeToString(d)
			return true
		}},
	}
	for name, lie := range lies {
		t.Run(name, func(t *testing.T) {
			liar := tamperingNode(t, n.RPCAddress(), lie)
			lc := startLightProxy(t, n, liar.URL)
			lied := 0
			for _, q := range queries {
				res, err := query(ctx, lc, q.path, q.data, 0)
				switch tampered := liar.tampered(); {
				case tampered == 0 && err != nil:
					t.Fatalf("%s: an honest answer was refused: %v", q.name, err)
				case tampered == 0:
				case err == nil:
					t.Fatalf("%s: the proxy passed on a tampered answer: %+v", q.name, res.Response)
				case !strings.Contains(err.Error(), lightproxy.ErrUnverified.Error()):
					t.Fatalf("%s: refused for the wrong reason: %v", q.name, err)
				default:
					lied++
				}
			}
			if lied == 0 {
				t.Fatal("the lie changed no answer")
			}
		})
	}
}

// TestLightProxyTrustRoots: a trusted header hash is a root as good as the
// genesis; a genesis whose validators did not sign the chain, a wrong
// header hash, or a root older than the trusting period is refused.
func TestLightProxyTrustRoots(t *testing.T) {
	n, admin := startTestNode(t)
	c := provenanceFixture(t, n, admin) // blocks to verify
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	one := int64(1)
	hdr, err := c.RPC().Header(ctx, &one)
	if err != nil {
		t.Fatal(err)
	}

	lc := startLightProxy(t, n, n.RPCAddress(), func(cfg *lightproxy.Config) {
		cfg.Trust = lightproxy.Trust{Height: 1, Hash: hdr.Header.Hash()}
	})
	if res, err := query(ctx, lc, app.StateKeyPath, chainIDKey, 0); err != nil || string(res.Response.Value) != "node-test" {
		t.Fatalf("trusting header 1: %v", err)
	}

	foreign := *genesisTrust(t, n).Genesis
	foreign.Validators = slices.Clone(foreign.Validators)
	foreign.Validators[0].PubKey = ed25519.GenPrivKey().PubKey()
	wrongHash := bytes.Clone(hdr.Header.Hash())
	wrongHash[0] ^= 0x01
	for _, tc := range []struct {
		name  string
		tweak func(*lightproxy.Config)
		want  string
	}{
		{"foreign genesis", func(cfg *lightproxy.Config) { cfg.Trust = lightproxy.Trust{Genesis: &foreign} }, "names validators"},
		{"wrong header hash", func(cfg *lightproxy.Config) { cfg.Trust = lightproxy.Trust{Height: 1, Hash: wrongHash} }, "hash"},
		{"expired root", func(cfg *lightproxy.Config) { cfg.TrustingPeriod = time.Nanosecond }, "older than the trusting period"},
		{"no root", func(cfg *lightproxy.Config) { cfg.Trust = lightproxy.Trust{} }, "give a trust root"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := lightConfig(t, n, n.RPCAddress())
			tc.tweak(&cfg)
			p, err := lightproxy.New(ctx, cfg)
			if err == nil {
				p.Close()
				t.Fatal("the proxy started")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("refused for the wrong reason: %v", err)
			}
		})
	}
}

func decode64(v any) []byte {
	s, _ := v.(string)
	b, _ := base64.StdEncoding.DecodeString(s)
	return b
}

// lie changes what a node is asked (the params of an abci_query) or what
// it answers (the response in the result); each says whether it changed
// anything.
type lie struct {
	ask    func(params map[string]any) bool
	answer func(resp map[string]any) bool
}

// liar forwards everything to a node and tampers with abci_query.
type liar struct {
	*httptest.Server
	count chan int
}

// tampered is how many queries were tampered with since the last call.
func (l *liar) tampered() int {
	n := 0
	for {
		select {
		case <-l.count:
			n++
		default:
			return n
		}
	}
}

// tamperingNode serves the node at rpcAddr through a reverse proxy (its
// websocket included) that applies lie to every abci_query sent as
// JSON-RPC, counting the queries it changed.
func tamperingNode(t *testing.T, rpcAddr string, lie lie) *liar {
	t.Helper()
	target, err := url.Parse(strings.Replace(rpcAddr, "tcp://", "http://", 1))
	if err != nil {
		t.Fatal(err)
	}
	l := &liar{count: make(chan int, 1000)}
	const mark = "X-Lineage-Test-Tamper"
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Header.Get(mark) == "" || lie.answer == nil {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		var msg map[string]any
		if err := json.Unmarshal(body, &msg); err != nil {
			return err
		}
		if result, ok := msg["result"].(map[string]any); ok && lie.answer(result["response"].(map[string]any)) {
			l.count <- 1
		}
		if body, err = json.Marshal(msg); err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	l.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			var req map[string]any
			if json.Unmarshal(body, &req) == nil && req["method"] == "abci_query" {
				r.Header.Set(mark, "1")
				if params, ok := req["params"].(map[string]any); ok && lie.ask != nil && lie.ask(params) {
					l.count <- 1
					if body, err = json.Marshal(req); err != nil {
						http.Error(w, err.Error(), http.StatusInternalServerError)
						return
					}
				}
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(l.Close)
	return l
}
