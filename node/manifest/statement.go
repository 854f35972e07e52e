package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/lineageledger/lineaged/x/kit/digest"
)

// Identifiers of the model_signing v1.0 statement.
const (
	// StatementType is the in-toto Statement v1 "_type".
	StatementType = "https://in-toto.io/Statement/v1"
	// PredicateType is model_signing's predicate type.
	PredicateType = "https://model_signing/signature/v1.0"
	// PayloadType is the DSSE payloadType a signer wraps the statement in.
	PayloadType = "application/vnd.in-toto+json"
	// SerializationMethod is the "files" serialization (one entry per file).
	SerializationMethod = "files"
)

// ErrInvalidStatement means a statement is not a model_signing v1.0
// "files" statement this package can read, or is inconsistent.
var ErrInvalidStatement = errors.New("invalid model statement")

// The JSON shapes, in the key order they are written.
type (
	statement struct {
		Type          string     `json:"_type"`
		Subject       []subject  `json:"subject"`
		PredicateType string     `json:"predicateType"`
		Predicate     *predicate `json:"predicate"`
	}
	subject struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	}
	predicate struct {
		Serialization *serialization `json:"serialization"`
		Resources     []resource     `json:"resources"`
	}
	serialization struct {
		Method        string   `json:"method"`
		HashType      string   `json:"hash_type"`
		AllowSymlinks *bool    `json:"allow_symlinks"`
		IgnorePaths   []string `json:"ignore_paths,omitempty"`
	}
	resource struct {
		Name      string `json:"name"`
		Algorithm string `json:"algorithm"`
		Digest    string `json:"digest"`
	}
)

// Statement renders the manifest as model_signing's in-toto statement (see
// the package doc), naming the subject name, or m.Name if name is empty.
// The same manifest always gives the same bytes.
func (m *Manifest) Statement(name string) ([]byte, error) {
	if name == "" {
		name = m.Name
	}
	if name == "" {
		return nil, errors.New("statement: the model needs a name")
	}
	if len(m.Files) == 0 {
		return nil, fmt.Errorf("statement: %w", ErrEmptyModel)
	}
	resources := make([]resource, len(m.Files))
	for i, f := range m.Files {
		if f.Digest.Algorithm != HashType || len(f.Digest.Value) != 32 {
			return nil, fmt.Errorf("statement: file %q: want a %s digest, got %q", f.Path, HashType, f.Digest.String())
		}
		resources[i] = resource{Name: f.Path, Algorithm: HashType, Digest: f.Digest.Hex()}
	}
	root := rootDigest(m.Files)
	if m.Root.Algorithm != "" && m.Root.String() != root.String() {
		return nil, fmt.Errorf("statement: root digest %s does not match the files (%s)", m.Root, root)
	}
	allowSymlinks := m.AllowSymlinks
	st := statement{
		Type:          StatementType,
		Subject:       []subject{{Name: name, Digest: map[string]string{HashType: root.Hex()}}},
		PredicateType: PredicateType,
		Predicate: &predicate{
			Serialization: &serialization{
				Method:        SerializationMethod,
				HashType:      HashType,
				AllowSymlinks: &allowSymlinks,
				IgnorePaths:   m.IgnorePaths,
			},
			Resources: resources,
		},
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // file names such as "a&b" stay readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(st); err != nil {
		return nil, fmt.Errorf("statement: failed to encode: %w", err)
	}
	return out.Bytes(), nil
}

// ParseStatement reads a model_signing v1.0 "files" statement with SHA-256
// digests (written by Statement or by model_signing) into a manifest whose
// Files keep the listed order. Like model_signing's verifier, it checks that
// the listed digests hash to the subject's root digest; unknown fields are
// ignored. Sizes are unknown (zero).
func ParseStatement(data []byte) (*Manifest, error) {
	var st statement
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidStatement, err)
	}
	if st.Type != StatementType {
		return nil, fmt.Errorf("%w: _type %q, want %q", ErrInvalidStatement, st.Type, StatementType)
	}
	if st.PredicateType != PredicateType {
		return nil, fmt.Errorf("%w: predicateType %q, want %q", ErrInvalidStatement, st.PredicateType, PredicateType)
	}
	if len(st.Subject) != 1 {
		return nil, fmt.Errorf("%w: want exactly one subject, got %d", ErrInvalidStatement, len(st.Subject))
	}
	if st.Subject[0].Name == "" {
		return nil, fmt.Errorf("%w: the subject has no name", ErrInvalidStatement)
	}
	rootHex, ok := st.Subject[0].Digest[HashType]
	if !ok {
		return nil, fmt.Errorf("%w: subject has no %s digest", ErrInvalidStatement, HashType)
	}
	root, err := digest.Parse(HashType + ":" + rootHex)
	if err != nil {
		return nil, fmt.Errorf("%w: subject digest: %v", ErrInvalidStatement, err)
	}
	if st.Predicate == nil || st.Predicate.Serialization == nil {
		return nil, fmt.Errorf("%w: predicate.serialization is missing", ErrInvalidStatement)
	}
	ser := st.Predicate.Serialization
	switch {
	case ser.Method != SerializationMethod:
		return nil, fmt.Errorf("%w: serialization method %q is not supported (want %q)", ErrInvalidStatement, ser.Method, SerializationMethod)
	case ser.HashType != HashType:
		return nil, fmt.Errorf("%w: hash_type %q is not supported (want %q)", ErrInvalidStatement, ser.HashType, HashType)
	case ser.AllowSymlinks == nil:
		return nil, fmt.Errorf("%w: serialization.allow_symlinks is missing", ErrInvalidStatement)
	}
	m := &Manifest{Name: st.Subject[0].Name, AllowSymlinks: *ser.AllowSymlinks}
	for _, p := range ser.IgnorePaths {
		if err := checkManifestPath(p); err != nil {
			return nil, fmt.Errorf("%w: ignore path %q: %v", ErrInvalidStatement, p, err)
		}
		m.IgnorePaths = append(m.IgnorePaths, p)
	}
	seen := make(map[string]bool, len(st.Predicate.Resources))
	for i, r := range st.Predicate.Resources {
		if err := checkManifestPath(r.Name); err != nil {
			return nil, fmt.Errorf("%w: resource %d %q: %v", ErrInvalidStatement, i, r.Name, err)
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("%w: resource %q is listed twice", ErrInvalidStatement, r.Name)
		}
		seen[r.Name] = true
		if r.Algorithm != HashType {
			return nil, fmt.Errorf("%w: resource %q: algorithm %q, want %q", ErrInvalidStatement, r.Name, r.Algorithm, HashType)
		}
		d, err := digest.Parse(HashType + ":" + r.Digest)
		if err != nil {
			return nil, fmt.Errorf("%w: resource %q: %v", ErrInvalidStatement, r.Name, err)
		}
		m.Files = append(m.Files, File{Path: r.Name, Digest: d})
	}
	if len(m.Files) == 0 {
		return nil, fmt.Errorf("%w: no resources", ErrInvalidStatement)
	}
	if got := rootDigest(m.Files); got.Hex() != root.Hex() {
		return nil, fmt.Errorf("%w: subject digest is %s but the resources hash to %s", ErrInvalidStatement, root.Hex(), got.Hex())
	}
	m.Root = root
	return m, nil
}

// checkManifestPath accepts a clean, relative, "/"-separated UTF-8 path.
func checkManifestPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case !utf8.ValidString(p):
		return errors.New("not valid UTF-8")
	case path.IsAbs(p):
		return errors.New("absolute path")
	case path.Clean(p) != p || p == ".":
		return errors.New("not a clean relative path")
	case p == ".." || strings.HasPrefix(p, "../"):
		return errors.New("outside the model")
	}
	return nil
}
