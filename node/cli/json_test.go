package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	lnode "github.com/lineageledger/lineaged/node"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/p2p"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	rpcserver "github.com/cometbft/cometbft/rpc/jsonrpc/server"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/modules"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// stubNode stands in for a node's CometBFT RPC for every command: it
// answers each query path with an answer of the path's response type
// (empty unless set), commits every transaction it is sent at height 7,
// and refuses the queries in refuse as the chain refuses a missing record.
type stubNode struct {
	url     string
	answers map[string]proto.Message
	refuse  map[string]bool
}

const stubHeight = 7

func newStubNode(t *testing.T) *stubNode {
	t.Helper()
	n := &stubNode{answers: map[string]proto.Message{}, refuse: map[string]bool{}}
	mux := http.NewServeMux()
	rpcserver.RegisterRPCFuncs(mux, map[string]*rpcserver.RPCFunc{
		"status": rpcserver.NewRPCFunc(func(*rpctypes.Context) (*ctypes.ResultStatus, error) {
			return &ctypes.ResultStatus{NodeInfo: p2p.DefaultNodeInfo{Network: "test-chain"}}, nil
		}, ""),
		"abci_query": rpcserver.NewRPCFunc(n.abciQuery, "path,data,height,prove"),
		"broadcast_tx_sync": rpcserver.NewRPCFunc(func(_ *rpctypes.Context, tx cmttypes.Tx) (*ctypes.ResultBroadcastTx, error) {
			return &ctypes.ResultBroadcastTx{Hash: tx.Hash()}, nil
		}, "tx"),
		"tx": rpcserver.NewRPCFunc(func(_ *rpctypes.Context, hash []byte, _ bool) (*ctypes.ResultTx, error) {
			return &ctypes.ResultTx{Hash: hash, Height: stubHeight, TxResult: abci.ExecTxResult{
				Events: []abci.Event{{Type: "tx", Attributes: []abci.EventAttribute{{Key: "sequence", Value: "5"}}}},
			}}, nil
		}, "hash,prove"),
	}, log.NewNopLogger())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	n.url = srv.URL
	return n
}

func (n *stubNode) abciQuery(_ *rpctypes.Context, path string, _ cmtbytes.HexBytes, _ int64, _ bool) (*ctypes.ResultABCIQuery, error) {
	if path == app.SimulatePath {
		v, err := (&abci.ExecTxResult{}).Marshal()
		return &ctypes.ResultABCIQuery{Response: abci.QueryResponse{Value: v}}, err
	}
	if n.refuse[path] {
		return &ctypes.ResultABCIQuery{Response: abci.QueryResponse{Code: 16, Codespace: "models", Log: "not found: no such thing", Height: stubHeight}}, nil
	}
	ans, ok := n.answers[path]
	if !ok {
		svc, method, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
		if err != nil {
			return &ctypes.ResultABCIQuery{Response: abci.QueryResponse{Code: 15, Codespace: "tx", Log: "unknown query path " + path}}, nil
		}
		md := d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(method))
		mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
		if err != nil {
			return nil, err
		}
		ans = mt.New().Interface()
	}
	v, err := proto.Marshal(ans)
	return &ctypes.ResultABCIQuery{Response: abci.QueryResponse{Value: v, Height: stubHeight}}, err
}

// jsonExempt are the commands the test does not run, and why.
var jsonExempt = map[string]string{
	"lineaged dev":   "runs a node until stopped (its banner is printJSON of a map of strings)",
	"lineaged start": "runs a node until stopped",
	"lineaged light": "runs a proxy until stopped",
	"lineaged bench": "starts networks of nodes for minutes (its report is printJSON of bench.Report)",
	// cobra's: shell scripts, for the shell to source.
	"lineaged completion":            "prints a shell's completion script",
	"lineaged completion bash":       "prints a shell's completion script",
	"lineaged completion fish":       "prints a shell's completion script",
	"lineaged completion powershell": "prints a shell's completion script",
	"lineaged completion zsh":        "prints a shell's completion script",
}

// TestEveryCommandPrintsJSON runs every command of the tree with -o json
// (against a stand-in node where it needs one) and requires one compact
// line of JSON on stdout, 64-bit integers (heights, sequences) as strings,
// transaction hashes as CometBFT writes them; and, with a flag it does not
// know, nothing on stdout and the error as a JSON object on the last line
// of stderr, carrying the exit code. A command added without a recipe here
// fails the test.
func TestEveryCommandPrintsJSON(t *testing.T) {
	node := newStubNode(t)
	node.answers["/lineage.gate.v1.Query/Check"] = &gatepb.CheckResponse{Verdict: gatepb.Verdict_VERDICT_ALLOW, Model: "dev/bot@1.0", Height: stubHeight}
	node.answers["/lineage.models.v1.Query/Model"] = &modelspb.QueryModelResponse{Model: &modelspb.ModelVersion{
		Spec: &modelspb.ModelSpec{Name: "dev/bot", Version: "1.0"}, PublisherOrg: "dev", Height: 4}}
	node.answers["/lineage.membership.v1.Query/Account"] = &membershippb.QueryAccountResponse{Account: &membershippb.Account{Sequence: 5}}
	node.answers["/lineage.licenses.v1.Query/EffectiveLicense"] = &licensespb.QueryEffectiveLicenseResponse{
		Usage: &licensespb.Usage{Derivatives: true}, Restrictions: []*licensespb.Restriction{{Use: "commercial_use"}}}

	dir, kr, bob := testKeyring(t)
	alice, err := kr.Show("alice")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	file := func(name, data string) string {
		p := filepath.Join(work, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const digest = "sha256:4444444444444444444444444444444444444444444444444444444444444444"
	kring := []string{"--keyring-dir", dir}
	onNode := []string{"--node", node.url}
	signs := append(append([]string{"--from", "alice", "--sequence", "5"}, kring...), onNode...)

	// Files some commands read.
	keyHex := file("key.hex", "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n")
	exportPass := file("export.pass", "transport passphrase\n")
	data := file("data.csv", "id,text\n1,hello\n")
	proposal := file("proposal.json", `{"title": "Stricter gate", "messages": [{"update_params": {"max_memo_bytes": 512}}]}`)
	file("model/weights.bin", "weights")
	initHome := filepath.Join(work, "init-home")
	// A second organisation of initHome's chain, with its join request.
	betaHome, requests := filepath.Join(work, "beta-home"), filepath.Join(work, "requests")
	betaAdmin, err := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lnode.Init(lnode.InitOptions{Home: betaHome, ChainID: "acme-1", OrgID: "beta", OrgName: "Beta", Admin: betaAdmin.Public()}); err != nil {
		t.Fatal(err)
	}
	betaReq, err := lnode.NewJoinRequest(betaHome, "127.0.0.2:26656", 10)
	if err != nil {
		t.Fatal(err)
	}
	betaJSON, _ := betaReq.Marshal()
	betaFile := file("requests/beta.json", string(betaJSON))
	unsigned := runCLI(friendlyGroups, "", append([]string{"tx", "licenses", "revoke-grant", "g-1", "--reason", "r", "--signer", alice.Address,
		"--generate-only", "--chain-id", "test-chain", "--sequence", "5", "--node", noNode}, kring...)...)
	signed := runCLI(friendlyGroups, unsigned.stdout, append([]string{"tx", "sign", "-", "--from", "alice", "--node", noNode}, kring...)...)
	if unsigned.code != 0 || signed.code != 0 {
		t.Fatalf("making transaction files: %s%s", unsigned.stderr, signed.stderr)
	}
	unsignedFile, signedFile := file("unsigned.json", unsigned.stdout), file("signed.json", signed.stdout)

	// recipes are the arguments each command runs with, in the order run
	// (some use what earlier ones made). Every runnable command is here or
	// in jsonExempt.
	recipes := []struct {
		path string
		args []string
	}{
		{"lineaged version", nil},
		{"lineaged init", []string{"--home", initHome, "--chain-id", "acme-1", "--org-id", "acme", "--org-name", "Acme",
			"--admin-pubkey", "ed25519:" + bob.PublicKey}},
		{"lineaged replay", []string{"--home", initHome}},
		{"lineaged genesis join-request", []string{"--home", initHome, "--p2p-address", "127.0.0.1:26656"}},
		{"lineaged genesis add-org", []string{betaFile, "--home", initHome}},
		{"lineaged genesis add-validator", []string{betaFile, "--home", initHome}},
		{"lineaged genesis collect", []string{requests, "--home", initHome}},
		{"lineaged genesis validate", []string{"--home", initHome}},
		{"lineaged genesis peers", []string{requests}},
		{"lineaged genesis install", []string{filepath.Join(initHome, "config", "genesis.json"), "--peers", betaReq.Peer(), "--home", betaHome}},
		{"lineaged testnet", []string{"--validators", "1", "--output-dir", filepath.Join(work, "testnet"), "--starting-ip", "127.0.3.201"}},
		{"lineaged testnet status", []string{filepath.Join(work, "testnet")}},
		{"lineaged hash file", []string{data}},
		{"lineaged hash model", []string{filepath.Join(work, "model")}},
		{"lineaged keys add", append([]string{"carol"}, kring...)},
		{"lineaged keys list", kring},
		{"lineaged keys show", append([]string{"alice", "--address"}, kring...)},
		{"lineaged keys export", append([]string{"carol", "--export-passphrase-file", exportPass}, kring...)},
		{"lineaged keys import", append([]string{"dave", keyHex, "--hex", "--type", "p256"}, kring...)},
		{"lineaged keys delete", append([]string{"carol", "--yes"}, kring...)},
		{"lineaged verify", []string{fixtureReceipt, "--trust", fixtureGenesis}},
		{"lineaged gate check", append([]string{"--model", "dev/bot@1.0", "--org", "dev", "--use", "commercial"}, onNode...)},
		{"lineaged query params", onNode},
		{"lineaged query tx", append([]string{strings.Repeat("AB", 32)}, onNode...)},
		{"lineaged query gate policy", onNode},
		{"lineaged query membership account", append([]string{alice.Address}, onNode...)},
		{"lineaged query membership org", append([]string{"dev"}, onNode...)},
		{"lineaged query membership orgs", onNode},
		{"lineaged query lineage dataset", append([]string{digest}, onNode...)},
		{"lineaged query lineage dataset-by-name", append([]string{"corpora", "raw", "1"}, onNode...)},
		{"lineaged query lineage history", append([]string{"corpora", "raw"}, onNode...)},
		{"lineaged query lineage lineage", append([]string{digest, "--direction", "upstream"}, onNode...)},
		{"lineaged query lineage run", append([]string{strings.Repeat("ab", 32)}, onNode...)},
		{"lineaged query lineage runs", append([]string{digest}, onNode...)},
		{"lineaged query models model", append([]string{"dev/bot@1.0"}, onNode...)},
		{"lineaged query models by-digest", append([]string{digest}, onNode...)},
		{"lineaged query models versions", append([]string{"dev/bot"}, onNode...)},
		{"lineaged query models lineage", append([]string{"dev/bot@1.0"}, onNode...)},
		{"lineaged query models deployments", append([]string{"dev/bot"}, onNode...)},
		{"lineaged query models list", append([]string{"--namespace", "dev"}, onNode...)},
		{"lineaged query models alias", append([]string{"dev/bot", "production"}, onNode...)},
		{"lineaged query models aliases", append([]string{"dev/bot"}, onNode...)},
		{"lineaged query models alias-history", append([]string{"dev/bot", "production"}, onNode...)},
		{"lineaged query lineage datasets", append([]string{"--namespace", "corpora"}, onNode...)},
		{"lineaged query lineage revocation", append([]string{digest}, onNode...)},
		{"lineaged query models impact", append([]string{"--dataset", digest}, onNode...)},
		{"lineaged query licenses license", append([]string{"cc-by-4.0"}, onNode...)},
		{"lineaged query licenses list", onNode},
		{"lineaged query licenses grant", append([]string{"grant-1"}, onNode...)},
		{"lineaged query licenses grants", append([]string{"--model", "dev/bot@1.0"}, onNode...)},
		{"lineaged query licenses effective", append([]string{"--model", "dev/bot@1.0", "--org", "dev"}, onNode...)},
		{"lineaged query gov proposal", append([]string{"1"}, onNode...)},
		{"lineaged query gov proposals", append([]string{"--status", "voting"}, onNode...)},
		{"lineaged query gov votes", append([]string{"1"}, onNode...)},
		{"lineaged query gov tally", append([]string{"1"}, onNode...)},
		{"lineaged tx gov propose", append([]string{proposal}, signs...)},
		{"lineaged tx gov vote", append([]string{"1", "yes"}, signs...)},
		{"lineaged tx membership create-org", append([]string{"beta", "Beta", "--admin-pubkey", "ed25519:" + bob.PublicKey}, signs...)},
		{"lineaged tx membership add-account", append([]string{"--pubkey", "ed25519:" + bob.PublicKey, "--roles", "auditor"}, signs...)},
		{"lineaged tx membership set-roles", append([]string{bob.Address, "auditor"}, signs...)},
		{"lineaged tx membership suspend", append([]string{bob.Address, "--reason", "left"}, signs...)},
		{"lineaged tx membership reinstate", append([]string{bob.Address}, signs...)},
		{"lineaged tx lineage register-dataset", append([]string{digest, "--namespace", "corpora", "--name", "raw", "--version", "1"}, signs...)},
		{"lineaged tx lineage record-run", append([]string{"--code-digest", digest, "--input", digest, "--linked-output", "sha256:" + strings.Repeat("5", 64)}, signs...)},
		{"lineaged tx lineage revoke-dataset", append([]string{digest, "--reason-code", "legal", "--reason", "takedown"}, signs...)},
		{"lineaged tx models register", append([]string{"dev/bot@1.0", "--manifest-digest", digest}, signs...)},
		{"lineaged tx models revoke", append([]string{"dev/bot@1.0", "--reason-code", "security", "--reason", "leak"}, signs...)},
		{"lineaged tx models supersede", append([]string{"dev/bot@1.0", "--by", "dev/bot@1.1"}, signs...)},
		{"lineaged tx models deploy", append([]string{"dev/bot@1.0", "--environment", "prod"}, signs...)},
		{"lineaged tx models alias", append([]string{"dev/bot", "production", "1.0"}, signs...)},
		{"lineaged tx licenses define", append([]string{"dev/terms", "--spdx", "MIT", "--allow", "all"}, signs...)},
		{"lineaged tx licenses grant", append([]string{"dev/terms", "--to", "beta", "--model", "dev/bot@1.0", "--allow", "derivatives"}, signs...)},
		{"lineaged tx licenses revoke-grant", append([]string{"grant-1", "--reason", "ended"}, signs...)},
		{"lineaged config set", []string{"output", "text"}},
		{"lineaged config get", nil},
		{"lineaged tx sign", append([]string{unsignedFile, "--from", "alice", "--node", noNode}, kring...)},
		{"lineaged tx broadcast", append([]string{signedFile}, onNode...)},
		// Last: alice signs for nothing once rotated out.
		{"lineaged tx membership rotate-key", append([]string{"--new-key", "bob"}, signs...)},
	}

	var out, errb bytes.Buffer
	root := newRootCmd(strings.NewReader(""), &out, &errb, modules.Default(), friendlyGroups)
	have := map[string]bool{}
	for _, r := range recipes {
		have[r.path] = true
	}
	var missing []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		// A group runs only to print its help.
		group := c.Annotations[annotationGroup] != ""
		if c.Runnable() && !group && !have[c.CommandPath()] && jsonExempt[c.CommandPath()] == "" && c.Name() != "help" {
			missing = append(missing, c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Fatalf("commands with no -o json recipe (add one, or an exemption with its reason):\n%s", strings.Join(missing, "\n"))
	}

	home := []string{"--home", filepath.Join(work, "home")}
	for _, r := range recipes {
		t.Run(strings.TrimPrefix(r.path, "lineaged "), func(t *testing.T) {
			args := append(append(strings.Fields(strings.TrimPrefix(r.path, "lineaged ")), r.args...), "-o", "json")
			if !strings.Contains(r.path, " init") && !strings.Contains(r.path, " replay") && !strings.Contains(r.path, " genesis") {
				args = append(args, home...)
			}
			run := runCLI(friendlyGroups, "", args...)
			if run.code != 0 && !(r.path == "lineaged replay" || r.path == "lineaged testnet status") {
				t.Errorf("exit code %d: %s", run.code, run.stderr)
			}
			if run.stdout == "" {
				checkJSONError(t, run)
				return
			}
			checkJSONLine(t, run.stdout)

			// A usage error: nothing on stdout, the error in JSON.
			bad := runCLI(friendlyGroups, "", append(args, "--no-such-flag")...)
			if bad.code == 0 || bad.stdout != "" {
				t.Errorf("with an unknown flag: exit code %d, stdout %q", bad.code, bad.stdout)
			}
			checkJSONError(t, bad)
		})
	}
}

// checkJSONLine requires one compact line of JSON, whose 64-bit integers
// are strings and whose transaction hashes are upper-case hex.
func checkJSONLine(t *testing.T, stdout string) {
	t.Helper()
	line, ok := strings.CutSuffix(stdout, "\n")
	if !ok || strings.Contains(line, "\n") {
		t.Fatalf("not one line:\n%s", stdout)
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, line)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("more than one JSON value:\n%s", line)
	}
	checkConventions(t, "", v)
}

// int64Keys name the values that are 64-bit integers wherever they appear.
var int64Keys = regexp.MustCompile(`^(height|.*_height|.*_heights|heights|sequence|size|size_bytes|app_version)$`)

func checkConventions(t *testing.T, key string, v any) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for k, sub := range v {
			checkConventions(t, k, sub)
		}
	case []any:
		for _, sub := range v {
			checkConventions(t, key, sub)
		}
	case json.Number:
		if int64Keys.MatchString(key) {
			t.Errorf("%q is the number %s: 64-bit integers are strings under -o json", key, v)
		}
	case string:
		if key == "tx_hash" && !regexp.MustCompile(`^[0-9A-F]{64}$`).MatchString(v) {
			t.Errorf("tx_hash %q is not upper-case hex", v)
		}
	}
}

// checkJSONError requires the last line of stderr to be the JSON error,
// carrying the exit code.
func checkJSONError(t *testing.T, run cliRun) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(run.stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	var e struct {
		Error    string `json:"error"`
		ExitCode *int   `json:"exit_code"`
	}
	if err := json.Unmarshal([]byte(last), &e); err != nil || e.Error == "" || e.ExitCode == nil {
		t.Fatalf("the last line of stderr is not a JSON error (%v):\n%s", err, run.stderr)
	}
	if *e.ExitCode != run.code {
		t.Errorf("the error says exit code %d, the process exited %d", *e.ExitCode, run.code)
	}
	if strings.Contains(run.stderr, "Error: ") {
		t.Errorf("stderr also has the text error:\n%s", run.stderr)
	}
}

// TestJSONErrorNamesTheChainsCode: an answer the chain refused carries
// its codespace and code, as a refused transaction's result does.
func TestJSONErrorNamesTheChainsCode(t *testing.T) {
	node := newStubNode(t)
	node.refuse["/lineage.models.v1.Query/Model"] = true
	run := runCLI(friendlyGroups, "", "query", "models", "model", "dev/none@1.0", "--node", node.url, "-o", "json")
	if run.code == 0 || run.stdout != "" {
		t.Fatalf("exit code %d, stdout %q", run.code, run.stdout)
	}
	var e jsonError
	if err := json.Unmarshal([]byte(strings.TrimSpace(run.stderr)), &e); err != nil {
		t.Fatalf("stderr is not one JSON error: %v\n%s", err, run.stderr)
	}
	if e.Codespace != "models" || e.Code != 16 || e.ExitCode != run.code || !strings.Contains(e.Error, "no such thing") {
		t.Errorf("error %+v", e)
	}
	// The same error for people.
	text := runCLI(friendlyGroups, "", "query", "models", "model", "dev/none@1.0", "--node", node.url)
	if !strings.HasPrefix(text.stderr, "Error: not found: no such thing (models/16)") {
		t.Errorf("text error: %q", text.stderr)
	}
}

// TestJSONRequested: -o json is recognised however it is spelled, even
// when a flag before it does not parse.
func TestJSONRequested(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"version", "-o", "json"}, true},
		{[]string{"version", "-ojson"}, true},
		{[]string{"version", "-o=json"}, true},
		{[]string{"version", "--output", "JSON"}, true},
		{[]string{"version", "--output=json"}, true},
		{[]string{"version", "--bogus", "-o", "json"}, true},
		{[]string{"version"}, false},
		{[]string{"version", "-o", "text"}, false},
		{[]string{"tx", "sign", "--", "-o", "json"}, false},
	} {
		root := NewRootCmd(strings.NewReader(""), io.Discard, io.Discard)
		if got := jsonRequested(root, tc.args); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.args, got, tc.want)
		}
	}
}
