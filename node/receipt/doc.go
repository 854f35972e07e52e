// Package receipt defines and verifies receipts: self-contained answers to
// one query that anyone can check offline, without trusting the node that
// produced them. It needs no node and opens no database (node/client builds
// receipts from a node): it uses the proof checks, CometBFT's header types
// and light-client verification, the app's version and the module table's
// queries.
//
// # What a receipt holds
//
// The query (a gRPC method path and its encoded request) and the height of
// the state version it was answered from; the answer (or the coded error);
// ICS 23 proofs of every key the query read, including absences and the
// completeness of every range it iterated; the header of that height (its
// time is the clock the query ran with); the header of the next height,
// which commits to the state's app hash, with the commit that signs it and
// the validator set that made the commit; and optionally a trust path of
// older light blocks, which verification may start from or bisect through.
//
// # How it is verified
//
// [Parse] reads the document by its content, not its spelling: whitespace
// and field order are free, so a receipt piped through `jq .` still
// verifies. It refuses what would make the content ambiguous (duplicate
// keys, keys in another case, unknown fields, lenient base64) and
// recomputes the checksum over the canonical re-encoding ([Marshal]'s
// output) of what it decoded. It also takes the receipts API's wrapper,
// {"receipt": "<base64>"}.
//
// [Verify] then checks, in order: that every header it carries is signed
// by more than 2/3 of the validator set it names, checking every
// signature; that the state header is the one the signed header builds
// on; that the signed header is reached from the trust root; that both
// headers name the app version whose rules this verifier re-runs
// ([AppVersion]; a receipt of another is [ErrUnusable], not valid); that
// every proof leads to the signed app hash; and finally it re-runs the
// query on the proven data alone and requires exactly the recorded
// answer. A query that reads anything not proven fails. The verdict of a
// gate check is therefore recomputed, not taken on trust.
//
// # Trust
//
// A [Trust] root is the chain's genesis or the hash of one header. From
// it, the signed header is reached by the rule CometBFT's light client
// verifies a header with (written here against CometBFT's types, so that a
// verifier links no database): the header after a
// trusted one must be signed by the validators the trusted one names as
// next; a later one by more than 1/3 of a trusted validator set, and when
// too much of the set changed for that, by bisection through headers in
// between, taken from the receipt's trust path or from a
// [LightBlockSource], which is not trusted. A trusted header vouches only
// within its trusting period ([DefaultTrustingPeriod]); genesis trust
// never expires, and a trusted signed header needs no validators at all.
//
// # Expectations
//
// A valid receipt proves what a query answered, not that the answer is the
// one a caller needs: a DENY verifies as well as an ALLOW, and an ALLOW
// stays valid after the model is revoked. [Result.Meets] checks a valid
// receipt against an [Expect] (the verdict, model, organisation, uses and
// artefact of a gate check, and the state's height and age), and says
// which of [ErrOtherQuestion], [ErrOtherArtefact], [ErrStale] and
// [ErrVerdict] it misses.
//
// The checksum is a guard against corruption, not a signature: authenticity
// comes from the validators' signatures, the proofs and the re-execution.
package receipt
