// Package lightproxy is `lineaged light`: a CometBFT light-client proxy
// for this chain. An auditor runs it locally with a trust root (the
// chain's genesis, or the hash of one header) and points any CometBFT RPC
// client at it; it serves the node's RPC, and answers abci_query only
// with what it verified against headers its light client verified.
//
// # How an answer is verified
//
// Headers, commits and validator sets are CometBFT's business: its light
// client (package light) verifies them from the trust root, bisecting over
// the node's headers, and its light/rpc client checks blocks, headers and
// commits against them ([Proxy] serves CometBFT's light/proxy routes).
//
// abci_query is answered by a [Verifier] instead. It asks the node with
// proofs, has the light client verify the header after the answer's height
// (which commits to that height's app hash), and runs the answer through a
// merkle.ProofRuntime that knows both proof operations the node returns:
//
//   - "ics23:iavl" ([DecodeICS23Op]) for a raw state key
//     (app.StateKeyPath): one ICS 23 proof of the key's value or absence;
//   - "lineage.app.v1.ProofBundle" ([BundleOpDecoder]) for a query method:
//     the proofs of every read the query made, which the operation checks
//     and then re-runs the query over, with the chain's own handlers and
//     the block time of the verified header, requiring exactly the node's
//     answer (or error).
//
// [KeyPath] maps what was asked (path and data) to the key the one
// operation must carry: the state key, or the path. The state is one tree
// whose root is the app hash, so one operation leads to it.
//
// # Trust
//
// A genesis root is checked by fetching the chain's first header and
// requiring a commit by more than 2/3 of the validators the genesis names;
// its hash then starts the light client. Either root must be within the
// trusting period when the proxy starts, as CometBFT's light client
// requires. Verified headers are kept in a light store, so a restart
// needs no root.
package lightproxy
