package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The fixture is a valid DENY of alpha/bot@1.0 for alpha's commercial use
// and redistribution, at height 4 of the chain of its genesis.
const (
	fixtureReceipt = "../receipt/testdata/gate-receipt.json"
	fixtureGenesis = "../receipt/testdata/genesis.json"
)

// TestVerifyExitCodes: a pipeline tells by the exit code alone whether a
// receipt is valid and says what it needs: each unmet expectation has its
// own code, and input it cannot use is 2, never "invalid".
func TestVerifyExitCodes(t *testing.T) {
	data, err := os.ReadFile(fixtureReceipt)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var indented bytes.Buffer
	if err := json.Indent(&indented, data, "", "  "); err != nil {
		t.Fatal(err)
	}
	reformatted := filepath.Join(dir, "indented.json")
	if err := os.WriteFile(reformatted, indented.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	wrapped, _ := json.Marshal(map[string]string{"receipt": base64.StdEncoding.EncodeToString(data)})

	plain := runCLI(friendlyGroups, "", "verify", fixtureReceipt, "--trust", fixtureGenesis)
	if plain.code != 0 {
		t.Fatalf("fixture: exit %d: %s", plain.code, plain.stderr)
	}
	m := regexp.MustCompile(`header: +(4:[0-9A-F]{64})`).FindStringSubmatch(plain.stdout)
	if m == nil {
		t.Fatalf("no header hash to pin in:\n%s", plain.stdout)
	}
	pin := m[1]

	g := []string{"--trust", fixtureGenesis}
	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string // in stdout+stderr
	}{
		{"valid", "", append([]string{fixtureReceipt}, g...), 0, "trusted:  genesis -> 5"},
		{"reformatted", "", append([]string{reformatted}, g...), 0, "valid receipt"},
		{"wrapped, from stdin", string(wrapped), append([]string{"-"}, g...), 0, "valid receipt"},
		{"trust the height it names", "", []string{fixtureReceipt, "--trust", pin, "--trusting-period", "876000h"}, 0, "trusted:  " + pin + " -> 5"},
		{"trusted header expired", "", []string{fixtureReceipt, "--trust", pin, "--trusting-period", "1h"}, 2, "older than the trusting period 1h0m0s"},
		{"trust an absent height", "", []string{fixtureReceipt, "--trust", "3" + pin[1:]}, 2, "carries no header at the trusted height 3"},
		{"trust a wrong hash", "", []string{fixtureReceipt, "--trust", "4:" + strings.Repeat("AB", 32)}, 1, "invalid receipt"},
		{"deny expected", "", append([]string{fixtureReceipt, "--expect-verdict", "deny"}, g...), 0, "valid receipt"},
		{"allow expected", "", append([]string{fixtureReceipt, "--expect-verdict", "allow"}, g...), 3, "the verdict is DENY, not ALLOW"},
		{"model", "", append([]string{fixtureReceipt, "--expect-model", "alpha/bot@1.0"}, g...), 0, ""},
		{"other model", "", append([]string{fixtureReceipt, "--expect-model", "alpha/bot@2.0"}, g...), 4, `it checks model "alpha/bot@1.0", not "alpha/bot@2.0"`},
		{"org", "", append([]string{fixtureReceipt, "--expect-org", "alpha"}, g...), 0, ""},
		{"other org", "", append([]string{fixtureReceipt, "--expect-org", "beta"}, g...), 4, `org "alpha", not "beta"`},
		{"uses", "", append([]string{fixtureReceipt, "--expect-use", "commercial", "--expect-use", "redistribution"}, g...), 0, ""},
		{"uses as a list", "", append([]string{fixtureReceipt, "--expect-use", "commercial,redistribution"}, g...), 0, ""},
		{"use not asked", "", append([]string{fixtureReceipt, "--expect-use", "ai-training"}, g...), 4, "does not check use ai-training"},
		{"not before, met", "", append([]string{fixtureReceipt, "--not-before", "4"}, g...), 0, ""},
		{"not before, stale", "", append([]string{fixtureReceipt, "--not-before", "5"}, g...), 5, "at height 4, before 5"},
		{"max age, stale", "", append([]string{fixtureReceipt, "--max-age", "1h"}, g...), 5, "more than 1h0m0s"},
		{"max age, met", "", append([]string{fixtureReceipt, "--max-age", "876000h"}, g...), 0, ""},
		{"several unmet: the other question wins", "", append([]string{fixtureReceipt, "--expect-verdict", "allow", "--not-before", "9", "--expect-org", "beta"}, g...), 4, "not ALLOW"},
		{"several unmet: stale before verdict", "", append([]string{fixtureReceipt, "--expect-verdict", "allow", "--not-before", "9"}, g...), 5, "not ALLOW"},
		{"bad verdict", "", append([]string{fixtureReceipt, "--expect-verdict", "maybe"}, g...), 2, "want allow or deny"},
		{"bad model", "", append([]string{fixtureReceipt, "--expect-model", "bot"}, g...), 2, "NAME@VERSION"},
		{"bad use", "", append([]string{fixtureReceipt, "--expect-use", "juggling"}, g...), 2, "unknown use"},
		{"bad height", "", append([]string{fixtureReceipt, "--not-before", "x"}, g...), 2, "invalid argument"},
		{"unknown flag", "", append([]string{fixtureReceipt, "--expect-colour", "red"}, g...), 2, "unknown flag"},
		{"no trust", "", []string{fixtureReceipt}, 2, "--trust is required"},
		{"no receipt", "", g, 2, "one RECEIPT argument"},
		{"not a receipt", "", append([]string{fixtureGenesis}, g...), 2, "unusable receipt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := runCLI(friendlyGroups, c.stdin, append([]string{"verify"}, c.args...)...)
			if got.code != c.code || !strings.Contains(got.stdout+got.stderr, c.want) {
				t.Fatalf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", got.code, c.code, c.want, got.stdout, got.stderr)
			}
		})
	}

	// JSON output says whether the expectations were met.
	got := runCLI(friendlyGroups, "", "verify", fixtureReceipt, "--trust", fixtureGenesis, "-o", "json", "--expect-verdict", "allow")
	var out struct {
		Valid bool   `json:"valid"`
		Meets bool   `json:"meets_expectations"`
		Unmet string `json:"unmet"`
	}
	if got.code != 3 || json.Unmarshal([]byte(got.stdout), &out) != nil || !out.Valid || out.Meets || !strings.Contains(out.Unmet, "DENY") {
		t.Fatalf("json: exit %d: %s", got.code, got.stdout)
	}
}
