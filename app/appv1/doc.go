// Package appv1 is the generated Go code of proto/lineage/app/v1: chain
// parameters, the genesis app_state, and the chain-wide query service.
// Regenerate with scripts/gen.sh; do not edit the .pb.go files.
package appv1
