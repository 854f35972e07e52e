// Package keysv1 is the generated Go code of proto/lineage/crypto/v1: key
// types and public keys. Package keys implements the schemes. Regenerate
// with scripts/gen.sh.
package keysv1
