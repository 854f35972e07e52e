package app

import (
	"testing"

	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	mpb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

func TestSigCache(t *testing.T) {
	c := newSigCache()
	tx := [32]byte{1}
	keyA := fingerprint(&keysv1.PublicKey{Type: 1, Key: []byte("a")})
	keyB := fingerprint(&keysv1.PublicKey{Type: 1, Key: []byte("b")})
	if c.verified(tx, keyA) {
		t.Fatal("empty cache answers")
	}
	c.add(tx, keyA)
	if !c.verified(tx, keyA) || c.verified(tx, keyB) {
		t.Fatal("a remembered signature must count for its own key only")
	}
	// The cache stays bounded: the oldest entries go first.
	for i := 0; i < sigCacheSize+10; i++ {
		c.add([32]byte{2, byte(i), byte(i >> 8), byte(i >> 16)}, keyA)
	}
	if len(c.entries) != sigCacheSize || c.verified(tx, keyA) {
		t.Fatalf("cache holds %d entries (tx 1 remembered: %v)", len(c.entries), c.verified(tx, keyA))
	}
}

// TestSignatureVerifiedOnce: a transaction admitted by CheckTx is not
// verified again in the block, and one that fails is never remembered.
func TestSignatureVerifiedOnce(t *testing.T) {
	c := newChain(t)
	c.mustBlock()
	good := c.tx(c.admin, &mpb.MsgAddAccount{PublicKey: testKey(t, "once", keysv1.KeyType_KEY_TYPE_ED25519).Public()})
	if res := c.checkTx(good); res.Code != 0 {
		t.Fatal(res.Log)
	}
	d, err := decodeTx(good, int(DefaultParams().MaxTxBytes))
	if err != nil {
		t.Fatal(err)
	}
	acct := c.account(c.admin.addr())
	if !c.app.sigs.verified(d.hash, fingerprint(acct.PublicKey)) {
		t.Fatal("CheckTx did not remember the verified signature")
	}
	bad := c.sign(c.steward.key, c.body(c.admin, &mpb.MsgAddAccount{PublicKey: testKey(t, "twice", keysv1.KeyType_KEY_TYPE_ED25519).Public()}))
	if res := c.checkTx(bad); res.Code != ErrBadSignature.Code {
		t.Fatalf("bad signature: %s", res.Log)
	}
	db, _ := decodeTx(bad, int(DefaultParams().MaxTxBytes))
	if c.app.sigs.verified(db.hash, fingerprint(acct.PublicKey)) {
		t.Fatal("a failed signature was remembered")
	}
	c.mustBlock(good)
}
