package keys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	k1ecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"

	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
)

// Sizes of the canonical encodings.
const (
	SignatureSize     = 64
	Ed25519PubSize    = ed25519.PublicKeySize
	CompressedPubSize = 33
	PrivateKeySize    = 32
)

var (
	// ErrBadPublicKey means a public key is of an unknown type or not a valid
	// point in its canonical encoding.
	ErrBadPublicKey = errors.New("invalid public key")
	// ErrBadSignature means a signature does not verify, or is not in its
	// canonical form.
	ErrBadSignature = errors.New("invalid signature")
)

// Type names a scheme as users type it.
func TypeName(t keysv1.KeyType) string {
	switch t {
	case keysv1.KeyType_KEY_TYPE_ED25519:
		return "ed25519"
	case keysv1.KeyType_KEY_TYPE_P256:
		return "p256"
	case keysv1.KeyType_KEY_TYPE_SECP256K1:
		return "secp256k1"
	}
	return fmt.Sprintf("unknown(%d)", int32(t))
}

// ParseType parses a scheme name as printed by [TypeName].
func ParseType(s string) (keysv1.KeyType, error) {
	switch strings.ToLower(s) {
	case "ed25519":
		return keysv1.KeyType_KEY_TYPE_ED25519, nil
	case "p256", "p-256", "secp256r1", "es256":
		return keysv1.KeyType_KEY_TYPE_P256, nil
	case "secp256k1", "k1":
		return keysv1.KeyType_KEY_TYPE_SECP256K1, nil
	}
	return 0, fmt.Errorf("unknown key type %q (want ed25519, p256 or secp256k1)", s)
}

// PrivateKey is a private key of any supported scheme.
type PrivateKey struct {
	typ  keysv1.KeyType
	ed   ed25519.PrivateKey
	p256 *ecdsa.PrivateKey
	k1   *secp256k1.PrivateKey
}

// Generate creates a new private key from the system's secure randomness.
func Generate(t keysv1.KeyType) (*PrivateKey, error) {
	switch t {
	case keysv1.KeyType_KEY_TYPE_ED25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("failed to generate ed25519 key: %w", err)
		}
		return &PrivateKey{typ: t, ed: k}, nil
	case keysv1.KeyType_KEY_TYPE_P256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("failed to generate p256 key: %w", err)
		}
		return &PrivateKey{typ: t, p256: k}, nil
	case keysv1.KeyType_KEY_TYPE_SECP256K1:
		k, err := secp256k1.GeneratePrivateKey()
		if err != nil {
			return nil, fmt.Errorf("failed to generate secp256k1 key: %w", err)
		}
		return &PrivateKey{typ: t, k1: k}, nil
	}
	return nil, fmt.Errorf("unknown key type %d", t)
}

// PrivateKeyFromBytes rebuilds a key from [PrivateKey.Bytes]: the 32-byte
// Ed25519 seed, or the 32-byte big-endian ECDSA scalar.
func PrivateKeyFromBytes(t keysv1.KeyType, b []byte) (*PrivateKey, error) {
	if len(b) != PrivateKeySize {
		return nil, fmt.Errorf("private key must be %d bytes, got %d", PrivateKeySize, len(b))
	}
	switch t {
	case keysv1.KeyType_KEY_TYPE_ED25519:
		return &PrivateKey{typ: t, ed: ed25519.NewKeyFromSeed(b)}, nil
	case keysv1.KeyType_KEY_TYPE_P256:
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), b)
		if err != nil {
			return nil, fmt.Errorf("invalid p256 private key: %w", err)
		}
		return &PrivateKey{typ: t, p256: k}, nil
	case keysv1.KeyType_KEY_TYPE_SECP256K1:
		var s secp256k1.ModNScalar
		if overflow := s.SetByteSlice(b); overflow || s.IsZero() {
			return nil, errors.New("invalid secp256k1 private key: out of range")
		}
		return &PrivateKey{typ: t, k1: secp256k1.NewPrivateKey(&s)}, nil
	}
	return nil, fmt.Errorf("unknown key type %d", t)
}

// Type is the key's scheme.
func (k *PrivateKey) Type() keysv1.KeyType { return k.typ }

// Bytes is the 32-byte private key encoding. Handle with care.
func (k *PrivateKey) Bytes() []byte {
	switch k.typ {
	case keysv1.KeyType_KEY_TYPE_ED25519:
		return append([]byte(nil), k.ed.Seed()...)
	case keysv1.KeyType_KEY_TYPE_P256:
		b, err := k.p256.Bytes()
		if err != nil {
			panic(fmt.Sprintf("keys: p256 key cannot be encoded: %v", err))
		}
		return b
	default:
		return k.k1.Serialize()
	}
}

// Public returns the canonical public key.
func (k *PrivateKey) Public() *keysv1.PublicKey {
	pub := &keysv1.PublicKey{Type: k.typ}
	switch k.typ {
	case keysv1.KeyType_KEY_TYPE_ED25519:
		pub.Key = append([]byte(nil), k.ed.Public().(ed25519.PublicKey)...)
	case keysv1.KeyType_KEY_TYPE_P256:
		pub.Key = compressP256(&k.p256.PublicKey)
	default:
		pub.Key = k.k1.PubKey().SerializeCompressed()
	}
	return pub
}

// Sign signs msg in the canonical form [Verify] accepts.
func (k *PrivateKey) Sign(msg []byte) ([]byte, error) {
	switch k.typ {
	case keysv1.KeyType_KEY_TYPE_ED25519:
		return ed25519.Sign(k.ed, msg), nil
	case keysv1.KeyType_KEY_TYPE_P256:
		digest := sha256.Sum256(msg)
		r, s, err := ecdsa.Sign(rand.Reader, k.p256, digest[:])
		if err != nil {
			return nil, fmt.Errorf("failed to sign: %w", err)
		}
		return encodeP256(r, s), nil
	default:
		digest := sha256.Sum256(msg)
		sig := k1ecdsa.Sign(k.k1, digest[:]) // RFC 6979, low S
		r, s := sig.R(), sig.S()
		out := make([]byte, SignatureSize)
		r.PutBytesUnchecked(out[:32])
		s.PutBytesUnchecked(out[32:])
		return out, nil
	}
}

var (
	p256Order     = elliptic.P256().Params().N
	p256HalfOrder = new(big.Int).Rsh(p256Order, 1)
)

func encodeP256(r, s *big.Int) []byte {
	if s.Cmp(p256HalfOrder) > 0 {
		s = new(big.Int).Sub(p256Order, s)
	}
	out := make([]byte, SignatureSize)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out
}

func compressP256(pub *ecdsa.PublicKey) []byte {
	raw, err := pub.Bytes() // 0x04 || X || Y
	if err != nil {
		panic(fmt.Sprintf("keys: p256 public key cannot be encoded: %v", err))
	}
	out := make([]byte, CompressedPubSize)
	out[0] = 0x02 | raw[64]&1
	copy(out[1:], raw[1:33])
	return out
}

// ValidatePublicKey checks that pub is of a known type and a valid point in
// canonical encoding.
func ValidatePublicKey(pub *keysv1.PublicKey) error {
	_, err := parsePublic(pub)
	return err
}

// parsedKey is a public key decoded for verification.
type parsedKey struct {
	typ  keysv1.KeyType
	ed   ed25519.PublicKey
	p256 *ecdsa.PublicKey
	k1   *secp256k1.PublicKey
}

func parsePublic(pub *keysv1.PublicKey) (*parsedKey, error) {
	if pub == nil {
		return nil, fmt.Errorf("%w: missing", ErrBadPublicKey)
	}
	switch pub.Type {
	case keysv1.KeyType_KEY_TYPE_ED25519:
		if len(pub.Key) != Ed25519PubSize {
			return nil, fmt.Errorf("%w: ed25519 key must be %d bytes, got %d", ErrBadPublicKey, Ed25519PubSize, len(pub.Key))
		}
		return &parsedKey{typ: pub.Type, ed: ed25519.PublicKey(pub.Key)}, nil
	case keysv1.KeyType_KEY_TYPE_P256:
		if len(pub.Key) != CompressedPubSize {
			return nil, fmt.Errorf("%w: p256 key must be %d compressed bytes, got %d", ErrBadPublicKey, CompressedPubSize, len(pub.Key))
		}
		x, y := elliptic.UnmarshalCompressed(elliptic.P256(), pub.Key)
		if x == nil {
			return nil, fmt.Errorf("%w: not a p256 point", ErrBadPublicKey)
		}
		return &parsedKey{typ: pub.Type, p256: &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}}, nil
	case keysv1.KeyType_KEY_TYPE_SECP256K1:
		if len(pub.Key) != CompressedPubSize || (pub.Key[0] != 0x02 && pub.Key[0] != 0x03) {
			return nil, fmt.Errorf("%w: secp256k1 key must be %d compressed bytes", ErrBadPublicKey, CompressedPubSize)
		}
		k, err := secp256k1.ParsePubKey(pub.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadPublicKey, err)
		}
		return &parsedKey{typ: pub.Type, k1: k}, nil
	}
	return nil, fmt.Errorf("%w: unknown key type %d", ErrBadPublicKey, pub.Type)
}

// Verify checks that sig is the canonical signature of msg by pub.
func Verify(pub *keysv1.PublicKey, msg, sig []byte) error {
	k, err := parsePublic(pub)
	if err != nil {
		return err
	}
	return k.verify(msg, sig)
}

func (k *parsedKey) verify(msg, sig []byte) error {
	if len(sig) != SignatureSize {
		return fmt.Errorf("%w: must be %d bytes, got %d", ErrBadSignature, SignatureSize, len(sig))
	}
	switch k.typ {
	case keysv1.KeyType_KEY_TYPE_ED25519:
		// crypto/ed25519 rejects non-canonical S, so signatures are not malleable.
		if !ed25519.Verify(k.ed, msg, sig) {
			return ErrBadSignature
		}
		return nil
	case keysv1.KeyType_KEY_TYPE_P256:
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		if r.Sign() == 0 || s.Sign() == 0 || r.Cmp(p256Order) >= 0 || s.Cmp(p256HalfOrder) > 0 {
			return fmt.Errorf("%w: r or s out of range (s must be low)", ErrBadSignature)
		}
		digest := sha256.Sum256(msg)
		if !ecdsa.Verify(k.p256, digest[:], r, s) {
			return ErrBadSignature
		}
		return nil
	default:
		var r, s secp256k1.ModNScalar
		if r.SetByteSlice(sig[:32]) || s.SetByteSlice(sig[32:]) || r.IsZero() || s.IsZero() || s.IsOverHalfOrder() {
			return fmt.Errorf("%w: r or s out of range (s must be low)", ErrBadSignature)
		}
		digest := sha256.Sum256(msg)
		if !k1ecdsa.NewSignature(&r, &s).Verify(digest[:], k.k1) {
			return ErrBadSignature
		}
		return nil
	}
}

// NormalizeSignature turns what an external signer returned into the
// canonical form: ECDSA signatures may come DER-encoded (as most cloud key
// services return them) or as r||s, with any S; Ed25519 ones must be raw.
func NormalizeSignature(t keysv1.KeyType, sig []byte) ([]byte, error) {
	if t == keysv1.KeyType_KEY_TYPE_ED25519 {
		if len(sig) != SignatureSize {
			return nil, fmt.Errorf("%w: ed25519 signature must be %d bytes, got %d", ErrBadSignature, SignatureSize, len(sig))
		}
		return sig, nil
	}
	var r, s *big.Int
	if len(sig) == SignatureSize {
		r, s = new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	} else {
		var der struct{ R, S *big.Int }
		rest, err := asn1.Unmarshal(sig, &der)
		if err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("%w: neither 64-byte r||s nor DER", ErrBadSignature)
		}
		r, s = der.R, der.S
	}
	var order *big.Int
	if t == keysv1.KeyType_KEY_TYPE_P256 {
		order = p256Order
	} else {
		order = secp256k1.S256().N
	}
	if r.Sign() <= 0 || s.Sign() <= 0 || r.Cmp(order) >= 0 || s.Cmp(order) >= 0 {
		return nil, fmt.Errorf("%w: r or s out of range", ErrBadSignature)
	}
	if s.Cmp(new(big.Int).Rsh(order, 1)) > 0 {
		s = new(big.Int).Sub(order, s)
	}
	out := make([]byte, SignatureSize)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out, nil
}
