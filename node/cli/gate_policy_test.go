package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
)

// TestLooserPolicy: a request policy's field that the chain's stricter
// policy overrode is named, whichever JSON spelling the file used; fields
// the file did not give, and stricter ones, are not.
func TestLooserPolicy(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		applied    *gatepb.Policy
		want       []string
	}{
		{"stricter", `{"require_signature": true, "max_lineage_nodes": 10}`,
			&gatepb.Policy{RequireSignature: true, MaxLineageNodes: 10, RequireNamespaceOwner: true}, nil},
		{"unset fields say nothing", `{}`,
			&gatepb.Policy{RequireSignature: true, MaxLineageNodes: 1000}, nil},
		{"explicit false", `{"requireNamespaceOwner": false, "deny_superseded": false}`,
			&gatepb.Policy{RequireNamespaceOwner: true, MaxLineageNodes: 1000},
			[]string{"require_namespace_owner false (the chain requires it)"}},
		{"larger walk", `{"max_lineage_nodes": 5000}`,
			&gatepb.Policy{MaxLineageNodes: 1000},
			[]string{"max_lineage_nodes 5000 (the chain's is 1000)"}},
		{"publishers outside the chain's", `{"allowed_publisher_orgs": ["dev", "beta"]}`,
			&gatepb.Policy{AllowedPublisherOrgs: []string{"dev"}, MaxLineageNodes: 1000},
			[]string{"allowed_publisher_orgs beta (the chain does not allow them; allowed: dev)"}},
		{"no publisher left", `{"allowedPublisherOrgs": ["beta"]}`,
			&gatepb.Policy{NoPublisherAllowed: true, MaxLineageNodes: 1000},
			[]string{"allowed_publisher_orgs beta (the chain does not allow them; allowed: none)"}},
		{"any member asked", `{"allowed_publisher_orgs": []}`,
			&gatepb.Policy{AllowedPublisherOrgs: []string{"dev"}, MaxLineageNodes: 1000},
			[]string{"allowed_publisher_orgs [] (any member; the chain allows dev)"}},
		{"the chain allows any", `{"allowed_publisher_orgs": ["beta"]}`,
			&gatepb.Policy{AllowedPublisherOrgs: []string{"beta"}, MaxLineageNodes: 1000}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var req gatepb.Policy
			if err := protojson.Unmarshal([]byte(tc.file), &req); err != nil {
				t.Fatal(err)
			}
			got := looserPolicy([]byte(tc.file), &req, tc.applied)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLooserPolicyKnowsEveryRequirement: each boolean requirement of the
// policy, set false in a file and true on the chain, is named, so a field
// added to the policy cannot be overridden silently.
func TestLooserPolicyKnowsEveryRequirement(t *testing.T) {
	fields := (&gatepb.Policy{}).ProtoReflect().Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Kind() != protoreflect.BoolKind || fd.Name() == "no_publisher_allowed" {
			continue // no_publisher_allowed is the allowed_publisher_orgs answer, checked above
		}
		applied := &gatepb.Policy{}
		applied.ProtoReflect().Set(fd, protoreflect.ValueOfBool(true))
		file := `{"` + string(fd.Name()) + `": false}`
		got := looserPolicy([]byte(file), &gatepb.Policy{}, applied)
		if want := string(fd.Name()) + " false (the chain requires it)"; strings.Join(got, "|") != want {
			t.Errorf("%s: got %q, want %q", file, got, want)
		}
	}
}

// TestGateNotesLooserPolicy: a --policy requirement that the chain's
// stricter policy overrode is named on stderr; the verdict is unchanged. A
// path given as --digest is refused before the node is asked.
func TestGateNotesLooserPolicy(t *testing.T) {
	isolate(t)
	fake := newFakeNode(t)
	fake.answers[gateCheckPath] = &gatepb.CheckResponse{
		Verdict: gatepb.Verdict_VERDICT_ALLOW, Model: "dev/bot@1.0", Height: 7,
		Policy: &gatepb.Policy{RequireSignature: true, MaxLineageNodes: 1000, RequireNamespaceOwner: true},
	}
	policy := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(policy, []byte(`{"require_signature": false, "maxLineageNodes": 5000, "deny_superseded": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	check := []string{"gate", "check", "--model", "dev/bot@1.0", "--org", "dev", "--use", "commercial", "--node", fake.url, "--home", t.TempDir()}
	run := runCLI(friendlyGroups, "", append(check, "--policy", policy)...)
	if run.code != 0 || !strings.HasPrefix(run.stdout, "ALLOW") {
		t.Fatalf("exit %d, stdout %q, stderr %s", run.code, run.stdout, run.stderr)
	}
	for _, want := range []string{"--policy " + policy + " is looser than the chain's policy and had no effect",
		"require_signature false (the chain requires it)", "max_lineage_nodes 5000 (the chain's is 1000)"} {
		if !strings.Contains(run.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, run.stderr)
		}
	}
	if strings.Contains(run.stderr, "deny_superseded") {
		t.Errorf("a stricter requirement is reported as looser:\n%s", run.stderr)
	}
	if run := runCLI(friendlyGroups, "", check...); strings.Contains(run.stderr, "looser") {
		t.Errorf("no --policy, yet a note:\n%s", run.stderr)
	}
	fake.take()
	run = runCLI(friendlyGroups, "", append(check, "--digest", t.TempDir())...)
	if run.code != exitGateError || !strings.Contains(run.stderr, "is a path, not a digest") || !strings.Contains(run.stderr, "--artefact") {
		t.Errorf("--digest DIR: exit %d, stderr %s", run.code, run.stderr)
	}
	if asked := fake.take(); len(asked) > 0 {
		t.Errorf("--digest DIR: the node was asked %d times", len(asked))
	}
}
