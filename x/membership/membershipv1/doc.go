// Package membershipv1 is the generated Go code of
// proto/lineage/membership/v1: organisations, accounts, roles, their
// messages and the membership query service. Regenerate with scripts/gen.sh.
package membershipv1
