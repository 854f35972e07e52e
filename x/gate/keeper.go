package gate

import (
	"errors"

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

// maxDigestMatches is how many versions of an ambiguous digest an error
// names.
const maxDigestMatches = 10

// parseRef splits "name@version" and validates both parts
// ([kit.ParseModelRef]).
func parseRef(field, s string) (kit.ModelRef, error) {
	ref, err := kit.ParseModelRef(field, s)
	switch {
	case errors.Is(err, kit.ErrRefForm):
		return ref, ErrInvalidRequest.Wrapf("%s %q: want name@version", field, s)
	case err != nil:
		return ref, ErrInvalidRequest.Wrapf("%v", err)
	}
	return ref, nil
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
