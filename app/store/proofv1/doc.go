// Package proofv1 is the generated Go code of proto/lineage/proof/v1: the
// [ProofBundle] that proves a query's reads of one version of the state,
// with its [KeyProof]s and [RangeProof]s. Package store builds bundles and
// package proof verifies them; the rules a valid bundle follows are in
// proof.Verify. Regenerate with scripts/gen.sh; do not edit the .pb.go files.
package proofv1
