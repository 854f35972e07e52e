// Package cli is the lineaged command line: node commands (init, start,
// dev, version), key management, transactions and queries, receipts, and
// light, a proxy that verifies a node's answers (package lightproxy).
//
// Settings come from config files, then LINEAGED_* environment variables,
// then flags; `lineaged <command> --help` lists every flag.
package cli
