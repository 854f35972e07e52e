// Package bench is the benchmark suite behind `lineaged bench`: it measures
// Lineage Ledger side by side with CometBFT's own kvstore application in the
// same run, and reports one table (docs/benchmarks.md explains it).
//
// # Workloads
//
//   - throughput: open-loop load of signed provenance transactions (dataset
//     registrations, transformation runs, model versions, licence grants)
//     against local networks of 1 and 4 validators made by `lineaged
//     testnet`, and the same load method with key=value transactions of the
//     same sizes against `cometbft start --proxy_app=kvstore` networks with
//     the same consensus, mempool and indexing settings. The offered rate
//     ramps until the committed rate stops rising; commit latency is then
//     measured at 70% of each chain's best rate.
//   - proofs: the verification of a real gate-check receipt fetched from
//     the lineaged network: proofs only, proofs and re-run, and the whole
//     light-client path of `lineaged verify`.
//   - gate: gate checks in-process at two population sizes, plain and with
//     receipts (building proofs; verifying them offline).
//   - lineage: upstream walks of a complete fan-out-3 tree of datasets.
//   - growth: disk, memory and commit time as dataset records accumulate.
//
// # Method
//
// Networks are node processes on their own loopback addresses (127.0.3.x
// by default), started and stopped by the run. The load signs and encodes
// every transaction before a step begins; each signing account is a lane
// that sends its transactions in order, on schedule, to its organisation's
// validator with broadcast_tx_sync, so that per-account sequences never
// serialise the load across accounts. An observer follows the first node:
// a block counts as committed once that node's application reports its
// height (ABCI Info: executed, not only stored), and its transactions are
// then committed. Throughput counts the load's transactions in the blocks
// of a measuring window, over the span of those blocks' times; a ramp that
// ends before its chain saturates reports a lower bound ("≥").
//
// In-process workloads drive the application as CometBFT drives a
// validator (FinalizeBlock, Commit, Query) over a pebble store on disk;
// their state is built from signed transactions in blocks, never written
// around the application.
package bench
