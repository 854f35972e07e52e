package licenses

import (
	"errors"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/digest"
	pb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// DatasetSubject is the subject naming a dataset by its content digest.
func DatasetSubject(digest string) *pb.Subject {
	return &pb.Subject{Kind: &pb.Subject_Dataset{Dataset: digest}}
}

// ModelSubject is the subject naming a model version, "name@version".
func ModelSubject(ref string) *pb.Subject {
	return &pb.Subject{Kind: &pb.Subject_Model{Model: ref}}
}

// SubjectKey is the canonical string of a subject, "dataset:<digest>" or
// "model:<name>@<version>": the subject's part of index keys, its identity
// in lineage walks, and its form in events. A subject of neither kind maps
// to "none:", which no valid subject has.
func SubjectKey(s *pb.Subject) string {
	switch k := s.GetKind().(type) {
	case *pb.Subject_Dataset:
		return "dataset:" + k.Dataset
	case *pb.Subject_Model:
		return "model:" + k.Model
	}
	return "none:"
}

// ValidateSubject checks that s names exactly one record in canonical form:
// a canonical dataset digest, or a model reference "name@version".
func ValidateSubject(field string, s *pb.Subject) error {
	switch k := s.GetKind().(type) {
	case *pb.Subject_Dataset:
		if err := digest.Validate(k.Dataset); err != nil {
			return ErrInvalidDigest.Wrapf("%s.dataset: %v", field, err)
		}
		return nil
	case *pb.Subject_Model:
		return validateModelRef(field+".model", k.Model)
	}
	return ErrInvalidField.Wrapf("%s must name a dataset digest or a model name@version", field)
}

func validateModelRef(field, ref string) error {
	_, err := kit.ParseModelRef(field, ref)
	switch {
	case errors.Is(err, kit.ErrRefForm):
		return ErrInvalidField.Wrapf("%s %q: want name@version", field, ref)
	case err != nil:
		return ErrInvalidField.Wrapf("%v", err)
	}
	return nil
}
