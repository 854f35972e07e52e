package app

import (
	"crypto/sha256"
	"encoding/binary"
	"runtime"
	"sync"

	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
)

// Signature checks dominate the cost of a transaction, and each one would
// otherwise be made three times: in CheckTx, in ProcessProposal and (on
// full nodes) in FinalizeBlock. Whether a signature verifies is a pure
// function of the public key, the signed bytes and the signature, so a
// positive answer can be remembered: sigCache holds, for recently verified
// transactions (by hash, which covers body and signature), the key they
// verified against. A transaction is skipped only when the signer's key is
// still that key, so a key rotation in between is seen. Remembering changes
// no result, only how fast it is reached, and so cannot affect consensus.

// sigCacheSize bounds the cache (about 100 bytes an entry).
const sigCacheSize = 1 << 15

type sigCache struct {
	mu      sync.Mutex
	entries map[[32]byte][32]byte // tx hash -> key fingerprint
	order   [][32]byte            // insertion order, for eviction
	next    int
}

func newSigCache() *sigCache {
	return &sigCache{entries: make(map[[32]byte][32]byte, sigCacheSize), order: make([][32]byte, 0, sigCacheSize)}
}

// fingerprint identifies a public key.
func fingerprint(pub *keysv1.PublicKey) [32]byte {
	// Keys are at most 65 bytes: hash them from the stack.
	var buf [96]byte
	return sha256.Sum256(append(append(buf[:0], byte(pub.GetType())), pub.GetKey()...))
}

func (c *sigCache) verified(txHash, key [32]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.entries[txHash]
	return ok && k == key
}

func (c *sigCache) add(txHash, key [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[txHash]; ok {
		c.entries[txHash] = key
		return
	}
	if len(c.order) < sigCacheSize {
		c.order = append(c.order, txHash)
	} else {
		delete(c.entries, c.order[c.next])
		c.order[c.next] = txHash
		c.next = (c.next + 1) % sigCacheSize
	}
	c.entries[txHash] = key
}

// verifySignature checks a transaction's signature against pub, through the
// cache.
func (a *App) verifySignature(d *decodedTx, pub *keysv1.PublicKey) error {
	fp := fingerprint(pub)
	if a.sigs.verified(d.hash, fp) {
		return nil
	}
	if err := keys.Verify(pub, SignBytes(d.tx.Body), d.tx.Signature); err != nil {
		return err
	}
	a.sigs.add(d.hash, fp)
	return nil
}

// verifyDetached checks a signature a message carries (a publisher's over
// a model manifest), through a cache of its own: like a transaction's, it
// is otherwise checked in CheckTx and again in each block execution.
func (a *App) verifyDetached(pub *keysv1.PublicKey, msg, sig []byte) error {
	fp := fingerprint(pub)
	h := sha256.New()
	h.Write(fp[:])
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(msg))))
	h.Write(msg)
	h.Write(sig)
	var id [32]byte
	h.Sum(id[:0])
	if a.detached.verified(id, fp) {
		return nil
	}
	if err := keys.Verify(pub, msg, sig); err != nil {
		return err
	}
	a.detached.add(id, fp)
	return nil
}

// verifyAhead checks a new transaction's signature before CheckTx takes the
// application's lock, against the signer's key in the last committed state
// (a view safe to read from any goroutine), so that the check overlaps
// block execution instead of waiting for it; CheckTx then finds the answer
// in the cache. Anything unusual is left to CheckTx, which has the final
// word. It returns the transaction decoded, for CheckTx to reuse (nil if it
// was not).
func (a *App) verifyAhead(raw []byte) *decodedTx {
	view := a.store.Committed()
	if view.Height() == 0 {
		return nil // no parameters or accounts committed yet
	}
	d, err := a.decode(raw, int(modules.LoadParams(view).MaxTxBytes))
	if err != nil {
		return nil
	}
	if acct, err := a.mods.Accounts().Account(view, d.body.Signer); err == nil {
		if a.verifySignature(d, acct.PublicKey) == nil {
			_ = a.verifyCarried(d, acct.PublicKey)
		}
	}
	return d
}

// verifyCarried checks, through its cache, the signatures the
// transaction's message carries besides its own (its route says which: a
// publisher's over a model manifest, say), each against the key it names
// or else the signer's, pub. CheckTx refuses a transaction whose carried
// signature fails, as it refuses one whose own signature does; the checks
// ahead of it (verifyAhead, preverify) only fill the cache, so that the
// block's sequential execution finds the answer. The handler has the
// final word in the block.
func (a *App) verifyCarried(d *decodedTx, pub *keysv1.PublicKey) error {
	if d.route == nil {
		return nil
	}
	for _, cs := range d.route.Carried(d.msg) {
		key := cs.Key
		if key == nil {
			key = pub
		}
		if err := a.verifyDetached(key, cs.Message, cs.Signature); err != nil {
			return cs.Refuse(d.body.Signer, err)
		}
	}
	return nil
}

// preverify checks the signatures of a block's transactions in parallel,
// each against its signer's key in base (the state before the block),
// filling the cache so that the sequential execution that follows finds
// them verified. Transactions that do not decode, name unknown signers, or
// whose signer's key changes during the block are simply left to the
// sequential path, which has the final word. It returns the transactions
// decoded, for that path to reuse (nil entries where decoding failed; nil
// for a block of fewer than two).
func (a *App) preverify(base kit.Reader, maxTxBytes uint32, txs [][]byte) []*decodedTx {
	if len(txs) < 2 {
		return nil
	}
	type job struct {
		d   *decodedTx
		pub *keysv1.PublicKey
	}
	jobs := make([]job, 0, len(txs))
	decoded := make([]*decodedTx, len(txs))
	for i, raw := range txs {
		d, err := a.decode(raw, int(maxTxBytes))
		if err != nil {
			continue
		}
		decoded[i] = d
		acct, err := a.mods.Accounts().Account(base, d.body.Signer)
		if err != nil || a.sigs.verified(d.hash, fingerprint(acct.PublicKey)) {
			continue
		}
		jobs = append(jobs, job{d, acct.PublicKey})
	}
	workers := min(runtime.GOMAXPROCS(0), len(jobs))
	var wg sync.WaitGroup
	next := make(chan job)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				if keys.Verify(j.pub, SignBytes(j.d.tx.Body), j.d.tx.Signature) == nil {
					a.sigs.add(j.d.hash, fingerprint(j.pub))
					_ = a.verifyCarried(j.d, j.pub)
				}
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	return decoded
}
