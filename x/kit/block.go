package kit

import (
	"strings"
	"time"
)

// Block is what a handler may know about the block it executes in. Time is
// the consensus block time (BFT time), the only clock a module may read.
// Rules is the consensus rule set in force (lineage.app.v1.Params.rules):
// set for message handlers, preamble entries and end-of-block work, not
// for queries, which never depend on it.
type Block struct {
	ChainID string
	Height  int64
	Time    time.Time
	Rules   uint32
}

// Rule sets. A chain keeps the rule set it started with, so that its
// history replays the same on every release; a new chain starts with
// [LatestRules].
const (
	// RulesInitial are the rules of the first release.
	RulesInitial uint32 = 0
	// RulesBoundNames add: a scoped name ([Namespace]) may only be claimed
	// in the signer's organisation's namespace, and suspending or
	// reinstating an account needs every role it holds.
	RulesBoundNames uint32 = 1
	// RulesImpactIndex add: registering a model version also indexes it
	// under each of its training datasets and under its base model, so
	// that the models downstream of a dataset or a model can be found
	// without scanning the registry. A chain on an earlier rule set never
	// writes those indexes; whatever moves a chain to this rule set later
	// must index the versions registered before, for impact answers take
	// this rule set to mean that every version is indexed.
	RulesImpactIndex uint32 = 2
	// RulesGovernance add: governance (proposals of messages executed with
	// the consortium's authority, voted on by member organisations) and
	// suspended organisations, whose accounts cannot sign. A chain on an
	// earlier rule set refuses governance's messages as unknown.
	RulesGovernance uint32 = 3
	// LatestRules is the newest rule set this software implements.
	LatestRules = RulesGovernance
)

// Namespace is the namespace a scoped name claims: the part before its
// first '/' ("acme" of "acme/llm-7b"). A name without '/' is unscoped: it
// claims no organisation.
func Namespace(name string) (ns string, scoped bool) {
	ns, _, scoped = strings.Cut(name, "/")
	return ns, scoped
}
