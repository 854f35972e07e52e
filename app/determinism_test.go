package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"github.com/lineageledger/lineaged/app/modules"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/app/txv1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	"github.com/lineageledger/lineaged/x/membership"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

const (
	replaySeed   = 20260102
	replayBlocks = 30
)

// TestDeterministicReplay runs one seeded random history of membership
// transactions on three fresh applications:
//
//   - A, in memory, through the validator path (ProcessProposal, then
//     FinalizeBlock reusing its result, then Commit);
//   - B, in memory, through the full-node path (FinalizeBlock and Commit
//     only), with inadmissible transactions mixed into the same blocks;
//   - C, on pebbledb, through the full-node path with B's blocks.
//
// Every height must have the same app hash on all three, every transaction
// A and B share the same result, and B and C agree on every result
// including the inadmissible ones, which must change nothing.
func TestDeterministicReplay(t *testing.T) {
	a := newChain(t)
	g := newReplayGen(t, a, replaySeed)

	type height struct {
		blk     replayBlock
		results []*abci.ExecTxResult
		hash    []byte
	}
	var history []height
	for range replayBlocks {
		blk := g.block()
		res, hash := validatorBlock(t, a, blk.txs)
		if committed := appHash(a); !bytes.Equal(hash, committed) {
			t.Fatalf("A height %d: FinalizeBlock hash %X, committed hash %X", a.height, hash, committed)
		}
		history = append(history, height{blk, res, bytes.Clone(hash)})
		g.sync()
	}
	var all [][]*abci.ExecTxResult
	for _, h := range history {
		all = append(all, h.results)
	}
	g.checkCoverage(all)
	if seen := checkSearchable(t, all); len(seen) < 7 {
		t.Errorf("the replay emitted only %v", seen)
	}
	extraKinds := map[string]int{}
	for _, h := range history {
		for _, e := range h.blk.extras {
			extraKinds[e.kind]++
		}
	}
	t.Logf("inadmissible extras on the full-node path: %v", extraKinds)
	if len(extraKinds) < 5 {
		t.Errorf("only %d kinds of inadmissible transaction generated (%v), want at least 5", len(extraKinds), extraKinds)
	}

	b := newChain(t)
	pdir := t.TempDir()
	pst, err := store.Open(store.Config{Backend: "pebbledb", Dir: pdir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pst.Close() })
	c := newChainOn(t, pst, true)

	for i, h := range history {
		full := h.blk.full()
		resB, hashB := b.fullNodeBlock(full...)
		resC, hashC := c.fullNodeBlock(full...)
		height := int64(i + 1)
		if !bytes.Equal(hashB, h.hash) || !bytes.Equal(hashC, h.hash) {
			t.Fatalf("height %d: app hash A %X, B %X, C (pebbledb) %X", height, h.hash, hashB, hashC)
		}
		if len(resB) != len(full) || len(resC) != len(full) {
			t.Fatalf("height %d: %d txs, B has %d results, C %d", height, len(full), len(resB), len(resC))
		}
		j := 0 // index into A's results
		for k := range full {
			compareResult(t, fmt.Sprintf("height %d tx %d: B vs C", height, k), resB[k], resC[k])
			if h.blk.isExtra(k) {
				r := resB[k]
				if r.Code == 0 || r.Codespace != modules.Codespace || len(r.Events) != 0 {
					t.Fatalf("height %d tx %d (inadmissible %s): result %s/%d %q with %d events; want a %q rejection without events",
						height, k, h.blk.extraKind(k), r.Codespace, r.Code, r.Log, len(r.Events), modules.Codespace)
				}
				continue
			}
			compareResult(t, fmt.Sprintf("height %d tx %d: A (validator) vs B (full node)", height, k), h.results[j], resB[k])
			j++
		}
		if j != len(h.results) {
			t.Fatalf("height %d: matched %d of A's %d results", height, j, len(h.results))
		}
	}
	infos := map[string]*abci.InfoResponse{}
	for name, ch := range map[string]*chain{"A": a, "B": b, "C": c} {
		info, err := ch.app.Info(context.Background(), &abci.InfoRequest{})
		if err != nil {
			t.Fatal(err)
		}
		infos[name] = info
	}
	for _, name := range []string{"B", "C"} {
		if infos[name].LastBlockHeight != infos["A"].LastBlockHeight || !bytes.Equal(infos[name].LastBlockAppHash, infos["A"].LastBlockAppHash) {
			t.Fatalf("Info: %s at %d %X, A at %d %X", name, infos[name].LastBlockHeight, infos[name].LastBlockAppHash,
				infos["A"].LastBlockHeight, infos["A"].LastBlockAppHash)
		}
	}
	if infos["A"].LastBlockHeight != replayBlocks {
		t.Fatalf("Info height = %d, want %d", infos["A"].LastBlockHeight, replayBlocks)
	}
}

// validatorBlock runs the next block as a validator does, checking that
// FinalizeBlock is handed the execution ProcessProposal kept (so this path
// really differs from the full node's).
func validatorBlock(t *testing.T, c *chain, txs [][]byte) ([]*abci.ExecTxResult, []byte) {
	t.Helper()
	c.height++
	c.now = c.now.Add(time.Second)
	hash := sha256.Sum256([]byte(fmt.Sprint("replay block ", c.height)))
	pp, err := c.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{Txs: txs, Hash: hash[:], Height: c.height, Time: c.now})
	if err != nil {
		t.Fatal(err)
	}
	if pp.Status != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("height %d: ProcessProposal rejected a generated block", c.height)
	}
	if p := c.app.proposal; p == nil || p.height != c.height || !bytes.Equal(p.hash, hash[:]) || len(p.results) != len(txs) {
		t.Fatalf("height %d: ProcessProposal did not keep its execution for FinalizeBlock", c.height)
	}
	res, appHash := c.finalize(hash[:], txs)
	if c.app.proposal != nil {
		t.Fatalf("height %d: executed proposal still held after FinalizeBlock", c.height)
	}
	return res, appHash
}

// compareResult checks that two results of the same transaction agree on
// everything that is committed or shown to clients.
func compareResult(t *testing.T, what string, want, got *abci.ExecTxResult) {
	t.Helper()
	if got.Code != want.Code || got.Codespace != want.Codespace || got.Log != want.Log {
		t.Fatalf("%s: got %s/%d %q, want %s/%d %q", what, got.Codespace, got.Code, got.Log, want.Codespace, want.Code, want.Log)
	}
	if !reflect.DeepEqual(got.Events, want.Events) {
		t.Fatalf("%s: events differ\n got %v\nwant %v", what, got.Events, want.Events)
	}
	if !bytes.Equal(got.Data, want.Data) || got.GasWanted != want.GasWanted || got.GasUsed != want.GasUsed {
		t.Fatalf("%s: data/gas differ: got %x %d/%d, want %x %d/%d", what, got.Data, got.GasWanted, got.GasUsed, want.Data, want.GasWanted, want.GasUsed)
	}
}

// replayBlock is one generated block: the admissible transactions in order,
// and inadmissible ones to insert before position at (len(txs): at the end)
// on the full-node path.
type replayBlock struct {
	txs    [][]byte
	extras []replayExtra
}

type replayExtra struct {
	at   int
	kind string
	raw  []byte
}

// full is the block as the full node sees it.
func (b replayBlock) full() [][]byte {
	var out [][]byte
	for i := 0; i <= len(b.txs); i++ {
		for _, e := range b.extras {
			if e.at == i {
				out = append(out, e.raw)
			}
		}
		if i < len(b.txs) {
			out = append(out, b.txs[i])
		}
	}
	return out
}

// isExtra reports whether position k of full() is an inadmissible extra.
func (b replayBlock) isExtra(k int) bool { return b.extraKind(k) != "" }

func (b replayBlock) extraKind(k int) string {
	pos := 0
	for i := 0; i <= len(b.txs); i++ {
		for _, e := range b.extras {
			if e.at == i {
				if pos == k {
					return e.kind
				}
				pos++
			}
		}
		if pos == k {
			return ""
		}
		pos++
	}
	return ""
}

// member is the generator's picture of an account, refreshed from chain A
// after every block.
type member struct {
	key    *keys.PrivateKey
	addr   string
	org    string
	seq    uint64
	roles  []membershippb.Role
	active bool
}

// holdsAll reports whether m holds every role of other.
func (m *member) holdsAll(other *member) bool {
	for _, r := range other.roles {
		if !m.has(r) {
			return false
		}
	}
	return true
}

func (m *member) has(r membershippb.Role) bool {
	return r == membershippb.Role_ROLE_UNSPECIFIED || slices.Contains(m.roles, r)
}

// replayGen makes blocks whose transactions are all admissible on chain A
// (so that A's ProcessProposal accepts them), a fair share of which fail in
// their handler. To keep admission predictable without re-implementing the
// handlers, an account signs at most once per block (twice for a rotation
// followed by a transaction under the new key) and is never the target of
// another transaction of the block it signs in.
type replayGen struct {
	t       *testing.T
	c       *chain
	rng     *rand.Rand
	members []*member
	pending []*member // accounts created in the current block, if it succeeds
	orgs    []string
	nKeys   int
	nOrgs   int

	signers, targets map[string]bool
	rotated          map[string]*keys.PrivateKey // old key of accounts rotated this block
}

func newReplayGen(t *testing.T, c *chain, seed uint64) *replayGen {
	g := &replayGen{t: t, c: c, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), orgs: []string{"alpha", "beta"}}
	for _, a := range []*actor{c.admin, c.steward, c.beta} {
		g.members = append(g.members, &member{key: a.key, addr: a.addr()})
	}
	g.sync()
	return g
}

func (g *replayGen) newKey() *keys.PrivateKey {
	g.nKeys++
	types := []keysv1.KeyType{keysv1.KeyType_KEY_TYPE_ED25519, keysv1.KeyType_KEY_TYPE_P256, keysv1.KeyType_KEY_TYPE_SECP256K1}
	return testKey(g.t, fmt.Sprintf("replay-key-%d", g.nKeys), types[g.rng.IntN(len(types))])
}

// sync refreshes every member from chain A's committed state.
func (g *replayGen) sync() {
	all := append(g.members, g.pending...)
	g.members, g.pending = nil, nil
	for _, m := range all {
		// Read the state the next block executes on (the genesis state
		// before the first commit).
		acct, err := g.c.app.mods.Accounts().Account(g.c.app.base(), m.addr)
		if err != nil {
			continue // created by a transaction that failed
		}
		if !proto.Equal(acct.PublicKey, m.key.Public()) {
			g.t.Fatalf("generator lost track of %s's key: chain has %v", m.addr, acct.PublicKey)
		}
		m.org, m.seq, m.roles = acct.OrgId, acct.Sequence, acct.Roles
		m.active = acct.Status == membershippb.AccountStatus_ACCOUNT_STATUS_ACTIVE
		g.members = append(g.members, m)
		if !slices.Contains(g.orgs, m.org) {
			g.orgs = append(g.orgs, m.org)
		}
	}
}

func (g *replayGen) pick(ms []*member) *member {
	if len(ms) == 0 {
		return nil
	}
	return ms[g.rng.IntN(len(ms))]
}

// signer picks an active account holding role that has not signed in this
// block and is not the target of one of its transactions.
func (g *replayGen) signer(role membershippb.Role) *member {
	var cands []*member
	for _, m := range g.members {
		if m.active && m.has(role) && !g.signers[m.addr] && !g.targets[m.addr] {
			cands = append(cands, m)
		}
	}
	m := g.pick(cands)
	if m != nil {
		g.signers[m.addr] = true
	}
	return m
}

// target picks an account for an admin action of s: usually of s's own
// organisation, sometimes of another (a handler failure).
func (g *replayGen) target(s *member, pred func(*member) bool) *member {
	var same, other []*member
	for _, m := range g.members {
		if g.signers[m.addr] || m == s || !pred(m) {
			continue
		}
		if m.org == s.org {
			same = append(same, m)
		} else {
			other = append(other, m)
		}
	}
	m := g.pick(same)
	if m == nil || g.rng.IntN(10) == 0 && len(other) > 0 {
		m = g.pick(other)
	}
	if m != nil {
		g.targets[m.addr] = true
	}
	return m
}

// tx signs msg as m with m's next sequence.
func (g *replayGen) tx(m *member, msg proto.Message) []byte {
	raw := g.c.signedBy(m.key, m.addr, m.seq, msg)
	m.seq++
	return raw
}

func (g *replayGen) roleSubset(from []membershippb.Role) []membershippb.Role {
	var out []membershippb.Role
	for _, r := range from {
		if g.rng.IntN(2) == 0 {
			out = append(out, r)
		}
	}
	return out
}

func anyRole(yes bool) func(*member) bool { return func(*member) bool { return yes } }

// op generates one operation: zero, one or two transactions.
func (g *replayGen) op() [][]byte {
	switch g.rng.IntN(6) {
	case 0: // create an organisation
		s := g.signer(membershippb.Role_ROLE_CONSORTIUM_ADMIN)
		if s == nil {
			return nil
		}
		g.nOrgs++
		id := fmt.Sprintf("org-%d", g.nOrgs)
		key := g.newKey()
		roles := append([]membershippb.Role{membershippb.Role_ROLE_ADMIN}, g.roleSubset(s.roles)...)
		switch g.rng.IntN(8) {
		case 0:
			id = g.orgs[g.rng.IntN(len(g.orgs))] // exists
		case 1:
			id = fmt.Sprintf("Org_%d", g.nOrgs) // invalid
		case 2:
			roles = []membershippb.Role{membershippb.Role_ROLE_AUDITOR} // no admin
		}
		g.pending = append(g.pending, &member{key: key, addr: keys.Address(key.Public())})
		return [][]byte{g.tx(s, &membershippb.MsgCreateOrg{OrgId: id, Name: "Org " + id, AdminPublicKey: key.Public(), AdminRoles: roles, AdminLabel: "first admin"})}
	case 1: // add an account
		s := g.signer(membershippb.Role_ROLE_ADMIN)
		if s == nil {
			return nil
		}
		key := g.newKey()
		roles := g.roleSubset(s.roles)
		fresh := true
		switch g.rng.IntN(6) {
		case 0: // already used (not a key an account rotates to in this block, which is not used yet)
			if m := g.pick(g.members); g.rotated[m.addr] == nil {
				key, fresh = m.key, false
			}
		case 1:
			roles = append(roles, membershippb.Role_ROLE_FL_COORDINATOR, membershippb.Role_ROLE_ANCHOR_RELAYER) // maybe not held, maybe twice
		}
		if fresh {
			g.pending = append(g.pending, &member{key: key, addr: keys.Address(key.Public())})
		}
		return [][]byte{g.tx(s, &membershippb.MsgAddAccount{PublicKey: key.Public(), Roles: roles, Label: fmt.Sprintf("acct %d", g.nKeys)})}
	case 2: // set roles
		s := g.signer(membershippb.Role_ROLE_ADMIN)
		if s == nil {
			return nil
		}
		tg := g.target(s, anyRole(true))
		if tg == nil {
			return nil
		}
		roles := g.roleSubset(s.roles)
		if g.rng.IntN(5) == 0 {
			roles = membership.AllRoles()
		}
		return [][]byte{g.tx(s, &membershippb.MsgSetRoles{Address: tg.addr, Roles: roles})}
	case 3: // suspend
		s := g.signer(membershippb.Role_ROLE_ADMIN)
		if s == nil {
			return nil
		}
		// Mostly accounts whose every role the signer holds, which the
		// rules let it suspend; now and then one it may not.
		tg := g.target(s, func(m *member) bool {
			return (m.active || g.rng.IntN(4) == 0) && (s.holdsAll(m) || g.rng.IntN(4) == 0)
		})
		if tg == nil {
			return nil
		}
		reason := fmt.Sprintf("audit finding %d", g.rng.IntN(100))
		if g.rng.IntN(8) == 0 {
			reason = ""
		}
		return [][]byte{g.tx(s, &membershippb.MsgSuspendAccount{Address: tg.addr, Reason: reason})}
	case 4: // reinstate
		s := g.signer(membershippb.Role_ROLE_ADMIN)
		if s == nil {
			return nil
		}
		tg := g.target(s, func(m *member) bool {
			return (!m.active || g.rng.IntN(4) == 0) && (s.holdsAll(m) || g.rng.IntN(4) == 0)
		})
		if tg == nil {
			return nil
		}
		return [][]byte{g.tx(s, &membershippb.MsgReinstateAccount{Address: tg.addr})}
	default: // rotate a key, maybe then sign under the new key
		s := g.signer(membershippb.Role_ROLE_UNSPECIFIED)
		if s == nil {
			return nil
		}
		next := g.newKey()
		if g.rng.IntN(4) == 0 { // proof for the wrong sequence: handler failure
			return [][]byte{g.tx(s, rotateMsg(g.t, next, s.addr, s.seq+1))}
		}
		out := [][]byte{g.tx(s, rotateMsg(g.t, next, s.addr, s.seq))}
		g.rotated[s.addr] = s.key
		s.key = next
		if g.rng.IntN(2) == 0 {
			if s.has(membershippb.Role_ROLE_ADMIN) {
				key := g.newKey()
				g.pending = append(g.pending, &member{key: key, addr: keys.Address(key.Public())})
				out = append(out, g.tx(s, &membershippb.MsgAddAccount{PublicKey: key.Public(), Roles: g.roleSubset(s.roles), Label: "by new key"}))
			} else {
				again := g.newKey()
				out = append(out, g.tx(s, rotateMsg(g.t, again, s.addr, s.seq)))
				s.key = again
			}
		}
		return out
	}
}

// extra makes a transaction that is not admitted at any position of the
// block just generated.
func (g *replayGen) extra() (string, []byte) {
	add := &membershippb.MsgAddAccount{PublicKey: g.newKey().Public(), Roles: nil}
	stranger := g.newKey()
	m := g.pick(g.members)
	switch g.rng.IntN(7) {
	case 0: // every sequence m uses in this block is below m.seq
		return "future sequence", g.c.signedBy(m.key, m.addr, m.seq+3, add)
	case 1:
		return "wrong key", g.c.signedBy(stranger, m.addr, m.seq, add)
	case 2:
		return "unknown signer", g.c.signedBy(stranger, keys.Address(stranger.Public()), 0, add)
	case 3:
		b := g.c.body(&actor{key: m.key, seq: m.seq}, add)
		b.Signer, b.ChainId = m.addr, "other-chain"
		return "wrong chain", g.c.sign(m.key, b)
	case 4: // suspended all block long
		for _, s := range g.members {
			if !s.active && !g.targets[s.addr] {
				return "suspended signer", g.c.signedBy(s.key, s.addr, s.seq, add)
			}
		}
	case 5: // lacks the role all block long
		for _, s := range g.members {
			if !s.has(membershippb.Role_ROLE_ADMIN) && !g.targets[s.addr] {
				return "missing role", g.c.signedBy(s.key, s.addr, s.seq, add)
			}
		}
	case 6: // old key after a rotation: bad signature after it, future sequence before
		for addr, old := range g.rotated {
			for _, s := range g.members {
				if s.addr == addr {
					return "retired key", g.c.signedBy(old, addr, s.seq, add)
				}
			}
		}
	}
	raw := g.c.signedBy(m.key, m.addr, m.seq, add)
	var tx txv1.Tx
	if err := unmarshalTx(raw, &tx); err != nil {
		g.t.Fatal(err)
	}
	tx.Signature[5] ^= 0x40
	return "corrupted signature", kit.Marshal(&tx)
}

// block generates the next block.
func (g *replayGen) block() replayBlock {
	g.signers, g.targets, g.rotated = map[string]bool{}, map[string]bool{}, map[string]*keys.PrivateKey{}
	var blk replayBlock
	for range g.rng.IntN(6) {
		blk.txs = append(blk.txs, g.op()...)
	}
	for range g.rng.IntN(3) {
		kind, raw := g.extra()
		blk.extras = append(blk.extras, replayExtra{at: g.rng.IntN(len(blk.txs) + 1), kind: kind, raw: raw})
	}
	return blk
}

// checkSearchable: the transaction index gets the signer and route of
// every transaction and, for every event a handler emits, the attributes
// that identify its subject, and nothing else: what tx_search can find.
// It returns the event types it saw.
func checkSearchable(t *testing.T, heights [][]*abci.ExecTxResult) []string {
	t.Helper()
	indexed := map[string][]string{}
	for _, results := range heights {
		for _, r := range results {
			for _, ev := range r.Events {
				var keys []string
				for _, at := range ev.Attributes {
					if at.Index {
						keys = append(keys, at.Key)
					}
				}
				if prev, seen := indexed[ev.Type]; seen && !slices.Equal(prev, keys) {
					t.Fatalf("event %s indexes %v here and %v elsewhere", ev.Type, keys, prev)
				}
				indexed[ev.Type] = keys
			}
		}
	}
	want := map[string][]string{
		"tx":                            {"signer", "msg"},
		"membership.org_created":        {"org_id"},
		"membership.account_added":      {"address"},
		"membership.account_suspended":  {"address"},
		"membership.account_reinstated": {"address"},
		"membership.key_rotated":        {"address"},
		"membership.roles_set":          {"address"},
		"licenses.license_defined":      {"license_id"},
		"licenses.license_granted":      {"grant_id", "license_id"},
		"licenses.grant_revoked":        {"grant_id"},
		"models.model_registered":       {"name", "manifest_digest"},
		"models.model_superseded":       {"name"},
		"models.model_revoked":          {"name"},
		"models.deployment_recorded":    {"name"},
		"lineage.dataset_registered":    {"digest"},
		"lineage.dataset_attested":      {"digest"},
		"lineage.run_recorded":          {"run_id"},
		"lineage.dataset_revoked":       {"digest"},
	}
	var seen []string
	for typ, got := range indexed {
		keys, ok := want[typ]
		if !ok {
			t.Errorf("event %s is not in the table of searchable attributes", typ)
		} else if !slices.Equal(got, keys) {
			t.Errorf("%s indexes %v, want %v", typ, got, keys)
		}
		seen = append(seen, typ)
	}
	return seen
}

// checkCoverage fails the test if the seeded history does not exercise
// every message type both succeeding and failing in its handler, so that a
// change of seed or generator cannot quietly weaken the test.
func (g *replayGen) checkCoverage(heights [][]*abci.ExecTxResult) {
	ok, failed := map[string]int{}, map[string]int{}
	for _, results := range heights {
		for _, r := range results {
			name := ""
			for _, ev := range r.Events {
				if ev.Type == "tx" {
					for _, at := range ev.Attributes {
						if at.Key == "msg" {
							name = at.Value
						}
					}
				}
			}
			if name == "" {
				g.t.Fatalf("result without a tx event: %s/%d %q", r.Codespace, r.Code, r.Log)
			}
			if r.Code == 0 {
				ok[name]++
			} else {
				failed[name]++
			}
		}
	}
	g.t.Logf("succeeded: %v", ok)
	g.t.Logf("failed in handler: %v", failed)
	for _, name := range []string{"membership.create_org", "membership.add_account", "membership.set_roles",
		"membership.suspend_account", "membership.reinstate_account", "membership.rotate_key"} {
		if ok[name] == 0 || failed[name] == 0 {
			g.t.Errorf("%s: %d succeeded, %d failed; want some of each", name, ok[name], failed[name])
		}
	}
}
