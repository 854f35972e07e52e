// Package node runs a Lineage Ledger node: CometBFT v1 embedded in-process
// with the application from package app, the gRPC query API beside it, and
// the files of a node home.
//
// # Home layout
//
//	config/config.toml            CometBFT settings (P2P, RPC, consensus, mempool)
//	config/app.toml               application settings (see [Config])
//	config/client.toml            how the command line talks to a node (see [ClientConfig])
//	config/genesis.json           the chain's genesis; app_state holds the consortium
//	config/node_key.json          P2P identity
//	config/priv_validator_key.json  consensus key (CometBFT's format, mode 0600)
//	data/                         CometBFT's block and state stores, the
//	                              validator's last-sign state, and application.db
//	keyring/                      account keys (see package keyring)
//
// Only this package and node/cli read configuration or open ports.
package node
