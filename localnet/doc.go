// Package localnet holds the tests that run Lineage Ledger networks as
// processes: the compose topology check, and the fault tests (crashes,
// pauses, partitions, state sync, replay) with their figures.
//
// The scripts beside it (localnet.sh) start, stop, reset and inspect a
// local network by hand; docker-compose.yml is the same topology for
// Docker.
package localnet
