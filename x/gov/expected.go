package gov

import (
	"github.com/lineageledger/lineaged/x/gov/govv1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// Every method takes r, the whole state.

// Orgs is what governance needs from membership: who the member
// organisations are.
type Orgs interface {
	// Org loads an organisation; false when it is no member.
	Org(r kit.Reader, orgID string) (*membershipv1.Org, bool)
	// EachOrg calls fn with every organisation, in a fixed order, until
	// fn returns false.
	EachOrg(r kit.Reader, fn func(*membershipv1.Org) bool)
}

// Params is what governance needs of the chain's parameters.
type Params interface {
	// GovParams are governance's parameters (lineage.app.v1.Params.gov);
	// nil when unset, which means [DefaultParams].
	GovParams(r kit.Reader) *govv1.Params
}
