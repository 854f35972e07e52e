// Package lineagev1 is the generated Go code of proto/lineage/lineage/v1: the
// records, messages and query service of x/lineage. Regenerate with
// scripts/gen.sh; do not edit the .pb.go files.
package lineagev1
