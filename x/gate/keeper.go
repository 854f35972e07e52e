package gate

import (
	"strings"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// Keeper answers deployment checks. It stores nothing: every answer is read
// from other modules through the expected interfaces, so it has no store
// prefix.
type Keeper struct {
	models   Models
	licenses Licenses
	members  Members
	datasets Datasets
	params   Params
}

// NewKeeper returns the gate over the given registries.
func NewKeeper(models Models, licenses Licenses, members Members, datasets Datasets, params Params) Keeper {
	return Keeper{models: models, licenses: licenses, members: members, datasets: datasets, params: params}
}

// Limits of a model reference "name@version" (those of x/models).
const (
	MaxModelNameLen    = 128
	MaxModelVersionLen = 64
)

// maxDigestMatches is how many versions of an ambiguous digest an error
// names.
const maxDigestMatches = 10

// parseRef splits "name@version" and validates both parts.
func parseRef(field, s string) (name, version string, err error) {
	name, version, found := strings.Cut(s, "@")
	if !found {
		return "", "", ErrInvalidRequest.Wrapf("%s %q: want name@version", field, s)
	}
	if err := kit.ValidateIdentifier(field+" name", name, MaxModelNameLen, kit.NameChars); err != nil {
		return "", "", ErrInvalidRequest.Wrapf("%v", err)
	}
	if err := kit.ValidateIdentifier(field+" version", version, MaxModelVersionLen, kit.VersionChars); err != nil {
		return "", "", ErrInvalidRequest.Wrapf("%v", err)
	}
	return name, version, nil
}

// modelSubject and datasetSubject name records in findings, as x/models
// names lineage nodes and x/licenses subjects.
func modelSubject(ref string) string { return "model:" + ref }

func datasetSubject(digest string) string { return "dataset:" + digest }

// subjectName is the finding subject of a licence cause's record.
func subjectName(s *licensesv1.Subject) string {
	switch k := s.GetKind().(type) {
	case *licensesv1.Subject_Dataset:
		return datasetSubject(k.Dataset)
	case *licensesv1.Subject_Model:
		return modelSubject(k.Model)
	}
	return ""
}
