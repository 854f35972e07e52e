package keys

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/btcsuite/btcd/btcutil/bech32"

	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
)

// AddressPrefix is the bech32 human-readable part of every address.
const AddressPrefix = "lin"

// AddressSize is the length of an address in bytes.
const AddressSize = 20

// ErrBadAddress means a string is not a canonical address.
var ErrBadAddress = errors.New("invalid address")

// AddressBytes derives the 20-byte address of pub. The key type is hashed
// in so that equal bytes under two schemes give two addresses.
func AddressBytes(pub *keysv1.PublicKey) []byte {
	h := sha256.New()
	h.Write([]byte{byte(pub.Type)})
	h.Write(pub.Key)
	return h.Sum(nil)[:AddressSize]
}

// Address derives the canonical address string of pub.
func Address(pub *keysv1.PublicKey) string {
	return EncodeAddress(AddressBytes(pub))
}

// EncodeAddress writes 20 address bytes in canonical bech32.
func EncodeAddress(b []byte) string {
	conv, err := bech32.ConvertBits(b, 8, 5, true)
	if err != nil {
		panic(fmt.Sprintf("keys: cannot convert address bits: %v", err))
	}
	s, err := bech32.Encode(AddressPrefix, conv)
	if err != nil {
		panic(fmt.Sprintf("keys: cannot encode address: %v", err))
	}
	return s
}

// ParseAddress decodes a canonical address string into its 20 bytes.
func ParseAddress(s string) ([]byte, error) {
	if b, ok := parsedAddresses.get(s); ok {
		return b, nil
	}
	b, err := parseAddress(s)
	if err != nil {
		return nil, err
	}
	parsedAddresses.add(s, b)
	return b, nil
}

// parsedAddresses remembers the bytes of addresses parsed lately: every
// transaction parses its signer's address several times, and a bech32
// decode costs more than the rest of an account lookup. Only valid
// addresses are kept, and the answer is the same as parsing again.
var parsedAddresses = addressCache{m: map[string][AddressSize]byte{}}

// addressCacheSize bounds the cache; when full it starts again empty.
const addressCacheSize = 1 << 14

type addressCache struct {
	mu sync.Mutex
	m  map[string][AddressSize]byte
}

// get returns a fresh slice, which the caller may change.
func (c *addressCache) get(s string) ([]byte, bool) {
	c.mu.Lock()
	b, ok := c.m[s]
	c.mu.Unlock()
	if !ok {
		return nil, false
	}
	return b[:], true
}

func (c *addressCache) add(s string, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= addressCacheSize {
		clear(c.m)
	}
	c.m[s] = [AddressSize]byte(b)
}

func parseAddress(s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrBadAddress)
	}
	if s != strings.ToLower(s) {
		return nil, fmt.Errorf("%w: %q is not lower-case", ErrBadAddress, s)
	}
	hrp, data, err := bech32.Decode(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrBadAddress, s, err)
	}
	if hrp != AddressPrefix {
		return nil, fmt.Errorf("%w: %q has prefix %q, want %q", ErrBadAddress, s, hrp, AddressPrefix)
	}
	b, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrBadAddress, s, err)
	}
	if len(b) != AddressSize {
		return nil, fmt.Errorf("%w: %q decodes to %d bytes, want %d", ErrBadAddress, s, len(b), AddressSize)
	}
	return b, nil
}
