// Package client is the Go client pipelines import to talk to a Lineage
// Ledger node: it builds and signs transactions (fetching the chain id and
// the account's sequence itself), broadcasts them through CometBFT's RPC,
// waits until they are committed, and runs queries, with receipts
// ([BuildReceipt]) when asked.
//
// A transaction is reported committed only once a block containing it is
// indexed; a result with a non-zero Code was included but failed (its
// sequence is spent), while an error from [Client.Submit] means it may not
// have been included at all.
package client
