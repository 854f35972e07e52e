package gate

import (
	"github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/licenses/licensesv1"
	"github.com/lineageledger/lineaged/x/lineage/lineagev1"
	"github.com/lineageledger/lineaged/x/membership/membershipv1"
	"github.com/lineageledger/lineaged/x/models/modelsv1"
)

// Every method takes r, the whole state of the version being checked: the
// gate stores nothing of its own and only reads other modules.

// Models is what the gate needs from the model registry.
type Models interface {
	// Model loads the version name@version; false when it is not
	// registered (or the name or version is malformed).
	Model(r kit.Reader, name, version string) (*modelsv1.ModelVersion, bool)
	// Revocation loads the version's revocation, if it was revoked.
	Revocation(r kit.Reader, name, version string) (*modelsv1.Revocation, bool)
	// Supersession loads the record of what replaced the version, if any.
	Supersession(r kit.Reader, name, version string) (*modelsv1.Supersession, bool)
	// Alias loads where an alias of a model name points: its latest move,
	// whose version is empty when it was cleared; false when the alias was
	// never set (or the name or alias is malformed).
	Alias(r kit.Reader, name, alias string) (*modelsv1.ModelAlias, bool)
	// ByDigest lists the versions registered with a manifest digest, as
	// "name@version" in name@version order, at most limit of them;
	// truncated is set when more exist.
	ByDigest(r kit.Reader, manifestDigest string, limit int) (refs []string, truncated bool)
}

// Licenses is what the gate needs from the licence registry.
type Licenses interface {
	// EffectiveLicense is what the whole lineage of subject permits org at
	// blk, walking at most maxNodes records (x/licenses
	// Keeper.EffectiveLicense).
	EffectiveLicense(r kit.Reader, blk kit.Block, subject *licensesv1.Subject, org string, maxNodes int) (*licensesv1.QueryEffectiveLicenseResponse, error)
}

// Members is what the gate needs from membership.
type Members interface {
	// OrgExists reports whether orgID is a member organisation.
	OrgExists(r kit.Reader, orgID string) bool
	// Account loads the account with the given address; false when there
	// is none (or the address is malformed).
	Account(r kit.Reader, address string) (*membershipv1.Account, bool)
	// NamespaceOwner is the organisation a namespace belongs to (its id,
	// or one reserved for it); false when none.
	NamespaceOwner(r kit.Reader, ns string) (orgID string, ok bool)
}

// Datasets is what the gate needs from the dataset lineage registry.
type Datasets interface {
	// DatasetExists reports whether a dataset is registered under the
	// canonical digest.
	DatasetExists(r kit.Reader, digest string) bool
	// Revocation loads the revocation of the dataset registered under the
	// canonical digest, if it was revoked.
	Revocation(r kit.Reader, digest string) (*lineagev1.DatasetRevocation, bool)
}

// Params is what the gate needs from the application's parameters.
type Params interface {
	// GatePolicy is the chain's gate policy (appv1.Params.gate_policy);
	// nil when unset.
	GatePolicy(r kit.Reader) *gatev1.Policy
}
