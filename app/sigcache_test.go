package app

import (
	"github.com/lineageledger/lineaged/app/modules"
	"testing"

	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	"github.com/lineageledger/lineaged/x/models"
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
	good := c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: testKey(t, "once", keysv1.KeyType_KEY_TYPE_ED25519).Public()})
	if res := c.checkTx(good); res.Code != 0 {
		t.Fatal(res.Log)
	}
	d, err := decodeTx(good, int(modules.DefaultParams().MaxTxBytes))
	if err != nil {
		t.Fatal(err)
	}
	acct := c.account(c.admin.addr())
	if !c.app.sigs.verified(d.hash, fingerprint(acct.PublicKey)) {
		t.Fatal("CheckTx did not remember the verified signature")
	}
	bad := c.sign(c.steward.key, c.body(c.admin, &membershippb.MsgAddAccount{PublicKey: testKey(t, "twice", keysv1.KeyType_KEY_TYPE_ED25519).Public()}))
	if res := c.checkTx(bad); res.Code != modules.ErrBadSignature.Code {
		t.Fatalf("bad signature: %s", res.Log)
	}
	db, _ := decodeTx(bad, int(modules.DefaultParams().MaxTxBytes))
	if c.app.sigs.verified(db.hash, fingerprint(acct.PublicKey)) {
		t.Fatal("a failed signature was remembered")
	}
	c.mustBlock(good)
}

// TestDetachedSignatureCache: a message's own signature (a publisher's over
// a manifest) is remembered once verified, for its key, message and
// signature only; failures are never remembered.
func TestDetachedSignatureCache(t *testing.T) {
	a := newStateless(nil)
	alice, bob := testKey(t, "alice", keysv1.KeyType_KEY_TYPE_ED25519), testKey(t, "bob", keysv1.KeyType_KEY_TYPE_P256)
	msg := models.ManifestSignBytes(contentDigest("manifest"))
	sig, err := alice.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	forged := append([]byte(nil), sig...)
	forged[len(forged)-1] ^= 1
	other := models.ManifestSignBytes(contentDigest("other"))
	for i, tc := range []struct {
		key     *keysv1.PublicKey
		msg     []byte
		sig     []byte
		ok      bool
		entries int // remembered signatures afterwards
	}{
		{alice.Public(), msg, sig, true, 1},
		{alice.Public(), msg, sig, true, 1}, // answered from the cache
		{bob.Public(), msg, sig, false, 1},
		{alice.Public(), other, sig, false, 1},
		{alice.Public(), msg, forged, false, 1},
	} {
		err := a.verifyDetached(tc.key, tc.msg, tc.sig)
		if (err == nil) != tc.ok {
			t.Fatalf("case %d: verify = %v, want ok=%v", i, err, tc.ok)
		}
		if got := len(a.detached.entries); got != tc.entries {
			t.Fatalf("case %d: %d remembered signatures, want %d", i, got, tc.entries)
		}
	}
	if len(a.sigs.entries) != 0 {
		t.Fatal("a detached signature went into the transaction cache")
	}
}
