// Package licensesv1 is the generated Go code of proto/lineage/licenses/v1: the
// records, messages and query service of x/licenses. Regenerate with
// scripts/gen.sh; do not edit the .pb.go files.
package licensesv1
