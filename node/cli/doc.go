// Package cli is the lineaged command line: node commands (init, start,
// dev, version), key management, transactions and queries, receipts, and
// light, a proxy that verifies a node's answers (package lightproxy).
//
// Settings come from config files, then LINEAGED_* environment variables,
// then flags; `lineaged <command> --help` lists every flag. Commands that
// talk to a node read its address, chain id and the output format from the
// home's config/client.toml ([node.ClientConfig]; clientconfig.go) and
// refuse a node of another chain.
//
// # Exit codes
//
// 0 success, 1 failure, 2 a command line that cannot be run as given
// (usage.go): an unknown command or flag, a bad flag value, a wrong number
// of arguments. Commands with more codes (gate check, verify, replay) keep
// 2 for input they cannot use, usage included.
package cli
