// Package lineage records datasets by content digest and the
// transformation runs that derive datasets from datasets, so that any
// dataset's (and, through x/models, any model's) sources can be traced.
//
// # Datasets
//
// A dataset is identified by its canonical content digest (see
// [github.com/lineageledger/lineaged/x/kit/digest]) and named
// namespace/name@version, unique chain-wide. [Keeper.RegisterDataset]
// stores it owned by the signer's organisation; every licence it lists must
// exist and be unexpired in x/licenses. A missing or expired licence is
// rejected with the licence module's own error (codespace "licenses"),
// wrapped with %w and the offending field, so [kit.CodeOf] reports the
// licence module's code.
//
// Registering a digest that another organisation already registered
// records an attestation instead: the signer's organisation vouches that it
// holds the same bytes. Each organisation attests a dataset at most once,
// and must repeat the registered namespace/name@version, so an attestation
// never claims another name. Registering it again from the owning
// organisation is rejected as a duplicate.
//
// # Runs
//
// [Keeper.RecordRun] records code (and optionally parameters and
// environment digests) turning registered inputs into outputs. Outputs are
// either registered datasets, linked, or new datasets registered by the same
// message. Each (input, output) pair becomes an edge "output was derived from
// input by run". Lineage is kept acyclic: a dataset cannot be both input and
// output, and a linked output may not already be upstream of an input. That
// check walks upstream from the inputs and gives up, rejecting the run, after
// 10000 datasets rather than accept it unchecked.
//
// A run's id is the lower-case hex SHA-256 of
//
//	"lineage-ledger/run/v1\x00"
//	str(org_id) str(code_digest) str(parameters_digest) str(environment_digest)
//	list(inputs) list(outputs) str(executor)
//
// where str(s) is len(s) as a 4-byte big-endian integer followed by the bytes
// of s, list(xs) is the number of items as a 4-byte big-endian integer
// followed by str(x) for each item in ascending byte order, absent optional
// digests are empty strings, and outputs include the new outputs' digests.
// [RunID] computes it. The same run recorded twice is rejected.
//
// # Revocation
//
// [Keeper.RevokeDataset] (needs ROLE_DATA_STEWARD) records that a dataset
// must no longer be used, with a reason code (security, license, data,
// quality, legal, other) and text. Only the organisation that registered
// the dataset may revoke it, once: an attesting organisation vouches that it
// holds the same bytes, not for them, and a revocation reaches every model
// downstream of the dataset. The dataset, its runs and its edges stay as
// they were, and later runs and model registrations may still name it: a
// revocation withdraws the data from use, it does not rewrite what was built
// from it. The deployment gate denies models downstream of a revoked dataset
// (x/gate, REASON_DATASET_REVOKED) under a policy with
// deny_revoked_datasets. The DatasetRevocation query answers with the
// revocation, or with none for a registered dataset that is not revoked.
//
// # Walks
//
// [Keeper.Walk] (and the Lineage query) explores edges breadth first; the
// neighbours of a dataset are visited in key order, which is by the length
// of the neighbour's digest, then its bytes, then the run id. Every dataset
// is reported once, at its shortest depth.
//
// # Listing
//
// Datasets ([Querier.Datasets]) lists datasets by namespace, name prefix,
// owning organisation and licence, in the order of the name index (0x03),
// from the index and the records alone: nothing is indexed for it. A
// namespace reads its part of the index (with a name prefix, one key range
// per name length); the other filters examine at most max_scan entries a
// page and, when that bound stops a page, say so and give the cursor (a
// digest) to continue from.
//
// # State layout
//
// Under the module prefix (one byte, assigned by the application); every
// variable part is preceded by its length in one byte (all are validated to
// at most 255 bytes), heights are 8-byte big-endian:
//
//	0x01 | len | digest                                       → Dataset
//	0x02 | len | digest | len | org_id                        → Attestation
//	0x03 | len | namespace | len | name | len | version       → digest (name index)
//	0x04 | len | namespace | len | name | height | len | digest → 0x01 (history, registration order)
//	0x05 | len | run_id                                       → Run
//	0x06 | len | child | len | parent | len | run_id          → 0x01 (upstream edges)
//	0x07 | len | parent | len | child | len | run_id          → 0x01 (downstream edges)
//	0x08 | len | digest | 0x01 | len | run_id                 → 0x01 (runs that consumed digest)
//	0x08 | len | digest | 0x02 | len | run_id                 → 0x01 (runs that produced digest)
//	0x09 | len | digest                                       → DatasetRevocation
package lineage
