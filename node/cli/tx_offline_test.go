package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
)

// noNode is an address nothing listens on: a step that must not need the
// network is pointed at it, and fails if it asks anything.
const noNode = "tcp://127.0.0.1:1"

// simulated returns the transaction the node was last asked to simulate.
func (n *fakeNode) simulated(t *testing.T) []byte {
	t.Helper()
	var raw []byte
	for _, q := range n.take() {
		if q.path == app.SimulatePath {
			raw = q.data
		}
	}
	return raw
}

// TestOfflineSigningSignsWhatOnlineSigns: built with --generate-only (for
// a key or a bare address, with no node), signed by tx sign (no node) and
// broadcast by tx broadcast, a transaction is byte for byte the one the
// command signs and sends by itself, and its result prints the same.
func TestOfflineSigningSignsWhatOnlineSigns(t *testing.T) {
	node := newFakeNode(t)
	dir, kr, _ := testKeyring(t)
	alice, err := kr.Show("alice")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	home := []string{"--home", t.TempDir(), "--keyring-dir", dir}

	for _, tc := range []struct {
		name    string
		args    []string
		signFor []string // how --generate-only names the signer
	}{
		{"licence for an address", []string{"tx", "licenses", "define", "dev/terms", "--spdx", "MIT", "--allow", "commercial,derivatives", "--memo", "ticket 7", "--timeout-height", "99"},
			[]string{"--signer", alice.Address}},
		{"suspension for a key", []string{"tx", "membership", "suspend", "lin1kczlqwkkstyxus4uvk3ypuqx5tpzf02ur8p3aw", "--reason", "left"},
			[]string{"--from", "alice"}},
		{"signed model for a key", []string{"tx", "models", "register", "dev/bot@1.0", "--manifest-digest",
			"sha256:5555555555555555555555555555555555555555555555555555555555555555", "--sign"},
			[]string{"--from", "alice"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(stdin string, args ...string) cliRun {
				t.Helper()
				r := runCLI(friendlyGroups, stdin, append(args, home...)...)
				if r.code != 0 {
					t.Fatalf("%q exited %d: %s%s", args, r.code, r.stdout, r.stderr)
				}
				return r
			}
			online := run("", append(tc.args, "--from", "alice", "--node", node.url, "--sequence", "5", "--dry-run", "-o", "json")...)
			want := node.simulated(t)

			unsigned := run("", append(append(tc.args, tc.signFor...), "--generate-only", "--chain-id", "test-chain", "--sequence", "5", "--node", noNode)...)
			if !strings.Contains(unsigned.stderr, "sign bytes SHA-256: ") {
				t.Errorf("--generate-only did not show the digest: %s", unsigned.stderr)
			}
			file := filepath.Join(work, strings.ReplaceAll(tc.name, " ", "-")+".json")
			if err := os.WriteFile(file, []byte(unsigned.stdout), 0o600); err != nil {
				t.Fatal(err)
			}
			signed := run("", "tx", "sign", file, "--from", "alice", "--node", noNode, "--chain-id", "test-chain")
			digest := strings.TrimSpace(unsigned.stderr[strings.Index(unsigned.stderr, "SHA-256: ")+9:])[:64]
			if !strings.Contains(signed.stderr, digest) {
				t.Errorf("tx sign showed\n%s\nnot the digest %s that --generate-only showed", signed.stderr, digest)
			}
			broadcast := run(signed.stdout, "tx", "broadcast", "-", "--node", node.url, "--dry-run", "-o", "json")
			got := node.simulated(t)
			if string(got) != string(want) {
				t.Errorf("offline signing sent\n%x\nthe command itself sent\n%x", got, want)
			}
			if broadcast.stdout != online.stdout {
				t.Errorf("tx broadcast printed\n%s\nthe command itself printed\n%s", broadcast.stdout, online.stdout)
			}
		})
	}
}

// TestOfflineSigningRefusals: each way an offline transaction can be
// wrong is refused, before anything is signed or sent.
func TestOfflineSigningRefusals(t *testing.T) {
	node := newFakeNode(t)
	dir, kr, bob := testKeyring(t)
	alice, err := kr.Show("alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Add("carol", keysv1.KeyType_KEY_TYPE_ED25519); err != nil {
		t.Fatal(err)
	}
	if err := kr.MarkRotated("carol", "alice"); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	home := []string{"--home", t.TempDir(), "--keyring-dir", dir}
	write := func(name, data string) string {
		p := filepath.Join(work, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	build := func(chainID string) string {
		r := runCLI(friendlyGroups, "", append([]string{"tx", "licenses", "revoke-grant", "grant-1", "--reason", "ended",
			"--signer", alice.Address, "--generate-only", "--chain-id", chainID, "--sequence", "3", "--node", noNode}, home...)...)
		if r.code != 0 {
			t.Fatalf("--generate-only exited %d: %s", r.code, r.stderr)
		}
		return r.stdout
	}
	sign := func(unsigned string) string {
		r := runCLI(friendlyGroups, unsigned, append([]string{"tx", "sign", "-", "--from", "alice", "--node", noNode}, home...)...)
		if r.code != 0 {
			t.Fatalf("tx sign exited %d: %s", r.code, r.stderr)
		}
		return r.stdout
	}
	unsigned := write("unsigned.json", build("test-chain"))
	signed := write("signed.json", sign(build("test-chain")))
	otherChain := write("other.json", sign(build("other-chain")))
	tampered := write("tampered.json", strings.Replace(build("test-chain"), `"reason": "ended"`, `"reason": "fraud"`, 1))

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"another key signs", []string{"tx", "sign", unsigned, "--from", "bob"},
			"is to be signed by " + alice.Address + ", key bob signs for " + bob.Address},
		{"a rotated-out key signs", []string{"tx", "sign", unsigned, "--from", "carol"}, "key carol was rotated out of account"},
		{"a rotated-out key builds", []string{"tx", "licenses", "revoke-grant", "g", "--reason", "r", "--from", "carol", "--generate-only", "--chain-id", "c", "--sequence", "1"},
			"key carol was rotated out of account"},
		{"a tampered body is signed", []string{"tx", "sign", tampered, "--from", "alice"}, "the body shown is not the body in body_bytes"},
		{"a tampered body is broadcast", []string{"tx", "broadcast", tampered}, "the body shown is not the body in body_bytes"},
		{"signing for another chain", []string{"tx", "sign", unsigned, "--from", "alice", "--chain-id", "lineage-1"},
			`the transaction is for chain "test-chain", not "lineage-1"`},
		{"broadcasting to another chain", []string{"tx", "broadcast", otherChain}, `the transaction is for chain "other-chain", but the node at `},
		{"broadcasting unsigned", []string{"tx", "broadcast", unsigned}, "not signed: sign it first"},
		{"signing twice", []string{"tx", "sign", signed, "--from", "alice"}, "is signed already"},
		{"reshaping a file", []string{"tx", "sign", unsigned, "--from", "alice", "--memo", "x"}, "--memo shapes a transaction being built"},
		{"not a file", []string{"tx", "sign", write("receipt.json", `{"format":"lineage-receipt/v1"}`), "--from", "alice"}, `format "lineage-receipt/v1"`},
		{"generate-only with dry-run", []string{"tx", "licenses", "revoke-grant", "g", "--reason", "r", "--from", "alice", "--generate-only", "--dry-run"}, "not both"},
		{"an address to sign with", []string{"tx", "licenses", "revoke-grant", "g", "--reason", "r", "--signer", alice.Address}, "--signer only goes with --generate-only"},
		{"a key and an address", []string{"tx", "licenses", "revoke-grant", "g", "--reason", "r", "--from", "alice", "--signer", alice.Address, "--generate-only"}, "not both"},
		{"a bad address", []string{"tx", "licenses", "revoke-grant", "g", "--reason", "r", "--signer", "alice", "--generate-only", "--chain-id", "c", "--sequence", "1"}, "--signer"},
		{"no signer", []string{"tx", "licenses", "revoke-grant", "g", "--reason", "r", "--generate-only"}, "--from KEY (a keyring key) or --signer ADDRESS"},
		{"an address cannot sign a manifest", []string{"tx", "models", "register", "dev/bot@1.0", "--manifest-digest",
			"sha256:5555555555555555555555555555555555555555555555555555555555555555", "--sign",
			"--signer", alice.Address, "--generate-only", "--chain-id", "c", "--sequence", "1"}, "nothing here can sign for it"},
		{"no node and no sequence", []string{"tx", "licenses", "revoke-grant", "g", "--reason", "r", "--signer", alice.Address, "--generate-only", "--chain-id", "c", "--node", noNode},
			"give --chain-id and --sequence"},
		{"a node on another chain", []string{"tx", "licenses", "revoke-grant", "g", "--reason", "r", "--from", "alice", "--chain-id", "lineage-1", "--sequence", "1", "--dry-run"},
			`is on chain "test-chain", not "lineage-1" (from --chain-id)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{}, tc.args...), home...)
			if !strings.Contains(strings.Join(tc.args, " "), "--node") {
				args = append(args, "--node", node.url)
			}
			r := runCLI(friendlyGroups, "", args...)
			if r.code == 0 {
				t.Fatalf("exit code 0, stdout %s", r.stdout)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout: %s", r.stdout)
			}
			if raw := node.simulated(t); raw != nil {
				t.Errorf("a transaction was sent")
			}
		})
	}
}
