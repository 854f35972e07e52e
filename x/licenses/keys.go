package licenses

import "encoding/binary"

// Key prefixes within the module's store. Documented in doc.go.
const (
	prefixLicense         = 0x01
	prefixGrant           = 0x02
	prefixGrantRevocation = 0x03
	prefixGrantsBySubject = 0x04
	prefixGrantsByLicense = 0x05
	prefixGrantSequence   = 0x06
	maxKeyPartLen         = 255
	sequenceLen           = 8
)

// appendPart appends a one-byte length then s. Every variable part of a key
// (licence ids, subject keys, organisation ids) is validated to at most 255
// bytes before it reaches a key builder, so one length byte suffices and no
// key is a prefix of another's.
func appendPart(k []byte, s string) []byte {
	if len(s) > maxKeyPartLen {
		panic("licenses: key part longer than 255 bytes reached the key builder")
	}
	k = append(k, byte(len(s)))
	return append(k, s...)
}

func newKey(prefix byte, capacity int) []byte {
	k := make([]byte, 1, 1+capacity)
	k[0] = prefix
	return k
}

// LicenseKey is where a licence is stored.
func LicenseKey(licenseID string) []byte {
	return appendPart(newKey(prefixLicense, 1+len(licenseID)), licenseID)
}

// GrantKey is where the grant with sequence number seq ("grant-<seq>") is
// stored.
func GrantKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(newKey(prefixGrant, sequenceLen), seq)
}

// GrantRevocationKey is where the revocation of grant seq is stored.
func GrantRevocationKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(newKey(prefixGrantRevocation, sequenceLen), seq)
}

// GrantsBySubjectPrefix prefixes the index of grants on a subject, given
// its canonical key (see [SubjectKey]).
func GrantsBySubjectPrefix(subjectKey string) []byte {
	return appendPart(newKey(prefixGrantsBySubject, 1+len(subjectKey)), subjectKey)
}

// GrantsBySubjectLicenseePrefix prefixes the index of one licensee's grants
// on a subject.
func GrantsBySubjectLicenseePrefix(subjectKey, licenseeOrg string) []byte {
	return appendPart(GrantsBySubjectPrefix(subjectKey), licenseeOrg)
}

// GrantBySubjectKey indexes grant seq under its subject and licensee.
func GrantBySubjectKey(subjectKey, licenseeOrg string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(GrantsBySubjectLicenseePrefix(subjectKey, licenseeOrg), seq)
}

// GrantsByLicensePrefix prefixes the index of grants under a licence.
func GrantsByLicensePrefix(licenseID string) []byte {
	return appendPart(newKey(prefixGrantsByLicense, 1+len(licenseID)+sequenceLen), licenseID)
}

// GrantByLicenseKey indexes grant seq under its licence.
func GrantByLicenseKey(licenseID string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(GrantsByLicensePrefix(licenseID), seq)
}

// GrantSequenceKey holds the number of the last grant assigned, big-endian
// uint64; absent before the first grant.
func GrantSequenceKey() []byte { return []byte{prefixGrantSequence} }
