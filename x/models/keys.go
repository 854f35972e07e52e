package models

import (
	"encoding/binary"
	"fmt"
)

// Key prefixes within the module's store. Documented in doc.go.
const (
	prefixModel             = 0x01
	prefixRevocation        = 0x02
	prefixSupersession      = 0x03
	prefixByDigest          = 0x04
	prefixVersions          = 0x05
	prefixDeployment        = 0x06
	prefixVersionDeployment = 0x07
	prefixNameDeployment    = 0x08
	keyDeploymentSeq        = 0x09
	prefixTrainedOn         = 0x10
	prefixFineTune          = 0x11
)

// keyBuilder assembles a key from a sub-prefix and parts. Callers validate
// every variable part first, so a part longer than 255 bytes is a bug.
type keyBuilder []byte

func newKey(prefix byte, capacity int) keyBuilder {
	k := make(keyBuilder, 1, 1+capacity)
	k[0] = prefix
	return k
}

// str appends one byte of length and s, so no part is a prefix of another.
func (k keyBuilder) str(s string) keyBuilder {
	if len(s) > 255 {
		panic(fmt.Sprintf("models: key part of %d bytes reached the key builder", len(s)))
	}
	return append(append(k, byte(len(s))), s...)
}

func (k keyBuilder) u64(v uint64) keyBuilder { return binary.BigEndian.AppendUint64(k, v) }

func nameVersionKey(prefix byte, name, version string) []byte {
	return newKey(prefix, 2+len(name)+len(version)).str(name).str(version)
}

// ModelKey is where a model version is stored.
func ModelKey(name, version string) []byte { return nameVersionKey(prefixModel, name, version) }

// RevocationKey is where a model version's revocation is stored.
func RevocationKey(name, version string) []byte {
	return nameVersionKey(prefixRevocation, name, version)
}

// SupersessionKey is where a model version's supersession is stored.
func SupersessionKey(name, version string) []byte {
	return nameVersionKey(prefixSupersession, name, version)
}

// ByDigestPrefix prefixes the index of the versions registered with a
// manifest digest.
func ByDigestPrefix(manifestDigest string) []byte {
	return newKey(prefixByDigest, 1+len(manifestDigest)).str(manifestDigest)
}

// ByDigestKey indexes name@version under its manifest digest.
func ByDigestKey(manifestDigest, name, version string) []byte {
	return newKey(prefixByDigest, 3+len(manifestDigest)+len(name)+len(version)).
		str(manifestDigest).str(name).str(version)
}

// VersionsPrefix prefixes the index of the versions of a name.
func VersionsPrefix(name string) []byte { return newKey(prefixVersions, 1+len(name)).str(name) }

// VersionKey indexes a version of name under the height it was registered
// at, so the index lists versions in registration order.
func VersionKey(name string, height int64, version string) []byte {
	return newKey(prefixVersions, 10+len(name)+len(version)).str(name).u64(uint64(height)).str(version)
}

// DeploymentKey is where the deployment with the given id is stored.
func DeploymentKey(id uint64) []byte { return newKey(prefixDeployment, 8).u64(id) }

// VersionDeploymentsPrefix prefixes the index of the deployments of one
// version.
func VersionDeploymentsPrefix(name, version string) []byte {
	return nameVersionKey(prefixVersionDeployment, name, version)
}

// VersionDeploymentKey indexes deployment id under its version.
func VersionDeploymentKey(name, version string, id uint64) []byte {
	return newKey(prefixVersionDeployment, 10+len(name)+len(version)).str(name).str(version).u64(id)
}

// NameDeploymentsPrefix prefixes the index of the deployments of every
// version of a name.
func NameDeploymentsPrefix(name string) []byte {
	return newKey(prefixNameDeployment, 1+len(name)).str(name)
}

// NameDeploymentKey indexes deployment id under its model name.
func NameDeploymentKey(name string, id uint64) []byte {
	return newKey(prefixNameDeployment, 9+len(name)).str(name).u64(id)
}

// DeploymentSeqKey holds the last deployment id handed out.
func DeploymentSeqKey() []byte { return []byte{keyDeploymentSeq} }

// TrainedOnPrefix prefixes the index of the versions trained on a dataset.
func TrainedOnPrefix(datasetDigest string) []byte {
	return newKey(prefixTrainedOn, 1+len(datasetDigest)).str(datasetDigest)
}

// TrainedOnKey indexes name@version under a dataset it was trained on.
func TrainedOnKey(datasetDigest, name, version string) []byte {
	return newKey(prefixTrainedOn, 3+len(datasetDigest)+len(name)+len(version)).
		str(datasetDigest).str(name).str(version)
}

// FineTunesPrefix prefixes the index of the versions whose base model is
// baseName@baseVersion.
func FineTunesPrefix(baseName, baseVersion string) []byte {
	return nameVersionKey(prefixFineTune, baseName, baseVersion)
}

// FineTuneKey indexes name@version under its base model.
func FineTuneKey(baseName, baseVersion, name, version string) []byte {
	return newKey(prefixFineTune, 4+len(baseName)+len(baseVersion)+len(name)+len(version)).
		str(baseName).str(baseVersion).str(name).str(version)
}

// readPart reads one length-prefixed part from the front of b.
func readPart(b []byte) (part string, rest []byte, ok bool) {
	if len(b) == 0 || len(b) < 1+int(b[0]) {
		return "", nil, false
	}
	n := int(b[0])
	return string(b[1 : 1+n]), b[1+n:], true
}

// trailingID reads the big-endian id that ends a deployment index key.
func trailingID(key []byte) (uint64, bool) {
	if len(key) < 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(key[len(key)-8:]), true
}
