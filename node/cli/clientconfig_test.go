package cli

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"google.golang.org/grpc"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/node"
)

// writeClientConfig writes home's client.toml.
func writeClientConfig(t *testing.T, home string, c node.ClientConfig) {
	t.Helper()
	if err := node.WriteClientConfig(home, &c); err != nil {
		t.Fatal(err)
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "tcp://" + addr
}

// TestClientSettingsPrecedence: the node and the output format come from
// the flag, else LINEAGED_*, else the home's client.toml, else the default.
func TestClientSettingsPrecedence(t *testing.T) {
	isolate(t)
	fake := newFakeNode(t)
	fake.answers[paramsQueryPath] = &appv1.QueryParamsResponse{Params: &appv1.Params{MaxTxBytes: 5, Rules: 1}}
	home := t.TempDir()
	writeClientConfig(t, home, node.ClientConfig{Node: fake.url, ChainID: "test-chain", Output: "json"})
	params := []string{"query", "params", "--home", home}
	// -o json prints one line; text is indented JSON.
	compact := func(out string) bool {
		return strings.Count(out, "\n") == 1 && strings.Contains(out, `"max_tx_bytes":5`)
	}

	// client.toml: its node, its output format.
	if run := runCLI(friendlyGroups, "", params...); run.code != 0 || !compact(run.stdout) {
		t.Fatalf("from client.toml: exit %d, stdout %q, stderr %s", run.code, run.stdout, run.stderr)
	}
	// The environment wins over the file...
	dead := closedPort(t)
	t.Setenv("LINEAGED_NODE", dead)
	t.Setenv("LINEAGED_OUTPUT", "text")
	run := runCLI(friendlyGroups, "", params...)
	if run.code != 1 || !strings.Contains(run.stderr, "no node answers at "+dead) || !strings.Contains(run.stderr, "from $LINEAGED_NODE") {
		t.Fatalf("from the environment: exit %d, stderr %s", run.code, run.stderr)
	}
	// ...and flags win over both.
	run = runCLI(friendlyGroups, "", append(params, "--node", fake.url)...)
	if run.code != 0 || compact(run.stdout) || !strings.Contains(run.stdout, "\n  ") {
		t.Fatalf("from flags: exit %d, stdout %q (want indented text), stderr %s", run.code, run.stdout, run.stderr)
	}
	if run = runCLI(friendlyGroups, "", append(params, "--node", fake.url, "-o", "json")...); !compact(run.stdout) {
		t.Fatalf("-o json over $LINEAGED_OUTPUT: stdout %q", run.stdout)
	}
	// Without a client.toml or variables: the default address.
	t.Setenv("LINEAGED_NODE", "")
	run = runCLI(friendlyGroups, "", "query", "params", "--home", t.TempDir())
	if !strings.Contains(run.stderr, node.DefaultClientNode+" (") || !strings.Contains(run.stderr, "the default") {
		t.Errorf("default: exit %d, stderr %s", run.code, run.stderr)
	}
	// A bad output format in the file is reported with the file.
	writeClientConfig(t, home, node.ClientConfig{Node: fake.url, Output: "json"})
	if err := os.WriteFile(node.ClientConfigPath(home), []byte(`output = "yaml"`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LINEAGED_OUTPUT", "")
	run = runCLI(friendlyGroups, "", params...)
	if run.code != 1 || !strings.Contains(run.stderr, node.ClientConfigPath(home)) || !strings.Contains(run.stderr, "lineaged config set") {
		t.Errorf("bad client.toml: exit %d, stderr %s", run.code, run.stderr)
	}
}

// TestChainIDCheck: a command refuses a node that reports another chain
// than the configured one, before asking it anything, and says both and
// how to fix it; --chain-id and LINEAGED_CHAIN_ID set the chain too, and
// an empty one turns the check off.
func TestChainIDCheck(t *testing.T) {
	isolate(t)
	fake := newFakeNode(t)
	fake.answers[paramsQueryPath] = &appv1.QueryParamsResponse{Params: &appv1.Params{MaxTxBytes: 5}}
	home := t.TempDir()
	writeClientConfig(t, home, node.ClientConfig{Node: fake.url, ChainID: "other-chain"})
	dir, _, _ := testKeyring(t)

	for _, args := range [][]string{
		{"query", "params", "--home", home},
		{"tx", "models", "revoke", "dev/bot@1.0", "--reason-code", "other", "--reason", "x", "--from", "alice", "--keyring-dir", dir, "--sequence", "1", "--dry-run", "--home", home},
		{"gate", "check", "--model", "dev/bot@1.0", "--org", "dev", "--use", "commercial", "--home", home},
	} {
		run := runCLI(friendlyGroups, "", args...)
		if run.code == 0 {
			t.Errorf("%q: exit 0 with a node of another chain", args)
		}
		for _, want := range []string{`is on chain "test-chain", not "other-chain"`, node.ClientConfigPath(home),
			"--chain-id test-chain", "lineaged config set chain-id test-chain", "--node"} {
			if !strings.Contains(run.stderr, want) {
				t.Errorf("%q: stderr lacks %q:\n%s", args, want, run.stderr)
			}
		}
		if asked := fake.take(); len(asked) > 0 {
			t.Errorf("%q: the node of another chain was asked %d queries", args, len(asked))
		}
	}

	ok := func(what string, args ...string) {
		t.Helper()
		if run := runCLI(friendlyGroups, "", append([]string{"query", "params", "--home", home}, args...)...); run.code != 0 {
			t.Errorf("%s: exit %d, stderr %s", what, run.code, run.stderr)
		}
	}
	ok("--chain-id", "--chain-id", "test-chain")
	t.Setenv("LINEAGED_CHAIN_ID", "test-chain")
	ok("LINEAGED_CHAIN_ID")
	t.Setenv("LINEAGED_CHAIN_ID", "")
	writeClientConfig(t, home, node.ClientConfig{Node: fake.url})
	ok("no chain id configured")
	if run := runCLI(friendlyGroups, "", "query", "params", "--home", home, "--chain-id", "a b"); run.code != exitUsage {
		t.Errorf("--chain-id with a space: exit %d, want usage", run.code)
	}
}

// TestDialErrors: an address that refuses connections, or answers as
// the REST API or the gRPC API, gets an error that names the address, where
// it came from, what it looks like, and how to set another.
func TestDialErrors(t *testing.T) {
	isolate(t)
	rest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"code":5,"message":"Not Found","details":[]}`))
	}))
	t.Cleanup(rest.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)

	for _, tc := range []struct {
		name, addr string
		want       []string
	}{
		{"refused", closedPort(t), []string{"connection refused", "Is the node running?"}},
		{"REST port", rest.URL, []string{"not as CometBFT's RPC", "REST API", "26657"}},
		{"gRPC port", "tcp://" + ln.Addr().String(), []string{"not as CometBFT's RPC", "gRPC", "26657"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := runCLI(friendlyGroups, "", "query", "params", "--node", tc.addr, "--home", t.TempDir())
			if run.code != 1 {
				t.Errorf("exit %d, want 1", run.code)
			}
			for _, want := range append(tc.want, tc.addr, "from --node", "--node, $LINEAGED_NODE or `lineaged config set node ADDRESS`") {
				if !strings.Contains(run.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, run.stderr)
				}
			}
		})
	}
}

// TestConfigCmd: config set checks and writes client.toml; config get
// prints what commands would use, and where it comes from.
func TestConfigCmd(t *testing.T) {
	isolate(t)
	home := t.TempDir()
	cli := func(args ...string) cliRun { return runCLI(friendlyGroups, "", append(args, "--home", home)...) }
	for _, set := range [][]string{{"node", "tcp://127.0.0.1:36657"}, {"chain-id", "lineage-dev"}, {"chain_id", "acme-1"}, {"output", "JSON"}} {
		if run := cli("config", "set", set[0], set[1]); run.code != 0 {
			t.Fatalf("config set %s: exit %d, %s", set, run.code, run.stderr)
		}
	}
	c, exists, err := node.LoadClientConfig(home)
	if want := (node.ClientConfig{Node: "tcp://127.0.0.1:36657", ChainID: "acme-1", Output: "json"}); err != nil || !exists || *c != want {
		t.Fatalf("client.toml %+v (%v, exists %v), want %+v", c, err, exists, want)
	}
	var got map[string]string
	if run := cli("config", "get", "node"); run.code != 0 || json.Unmarshal([]byte(run.stdout), &got) != nil || got["node"] != "tcp://127.0.0.1:36657" {
		t.Errorf("config get node (output json): exit %d, %q", run.code, run.stdout)
	}
	if run := cli("config", "get", "node", "-o", "text"); run.stdout != "tcp://127.0.0.1:36657\n" {
		t.Errorf("config get node -o text: %q", run.stdout)
	}
	t.Setenv("LINEAGED_NODE", "tcp://10.0.0.5:26657")
	run := cli("config", "get", "-o", "text")
	for _, want := range []string{"node      tcp://10.0.0.5:26657  ($LINEAGED_NODE)", "chain-id  acme-1  (" + node.ClientConfigPath(home) + ")", "output    text  (--output)"} {
		if !strings.Contains(strings.Join(strings.Fields(run.stdout), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("config get lacks %q:\n%s", want, run.stdout)
		}
	}
	if run := cli("config", "set", "node", "tcp://127.0.0.1:1"); !strings.Contains(run.stderr, "$LINEAGED_NODE is set") {
		t.Errorf("config set under $LINEAGED_NODE: no note: %s", run.stderr)
	}
	for _, bad := range [][]string{{"set", "node", "1317"}, {"set", "output", "yaml"}, {"set", "chain-id", "a b"}, {"set", "from", "alice"}, {"get", "from"}, {"set", "node"}} {
		if run := cli(append([]string{"config"}, bad...)...); run.code != exitUsage {
			t.Errorf("config %q: exit %d, want usage; %s", bad, run.code, run.stderr)
		}
	}
	if c2, _, _ := node.LoadClientConfig(home); c2.Output != "json" || c2.ChainID != "acme-1" {
		t.Errorf("refused settings changed the file: %+v", c2)
	}

	// A bad value in the file stops every command but the one that repairs it.
	if err := os.WriteFile(node.ClientConfigPath(home), []byte("output = \"yaml\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if run := cli("keys", "list"); run.code != 1 || !strings.Contains(run.stderr, `output "yaml"`) {
		t.Errorf("keys list with a bad client.toml: exit %d, %s", run.code, run.stderr)
	}
	if run := cli("config", "set", "output", "text"); run.code != 0 {
		t.Errorf("config set cannot repair a bad value: exit %d, %s", run.code, run.stderr)
	}
	if c3, _, err := node.LoadClientConfig(home); err != nil || c3.Output != "text" {
		t.Errorf("after the repair: %+v, %v", c3, err)
	}
}
