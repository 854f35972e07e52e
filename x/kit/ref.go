package kit

import (
	"errors"
	"strings"
)

// Limits of a model reference's parts.
const (
	MaxModelNameLen    = 128
	MaxModelVersionLen = 64
)

// ErrRefForm is the error of a model reference without its '@'.
var ErrRefForm = errors.New("want name@version")

// ModelRef names one model version, "name@version". The name uses
// [NameChars] and the version [VersionChars], neither of which contains
// '@', so a reference splits in exactly one way. Every module that names a
// model version (the registry, licence subjects, the gate) parses it here.
type ModelRef struct {
	Name, Version string
}

// String is the reference's canonical form, "name@version".
func (r ModelRef) String() string { return r.Name + "@" + r.Version }

// ParseModelRef splits s and validates both parts. A reference without '@'
// fails with [ErrRefForm]; an invalid part fails with the part named
// "<field> name" or "<field> version" ("name" or "version" when field is
// empty). Modules wrap the error in their own code.
func ParseModelRef(field, s string) (ModelRef, error) {
	name, version, found := strings.Cut(s, "@")
	if !found {
		return ModelRef{}, ErrRefForm
	}
	prefix := ""
	if field != "" {
		prefix = field + " "
	}
	if err := ValidateIdentifier(prefix+"name", name, MaxModelNameLen, NameChars); err != nil {
		return ModelRef{}, err
	}
	if err := ValidateIdentifier(prefix+"version", version, MaxModelVersionLen, VersionChars); err != nil {
		return ModelRef{}, err
	}
	return ModelRef{Name: name, Version: version}, nil
}
