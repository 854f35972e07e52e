// Package txv1 is the generated Go code of proto/lineage/tx/v1: the signed
// transaction envelope and its body. See package app for how a transaction
// is encoded, signed and checked. Regenerate with scripts/gen.sh.
package txv1
