package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/p2p"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	rpcserver "github.com/cometbft/cometbft/rpc/jsonrpc/server"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/txv1"
	"github.com/lineageledger/lineaged/node/keyring"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	"github.com/lineageledger/lineaged/x/models"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// fakeNode is a node's CometBFT RPC reduced to what tx --dry-run and
// queries use: it knows its chain id, finds every simulated transaction
// fine, answers queries from answers, and records what it was asked.
type fakeNode struct {
	url string

	mu      sync.Mutex
	asked   []abciQuery
	answers map[string]proto.Message
}

type abciQuery struct {
	path   string
	data   []byte
	height int64
}

func newFakeNode(t *testing.T) *fakeNode {
	t.Helper()
	n := &fakeNode{answers: map[string]proto.Message{}}
	mux := http.NewServeMux()
	rpcserver.RegisterRPCFuncs(mux, map[string]*rpcserver.RPCFunc{
		"status": rpcserver.NewRPCFunc(func(*rpctypes.Context) (*ctypes.ResultStatus, error) {
			return &ctypes.ResultStatus{NodeInfo: p2p.DefaultNodeInfo{Network: "test-chain"}}, nil
		}, ""),
		"abci_query": rpcserver.NewRPCFunc(n.abciQuery, "path,data,height,prove"),
	}, log.NewNopLogger())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	n.url = srv.URL
	return n
}

func (n *fakeNode) abciQuery(_ *rpctypes.Context, path string, data cmtbytes.HexBytes, height int64, _ bool) (*ctypes.ResultABCIQuery, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.asked = append(n.asked, abciQuery{path: path, data: bytes.Clone(data), height: height})
	if path == app.SimulatePath {
		v, err := (&abci.ExecTxResult{}).Marshal()
		return &ctypes.ResultABCIQuery{Response: abci.QueryResponse{Value: v}}, err
	}
	ans, ok := n.answers[path]
	if !ok {
		return &ctypes.ResultABCIQuery{Response: abci.QueryResponse{Code: 99, Codespace: "fake", Log: "no answer for " + path}}, nil
	}
	v, err := proto.Marshal(ans)
	return &ctypes.ResultABCIQuery{Response: abci.QueryResponse{Value: v, Height: height}}, err
}

// take returns what the node was asked since the last call.
func (n *fakeNode) take() []abciQuery {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := n.asked
	n.asked = nil
	return out
}

// cliRun is one run of a command line.
type cliRun struct {
	code           int
	stdout, stderr string
}

// runCLI runs args on a command tree built with groups, as the process would.
func runCLI(groups map[string]moduleGroups, stdin string, args ...string) cliRun {
	var out, errb bytes.Buffer
	root := newRootCmd(strings.NewReader(stdin), &out, &errb, modules.Default(), groups)
	code := execute(root, args, &errb)
	return cliRun{code: code, stdout: out.String(), stderr: errb.String()}
}

// testKeyring makes a dev keyring with keys alice and bob.
func testKeyring(t *testing.T) (dir string, kr *keyring.Keyring, bob *keyring.Info) {
	t.Helper()
	dir = t.TempDir()
	kr, err := keyring.CreateDev(dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Add("alice", keysv1.KeyType_KEY_TYPE_ED25519); err != nil {
		t.Fatal(err)
	}
	if bob, err = kr.Add("bob", keysv1.KeyType_KEY_TYPE_ED25519); err != nil {
		t.Fatal(err)
	}
	return dir, kr, bob
}

// TestGenericTxSignsWhatFriendlySigns: for the same message, a generic
// command and the hand-written one sign and send the same bytes, and print
// the same result. The generic commands come from a tree built with no
// hand-written groups, where every route has one.
func TestGenericTxSignsWhatFriendlySigns(t *testing.T) {
	node := newFakeNode(t)
	dir, kr, bob := testKeyring(t)
	common := []string{"--from", "alice", "--keyring-dir", dir, "--node", node.url, "--sequence", "5", "--dry-run", "-o", "json", "--home", t.TempDir()}

	const manifest = "sha256:5555555555555555555555555555555555555555555555555555555555555555"
	alice, err := kr.Signer("alice", "")
	if err != nil {
		t.Fatal(err)
	}
	manifestSig, err := alice.Sign(models.ManifestSignBytes(manifest))
	if err != nil {
		t.Fatal(err)
	}
	bobKey, err := hex.DecodeString(bob.PublicKey)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		route    string
		friendly []string
		generic  []string
		stdin    string
	}{
		{
			route:    "membership.suspend_account",
			friendly: []string{"tx", "membership", "suspend", bob.Address, "--reason", "left the team"},
			generic:  []string{"tx", "membership", "suspend-account", "--msg", fmt.Sprintf(`{"address":%q,"reason":"left the team"}`, bob.Address)},
		},
		{
			route:    "membership.add_account",
			friendly: []string{"tx", "membership", "add-account", "--key", "bob", "--roles", "data-steward,model-publisher", "--label", "ci"},
			generic: []string{"tx", "membership", "add-account", "--msg", fmt.Sprintf(
				`{"publicKey":{"type":"KEY_TYPE_ED25519","key":%q},"roles":["ROLE_DATA_STEWARD","ROLE_MODEL_PUBLISHER"],"label":"ci"}`,
				base64.StdEncoding.EncodeToString(bobKey))},
		},
		{
			route: "models.register_model",
			friendly: []string{"tx", "models", "register", "dev/bot@1.0", "--manifest-digest", manifest, "--format", "safetensors",
				"--dataset", "sha256:4444444444444444444444444444444444444444444444444444444444444444", "--license", "dev/terms", "--sign"},
			generic: []string{"tx", "models", "register-model", "--msg", fmt.Sprintf(`{"model":{"name":"dev/bot","version":"1.0",
				"manifest_digest":%q,"format":"safetensors",
				"training_datasets":["sha256:4444444444444444444444444444444444444444444444444444444444444444"],
				"license_ids":["dev/terms"]},"publisher_signature":%q}`, manifest, base64.StdEncoding.EncodeToString(manifestSig))},
		},
		{
			route: "licenses.define_license",
			friendly: []string{"tx", "licenses", "define", "dev/research", "--spdx", "LicenseRef-research", "--allow", "derivatives,ai-training",
				"--attribution", "--grant-required", "--expiry-height", "9000", "--expiry-time", "2027-01-01T00:00:00Z"},
			generic: []string{"tx", "licenses", "define-license", "--msg", `{"license":{"id":"dev/research","spdx_id":"LicenseRef-research",
				"usage":{"derivatives":true,"ai_training":true,"attribution_required":true},"grant_required":true,
				"expiry_height":"9000","expiry_time":"2027-01-01T00:00:00Z"}}`},
		},
		{
			route: "lineage.record_run",
			friendly: []string{"tx", "lineage", "record-run", "--code-digest", "sha256:3333333333333333333333333333333333333333333333333333333333333333",
				"--input", "sha256:1111111111111111111111111111111111111111111111111111111111111111",
				"--new-output", "sha256:4444444444444444444444444444444444444444444444444444444444444444,ns=corpora,name=clean,version=1,size=1024,license=cc-by-4.0",
				"--executor", "ci/clean"},
			generic: []string{"tx", "lineage", "record-run", "--msg-file", "-"},
			stdin: `{"code_digest":"sha256:3333333333333333333333333333333333333333333333333333333333333333",
				"inputs":["sha256:1111111111111111111111111111111111111111111111111111111111111111"],
				"new_outputs":[{"digest":"sha256:4444444444444444444444444444444444444444444444444444444444444444",
				  "namespace":"corpora","name":"clean","version":"1","size_bytes":1024,"license_ids":["cc-by-4.0"]}],
				"executor":"ci/clean"}`,
		},
	} {
		t.Run(tc.route, func(t *testing.T) {
			send := func(groups map[string]moduleGroups, stdin string, args []string) (cliRun, []byte) {
				t.Helper()
				run := runCLI(groups, stdin, append(args, common...)...)
				if run.code != 0 {
					t.Fatalf("%q exited %d: %s%s", args, run.code, run.stdout, run.stderr)
				}
				var raw []byte
				for _, q := range node.take() {
					if q.path == app.SimulatePath {
						raw = q.data
					}
				}
				if raw == nil {
					t.Fatalf("%q simulated no transaction", args)
				}
				return run, raw
			}
			friendly, want := send(friendlyGroups, "", tc.friendly)
			generic, got := send(nil, tc.stdin, tc.generic)
			if !bytes.Equal(got, want) {
				t.Errorf("generic command signed\n%x\nhand-written one signed\n%x", got, want)
			}
			if generic.stdout != friendly.stdout {
				t.Errorf("generic command printed\n%s\nhand-written one printed\n%s", generic.stdout, friendly.stdout)
			}
			var tx txv1.Tx
			var body txv1.TxBody
			if err := proto.Unmarshal(want, &tx); err != nil {
				t.Fatal(err)
			}
			if err := proto.Unmarshal(tx.Body, &body); err != nil {
				t.Fatal(err)
			}
			if r, _, ok := modules.Default().Route(&body); !ok || r.Name != tc.route {
				t.Errorf("the transaction carries route %v, want %s", r, tc.route)
			}
		})
	}
}

// TestGenericRefusesBadInput: a generic command refuses a message that is
// not JSON of its type, naming the type and the field, before it asks the
// node anything, as a usage error.
func TestGenericRefusesBadInput(t *testing.T) {
	node := newFakeNode(t)
	dir, _, _ := testKeyring(t)
	tx := []string{"--from", "alice", "--keyring-dir", dir, "--node", node.url, "--sequence", "1"}
	query := []string{"--node", node.url}
	for _, tc := range []struct {
		name   string
		groups map[string]moduleGroups
		args   []string
		want   []string
	}{
		{"unknown field", nil, append([]string{"tx", "models", "revoke-model", "--msg", `{"name":"dev/bot","nope":1}`}, tx...),
			[]string{"--msg is not a valid lineage.models.v1.MsgRevokeModel", `unknown field "nope"`}},
		{"unknown nested field", nil, append([]string{"tx", "licenses", "define-license", "--msg", `{"license":{"id":"x","usage":{"fly":true}}}`}, tx...),
			[]string{"lineage.licenses.v1.MsgDefineLicense", `unknown field "fly"`}},
		{"not JSON", nil, append([]string{"tx", "models", "revoke-model", "--msg", `{"name":`}, tx...),
			[]string{"--msg is not a valid lineage.models.v1.MsgRevokeModel"}},
		{"wrong type", nil, append([]string{"tx", "models", "revoke-model", "--msg", `{"name":5}`}, tx...),
			[]string{"lineage.models.v1.MsgRevokeModel", "name"}},
		{"unknown enum value", nil, append([]string{"tx", "models", "revoke-model", "--msg", `{"reason_code":"BORED"}`}, tx...),
			[]string{"lineage.models.v1.MsgRevokeModel", "BORED"}},
		{"bad file", nil, append([]string{"tx", "models", "revoke-model", "--msg-file", "-"}, tx...),
			[]string{"--msg-file - is not a valid lineage.models.v1.MsgRevokeModel"}},
		{"no message", nil, append([]string{"tx", "models", "revoke-model"}, tx...),
			[]string{"[msg msg-file]"}},
		{"two messages", nil, append([]string{"tx", "models", "revoke-model", "--msg", "{}", "--msg-file", "m.json"}, tx...),
			[]string{"[msg msg-file]"}},
		{"arguments", nil, append([]string{"tx", "models", "revoke-model", "dev/bot@1.0", "--msg", "{}"}, tx...),
			[]string{"unknown command"}},
		{"unknown request field", friendlyGroups, append([]string{"query", "gate", "policy", "--request", `{"require_signature":true}`}, query...),
			[]string{"--request is not a valid lineage.gate.v1.QueryPolicyRequest", `unknown field "require_signature"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := runCLI(tc.groups, "{", tc.args...)
			if run.code != exitUsage {
				t.Errorf("exit code %d, want %d (usage)", run.code, exitUsage)
			}
			for _, w := range tc.want {
				if !strings.Contains(run.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, run.stderr)
				}
			}
			if run.stdout != "" {
				t.Errorf("stdout: %s", run.stdout)
			}
			if asked := node.take(); len(asked) > 0 {
				t.Errorf("the node was asked %d times", len(asked))
			}
		})
	}
}

// TestGenericQuery: a generic query sends the request it is given to its
// path, at --height, and prints the answer as the hand-written queries do.
func TestGenericQuery(t *testing.T) {
	node := newFakeNode(t)
	policy := &gatepb.QueryPolicyResponse{Policy: &gatepb.Policy{RequireSignature: true, AllowedPublisherOrgs: []string{"dev"}}}
	node.answers["/lineage.gate.v1.Query/Policy"] = policy
	model := &modelspb.QueryModelResponse{Model: &modelspb.ModelVersion{Spec: &modelspb.ModelSpec{Name: "dev/bot", Version: "1.0"}, PublisherOrg: "dev", Height: 4}}
	node.answers["/lineage.models.v1.Query/Model"] = model

	run := runCLI(friendlyGroups, "", "query", "gate", "policy", "--node", node.url, "--height", "3", "-o", "json")
	if run.code != 0 {
		t.Fatalf("exit code %d: %s", run.code, run.stderr)
	}
	want, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(policy)
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, want); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(run.stdout); got != compact.String() {
		t.Errorf("printed %s, want %s", got, compact.String())
	}
	asked := node.take()
	if len(asked) != 1 || asked[0].path != "/lineage.gate.v1.Query/Policy" || len(asked[0].data) != 0 || asked[0].height != 3 {
		t.Errorf("the node was asked %+v", asked)
	}

	// The same query through the hand-written command and the generic one.
	friendly := runCLI(friendlyGroups, "", "query", "models", "model", "dev/bot@1.0", "--node", node.url)
	friendlyAsked := node.take()
	generic := runCLI(nil, `{"name":"dev/bot","version":"1.0"}`, "query", "models", "model", "--request-file", "-", "--node", node.url)
	genericAsked := node.take()
	if friendly.code != 0 || generic.code != 0 {
		t.Fatalf("exit codes %d, %d: %s %s", friendly.code, generic.code, friendly.stderr, generic.stderr)
	}
	if generic.stdout != friendly.stdout {
		t.Errorf("generic query printed\n%s\nhand-written one printed\n%s", generic.stdout, friendly.stdout)
	}
	if len(genericAsked) != 1 || len(friendlyAsked) != 1 || !bytes.Equal(genericAsked[0].data, friendlyAsked[0].data) || genericAsked[0].path != friendlyAsked[0].path {
		t.Errorf("generic query asked %+v, hand-written one %+v", genericAsked, friendlyAsked)
	}
}

// TestAnnotationMustSayWhatRuns: a command whose annotation names another
// route or query than the one it runs refuses to run, so that no
// annotation can lie to the tests that count commands per route.
func TestAnnotationMustSayWhatRuns(t *testing.T) {
	node := newFakeNode(t)
	dir, _, _ := testKeyring(t)
	for _, tc := range []struct {
		command, key, lie string
		args              []string
		want              string
	}{
		{"lineaged tx models deploy", annotationRoute, "models.revoke_model",
			[]string{"tx", "models", "deploy", "dev/bot@1.0", "--environment", "prod", "--from", "alice", "--keyring-dir", dir, "--node", node.url, "--sequence", "1", "--dry-run"},
			`runs models.record_deployment but its annotation lineaged/route names "models.revoke_model"`},
		{"lineaged query models model", annotationQuery, "/lineage.models.v1.Query/Deployments",
			[]string{"query", "models", "model", "dev/bot@1.0", "--node", node.url},
			`runs /lineage.models.v1.Query/Model but its annotation lineaged/query names "/lineage.models.v1.Query/Deployments"`},
	} {
		t.Run(tc.command, func(t *testing.T) {
			var out, errb bytes.Buffer
			root := newRootCmd(strings.NewReader(""), &out, &errb, modules.Default(), friendlyGroups)
			c := commands(root)[tc.command]
			if c == nil {
				t.Fatalf("no command %q", tc.command)
			}
			c.Annotations = map[string]string{tc.key: tc.lie}
			if code := execute(root, tc.args, &errb); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if !strings.Contains(errb.String(), tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, errb.String())
			}
			for _, q := range node.take() {
				if q.path == app.SimulatePath || strings.HasPrefix(q.path, "/lineage.models") {
					t.Errorf("the node was asked %s", q.path)
				}
			}
		})
	}
}
