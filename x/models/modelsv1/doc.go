// Package modelsv1 is the generated Go code of proto/lineage/models/v1: the
// records, messages and query service of x/models. Regenerate with
// scripts/gen.sh; do not edit the .pb.go files.
package modelsv1
