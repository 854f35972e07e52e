package membership_test

import (
	"fmt"

	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	"github.com/lineageledger/lineaged/x/membership"
)

func ExampleOrgKey() {
	fmt.Printf("%x\n", membership.OrgKey("alpha"))
	// Output: 0105616c706861
}

func ExampleAccountKey() {
	addr := make([]byte, 20)
	addr[19] = 0xaa
	fmt.Printf("%x\n", membership.AccountKey(addr))
	// Output: 0200000000000000000000000000000000000000aa
}

func ExampleOrgAccountKey() {
	addr := make([]byte, 20)
	fmt.Printf("%x\n", membership.OrgAccountKey("ab", addr))
	// Output: 030261620000000000000000000000000000000000000000
}

func ExamplePublicKeyKey() {
	pub := &keysv1.PublicKey{Type: keysv1.KeyType_KEY_TYPE_ED25519, Key: make([]byte, 32)}
	k := membership.PublicKeyKey(pub)
	fmt.Printf("%x %d\n", k[:1], len(k))
	// Output: 04 33
}
