// Command lineaged is the Lineage Ledger node and its command-line client:
// `lineaged dev` runs a local chain, `lineaged --help` lists the rest.
package main
