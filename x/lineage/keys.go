package lineage

import (
	"encoding/binary"
	"fmt"
)

// Key prefixes within the module's store. Documented in doc.go.
const (
	prefixDataset     = 0x01
	prefixAttestation = 0x02
	prefixName        = 0x03
	prefixHistory     = 0x04
	prefixRun         = 0x05
	prefixUpstream    = 0x06
	prefixDownstream  = 0x07
	prefixDatasetRun  = 0x08
	prefixRevocation  = 0x09
)

// Roles of a dataset in a run, in the dataset→runs index.
const (
	roleInput  byte = 0x01
	roleOutput byte = 0x02
)

// maxKeyPart is the longest variable key part: every one (digests, names,
// versions, organisation ids, run ids) is validated to fit one length byte
// before it reaches a key builder.
const maxKeyPart = 255

// newKey starts a key with prefix and room for extra more bytes.
func newKey(prefix byte, extra int) []byte {
	k := make([]byte, 1, 1+extra)
	k[0] = prefix
	return k
}

// appendPart appends one length-prefixed variable part, so that no key is a
// prefix of a different key with other parts.
func appendPart(k []byte, s string) []byte {
	if len(s) > maxKeyPart {
		panic(fmt.Sprintf("lineage: key part of %d bytes reached the key builder", len(s)))
	}
	k = append(k, byte(len(s)))
	return append(k, s...)
}

func key(prefix byte, parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += 1 + len(p)
	}
	k := newKey(prefix, n)
	for _, p := range parts {
		k = appendPart(k, p)
	}
	return k
}

// DatasetKey is where the dataset with the given digest is stored.
func DatasetKey(digest string) []byte { return key(prefixDataset, digest) }

// AttestationsPrefix prefixes the attestations of a dataset.
func AttestationsPrefix(digest string) []byte { return key(prefixAttestation, digest) }

// AttestationKey is where orgID's attestation of a dataset is stored.
func AttestationKey(digest, orgID string) []byte { return key(prefixAttestation, digest, orgID) }

// NameKey maps namespace/name@version to the digest registered under it.
func NameKey(namespace, name, version string) []byte {
	return key(prefixName, namespace, name, version)
}

// HistoryPrefix prefixes the registration history of namespace/name.
func HistoryPrefix(namespace, name string) []byte { return key(prefixHistory, namespace, name) }

// HistoryKey indexes a registration of namespace/name at height, so that
// iteration yields registration order (height, then digest).
func HistoryKey(namespace, name string, height int64, digest string) []byte {
	k := HistoryPrefix(namespace, name)
	k = binary.BigEndian.AppendUint64(k, uint64(height))
	return appendPart(k, digest)
}

// RunKey is where the run with the given id is stored.
func RunKey(id string) []byte { return key(prefixRun, id) }

// UpstreamPrefix prefixes the edges towards the parents of child.
func UpstreamPrefix(child string) []byte { return key(prefixUpstream, child) }

// UpstreamKey indexes the edge "child was derived from parent by run",
// looked up from the child.
func UpstreamKey(child, parent, runID string) []byte {
	return key(prefixUpstream, child, parent, runID)
}

// DownstreamPrefix prefixes the edges towards the children of parent.
func DownstreamPrefix(parent string) []byte { return key(prefixDownstream, parent) }

// DownstreamKey indexes the same edge as [UpstreamKey], looked up from the
// parent.
func DownstreamKey(parent, child, runID string) []byte {
	return key(prefixDownstream, parent, child, runID)
}

// DatasetRunsPrefix prefixes the runs that consumed (role 0x01) or produced
// (role 0x02) a dataset.
func DatasetRunsPrefix(digest string, role byte) []byte {
	return append(key(prefixDatasetRun, digest), role)
}

// ConsumedByKey indexes a run that took digest as input.
func ConsumedByKey(digest, runID string) []byte {
	return appendPart(DatasetRunsPrefix(digest, roleInput), runID)
}

// ProducedByKey indexes a run that produced digest.
func ProducedByKey(digest, runID string) []byte {
	return appendPart(DatasetRunsPrefix(digest, roleOutput), runID)
}

// RevocationKey is where the revocation of the dataset with the given
// digest is stored.
func RevocationKey(digest string) []byte { return key(prefixRevocation, digest) }

// readPart splits one length-prefixed part off the front of b. Keys are
// written by this module, so a malformed one is corrupt state.
func readPart(b []byte) (string, []byte) {
	if len(b) == 0 || len(b) < 1+int(b[0]) {
		panic(fmt.Sprintf("lineage: corrupt key part %x", b))
	}
	n := int(b[0])
	return string(b[1 : 1+n]), b[1+n:]
}
