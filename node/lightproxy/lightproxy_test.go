package lightproxy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/crypto/merkle"

	"github.com/lineageledger/lineaged/app"
)

func TestKeyPath(t *testing.T) {
	for _, tc := range []struct {
		path string
		data []byte
		want string // "" for an error
	}{
		{app.StateKeyPath, []byte{0x01, 0x02}, "/x:0102"},
		{app.StateKeyPath, nil, ""},
		{"/lineage.models.v1.Query/Model", []byte("ignored"), "/%2Flineage.models.v1.Query%2FModel"},
		{"/lineage.gate.v1.Query/Check", nil, "/%2Flineage.gate.v1.Query%2FCheck"},
		{app.SimulatePath, []byte("tx"), ""},
		{"store/key", []byte{1}, ""},
		{"", nil, ""},
	} {
		kp, err := KeyPath(tc.path, tc.data)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("KeyPath(%q, %x) = %s, want an error", tc.path, tc.data, kp)
		case tc.want != "" && (err != nil || kp.String() != tc.want):
			t.Errorf("KeyPath(%q, %x) = %s (%v), want %s", tc.path, tc.data, kp, err, tc.want)
		}
		if err != nil {
			continue
		}
		// The path names exactly the key of the one operation.
		keys, err := merkle.KeyPathToKeys(kp.String())
		if err != nil || len(keys) != 1 {
			t.Fatalf("%s decodes to %q (%v)", kp, keys, err)
		}
		want := tc.data
		if tc.path != app.StateKeyPath {
			want = []byte(tc.path)
		}
		if string(keys[0]) != string(want) {
			t.Errorf("%s decodes to %q, want %q", kp, keys[0], want)
		}
	}
}

func TestParseTrust(t *testing.T) {
	dir := t.TempDir()
	genesis := filepath.Join(dir, "genesis.json")
	doc := `{"chain_id":"trust-test","genesis_time":"2026-01-01T00:00:00Z","initial_height":"1","validators":[],"app_hash":""}`
	if err := os.WriteFile(genesis, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	hash := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		in   string
		want string // "genesis", "header", or part of the error
	}{
		{"12:" + hash, "header"},
		{"12:" + strings.ToUpper(hash), "header"},
		{genesis, "genesis"},
		{"0:" + hash, "positive height"},
		{"12:abcd", "64-digit"},
		{"12:" + hash + "00", "64-digit"},
		{filepath.Join(dir, "missing.json"), "neither HEIGHT:HASH nor a readable genesis file"},
	} {
		got, err := ParseTrust(tc.in)
		switch {
		case tc.want == "header" && (err != nil || got.Height != 12 || len(got.Hash) != 32):
			t.Errorf("ParseTrust(%q) = %+v, %v", tc.in, got, err)
		case tc.want == "genesis" && (err != nil || got.Genesis == nil || got.Genesis.ChainID != "trust-test"):
			t.Errorf("ParseTrust(%q) = %+v, %v", tc.in, got, err)
		case tc.want != "header" && tc.want != "genesis" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("ParseTrust(%q) = %v, want an error saying %q", tc.in, err, tc.want)
		}
	}
	if !(Trust{}).IsZero() {
		t.Error("the zero trust root is not zero")
	}
}

// TestICS23OpArguments: an operation proves one value or an absence;
// anything else is refused before any proof is looked at.
func TestICS23OpArguments(t *testing.T) {
	op := ICS23Op{Key: []byte{1}, Proof: []byte{0xff}}
	for _, args := range [][][]byte{{{}}, {{1}, {2}}, {nil}} {
		if _, err := op.Run(args); err == nil {
			t.Errorf("Run(%q) succeeded", args)
		}
	}
	if _, err := op.Run(nil); err == nil {
		t.Error("a malformed proof proves absence")
	}
	if _, err := DecodeICS23Op(op.ProofOp()); err != nil {
		t.Errorf("an operation does not decode from its own encoding: %v", err)
	}
	bad := op.ProofOp()
	bad.Type = "simple:v"
	if _, err := DecodeICS23Op(bad); err == nil {
		t.Error("another operation type decodes")
	}
}
