package keys

import (
	"bytes"
	"crypto/elliptic"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
)

var allTypes = []keysv1.KeyType{
	keysv1.KeyType_KEY_TYPE_ED25519,
	keysv1.KeyType_KEY_TYPE_P256,
	keysv1.KeyType_KEY_TYPE_SECP256K1,
}

func orderOf(t keysv1.KeyType) *big.Int {
	if t == keysv1.KeyType_KEY_TYPE_P256 {
		return elliptic.P256().Params().N
	}
	return secp256k1.S256().N
}

func TestSignVerifyRoundTrip(t *testing.T) {
	msg := []byte("lineage-ledger test message")
	for _, typ := range allTypes {
		t.Run(TypeName(typ), func(t *testing.T) {
			k, err := Generate(typ)
			if err != nil {
				t.Fatal(err)
			}
			pub := k.Public()
			if err := ValidatePublicKey(pub); err != nil {
				t.Fatalf("ValidatePublicKey: %v", err)
			}
			for i := 0; i < 20; i++ { // ECDSA S is random: cover both halves
				sig, err := k.Sign(msg)
				if err != nil {
					t.Fatal(err)
				}
				if err := Verify(pub, msg, sig); err != nil {
					t.Fatalf("Verify(own signature) = %v", err)
				}
			}
			// Round trip through bytes keeps the identity.
			k2, err := PrivateKeyFromBytes(typ, k.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(k2.Public().Key, pub.Key) {
				t.Fatal("PrivateKeyFromBytes changed the public key")
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	msg := []byte("body")
	for _, typ := range allTypes {
		k, _ := Generate(typ)
		other, _ := Generate(typ)
		sig, _ := k.Sign(msg)
		flip := func(i int) []byte {
			s := append([]byte(nil), sig...)
			s[i] ^= 0x01
			return s
		}
		cases := []struct {
			name string
			pub  *keysv1.PublicKey
			msg  []byte
			sig  []byte
		}{
			{"other key", other.Public(), msg, sig},
			{"other message", k.Public(), []byte("bodY"), sig},
			{"flipped first byte", k.Public(), msg, flip(0)},
			{"flipped last byte", k.Public(), msg, flip(63)},
			{"short", k.Public(), msg, sig[:63]},
			{"long", k.Public(), msg, append(append([]byte(nil), sig...), 0)},
			{"empty", k.Public(), msg, nil},
		}
		if typ != keysv1.KeyType_KEY_TYPE_ED25519 {
			// The malleated twin (r, n-s) verifies mathematically; only the
			// low-S rule rejects it.
			s := new(big.Int).SetBytes(sig[32:])
			high := new(big.Int).Sub(orderOf(typ), s)
			mall := append([]byte(nil), sig[:32]...)
			mall = append(mall, high.FillBytes(make([]byte, 32))...)
			cases = append(cases, struct {
				name string
				pub  *keysv1.PublicKey
				msg  []byte
				sig  []byte
			}{"high S twin", k.Public(), msg, mall})
		} else {
			// S + L is the classic Ed25519 malleation.
			l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
			sLE := append([]byte(nil), sig[32:]...)
			reverse(sLE)
			s := new(big.Int).SetBytes(sLE)
			s.Add(s, l)
			sb := s.FillBytes(make([]byte, 32))
			reverse(sb)
			cases = append(cases, struct {
				name string
				pub  *keysv1.PublicKey
				msg  []byte
				sig  []byte
			}{"S plus L", k.Public(), msg, append(append([]byte(nil), sig[:32]...), sb...)})
		}
		for _, c := range cases {
			t.Run(TypeName(typ)+"/"+c.name, func(t *testing.T) {
				err := Verify(c.pub, c.msg, c.sig)
				if !errors.Is(err, ErrBadSignature) {
					t.Fatalf("Verify = %v, want ErrBadSignature", err)
				}
			})
		}
	}
}

func reverse(b []byte) {
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
}

func TestValidatePublicKeyRejects(t *testing.T) {
	ed, _ := Generate(keysv1.KeyType_KEY_TYPE_ED25519)
	p, _ := Generate(keysv1.KeyType_KEY_TYPE_P256)
	notOnCurve := append([]byte{0x02}, bytes.Repeat([]byte{0xff}, 32)...)
	cases := []struct {
		name string
		pub  *keysv1.PublicKey
	}{
		{"nil", nil},
		{"unspecified type", &keysv1.PublicKey{Key: ed.Public().Key}},
		{"unknown type", &keysv1.PublicKey{Type: 99, Key: ed.Public().Key}},
		{"ed25519 short", &keysv1.PublicKey{Type: keysv1.KeyType_KEY_TYPE_ED25519, Key: ed.Public().Key[:31]}},
		{"p256 uncompressed", &keysv1.PublicKey{Type: keysv1.KeyType_KEY_TYPE_P256, Key: append([]byte{4}, make([]byte, 64)...)}},
		{"p256 not on curve", &keysv1.PublicKey{Type: keysv1.KeyType_KEY_TYPE_P256, Key: notOnCurve}},
		{"p256 key as secp256k1", &keysv1.PublicKey{Type: keysv1.KeyType_KEY_TYPE_SECP256K1, Key: append([]byte{0x04}, p.Public().Key[1:]...)}},
		{"secp256k1 not on curve", &keysv1.PublicKey{Type: keysv1.KeyType_KEY_TYPE_SECP256K1, Key: notOnCurve}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := ValidatePublicKey(c.pub); !errors.Is(err, ErrBadPublicKey) {
				t.Fatalf("ValidatePublicKey = %v, want ErrBadPublicKey", err)
			}
		})
	}
}

func TestNormalizeSignature(t *testing.T) {
	msg := []byte("external signer")
	for _, typ := range allTypes[1:] {
		k, _ := Generate(typ)
		sig, _ := k.Sign(msg)
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		high := new(big.Int).Sub(orderOf(typ), s)
		der, _ := asn1.Marshal(struct{ R, S *big.Int }{r, high})
		for name, in := range map[string][]byte{"raw": sig, "DER high S": der} {
			got, err := NormalizeSignature(typ, in)
			if err != nil {
				t.Fatalf("%s %s: %v", TypeName(typ), name, err)
			}
			if err := Verify(k.Public(), msg, got); err != nil {
				t.Fatalf("%s %s: normalized signature does not verify: %v", TypeName(typ), name, err)
			}
		}
		if _, err := NormalizeSignature(typ, []byte{0x30, 0x01}); err == nil {
			t.Fatal("garbage accepted")
		}
	}
	if _, err := NormalizeSignature(keysv1.KeyType_KEY_TYPE_ED25519, make([]byte, 70)); err == nil {
		t.Fatal("DER accepted for ed25519")
	}
}

func TestAddress(t *testing.T) {
	k, _ := PrivateKeyFromBytes(keysv1.KeyType_KEY_TYPE_ED25519, bytes.Repeat([]byte{7}, 32))
	addr := Address(k.Public())
	if !strings.HasPrefix(addr, AddressPrefix+"1") {
		t.Fatalf("address %q lacks prefix", addr)
	}
	b, err := ParseAddress(addr)
	if err != nil || !bytes.Equal(b, AddressBytes(k.Public())) {
		t.Fatalf("ParseAddress(%q) = %x, %v", addr, b, err)
	}
	// Same key bytes under another scheme give another address.
	alias := &keysv1.PublicKey{Type: keysv1.KeyType_KEY_TYPE_P256, Key: k.Public().Key}
	if Address(alias) == addr {
		t.Fatal("key type not bound into the address")
	}
	wrongHRP := "cosmos" + addr[len(AddressPrefix):]
	bad := []string{
		"",
		strings.ToUpper(addr), // valid bech32, not canonical
		addr[:len(addr)-1] + string("qpzry9x8gf2tvdw0s3jn54khce6mua7l"[(strings.IndexByte("qpzry9x8gf2tvdw0s3jn54khce6mua7l", addr[len(addr)-1])+1)%32]),
		wrongHRP,
		EncodeAddress(make([]byte, 20))[:10],
		"lin1",
	}
	for _, s := range bad {
		if _, err := ParseAddress(s); !errors.Is(err, ErrBadAddress) {
			t.Errorf("ParseAddress(%q) = %v, want ErrBadAddress", s, err)
		}
	}
}

// TestParseAddressRemembered: a parse answered from the cache of recent
// addresses is the parse itself, and the caller's copy is its own.
func TestParseAddressRemembered(t *testing.T) {
	k, _ := PrivateKeyFromBytes(keysv1.KeyType_KEY_TYPE_ED25519, bytes.Repeat([]byte{9}, 32))
	addr, want := Address(k.Public()), AddressBytes(k.Public())
	first, err := ParseAddress(addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, held := parsedAddresses.get(addr); !held {
		t.Fatal("a valid address was not remembered")
	}
	first[0] ^= 0xff
	again, err := ParseAddress(addr)
	if err != nil || !bytes.Equal(again, want) {
		t.Fatalf("second parse = %x, %v; want %x (the first caller's change leaked)", again, err, want)
	}
	// Invalid input is never remembered, and stays invalid.
	upper := strings.ToUpper(addr)
	for range 2 {
		if _, err := ParseAddress(upper); !errors.Is(err, ErrBadAddress) {
			t.Fatalf("ParseAddress(%q) = %v", upper, err)
		}
	}
	if _, held := parsedAddresses.get(upper); held {
		t.Fatal("an invalid address was remembered")
	}
	// The cache stays within its bound.
	for i := range addressCacheSize + 10 {
		b := make([]byte, AddressSize)
		binary.BigEndian.PutUint32(b, uint32(i))
		if _, err := ParseAddress(EncodeAddress(b)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(parsedAddresses.m); n > addressCacheSize {
		t.Fatalf("%d addresses remembered, bound %d", n, addressCacheSize)
	}
}

func ExampleAddress() {
	k, _ := PrivateKeyFromBytes(keysv1.KeyType_KEY_TYPE_ED25519, make([]byte, 32))
	println(Address(k.Public()) != "")
}

// FuzzNormalizeSignature: whatever an external signer prints, normalising
// never panics and only yields canonical 64-byte signatures.
func FuzzNormalizeSignature(f *testing.F) {
	k, _ := Generate(keysv1.KeyType_KEY_TYPE_P256)
	sig, _ := k.Sign([]byte("m"))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	der, _ := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	f.Add(uint8(2), sig)
	f.Add(uint8(3), der)
	f.Add(uint8(1), make([]byte, 64))
	f.Fuzz(func(t *testing.T, typ uint8, in []byte) {
		kt := keysv1.KeyType(typ % 4)
		out, err := NormalizeSignature(kt, in)
		if err != nil {
			return
		}
		if len(out) != SignatureSize {
			t.Fatalf("normalised signature of %d bytes", len(out))
		}
		if kt != keysv1.KeyType_KEY_TYPE_ED25519 {
			if s := new(big.Int).SetBytes(out[32:]); s.Cmp(new(big.Int).Rsh(orderOf(kt), 1)) > 0 {
				t.Fatal("normalised signature has a high S")
			}
		}
	})
}

// FuzzParseAddress: only canonical addresses are accepted, and they
// re-encode to themselves.
func FuzzParseAddress(f *testing.F) {
	f.Add(EncodeAddress(make([]byte, 20)))
	f.Add("lin1")
	f.Add("LIN1QQQQ")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseAddress(s)
		if err != nil {
			return
		}
		if EncodeAddress(b) != s {
			t.Fatalf("ParseAddress(%q) accepted a non-canonical spelling", s)
		}
	})
}
