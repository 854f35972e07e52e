package models

import (
	"errors"
	"fmt"
	"strings"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/digest"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	pb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// Keeper executes model messages and answers other components' questions
// about model versions. Its message handlers write the store they are
// given, the module's own prefix of the state, and read other modules
// through the expected interfaces over the whole state, read-only; its
// other methods take the whole state and read under the module's prefix.
type Keeper struct {
	prefix   []byte
	datasets Datasets
	accounts Accounts
	licenses Licenses
	params   Params
	// verify checks a publisher's signature; keys.Verify unless
	// [Keeper.WithVerifier] set another.
	verify func(pub *keysv1.PublicKey, msg, sig []byte) error
}

// NewKeeper returns the keeper of the module stored under prefix.
func NewKeeper(prefix byte, datasets Datasets, accounts Accounts, licenses Licenses, params Params) Keeper {
	return Keeper{prefix: []byte{prefix}, datasets: datasets, accounts: accounts, licenses: licenses, params: params, verify: keys.Verify}
}

// WithVerifier returns the keeper checking publisher signatures with
// verify, which must give keys.Verify's answers (a cache of them, say: a
// signature is checked when its transaction enters the mempool and again
// in every block that executes it).
func (k Keeper) WithVerifier(verify func(pub *keysv1.PublicKey, msg, sig []byte) error) Keeper {
	k.verify = verify
	return k
}

func (k Keeper) reader(r kit.Reader) kit.Reader { return kit.PrefixedReader(r, k.prefix) }

// Limits on user-supplied fields.
const (
	MaxNameLen           = kit.MaxModelNameLen
	MaxVersionLen        = kit.MaxModelVersionLen
	MaxFormatLen         = 64
	MaxTrainingDatasets  = 256
	MaxLicenses          = 16
	MaxLicenseIDLen      = 128
	MaxRunIDLen          = 128
	MaxReasonLen         = 512
	MaxEnvironmentLen    = 256
	MaxDeploymentNoteLen = 256
)

// manifestSignDomain separates manifest signatures from every other signed
// object.
const manifestSignDomain = "lineage-ledger/model-manifest/v1\x00"

// Ref is the "name@version" reference of a model version.
func Ref(name, version string) string { return kit.ModelRef{Name: name, Version: version}.String() }

// ParseRef splits a "name@version" reference and validates both parts
// ([kit.ParseModelRef]). Errors are [ErrInvalidRef].
func ParseRef(s string) (name, version string, err error) {
	ref, err := kit.ParseModelRef("", s)
	switch {
	case errors.Is(err, kit.ErrRefForm):
		return "", "", ErrInvalidRef.Wrapf("%q: want name@version", s)
	case err != nil:
		return "", "", ErrInvalidRef.Wrapf("%q: %v", s, err)
	}
	return ref.Name, ref.Version, nil
}

// ManifestSignBytes is what a publisher signs to vouch for a model's
// weights: a domain tag, then the canonical manifest digest. It names
// neither the chain nor the model, so the signature can be checked offline
// against the weights alone.
func ManifestSignBytes(manifestDigest string) []byte {
	b := make([]byte, 0, len(manifestSignDomain)+len(manifestDigest))
	return append(append(b, manifestSignDomain...), manifestDigest...)
}

// Model loads a model version from r, the whole state.
func (k Keeper) Model(r kit.Reader, name, version string) (*pb.ModelVersion, bool) {
	if validateNameVersion(name, version) != nil {
		return nil, false
	}
	return loadModel(k.reader(r), name, version)
}

// Revocation loads a model version's revocation from r, the whole state.
func (k Keeper) Revocation(r kit.Reader, name, version string) (*pb.Revocation, bool) {
	if validateNameVersion(name, version) != nil {
		return nil, false
	}
	return loadRevocation(k.reader(r), name, version)
}

// Supersession loads the record of what replaced a model version from r,
// the whole state.
func (k Keeper) Supersession(r kit.Reader, name, version string) (*pb.Supersession, bool) {
	if validateNameVersion(name, version) != nil {
		return nil, false
	}
	return loadSupersession(k.reader(r), name, version)
}

// Deployment loads a deployment by id from r, the whole state.
func (k Keeper) Deployment(r kit.Reader, id uint64) (*pb.Deployment, bool) {
	return loadDeployment(k.reader(r), id)
}

func loadModel(r kit.Reader, name, version string) (*pb.ModelVersion, bool) {
	m := new(pb.ModelVersion)
	if !kit.Load(r, ModelKey(name, version), m) {
		return nil, false
	}
	return m, true
}

func loadRevocation(r kit.Reader, name, version string) (*pb.Revocation, bool) {
	rev := new(pb.Revocation)
	if !kit.Load(r, RevocationKey(name, version), rev) {
		return nil, false
	}
	return rev, true
}

func loadSupersession(r kit.Reader, name, version string) (*pb.Supersession, bool) {
	s := new(pb.Supersession)
	if !kit.Load(r, SupersessionKey(name, version), s) {
		return nil, false
	}
	return s, true
}

func loadDeployment(r kit.Reader, id uint64) (*pb.Deployment, bool) {
	d := new(pb.Deployment)
	if !kit.Load(r, DeploymentKey(id), d) {
		return nil, false
	}
	return d, true
}

// mustLoadModel loads a version an index or another record names; a
// missing one means corrupt state.
func mustLoadModel(r kit.Reader, name, version string) *pb.ModelVersion {
	m, ok := loadModel(r, name, version)
	if !ok {
		panic(fmt.Sprintf("models: state names missing model version %s", Ref(name, version)))
	}
	return m
}

// registeredModel loads a model version a message refers to, which must
// exist.
func registeredModel(r kit.Reader, name, version string) (*pb.ModelVersion, error) {
	m, ok := loadModel(r, name, version)
	if !ok {
		return nil, ErrUnknownModel.Wrapf("%s", Ref(name, version))
	}
	return m, nil
}

// validateNameVersion checks a model version given as separate name and
// version fields.
func validateNameVersion(name, version string) error {
	if err := kit.ValidateIdentifier("name", name, MaxNameLen, kit.NameChars); err != nil {
		return ErrInvalidField.Wrapf("%v", err)
	}
	if err := kit.ValidateIdentifier("version", version, MaxVersionLen, kit.VersionChars); err != nil {
		return ErrInvalidField.Wrapf("%v", err)
	}
	return nil
}

// validateName checks a model name on its own.
func validateName(name string) error {
	if err := kit.ValidateIdentifier("name", name, MaxNameLen, kit.NameChars); err != nil {
		return ErrInvalidField.Wrapf("%v", err)
	}
	return nil
}

// validateDigest checks that s is a canonical digest.
func validateDigest(field, s string) error {
	if err := digest.Validate(s); err != nil {
		return ErrInvalidDigest.Wrapf("%s: %v", field, err)
	}
	return nil
}

// validateText checks free text (see [kit.ValidateText]).
func validateText(field, s string, min, max int) error {
	if err := kit.ValidateText(field, s, min, max); err != nil {
		return ErrInvalidField.Wrapf("%v", err)
	}
	return nil
}

// revocationReasons maps the names users type to reason codes.
var revocationReasons = kit.NameTable[pb.RevocationReason]{
	{Name: "security", Value: pb.RevocationReason_REVOCATION_REASON_SECURITY},
	{Name: "license", Value: pb.RevocationReason_REVOCATION_REASON_LICENSE},
	{Name: "data", Value: pb.RevocationReason_REVOCATION_REASON_DATA},
	{Name: "quality", Value: pb.RevocationReason_REVOCATION_REASON_QUALITY},
	{Name: "legal", Value: pb.RevocationReason_REVOCATION_REASON_LEGAL},
	{Name: "other", Value: pb.RevocationReason_REVOCATION_REASON_OTHER},
}

// ParseRevocationReason reads a reason as users type it ("security",
// "license", "data", "quality", "legal" or "other").
func ParseRevocationReason(s string) (pb.RevocationReason, error) {
	if r, ok := revocationReasons.Lookup(s); ok {
		return r, nil
	}
	return 0, ErrInvalidField.Wrapf("reason code %q: want %s", s, strings.Join(RevocationReasonNames(), ", "))
}

// RevocationReasonName is the name [ParseRevocationReason] reads for r.
func RevocationReasonName(r pb.RevocationReason) string { return revocationReasons.Name(r) }

// RevocationReasonNames lists the reason names, in code order.
func RevocationReasonNames() []string { return revocationReasons.Names() }

func validRevocationReason(r pb.RevocationReason) bool { return revocationReasons.Has(r) }
