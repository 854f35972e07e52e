// Package digest is the typed content digest every record is identified
// by: an algorithm and a hex value, with exactly one canonical string form,
// "<algorithm>:<lower-case hex>" (e.g. "sha256:9f86d0...").
//
// Only the canonical form is accepted from users, so one digest never has
// two spellings (and so never two state keys).
package digest

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"

	"golang.org/x/crypto/blake2b"
)

// Algorithms accepted, with the byte length of their digests.
const (
	SHA256     = "sha256"
	SHA512     = "sha512"
	Blake2b256 = "blake2b-256"
)

var sizes = map[string]int{SHA256: 32, SHA512: 64, Blake2b256: 32}

// ErrInvalid means a string is not a canonical digest.
var ErrInvalid = errors.New("invalid digest")

// Digest is a content digest.
type Digest struct {
	Algorithm string
	// Value is the raw digest.
	Value []byte
}

// String is the canonical form.
func (d Digest) String() string { return d.Algorithm + ":" + hex.EncodeToString(d.Value) }

// Hex is the value in lower-case hex.
func (d Digest) Hex() string { return hex.EncodeToString(d.Value) }

// Parse reads a canonical digest string.
func Parse(s string) (Digest, error) {
	algo, hexValue, ok := strings.Cut(s, ":")
	if !ok {
		return Digest{}, fmt.Errorf("%w: %q: want <algorithm>:<hex>, e.g. sha256:<64 hex digits>", ErrInvalid, s)
	}
	size, known := sizes[algo]
	if !known {
		return Digest{}, fmt.Errorf("%w: %q: unknown algorithm %q (want sha256, sha512 or blake2b-256)", ErrInvalid, s, algo)
	}
	if len(hexValue) != 2*size {
		return Digest{}, fmt.Errorf("%w: %q: a %s digest has %d hex digits, got %d", ErrInvalid, s, algo, 2*size, len(hexValue))
	}
	if hexValue != strings.ToLower(hexValue) {
		return Digest{}, fmt.Errorf("%w: %q: hex digits must be lower-case", ErrInvalid, s)
	}
	v, err := hex.DecodeString(hexValue)
	if err != nil {
		return Digest{}, fmt.Errorf("%w: %q: %v", ErrInvalid, s, err)
	}
	return Digest{Algorithm: algo, Value: v}, nil
}

// Validate checks that s is a canonical digest.
func Validate(s string) error {
	_, err := Parse(s)
	return err
}

// New returns a streaming hasher for algo.
func New(algo string) (hash.Hash, error) {
	switch algo {
	case SHA256:
		return sha256.New(), nil
	case SHA512:
		return sha512.New(), nil
	case Blake2b256:
		return blake2b.New256(nil)
	}
	return nil, fmt.Errorf("%w: unknown algorithm %q", ErrInvalid, algo)
}

// Of digests b with algo.
func Of(algo string, b []byte) (Digest, error) {
	h, err := New(algo)
	if err != nil {
		return Digest{}, err
	}
	h.Write(b)
	return Digest{Algorithm: algo, Value: h.Sum(nil)}, nil
}
