package node

import (
	"os"
	"strings"
	"testing"
)

func TestValidateNodeAddress(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want string // "" for valid, else in the error
	}{
		{"tcp://127.0.0.1:26657", ""},
		{"127.0.0.1:26657", ""},
		{"localhost:26657", ""},
		{"http://127.0.0.1:26657", ""},
		{"https://rpc.example.org", ""},
		{"https://rpc.example.org:443/cometbft", ""},
		{"tcp://[::1]:26657", ""},
		{"unix:///run/lineaged/rpc.sock", ""},
		{"", "empty"},
		{"tcp://127.0.0.1", "no port"},
		{"127.0.0.1", "no port"},
		{"26657", "a port alone"},
		{"tcp://:26657", "no host"},
		{"grpc://127.0.0.1:9090", "scheme"},
		{"tcp://127.0.0.1:99999", "not a port"},
		{"tcp://127.0.0.1:26657/x", "no path"},
		{"http://u:p@127.0.0.1:26657", "no query, fragment or user"},
		{"tcp://127.0.0.1: 26657", "no spaces"},
		{"unix://", "unix://PATH"},
	} {
		err := ValidateNodeAddress(tc.addr)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v, want valid", tc.addr, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: got %v, want an error with %q", tc.addr, err, tc.want)
		}
	}
}

func TestValidateClientSetting(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		ok         bool
	}{
		{"chain-id", "lineage-dev", true},
		{"chain_id", "acme-1", true},
		{"chain-id", "", true}, // turns the check off
		{"chain-id", "acme 1", false},
		{"chain-id", strings.Repeat("x", 51), false},
		{"output", "json", true},
		{"output", "JSON", true},
		{"output", "yaml", false},
		{"node", "tcp://127.0.0.1:1", true},
		{"node", "1317", false},
		{"from", "alice", false},
	} {
		if err := ValidateClientSetting(tc.key, tc.value); (err == nil) != tc.ok {
			t.Errorf("%s = %q: %v, want ok %v", tc.key, tc.value, err, tc.ok)
		}
	}
}

// TestClientConfigFile: what is written reads back; a home without the file
// gets the defaults; unknown keys and bad values are refused with the path.
func TestClientConfigFile(t *testing.T) {
	home := t.TempDir()
	c, exists, err := LoadClientConfig(home)
	if err != nil || exists {
		t.Fatalf("empty home: %v, exists %v", err, exists)
	}
	if *c != *DefaultClientConfig() {
		t.Errorf("empty home: %+v, want the defaults", c)
	}
	want := ClientConfig{Node: "https://rpc.example.org:443/a", ChainID: `acme-1`, Output: "json"}
	if err := WriteClientConfig(home, &want); err != nil {
		t.Fatal(err)
	}
	got, exists, err := LoadClientConfig(home)
	if err != nil || !exists || *got != want {
		t.Fatalf("read back %+v (exists %v, %v), want %+v", got, exists, err, want)
	}

	for _, tc := range []struct{ file, want string }{
		{"node = \"tcp://127.0.0.1:1\"\nchain_id = \"x\"\n", "chain_id"},
		{"output = \"yaml\"\n", `output "yaml"`},
		{"node = [\n", "failed to parse"},
	} {
		if err := os.WriteFile(ClientConfigPath(home), []byte(tc.file), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadClientConfig(home)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), ClientConfigPath(home)) {
			t.Errorf("%q: got %v, want an error naming the file and %q", tc.file, err, tc.want)
		}
	}

	// An update keeps what it does not change; an invalid one writes nothing.
	if err := WriteClientConfig(home, &want); err != nil {
		t.Fatal(err)
	}
	before, after, err := UpdateClientConfig(home, func(c *ClientConfig) { c.ChainID = "acme-2" })
	if err != nil || before != want || after.ChainID != "acme-2" || after.Output != "json" || after.Node != want.Node {
		t.Errorf("update: %+v -> %+v (%v)", before, after, err)
	}
	if _, _, err := UpdateClientConfig(home, func(c *ClientConfig) { c.Node = "nowhere" }); err == nil {
		t.Error("an update to an invalid node was written")
	}
	if got, _, err := LoadClientConfig(home); err != nil || got.ChainID != "acme-2" || got.Node != want.Node {
		t.Errorf("after a refused update: %+v, %v", got, err)
	}
}

func TestClientNodeAddress(t *testing.T) {
	for laddr, want := range map[string]string{
		"tcp://127.0.0.1:26657":  "tcp://127.0.0.1:26657",
		"tcp://0.0.0.0:26657":    "tcp://127.0.0.1:26657",
		"tcp://[::]:36657":       "tcp://127.0.0.1:36657",
		"tcp://:26657":           "tcp://127.0.0.1:26657",
		"127.0.0.12:26657":       "tcp://127.0.0.12:26657",
		"unix:///tmp/rpc.sock":   "unix:///tmp/rpc.sock",
		"tcp://10.0.0.5:26657":   "tcp://10.0.0.5:26657",
		"http://0.0.0.0:8080":    "http://127.0.0.1:8080",
		"tcp://localhost:26657":  "tcp://localhost:26657",
		"tcp://[::1]:26657":      "tcp://[::1]:26657",
		"tcp://not-an-address":   "tcp://not-an-address",
		"tcp://127.0.0.1:0":      "tcp://127.0.0.1:0",
		"tcp://192.168.1.7:2665": "tcp://192.168.1.7:2665",
	} {
		if got := ClientNodeAddress(laddr); got != want {
			t.Errorf("ClientNodeAddress(%q) = %q, want %q", laddr, got, want)
		}
	}
}
