package gate

import (
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/kit"
)

// Policy bounds.
const (
	// DefaultMaxLineageNodes is the lineage walk limit when neither the
	// chain nor the request sets one.
	DefaultMaxLineageNodes = 1000
	// MaxLineageNodes is the largest walk limit a policy may set.
	MaxLineageNodes = 10000
	// MaxAllowedPublisherOrgs bounds allowed_publisher_orgs, so a request
	// cannot make a check arbitrarily expensive.
	MaxAllowedPublisherOrgs = 256
)

// DefaultPolicy is the gate policy a new chain starts with: registration,
// no revocation of the version or of any dataset upstream of it, an
// authorised publisher whose organisation owns the model's namespace, a
// complete lineage and licences permitting the uses.
func DefaultPolicy() *gatev1.Policy {
	p := unsetPolicy()
	p.DenyRevokedDatasets = true
	return p
}

// unsetPolicy is the policy of a chain whose gate_policy parameter is
// unset. It stays what [DefaultPolicy] was before deny_revoked_datasets
// existed: such a chain's parameters predate it, and a check there must
// read no key it did not read before, or the receipts made there would
// stop verifying. A chain that wants the requirement sets it.
func unsetPolicy() *gatev1.Policy {
	return &gatev1.Policy{MaxLineageNodes: DefaultMaxLineageNodes, RequireNamespaceOwner: true}
}

// ValidatePolicy checks a chain's gate policy (the gate_policy parameter,
// e.g. in genesis): allowed publisher organisations well-formed, distinct
// and at most [MaxAllowedPublisherOrgs]; max_lineage_nodes at most
// [MaxLineageNodes] (0 means [DefaultMaxLineageNodes]). A nil policy is
// valid: the gate then applies [DefaultPolicy] without
// deny_revoked_datasets (see [Keeper.Check]).
func ValidatePolicy(p *gatev1.Policy) error {
	return validatePolicy("gate_policy", p)
}

func validatePolicy(field string, p *gatev1.Policy) error {
	orgs := p.GetAllowedPublisherOrgs()
	if len(orgs) > MaxAllowedPublisherOrgs {
		return ErrInvalidPolicy.Wrapf("%s.allowed_publisher_orgs lists %d organisations, at most %d", field, len(orgs), MaxAllowedPublisherOrgs)
	}
	for i, org := range orgs {
		if err := kit.ValidateOrgID(field+".allowed_publisher_orgs", org); err != nil {
			return ErrInvalidPolicy.Wrapf("%v", err)
		}
		if slices.Contains(orgs[:i], org) {
			return ErrInvalidPolicy.Wrapf("%s.allowed_publisher_orgs lists %s twice", field, org)
		}
	}
	if n := p.GetMaxLineageNodes(); n > MaxLineageNodes {
		return ErrInvalidPolicy.Wrapf("%s.max_lineage_nodes %d exceeds %d", field, n, MaxLineageNodes)
	}
	return nil
}

// mergePolicy is the policy a check applies: the chain's, made stricter by
// the request's. Both must be valid (nil means no requirement beyond the
// defaults).
//
//   - require_signature, deny_superseded, require_anchor,
//     require_namespace_owner, deny_revoked_datasets: either sets it.
//   - allowed_publisher_orgs: an empty list allows any member; two
//     non-empty lists allow their intersection; an empty intersection sets
//     no_publisher_allowed, as does either policy setting it. The list is
//     sorted.
//   - max_lineage_nodes: the chain's (0 meaning [DefaultMaxLineageNodes]),
//     lowered to the request's when that is set and smaller: a smaller
//     walk limit denies more, a larger one would relax the chain's.
func mergePolicy(chain, request *gatev1.Policy) *gatev1.Policy {
	effective := &gatev1.Policy{
		RequireSignature:      chain.GetRequireSignature() || request.GetRequireSignature(),
		DenySuperseded:        chain.GetDenySuperseded() || request.GetDenySuperseded(),
		RequireAnchor:         chain.GetRequireAnchor() || request.GetRequireAnchor(),
		RequireNamespaceOwner: chain.GetRequireNamespaceOwner() || request.GetRequireNamespaceOwner(),
		DenyRevokedDatasets:   chain.GetDenyRevokedDatasets() || request.GetDenyRevokedDatasets(),
		MaxLineageNodes:       chain.GetMaxLineageNodes(),
		NoPublisherAllowed:    chain.GetNoPublisherAllowed() || request.GetNoPublisherAllowed(),
	}
	if effective.MaxLineageNodes == 0 {
		effective.MaxLineageNodes = DefaultMaxLineageNodes
	}
	if n := request.GetMaxLineageNodes(); n != 0 && n < effective.MaxLineageNodes {
		effective.MaxLineageNodes = n
	}

	chainOrgs, requestOrgs := chain.GetAllowedPublisherOrgs(), request.GetAllowedPublisherOrgs()
	switch {
	case len(chainOrgs) == 0:
		effective.AllowedPublisherOrgs = slices.Clone(requestOrgs)
	case len(requestOrgs) == 0:
		effective.AllowedPublisherOrgs = slices.Clone(chainOrgs)
	default:
		for _, org := range chainOrgs {
			if slices.Contains(requestOrgs, org) {
				effective.AllowedPublisherOrgs = append(effective.AllowedPublisherOrgs, org)
			}
		}
		if len(effective.AllowedPublisherOrgs) == 0 {
			effective.NoPublisherAllowed = true
		}
	}
	slices.Sort(effective.AllowedPublisherOrgs)
	return effective
}

// chainPolicy is the chain's policy, [unsetPolicy] when unset (a chain
// that stored its policy keeps it as stored: one from before
// require_namespace_owner or deny_revoked_datasets existed does not
// require it). The copy may be handed out.
func (k Keeper) chainPolicy(r kit.Reader) *gatev1.Policy {
	p := k.params.GatePolicy(r)
	if p == nil {
		return unsetPolicy()
	}
	return proto.CloneOf(p)
}
