package cli

import (
	"bytes"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// TestAllowTakesTheGateVocabulary: a licence's --allow names uses as gate
// check --use does, with the same aliases, and none or all.
func TestAllowTakesTheGateVocabulary(t *testing.T) {
	all := &licensespb.Usage{CommercialUse: true, Derivatives: true, Redistribution: true, AiTraining: true}
	for _, tc := range []struct {
		in   string
		want *licensespb.Usage
	}{
		{"commercial,derivatives", &licensespb.Usage{CommercialUse: true, Derivatives: true}},
		{"commercial,fine-tune", &licensespb.Usage{CommercialUse: true, Derivatives: true}},
		{"redistribution, ai-training", &licensespb.Usage{Redistribution: true, AiTraining: true}},
		{"commercial_use,ai_training", &licensespb.Usage{CommercialUse: true, AiTraining: true}},
		{"USE_COMMERCIAL,AI_TRAINING", &licensespb.Usage{CommercialUse: true, AiTraining: true}},
		{"all", all},
		{"ALL", all},
		{"none", &licensespb.Usage{}},
		{"", &licensespb.Usage{}},
	} {
		got, err := parseLicenseUses(tc.in)
		if err != nil || !proto.Equal(got, tc.want) {
			t.Errorf("--allow %q = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	_, err := parseLicenseUses("commercial,training")
	const want = `--allow: unknown use "training" (want commercial, derivatives (or fine-tune), redistribution, ai-training, or none, or all)`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

// TestUnknownUseListsTheValidOnes: every command that takes uses refuses
// an unknown one naming the valid ones, before asking anything.
func TestUnknownUsesListTheValidOnes(t *testing.T) {
	node := newFakeNode(t)
	dir, _, _ := testKeyring(t)
	const valid = "commercial, derivatives (or fine-tune), redistribution, ai-training"
	for _, args := range [][]string{
		{"gate", "check", "--model", "dev/bot@1.0", "--org", "dev", "--use", "commercial,training", "--node", node.url},
		{"verify", fixtureReceipt, "--trust", fixtureGenesis, "--expect-use", "training"},
		{"tx", "licenses", "define", "dev/terms", "--allow", "training", "--from", "alice", "--keyring-dir", dir, "--node", node.url, "--sequence", "1"},
		{"tx", "licenses", "grant", "dev/terms", "--to", "beta", "--model", "dev/bot@1.0", "--allow", "training",
			"--from", "alice", "--keyring-dir", dir, "--node", node.url, "--sequence", "1"},
	} {
		r := runCLI(friendlyGroups, "", args...)
		if r.code == 0 || !strings.Contains(r.stderr, `unknown use "training" (want `+valid) {
			t.Errorf("%q: exit %d, stderr %s", args, r.code, r.stderr)
		}
		if asked := node.take(); len(asked) > 0 {
			t.Errorf("%q: the node was asked %v", args, asked)
		}
	}
	// The flags' help lists them too.
	for _, cmd := range [][]string{{"gate", "check"}, {"tx", "licenses", "define"}, {"verify"}} {
		r := runCLI(friendlyGroups, "", append(cmd, "--help")...)
		if !strings.Contains(r.stdout, valid) {
			t.Errorf("%q --help does not list the uses:\n%s", cmd, r.stdout)
		}
	}
}

// TestEffectiveLicenceSpeaksTheVocabulary: the text of an effective
// licence names uses as users type them, not as the answer's fields.
func TestEffectiveLicenceSpeaksTheVocabulary(t *testing.T) {
	var b bytes.Buffer
	printEffectiveLicense(&b, &licensespb.QueryEffectiveLicenseResponse{
		Usage: &licensespb.Usage{Derivatives: true, AiTraining: true},
		Restrictions: []*licensespb.Restriction{
			{Use: "commercial_use", Causes: []*licensespb.Cause{{Kind: licensespb.CauseKind_CAUSE_KIND_FORBIDDEN, Subject: &licensespb.Subject{Kind: &licensespb.Subject_Model{Model: "a/b@1"}}, LicenseId: "x"}}},
		},
	})
	out := b.String()
	if !strings.Contains(out, "permitted:  derivatives, ai-training\n") || !strings.Contains(out, "  commercial  FORBIDDEN") {
		t.Errorf("printed:\n%s", out)
	}
}
