// Package models records AI model versions by the digest of their weights
// (the manifest digest), together with what they were built from, who
// published them, and what later happened to them: revocations,
// supersessions and deployments.
//
// # Model versions
//
// A model version is identified by "name@version" (see [Ref] and
// [ParseRef]); the name uses kit.NameChars and the version
// kit.VersionChars, neither of which contains '@', so a reference splits
// in exactly one way. A registration ([Keeper.RegisterModel], needs
// ROLE_MODEL_PUBLISHER) stores a ModelVersion record that never changes:
// its spec names the manifest digest, an optional base model (registered and
// not revoked), the registered datasets and training run it came from, and
// the licences it is offered under (which must be usable when it is
// registered). A licence that is not usable is rejected with the licence
// module's own error, wrapped with %w so kit.CodeOf reports the licence
// module's codespace and code.
//
// # Publisher signatures
//
// A registration may carry a detached signature by the signing account's
// current key over [ManifestSignBytes]: a domain tag followed by the
// canonical manifest digest. It is deliberately bound to neither a chain nor
// a name: it says "this publisher signed these weights", and anyone holding
// the weights and the stored public key can check it offline. The record
// keeps the key that signed, since accounts rotate keys.
//
// # Impact indexes
//
// Under rule set [kit.RulesImpactIndex] a registration also indexes the new
// version under each of its training datasets (0x10) and under its base
// model (0x11), so that what was built from a dataset or a model can be
// found from it. A chain keeps the rule set it started with: on a chain
// started on an earlier rule set these indexes stay empty (and moving such
// a chain to rule set 2 must index what it registered before).
//
// # Revocation, supersession, deployment
//
// Only the publishing organisation may revoke or supersede its versions;
// both are separate records (the model record is immutable), and each can
// happen at most once per version. A revoked version cannot be superseded,
// cannot supersede, cannot be a base model of a new registration and cannot
// be deployed.
//
// Supersession rule: a version can be superseded only once, and only by a
// different registered, unrevoked version that is not itself superseded.
// Every supersession therefore joins two versions that both have no
// successor yet, so the successor of a version is never one of its own
// predecessors: supersession chains cannot form cycles, and following
// superseded_by from any version ends at a current one. The replacement may
// belong to another name or organisation (a model can be handed over).
//
// Deployments ([Keeper.RecordDeployment], needs ROLE_DEPLOYER) record that
// the signer's organisation put a registered, unrevoked version into service
// in an environment. Their ids come from a module sequence starting at 1,
// so id order is recording order.
//
// # Aliases
//
// An alias ("production", "staging") names whichever version of a model
// name its organisation points it at, as MLflow's model aliases do, so that
// a pipeline can ask for "acme/bot's production version" and get the
// version that is production at the height it asks about.
// [Keeper.SetModelAlias] (needs ROLE_MODEL_PUBLISHER) moves an alias to a
// registered, unrevoked version of the name, or clears it (an empty
// version). An alias belongs to the organisation that first set it: only
// it moves or clears the alias, and only to versions it published. Every
// move is a record of its own, numbered from 1, holding the version before
// and after it; the alias's latest move says where it points now. A move
// that changes nothing (to the version it already points to, or a clear of
// an alias that points nowhere) is refused. A version revoked after an
// alias was pointed at it stays the alias's target: the gate, resolving the
// alias, denies it as revoked.
//
// Aliases are 1-64 characters of [a-z0-9_-] starting with a letter
// ([kit.ValidateModelAlias]). An alias is always named in a field of its
// own, beside the model's name, never inside a "name@version" reference, so
// an alias that happens to spell a version ("v2") is never read as one, and
// a version named like an alias is still reached only as a version.
//
// # Queries
//
// [Keeper.Querier] answers the generated QueryServer. ModelLineage walks the
// base-model chain (nearest first, at most max_depth hops), then asks the
// dataset registry for everything upstream of the union of the training
// datasets of every model visited (at most max_depth derived-from hops above
// those datasets). max_nodes bounds the base models plus datasets returned;
// the model asked about is not counted. Every edge returned joins two nodes of
// the answer ("model:name@version" or "dataset:<digest>"); truncated is set
// when a limit cut either walk short.
//
// ModelAlias, ModelAliases and ModelAliasHistory read an alias's latest
// move, the aliases of a name and an alias's moves, oldest first.
// Impact walks the other way, downstream, from a dataset or a model
// version, breadth first: from a dataset to the datasets derived from it
// (in the registry's order) and then to the versions trained on it (0x10,
// in key order); from a version to its fine-tunes (0x11, in key order).
// Each of those is one hop; a record is reported once, at its shortest
// depth, with the path of record ids that first reached it, and every
// version with its publisher, whether it is revoked and its deployments
// (0x07, oldest first). Every edge between reported records is returned,
// oriented as ModelLineage's (from the derived record to its source).
// max_depth bounds the hops: records beyond it are not reported, and set
// truncated. max_nodes bounds the datasets, versions and deployments
// reported together; the walk stops, setting truncated, when one more would
// exceed it. index_complete says the chain runs rule set 2 or later (read
// from the application's parameters): every version is then indexed.
// Otherwise no version is reached through the indexes, and the answer
// holds the derived datasets and the start's own deployments only; a scan
// of the registry in their place would make the answer, and its proof,
// grow with the registry.
//
// ModelsByDigest has no paging in its protocol, so it returns at most
// [MaxPageLimit] versions, in name@version order.
//
// Models ([Querier.Models]) lists versions by namespace, name prefix,
// publishing organisation and licence, in key order (shorter names first),
// from the version records alone: nothing is indexed for it. A namespace
// or prefix reads one key range per name length; the organisation and
// licence filters examine at most max_scan records a page and, when that
// bound stops a page, say so and give the cursor to continue from.
//
// # State layout
//
// Under the module prefix (one byte, assigned by the application); names,
// versions and digests are length-prefixed with one byte (all are at most
// 255 bytes), heights and ids are big-endian uint64:
//
//	0x01 | len(name) | name | len(version) | version                 → ModelVersion
//	0x02 | len(name) | name | len(version) | version                 → Revocation
//	0x03 | len(name) | name | len(version) | version                 → Supersession
//	0x04 | len(digest) | digest | len(name) | name | len(version) | version
//	                                                                 → 0x01 (versions by manifest digest)
//	0x05 | len(name) | name | height(8) | len(version) | version     → 0x01 (versions of a name in registration order)
//	0x06 | id(8)                                                     → Deployment
//	0x07 | len(name) | name | len(version) | version | id(8)         → 0x01 (deployments of a version)
//	0x08 | len(name) | name | id(8)                                  → 0x01 (deployments of a name, all versions)
//	0x09                                                             → last deployment id, uint64
//	0x0a | len(name) | name | len(alias) | alias                     → ModelAlias (the alias's latest move: where it points)
//	0x0b | len(name) | name | len(alias) | alias | move(8)           → ModelAlias (every move, numbered from 1)
//	0x10 | len(digest) | digest | len(name) | name | len(version) | version
//	                                                                 → 0x01 (versions trained on a dataset; rule set 2)
//	0x11 | len(base name) | base name | len(base version) | base version | len(name) | name | len(version) | version
//	                                                                 → 0x01 (fine-tunes of a version; rule set 2)
//
// Versions registered in the same block are ordered by version within that
// height in the 0x05 index.
package models
