// Package gate is the deployment gate: may this exact artefact be deployed
// by this organisation for these uses? It answers one query,
// [Keeper.Check] (served as lineage.gate.v1.Query/Check), and has no
// messages: it reads the model, licence, membership and dataset registries
// through the interfaces in expected.go and stores nothing.
//
// # Policy
//
// The chain's policy is the gate_policy application parameter
// ([ValidatePolicy] checks it). A new chain stores [DefaultPolicy]; a chain
// whose parameter is unset gets DefaultPolicy without
// deny_revoked_datasets, which came later: a check there reads nothing it
// did not read before. A request may
// add its own, which only makes the chain's stricter: each requirement set
// by either applies; two non-empty lists of allowed publisher organisations
// allow only the organisations on both (none, if they share none); the
// lineage walk limit is the chain's (default [DefaultMaxLineageNodes]),
// lowered to the request's when smaller. The policy applied is returned
// with the verdict; an empty intersection of allowed publishers sets its
// no_publisher_allowed.
//
// # How a verdict is reached
//
// A request that cannot be checked is an error: model not "name@version"
// (with an alias: not a name alone), alias malformed, digest not
// canonical, neither model nor digest given, org malformed, no uses or an
// unknown or repeated one, or a malformed policy. Otherwise:
//
//  1. The artefact is resolved. With an alias, the version the alias of
//     the model's name points to in the state checked (one alias never
//     set, or cleared, resolves to none: MODEL_NOT_REGISTERED); with model
//     only, that version; with digest only, the one version registered
//     with that manifest digest (several are an [ErrAmbiguousDigest] error
//     naming them, so the caller names the version); with a model or alias
//     and a digest, the version, whose manifest digest must be the one
//     given. The answer names the version resolved and the alias.
//  2. Every finding that applies is collected, none stopping the others:
//     the version's own state (revoked, superseded, publisher and its
//     namespace, signature, registered upstream records), the deploying organisation's
//     membership, anchoring, for each requested use every record and
//     licence of the version's whole lineage that withholds it from the
//     deploying organisation (x/licenses effective licence, walking at most
//     max_lineage_nodes records), and, with deny_revoked_datasets, every
//     revoked dataset among the records that walk visited.
//  3. Findings are sorted by reason (enum order), subject, licence id and
//     use; those that deny come first, then those that only report (a
//     superseded version under a policy that does not deny it).
//  4. The verdict is ALLOW if and only if no finding denies.
//
// # Reasons
//
//	Reason                     Denies  When
//	MODEL_NOT_REGISTERED       yes     no version under that name@version, none with that digest, or an
//	                                   alias that points to none (never set, or cleared)
//	DIGEST_MISMATCH            yes     the named version's manifest digest is not the one given
//	MODEL_REVOKED              yes     the version was revoked
//	MODEL_SUPERSEDED           policy  the version was superseded (denies only with deny_superseded)
//	PUBLISHER_NOT_AUTHORISED   yes     the publisher organisation is not allowed by the policy, or the
//	                                   publishing account is gone, suspended, moved or no longer holds
//	                                   ROLE_MODEL_PUBLISHER
//	SIGNATURE_MISSING          yes     require_signature and the version carries no publisher signature
//	DATASET_UNREGISTERED       yes     a training dataset or the base model the version names is not
//	                                   registered
//	LICENCE_FORBIDS_USE        yes     an upstream licence does not permit a requested use (cause FORBIDDEN)
//	LICENCE_EXPIRED            yes     an upstream licence has expired (cause EXPIRED)
//	NO_GRANT_FOR_ORG           yes     a licence needs a grant the organisation does not hold for the use
//	                                   (cause NO_GRANT)
//	LINEAGE_INCOMPLETE         yes     a record without a licence, under an undefined licence, or beyond
//	                                   the walk limit (causes UNLICENSED, UNKNOWN_LICENSE, TRUNCATED)
//	NOT_ANCHORED               yes     require_anchor: anchoring is not available yet, so always
//	ORG_UNKNOWN                yes     the deploying organisation is not a member
//	NAMESPACE_NOT_OWNED        policy  require_namespace_owner (on in DefaultPolicy) and the version's
//	                                   scoped name is in a namespace that is not its publisher
//	                                   organisation's (registered before names were bound)
//	DATASET_REVOKED            policy  deny_revoked_datasets (on in DefaultPolicy) and a dataset upstream
//	                                   of the version (a training dataset, what it was derived from,
//	                                   or a base model's, within max_lineage_nodes) was revoked; the
//	                                   subject names the dataset
//
// The answer names the version's publisher organisation (publisher_org):
// whoever asks sees who vouches for the artefact, whatever its name says.
//
// Licence findings carry the record ("model:name@version" or
// "dataset:<digest>"), the licence id and the use; the others the version
// (or the upstream record) they concern.
//
// # Determinism and receipts
//
// The answer, findings and their order included, is a pure function of the
// state version read, the block that produced it (licence expiry is judged
// at its time and height, which the answer carries) and the request: no
// clock, no randomness, no map order. A receipt of a Check therefore lets a
// verifier recompute the verdict from the proven reads alone.
//
// # State layout
//
// None: the module has no store prefix and writes nothing.
package gate
