package gate

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/x/gate/gatev1"
)

func TestMergePolicy(t *testing.T) {
	cases := []struct {
		name           string
		chain, request *gatev1.Policy
		want           *gatev1.Policy
	}{
		{
			name: "neither sets anything",
			want: &gatev1.Policy{MaxLineageNodes: DefaultMaxLineageNodes},
		},
		{
			name:  "the chain's policy alone",
			chain: &gatev1.Policy{RequireSignature: true, AllowedPublisherOrgs: []string{"beta", "acme"}, MaxLineageNodes: 300},
			want:  &gatev1.Policy{RequireSignature: true, AllowedPublisherOrgs: []string{"acme", "beta"}, MaxLineageNodes: 300},
		},
		{
			name:    "the request's policy alone",
			request: &gatev1.Policy{DenySuperseded: true, RequireAnchor: true, AllowedPublisherOrgs: []string{"acme"}, MaxLineageNodes: 50},
			want:    &gatev1.Policy{DenySuperseded: true, RequireAnchor: true, AllowedPublisherOrgs: []string{"acme"}, MaxLineageNodes: 50},
		},
		{
			name:    "booleans are or-ed",
			chain:   &gatev1.Policy{RequireSignature: true},
			request: &gatev1.Policy{DenySuperseded: true},
			want:    &gatev1.Policy{RequireSignature: true, DenySuperseded: true, MaxLineageNodes: DefaultMaxLineageNodes},
		},
		{
			name:    "deny_revoked_datasets from the chain",
			chain:   &gatev1.Policy{DenyRevokedDatasets: true, RequireNamespaceOwner: true},
			request: &gatev1.Policy{},
			want:    &gatev1.Policy{DenyRevokedDatasets: true, RequireNamespaceOwner: true, MaxLineageNodes: DefaultMaxLineageNodes},
		},
		{
			name:    "deny_revoked_datasets from the request",
			request: &gatev1.Policy{DenyRevokedDatasets: true},
			want:    &gatev1.Policy{DenyRevokedDatasets: true, MaxLineageNodes: DefaultMaxLineageNodes},
		},
		{
			name:    "a request cannot clear a requirement",
			chain:   &gatev1.Policy{RequireSignature: true, DenySuperseded: true, RequireAnchor: true},
			request: &gatev1.Policy{},
			want:    &gatev1.Policy{RequireSignature: true, DenySuperseded: true, RequireAnchor: true, MaxLineageNodes: DefaultMaxLineageNodes},
		},
		{
			name:    "allowed publishers intersect",
			chain:   &gatev1.Policy{AllowedPublisherOrgs: []string{"gamma", "acme", "beta"}},
			request: &gatev1.Policy{AllowedPublisherOrgs: []string{"beta", "delta", "gamma"}},
			want:    &gatev1.Policy{AllowedPublisherOrgs: []string{"beta", "gamma"}, MaxLineageNodes: DefaultMaxLineageNodes},
		},
		{
			name:    "disjoint allowed publishers allow nobody",
			chain:   &gatev1.Policy{AllowedPublisherOrgs: []string{"acme"}},
			request: &gatev1.Policy{AllowedPublisherOrgs: []string{"beta"}},
			want:    &gatev1.Policy{MaxLineageNodes: DefaultMaxLineageNodes, NoPublisherAllowed: true},
		},
		{
			name:    "a request may forbid every publisher",
			request: &gatev1.Policy{NoPublisherAllowed: true},
			want:    &gatev1.Policy{MaxLineageNodes: DefaultMaxLineageNodes, NoPublisherAllowed: true},
		},
		{
			name:    "a smaller walk limit wins",
			chain:   &gatev1.Policy{MaxLineageNodes: 300},
			request: &gatev1.Policy{MaxLineageNodes: 100},
			want:    &gatev1.Policy{MaxLineageNodes: 100},
		},
		{
			name:    "a larger walk limit does not relax the chain's",
			chain:   &gatev1.Policy{MaxLineageNodes: 300},
			request: &gatev1.Policy{MaxLineageNodes: 5000},
			want:    &gatev1.Policy{MaxLineageNodes: 300},
		},
		{
			name:    "nor the default",
			request: &gatev1.Policy{MaxLineageNodes: 5000},
			want:    &gatev1.Policy{MaxLineageNodes: DefaultMaxLineageNodes},
		},
		{
			name:    "a limit of 0 in the request keeps the chain's",
			chain:   &gatev1.Policy{MaxLineageNodes: 20},
			request: &gatev1.Policy{RequireAnchor: true},
			want:    &gatev1.Policy{RequireAnchor: true, MaxLineageNodes: 20},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			chainBefore, requestBefore := proto.Clone(c.chain), proto.Clone(c.request)
			got := mergePolicy(c.chain, c.request)
			if !proto.Equal(got, c.want) {
				t.Errorf("mergePolicy = %v; want %v", got, c.want)
			}
			if !proto.Equal(c.chain, chainBefore) || !proto.Equal(c.request, requestBefore) {
				t.Errorf("mergePolicy changed its arguments")
			}
		})
	}
}

func TestValidatePolicy(t *testing.T) {
	cases := []struct {
		name    string
		policy  *gatev1.Policy
		mention string // empty when valid
	}{
		{"nil", nil, ""},
		{"default", DefaultPolicy(), ""},
		{"everything set", &gatev1.Policy{RequireSignature: true, DenySuperseded: true, RequireAnchor: true,
			AllowedPublisherOrgs: []string{"acme", "beta-2"}, MaxLineageNodes: MaxLineageNodes}, ""},
		{"limit 0 means the default", &gatev1.Policy{MaxLineageNodes: 0}, ""},
		{"limit too large", &gatev1.Policy{MaxLineageNodes: MaxLineageNodes + 1}, "gate_policy.max_lineage_nodes"},
		{"organisation malformed", &gatev1.Policy{AllowedPublisherOrgs: []string{"acme", "Beta"}}, `"Beta"`},
		{"organisation empty", &gatev1.Policy{AllowedPublisherOrgs: []string{""}}, "gate_policy.allowed_publisher_orgs"},
		{"organisation twice", &gatev1.Policy{AllowedPublisherOrgs: []string{"acme", "beta", "acme"}}, "acme twice"},
		{"too many organisations", &gatev1.Policy{AllowedPublisherOrgs: manyOrgs(MaxAllowedPublisherOrgs + 1)}, "at most"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ValidatePolicy(c.policy)
			if c.mention == "" {
				if err != nil {
					t.Fatalf("ValidatePolicy: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidPolicy) || !strings.Contains(err.Error(), c.mention) {
				t.Fatalf("ValidatePolicy = %v, want ErrInvalidPolicy mentioning %q", err, c.mention)
			}
		})
	}
}

func TestDefaultPolicy(t *testing.T) {
	want := &gatev1.Policy{MaxLineageNodes: 1000, RequireNamespaceOwner: true, DenyRevokedDatasets: true}
	if p := DefaultPolicy(); !proto.Equal(p, want) {
		t.Errorf("DefaultPolicy = %v, want %v", p, want)
	}
	DefaultPolicy().MaxLineageNodes = 1 // each call is a fresh copy
	if DefaultPolicy().MaxLineageNodes != 1000 {
		t.Errorf("DefaultPolicy shares its result")
	}
}
