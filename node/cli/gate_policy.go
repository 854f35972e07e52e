package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
)

// noteLooserPolicy says on stderr which requirements of a --policy file
// had no effect because the chain's policy is stricter: the gate applies
// the stricter of the two, and a pipeline that asked for less should know
// that it was not what the verdict was judged by.
func (e *env) noteLooserPolicy(raw []byte, requested, applied *gatepb.Policy) {
	if raw == nil || requested == nil || applied == nil {
		return
	}
	if looser := looserPolicy(raw, requested, applied); len(looser) > 0 {
		fmt.Fprintf(e.stderr, "note: --policy %s is looser than the chain's policy and had no effect: %s\n",
			e.v.GetString("policy"), strings.Join(looser, "; "))
	}
}

// looserPolicy lists the fields the request's policy file gives (raw, its
// JSON) whose values the applied policy overrode with stricter ones.
func looserPolicy(raw []byte, requested, applied *gatepb.Policy) []string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return nil
	}
	desc := requested.ProtoReflect().Descriptor().Fields()
	given := map[protoreflect.Name]bool{}
	for k := range fields {
		fd := desc.ByJSONName(k)
		if fd == nil {
			fd = desc.ByName(protoreflect.Name(k))
		}
		if fd != nil {
			given[fd.Name()] = true
		}
	}
	var out []string
	requires := func(name protoreflect.Name, req, app bool) {
		if given[name] && !req && app {
			out = append(out, fmt.Sprintf("%s false (the chain requires it)", name))
		}
	}
	requires("require_signature", requested.RequireSignature, applied.RequireSignature)
	requires("deny_superseded", requested.DenySuperseded, applied.DenySuperseded)
	requires("require_anchor", requested.RequireAnchor, applied.RequireAnchor)
	requires("require_namespace_owner", requested.RequireNamespaceOwner, applied.RequireNamespaceOwner)
	requires("deny_revoked_datasets", requested.DenyRevokedDatasets, applied.DenyRevokedDatasets)
	if n := requested.MaxLineageNodes; n != 0 && n > applied.MaxLineageNodes {
		out = append(out, fmt.Sprintf("max_lineage_nodes %d (the chain's is %d)", n, applied.MaxLineageNodes))
	}
	if given["allowed_publisher_orgs"] {
		appliedOrgs := applied.AllowedPublisherOrgs
		restricted := len(appliedOrgs) > 0 || applied.NoPublisherAllowed
		chains := "none"
		if len(appliedOrgs) > 0 {
			chains = strings.Join(appliedOrgs, ", ")
		}
		switch {
		case !restricted:
		case len(requested.AllowedPublisherOrgs) == 0:
			out = append(out, fmt.Sprintf("allowed_publisher_orgs [] (any member; the chain allows %s)", chains))
		default:
			var dropped []string
			for _, org := range requested.AllowedPublisherOrgs {
				if !slices.Contains(appliedOrgs, org) {
					dropped = append(dropped, org)
				}
			}
			if len(dropped) > 0 {
				out = append(out, fmt.Sprintf("allowed_publisher_orgs %s (the chain does not allow them; allowed: %s)", strings.Join(dropped, ", "), chains))
			}
		}
	}
	return out
}
