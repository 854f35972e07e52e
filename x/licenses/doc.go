// Package licenses records licence terms, grants from licensors to
// licensee organisations, and answers what a record's whole lineage
// permits.
//
// # Licences
//
// A licence ([Keeper.DefineLicense]) is defined by a licensor
// organisation: an SPDX expression and/or the digest of custom terms, the
// uses it permits (commercial use, derivatives, redistribution, AI
// training), whether users must attribute, whether an organisation needs a
// grant to use records under it, and an optional expiry by height and/or
// time ([Expired]). A licence never changes. Datasets and model versions
// are offered under licence ids; their modules call [Keeper.CheckUsable]
// when a record is registered.
//
// # Grants
//
// For a licence that needs a grant, the licensor grants a licensee
// organisation rights on one record offered under it
// ([Keeper.GrantLicense]): never more uses than the licence permits, never
// past its expiry, and always with the licence's duties. Grants are
// numbered "grant-1", "grant-2", ... and never change; a revocation
// ([Keeper.RevokeGrant]) is a separate record. A grant is active while it
// is not revoked and neither it nor its licence has expired.
//
// # Effective licence
//
// [Keeper.EffectiveLicense] walks a record's lineage through the
// [Provenance] interface and intersects what every upstream licence
// permits (for one organisation, counting its active grants), listing the
// records and licences behind every restriction and duty. It is
// conservative: anything unknown, expired, unlicensed or beyond the walk
// limit permits nothing.
//
// # State layout
//
// Under the module prefix (one byte, assigned by the application); seq is
// a grant's number as a big-endian uint64, subject the canonical subject
// key ("dataset:<digest>" or "model:<name>@<version>", see [SubjectKey]):
//
//	0x01 | len(licenseID) | licenseID                          → License
//	0x02 | seq                                                 → Grant
//	0x03 | seq                                                 → GrantRevocation
//	0x04 | len(subject) | subject | len(licensee) | licensee | seq → 0x01 (grants by subject)
//	0x05 | len(licenseID) | licenseID | seq                    → 0x01 (grants by licence)
//	0x06                                                       → seq of the last grant
//
// Every variable part is at most 255 bytes (licence ids 128, subject keys
// 199, organisation ids 64), so its length takes one byte.
package licenses
