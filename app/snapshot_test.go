package app

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/lineageledger/lineaged/app/snapshots"
	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

var bg = context.Background()

// snapshotChain is the harness's chain with snapshots configured in a
// fresh directory (cfg.Dir if empty).
func snapshotChain(t *testing.T, st *store.Store, cfg snapshots.Config) *chain {
	t.Helper()
	if st == nil {
		var err error
		if st, err = store.Open(store.Config{Backend: "memdb"}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
	}
	c := newChainOn(t, st, true)
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(t.TempDir(), "snapshots")
	}
	if err := c.app.SetSnapshots(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.app.Close() })
	return c
}

// emptyApp is an application over a new, empty store, as on a node about
// to state sync.
func emptyApp(t *testing.T) (*App, *store.Store) {
	t.Helper()
	st, err := store.Open(store.Config{Backend: "memdb"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(st, nil), st
}

func listSnapshots(t *testing.T, a *App) []*abci.Snapshot {
	t.Helper()
	res, err := a.ListSnapshots(bg, &abci.ListSnapshotsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Snapshots
}

func heightsOf(snaps []*abci.Snapshot) []uint64 {
	var out []uint64
	for _, s := range snaps {
		out = append(out, s.Height)
	}
	return out
}

// loadChunks fetches every chunk of s from a, as peers would.
func loadChunks(t *testing.T, a *App, s *abci.Snapshot) [][]byte {
	t.Helper()
	chunks := make([][]byte, s.Chunks)
	for i := range chunks {
		res, err := a.LoadSnapshotChunk(bg, &abci.LoadSnapshotChunkRequest{Height: s.Height, Format: s.Format, Chunk: uint32(i)})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Chunk) == 0 {
			t.Fatalf("chunk %d of snapshot %d missing", i, s.Height)
		}
		chunks[i] = res.Chunk
	}
	return chunks
}

func offer(t *testing.T, a *App, s *abci.Snapshot, appHash []byte) abci.OfferSnapshotResult {
	t.Helper()
	res, err := a.OfferSnapshot(bg, &abci.OfferSnapshotRequest{Snapshot: s, AppHash: appHash})
	if err != nil {
		t.Fatalf("OfferSnapshot: %v", err)
	}
	return res.Result
}

func apply(t *testing.T, a *App, index int, chunk []byte, sender string) *abci.ApplySnapshotChunkResponse {
	t.Helper()
	res, err := a.ApplySnapshotChunk(bg, &abci.ApplySnapshotChunkRequest{Index: uint32(index), Chunk: chunk, Sender: sender})
	if err != nil {
		t.Fatalf("ApplySnapshotChunk(%d): %v", index, err)
	}
	return res
}

// restore offers s to a and applies every chunk, each of which must be
// accepted.
func restore(t *testing.T, a *App, s *abci.Snapshot, chunks [][]byte, appHash []byte) {
	t.Helper()
	if r := offer(t, a, s, appHash); r != abci.OFFER_SNAPSHOT_RESULT_ACCEPT {
		t.Fatalf("OfferSnapshot = %v", r)
	}
	for i, c := range chunks {
		if res := apply(t, a, i, c, "peer"); res.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT {
			t.Fatalf("ApplySnapshotChunk(%d) = %v", i, res.Result)
		}
	}
}

// allKeys is every key and value of r, in order.
func allKeys(r kit.Reader) []string {
	it := r.Iterator(nil, nil, false)
	defer it.Close()
	var out []string
	for ; it.Valid(); it.Next() {
		out = append(out, fmt.Sprintf("%x=%x", it.Key(), it.Value()))
	}
	return out
}

// requireEmptyApp fails unless a reports and holds no state.
func requireEmptyApp(t *testing.T, a *App, st *store.Store) {
	t.Helper()
	if got := info(t, a); got.LastBlockHeight != 0 || len(got.LastBlockAppHash) != 0 {
		t.Fatalf("Info = %d %X, want an empty application", got.LastBlockHeight, got.LastBlockAppHash)
	}
	if keys := allKeys(st.Committed()); len(keys) != 0 {
		t.Fatalf("store holds %d keys, want none", len(keys))
	}
}

// sameQueries are queries whose answers a restored node must give exactly
// as the original does at the same height.
func sameQueries(t *testing.T, c *chain) []struct {
	path string
	data []byte
} {
	return []struct {
		path string
		data []byte
	}{
		{pathParams, nil},
		{pathOrgs, marshal(t, &membershippb.QueryOrgsRequest{})},
		{pathOrg, marshal(t, &membershippb.QueryOrgRequest{OrgId: "alpha"})},
		{pathAccount, marshal(t, &membershippb.QueryAccountRequest{Address: c.admin.addr()})},
		{pathAccount, marshal(t, &membershippb.QueryAccountRequest{Address: c.beta.addr()})},
		// Depends on the block time: the licence expired by the clock.
		{"/lineage.licenses.v1.Query/EffectiveLicense", marshal(t, &licensespb.QueryEffectiveLicenseRequest{
			Subject: &licensespb.Subject{Kind: &licensespb.Subject_Dataset{Dataset: contentDigest("timed-set")}}, Org: "alpha"})},
	}
}

// TestSnapshotRestoreRoundTrip: a node restored from a snapshot holds
// exactly the state of its height, answers queries the same, accepts the
// next transactions, replays the following blocks to the same app hashes
// and then snapshots the same bytes as the original.
func TestSnapshotRestoreRoundTrip(t *testing.T) {
	c := snapshotChain(t, nil, snapshots.Config{Interval: 5})
	runProvenanceScenario(t, c)
	c.app.snapshots.Wait()
	// Heights that come while the previous snapshot is still being written
	// are skipped, so which multiples of 5 have one depends on timing; the
	// first always has.
	snaps := listSnapshots(t, c.app)
	got := heightsOf(snaps)
	if len(got) == 0 || got[len(got)-1] != 5 || !slices.IsSortedFunc(got, func(a, b uint64) int { return cmp.Compare(b, a) }) {
		t.Fatalf("listed snapshots at %v, want multiples of 5 from 5, newest first", got)
	}
	for _, h := range got {
		if h%5 != 0 || h > uint64(c.height) {
			t.Fatalf("listed snapshots at %v, want multiples of 5 up to %d", got, c.height)
		}
	}
	late, err := c.app.CreateSnapshot(c.height - 1)
	if err != nil {
		t.Fatal(err)
	}

	// The snapshot taken after Commit at 5, and one of the next-to-last
	// height, where every query has something to answer.
	for _, snap := range []*abci.Snapshot{snaps[len(snaps)-1], late} {
		height := int64(snap.Height)
		t.Run(fmt.Sprint("height ", height), func(t *testing.T) {
			orig, err := c.store.At(height)
			if err != nil {
				t.Fatal(err)
			}
			a, st := emptyApp(t)
			restore(t, a, snap, loadChunks(t, c.app, snap), orig.Hash())

			if got := info(t, a); got.LastBlockHeight != height || !bytes.Equal(got.LastBlockAppHash, orig.Hash()) {
				t.Fatalf("Info after restore = %d %X, want %d %X", got.LastBlockHeight, got.LastBlockAppHash, height, orig.Hash())
			}
			if got, want := allKeys(st.Committed()), allKeys(orig); !slices.Equal(got, want) {
				t.Fatalf("restored state has %d keys, original %d (or they differ)", len(got), len(want))
			}
			if !st.Committed().Time().Equal(orig.Time()) || !a.lastBlockTime.Equal(orig.Time()) {
				t.Fatalf("restored block time %v (app clock %v), want %v", st.Committed().Time(), a.lastBlockTime, orig.Time())
			}
			if a.chainID != testChainID {
				t.Fatalf("restored chain id %q", a.chainID)
			}
			r := &chain{t: t, app: a, store: st, height: height, now: orig.Time(),
				admin: c.admin, steward: c.steward, beta: c.beta}
			for _, q := range sameQueries(t, c) {
				got, want := r.rawQuery(q.path, q.data, 0), c.rawQuery(q.path, q.data, height)
				if got.Code != want.Code || got.Log != want.Log || !bytes.Equal(got.Value, want.Value) || got.Height != want.Height {
					t.Errorf("%s: restored %d/%d %q at %d, original %d/%d %q at %d", q.path, got.Code, len(got.Value), got.Log, got.Height, want.Code, len(want.Value), want.Log, want.Height)
				}
				if snap == late && got.Code != 0 {
					t.Errorf("%s at %d: %d %q", q.path, height, got.Code, got.Log)
				}
			}
			if res := r.rawQuery(pathParams, nil, height-1); res.Code == 0 {
				t.Error("a height below the snapshot answered on the restored node")
			}

			// The mempool view is the restored state: the admin's next
			// sequence is admitted, a spent one is not.
			seq := r.account(c.admin.addr()).Sequence
			probe := &actor{key: c.admin.key, seq: seq}
			if res := r.checkTx(r.tx(probe, &membershippb.MsgSetRoles{Address: c.steward.addr(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}})); res.Code != 0 {
				t.Fatalf("CheckTx on the restored node: %s/%d %s", res.Codespace, res.Code, res.Log)
			}
			stale := r.sign(c.admin.key, r.body(&actor{key: c.admin.key, seq: seq - 1}, &membershippb.MsgSetRoles{Address: c.steward.addr()}))
			if res := r.checkTx(stale); res.Code == 0 {
				t.Fatal("CheckTx admitted a spent sequence on the restored node")
			}

			// Block sync: the blocks after the snapshot replay to the same
			// hashes and results.
			for h := height + 1; h <= c.height; h++ {
				blk := c.blocks[h-1]
				res, hash := r.fullNodeBlock(blk.txs...) // height h, one second later
				if !bytes.Equal(hash, blk.hash) {
					t.Fatalf("height %d on the restored node: app hash %X, original %X", h, hash, blk.hash)
				}
				for j := range res {
					compareResult(t, fmt.Sprintf("height %d tx %d", h, j), blk.results[j], res[j])
				}
			}
			if !r.now.Equal(c.now) {
				t.Fatalf("harness clock %v, original %v", r.now, c.now)
			}
		})
	}
}

// TestRestoredNodeGoesOn: after a restore both nodes take the same next
// block to the same hash and snapshot the result identically.
func TestRestoredNodeGoesOn(t *testing.T) {
	c := smallChain(t, snapshots.Config{ChunkSize: 1000}, 5)
	s, chunks, hash := latestSnapshot(t, c)
	a, st := emptyApp(t)
	restore(t, a, s, chunks, hash)
	r := &chain{t: t, app: a, store: st, height: c.height, now: c.now, admin: c.admin, steward: c.steward, beta: c.beta}
	k := testKey(t, "after-restore", keysv1.KeyType_KEY_TYPE_P256)
	next := c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: k.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}})
	wantRes, wantHash := c.block(next)
	gotRes, gotHash := r.block(next)
	if !bytes.Equal(gotHash, wantHash) {
		t.Fatalf("next block: restored %X, original %X", gotHash, wantHash)
	}
	compareResult(t, "next block's tx", wantRes[0], gotRes[0])
	if wantRes[0].Code != 0 {
		t.Fatalf("next block's tx failed: %s", wantRes[0].Log)
	}
	if err := a.SetSnapshots(snapshots.Config{Dir: t.TempDir(), ChunkSize: 1000}); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	s1, err := c.app.CreateSnapshot(c.height)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := a.CreateSnapshot(r.height)
	if err != nil {
		t.Fatal(err)
	}
	if s1.Height != s2.Height || !bytes.Equal(s1.Hash, s2.Hash) || s1.Chunks != s2.Chunks {
		t.Fatalf("snapshots of height %d differ: original %X (%d chunks), restored %X (%d chunks)", s1.Height, s1.Hash, s1.Chunks, s2.Hash, s2.Chunks)
	}
}

// smallChain runs a few blocks of membership transactions and returns the
// chain, with snapshots configured by cfg.
func smallChain(t *testing.T, cfg snapshots.Config, blocks int) *chain {
	t.Helper()
	c := snapshotChain(t, nil, cfg)
	c.mustBlock()
	for i := 1; i < blocks; i++ {
		k := testKey(t, fmt.Sprint("member-", i), keysv1.KeyType_KEY_TYPE_ED25519)
		c.mustBlock(c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: k.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}, Label: fmt.Sprint("member ", i)}))
	}
	return c
}

// latestSnapshot snapshots the chain's last height and returns it with its
// chunks and the app hash the light client would vouch for.
func latestSnapshot(t *testing.T, c *chain) (*abci.Snapshot, [][]byte, []byte) {
	t.Helper()
	s, err := c.app.CreateSnapshot(c.height)
	if err != nil {
		t.Fatal(err)
	}
	return s, loadChunks(t, c.app, s), appHash(c)
}

func TestSnapshotTamperedChunkIsRefetched(t *testing.T) {
	c := smallChain(t, snapshots.Config{ChunkSize: 512}, 6)
	s, chunks, hash := latestSnapshot(t, c)
	if s.Chunks < 3 {
		t.Fatalf("need at least 3 chunks, have %d", s.Chunks)
	}
	a, _ := emptyApp(t)
	if r := offer(t, a, s, hash); r != abci.OFFER_SNAPSHOT_RESULT_ACCEPT {
		t.Fatalf("OfferSnapshot = %v", r)
	}
	if res := apply(t, a, 0, chunks[0], "good-peer"); res.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT {
		t.Fatalf("chunk 0: %v", res.Result)
	}
	bad := bytes.Clone(chunks[1])
	bad[len(bad)/2] ^= 0x40
	res := apply(t, a, 1, bad, "bad-peer")
	if res.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY || !slices.Equal(res.RefetchChunks, []uint32{1}) || !slices.Equal(res.RejectSenders, []string{"bad-peer"}) {
		t.Fatalf("tampered chunk: %v refetch %v reject %v; want RETRY refetch [1] reject [bad-peer]", res.Result, res.RefetchChunks, res.RejectSenders)
	}
	// A short chunk from an unnamed sender: refetched, no one to reject.
	res = apply(t, a, 1, chunks[1][:10], "")
	if res.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY || len(res.RejectSenders) != 0 {
		t.Fatalf("truncated chunk: %v reject %v", res.Result, res.RejectSenders)
	}
	for i := 1; i < len(chunks); i++ {
		if res := apply(t, a, i, chunks[i], "good-peer"); res.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT {
			t.Fatalf("chunk %d after the refetch: %v", i, res.Result)
		}
	}
	if got := info(t, a); got.LastBlockHeight != c.height || !bytes.Equal(got.LastBlockAppHash, hash) {
		t.Fatalf("Info = %d %X, want %d %X", got.LastBlockHeight, got.LastBlockAppHash, c.height, hash)
	}
}

func TestSnapshotWrongAppHashIsRejected(t *testing.T) {
	c := smallChain(t, snapshots.Config{ChunkSize: 300}, 4)
	s, chunks, hash := latestSnapshot(t, c)
	a, st := emptyApp(t)
	wrong := bytes.Clone(hash)
	wrong[31] ^= 1
	if r := offer(t, a, s, wrong); r != abci.OFFER_SNAPSHOT_RESULT_ACCEPT {
		t.Fatalf("OfferSnapshot = %v", r)
	}
	last := len(chunks) - 1
	for i := range last {
		if res := apply(t, a, i, chunks[i], "peer"); res.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT {
			t.Fatalf("chunk %d: %v", i, res.Result)
		}
	}
	if res := apply(t, a, last, chunks[last], "peer"); res.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_REJECT_SNAPSHOT {
		t.Fatalf("last chunk under a wrong app hash: %v, want REJECT_SNAPSHOT", res.Result)
	}
	requireEmptyApp(t, a, st)
	// The restoration is over: a stray chunk aborts.
	if res := apply(t, a, 0, chunks[0], "peer"); res.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ABORT {
		t.Fatalf("chunk after the rejection: %v, want ABORT", res.Result)
	}
	// The next snapshot (here the same one, rightly vouched for) restores.
	restore(t, a, s, chunks, hash)
	if got := info(t, a); got.LastBlockHeight != c.height || !bytes.Equal(got.LastBlockAppHash, hash) {
		t.Fatalf("Info after the second offer = %d %X", got.LastBlockHeight, got.LastBlockAppHash)
	}
}

func TestOfferSnapshotRejections(t *testing.T) {
	c := smallChain(t, snapshots.Config{ChunkSize: 256}, 3)
	s, _, hash := latestSnapshot(t, c)
	edit := func(f func(s *abci.Snapshot)) *abci.Snapshot {
		cp := *s
		cp.Metadata = bytes.Clone(s.Metadata)
		cp.Hash = bytes.Clone(s.Hash)
		f(&cp)
		return &cp
	}
	cases := []struct {
		name    string
		snap    *abci.Snapshot
		appHash []byte
		want    abci.OfferSnapshotResult
	}{
		{"unknown format", edit(func(s *abci.Snapshot) { s.Format = 2 }), hash, abci.OFFER_SNAPSHOT_RESULT_REJECT_FORMAT},
		{"format 0", edit(func(s *abci.Snapshot) { s.Format = 0 }), hash, abci.OFFER_SNAPSHOT_RESULT_REJECT_FORMAT},
		{"no snapshot", nil, hash, abci.OFFER_SNAPSHOT_RESULT_REJECT},
		{"height 0", edit(func(s *abci.Snapshot) { s.Height = 0 }), hash, abci.OFFER_SNAPSHOT_RESULT_REJECT},
		{"no chunks", edit(func(s *abci.Snapshot) { s.Chunks, s.Metadata = 0, nil; s.Hash = snapshots.Hash(nil) }), hash, abci.OFFER_SNAPSHOT_RESULT_REJECT},
		{"chunk count disagrees with metadata", edit(func(s *abci.Snapshot) { s.Chunks++ }), hash, abci.OFFER_SNAPSHOT_RESULT_REJECT},
		{"metadata not a hash list", edit(func(s *abci.Snapshot) { s.Metadata = s.Metadata[1:] }), hash, abci.OFFER_SNAPSHOT_RESULT_REJECT},
		{"hash of other metadata", edit(func(s *abci.Snapshot) { s.Metadata[0] ^= 1 }), hash, abci.OFFER_SNAPSHOT_RESULT_REJECT},
		{"hash not over the metadata", edit(func(s *abci.Snapshot) { s.Hash[0] ^= 1 }), hash, abci.OFFER_SNAPSHOT_RESULT_REJECT},
		{"too many chunks", edit(func(s *abci.Snapshot) {
			s.Chunks = snapshots.MaxChunks + 1
			s.Metadata = make([]byte, sha256.Size*s.Chunks)
			s.Hash = snapshots.Hash(s.Metadata)
		}), hash, abci.OFFER_SNAPSHOT_RESULT_REJECT},
		{"no trusted app hash", s, nil, abci.OFFER_SNAPSHOT_RESULT_REJECT},
		{"short trusted app hash", s, hash[:20], abci.OFFER_SNAPSHOT_RESULT_REJECT},
		{"accepted", s, hash, abci.OFFER_SNAPSHOT_RESULT_ACCEPT},
	}
	a, st := emptyApp(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := offer(t, a, tc.snap, tc.appHash); got != tc.want {
				t.Fatalf("OfferSnapshot = %v, want %v", got, tc.want)
			}
			requireEmptyApp(t, a, st)
		})
	}

	t.Run("state not empty", func(t *testing.T) {
		if got := offer(t, c.app, s, hash); got != abci.OFFER_SNAPSHOT_RESULT_ABORT {
			t.Fatalf("OfferSnapshot on a node with state = %v, want ABORT", got)
		}
		if got := info(t, c.app); got.LastBlockHeight != c.height {
			t.Fatalf("refused offer changed the node: height %d", got.LastBlockHeight)
		}
	})
	t.Run("genesis pending", func(t *testing.T) {
		g := newChain(t) // InitChain ran, nothing committed
		if got := offer(t, g.app, s, hash); got != abci.OFFER_SNAPSHOT_RESULT_ABORT {
			t.Fatalf("OfferSnapshot after InitChain = %v, want ABORT", got)
		}
	})
}

func TestApplySnapshotChunkOutOfTurn(t *testing.T) {
	c := smallChain(t, snapshots.Config{ChunkSize: 256}, 3)
	s, chunks, hash := latestSnapshot(t, c)
	a, st := emptyApp(t)
	if res := apply(t, a, 0, chunks[0], "peer"); res.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ABORT {
		t.Fatalf("chunk without an offer: %v, want ABORT", res.Result)
	}
	if r := offer(t, a, s, hash); r != abci.OFFER_SNAPSHOT_RESULT_ACCEPT {
		t.Fatal(r)
	}
	apply(t, a, 0, chunks[0], "peer")
	if res := apply(t, a, 2, chunks[2], "peer"); res.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY_SNAPSHOT {
		t.Fatalf("chunk out of order: %v, want RETRY_SNAPSHOT", res.Result)
	}
	requireEmptyApp(t, a, st)
	// CometBFT re-offers the snapshot and starts from chunk 0.
	restore(t, a, s, chunks, hash)
	// A re-offer midway discards the partial restore and starts anew.
	b, st2 := emptyApp(t)
	if r := offer(t, b, s, hash); r != abci.OFFER_SNAPSHOT_RESULT_ACCEPT {
		t.Fatal(r)
	}
	apply(t, b, 0, chunks[0], "peer")
	apply(t, b, 1, chunks[1], "peer")
	restore(t, b, s, chunks, hash)
	if got, want := allKeys(st2.Committed()), allKeys(c.store.Committed()); !slices.Equal(got, want) {
		t.Fatal("state restored after a re-offer differs from the original")
	}
}

// craftSnapshot cuts stream into chunks of size as the format does and
// describes them as a snapshot of height.
func craftSnapshot(stream []byte, height uint64, size int) (*abci.Snapshot, [][]byte) {
	var chunks, hashes [][]byte
	for len(stream) > 0 {
		n := min(size, len(stream))
		chunks = append(chunks, stream[:n])
		sum := sha256.Sum256(stream[:n])
		hashes = append(hashes, sum[:])
		stream = stream[n:]
	}
	md := snapshots.Metadata(hashes)
	return &abci.Snapshot{Height: height, Format: snapshots.Format, Chunks: uint32(len(chunks)), Hash: snapshots.Hash(md), Metadata: md}, chunks
}

// TestSnapshotMalformedContentIsRejected: a snapshot whose chunks match
// its own hashes but whose stream is bad is rejected as a whole, and the
// store is left empty.
func TestSnapshotMalformedContentIsRejected(t *testing.T) {
	c := smallChain(t, snapshots.Config{ChunkSize: 1 << 20}, 3)
	s, chunks, hash := latestSnapshot(t, c)
	if s.Chunks != 1 {
		t.Fatalf("want the whole stream in one chunk, have %d", s.Chunks)
	}
	stream := chunks[0]
	// The stream's opening and its end marker, as the format defines them
	// (see package snapshots).
	const magic, itemEnd = "lineage-snapshot", 0x02
	endAt := bytes.LastIndexByte(stream, itemEnd)
	cases := []struct {
		name   string
		stream []byte
		height uint64
	}{
		{"wrong magic", append([]byte("lineage-snapshoT"), stream[len(magic):]...), s.Height},
		{"height differs from the offer", stream, s.Height + 1},
		{"end marker missing", stream[:endAt], s.Height},
		{"cut inside a node", stream[:endAt-3], s.Height},
		{"data after the end", append(bytes.Clone(stream), 0), s.Height},
		{"wrong node count", append(bytes.Clone(stream[:endAt+1]), stream[endAt+1]+1), s.Height},
		{"unknown item", append(bytes.Clone(stream[:endAt]), 9, 0), s.Height},
		{"header only", stream[:len(magic)+4], s.Height},
	}
	a, st := emptyApp(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			snap, parts := craftSnapshot(tc.stream, tc.height, 97)
			if r := offer(t, a, snap, hash); r != abci.OFFER_SNAPSHOT_RESULT_ACCEPT {
				t.Fatalf("OfferSnapshot = %v", r)
			}
			var res *abci.ApplySnapshotChunkResponse
			for i, p := range parts {
				res = apply(t, a, i, p, "peer")
				if res.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT {
					break
				}
			}
			if res.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_REJECT_SNAPSHOT {
				t.Fatalf("result %v, want REJECT_SNAPSHOT", res.Result)
			}
			requireEmptyApp(t, a, st)
		})
	}
	// The untouched stream, cut the same way, restores.
	snap, parts := craftSnapshot(stream, s.Height, 97)
	restore(t, a, snap, parts, hash)
}

// TestSnapshotKeepRecent: snapshots are taken at the interval and only the
// newest KeepRecent are kept, on disk too; state pruning goes on beside
// them.
func TestSnapshotKeepRecent(t *testing.T) {
	st, err := store.Open(store.Config{Backend: "memdb", KeepRecent: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dir := filepath.Join(t.TempDir(), "snapshots")
	c := snapshotChain(t, st, snapshots.Config{Dir: dir, Interval: 2, KeepRecent: 2, ChunkSize: 200})
	for i := range 9 {
		k := testKey(t, fmt.Sprint("keep-", i), keysv1.KeyType_KEY_TYPE_ED25519)
		c.mustBlock(c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: k.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}}))
		c.app.snapshots.Wait()
	}
	if got := heightsOf(listSnapshots(t, c.app)); !slices.Equal(got, []uint64{8, 6}) {
		t.Fatalf("listed %v, want [8 6]", got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"00000000000000000006-1", "00000000000000000008-1"}; !slices.Equal(names, want) {
		t.Fatalf("snapshot directory holds %v, want %v", names, want)
	}
	// A restart finds the same snapshots.
	r := New(st, nil)
	if err := r.SetSnapshots(snapshots.Config{Dir: dir, KeepRecent: 2}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := heightsOf(listSnapshots(t, r)); !slices.Equal(got, []uint64{8, 6}) {
		t.Fatalf("listed %v after a restart, want [8 6]", got)
	}
	// The kept snapshot of a pruned height still restores.
	if _, err := st.At(6); err == nil {
		t.Fatal("state version 6 not pruned: the test needs it pruned")
	}
	s := listSnapshots(t, r)[1]
	chunks := loadChunks(t, r, s)
	a, _ := emptyApp(t)
	restore(t, a, s, chunks, c.blocks[5].hash) // the app hash of height 6
	if got := info(t, a); got.LastBlockHeight != 6 || !bytes.Equal(got.LastBlockAppHash, c.blocks[5].hash) {
		t.Fatalf("Info = %d %X, want 6 %X", got.LastBlockHeight, got.LastBlockAppHash, c.blocks[5].hash)
	}
}

// TestSnapshotChunkBoundaries: a stream that is an exact multiple of the
// chunk size has no empty last chunk; a tiny chunk size gives many chunks
// with nodes spanning several; both restore. Chunk indexes out of range
// are refused.
func TestSnapshotChunkBoundaries(t *testing.T) {
	c := smallChain(t, snapshots.Config{ChunkSize: snapshots.MaxChunkSize}, 8)
	whole := map[int64][]byte{}
	for h := int64(1); h <= c.height; h++ {
		s, err := c.app.CreateSnapshot(h)
		if err != nil {
			t.Fatal(err)
		}
		if s.Chunks != 1 {
			t.Fatalf("height %d: %d chunks at the maximum chunk size", h, s.Chunks)
		}
		whole[h] = loadChunks(t, c.app, s)[0]
	}
	// Find a height whose stream length has a small divisor.
	var height int64
	var size int
	for h := int64(1); h <= c.height && size == 0; h++ {
		for d := 2; d <= 16; d++ {
			if len(whole[h])%d == 0 {
				height, size = h, len(whole[h])/d
				break
			}
		}
	}
	if size == 0 {
		t.Fatal("no stream length with a divisor in [2, 16]")
	}
	cases := []struct {
		name   string
		height int64
		size   int
	}{
		{"exact multiple", height, size},
		{"exactly one chunk", height, len(whole[height])},
		{"one byte over a chunk", height, len(whole[height]) - 1},
		{"tiny chunks", c.height, 7},
		{"one-byte chunks", 1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := New(c.store, nil)
			if err := src.SetSnapshots(snapshots.Config{Dir: t.TempDir(), ChunkSize: tc.size}); err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			s, err := src.CreateSnapshot(tc.height)
			if err != nil {
				t.Fatal(err)
			}
			stream := whole[tc.height]
			if want := (len(stream) + tc.size - 1) / tc.size; int(s.Chunks) != want {
				t.Fatalf("%d chunks of %d bytes for a %d-byte stream, want %d", s.Chunks, tc.size, len(stream), want)
			}
			chunks := loadChunks(t, src, s)
			for i, ch := range chunks {
				if i < len(chunks)-1 && len(ch) != tc.size {
					t.Fatalf("chunk %d has %d bytes, want %d", i, len(ch), tc.size)
				}
			}
			if got := bytes.Join(chunks, nil); !bytes.Equal(got, stream) {
				t.Fatal("chunks do not add up to the stream")
			}
			for _, req := range []*abci.LoadSnapshotChunkRequest{
				{Height: s.Height, Format: s.Format, Chunk: s.Chunks},
				{Height: s.Height, Format: s.Format, Chunk: 1 << 31},
				{Height: s.Height + 100, Format: s.Format, Chunk: 0},
				{Height: s.Height, Format: 2, Chunk: 0},
			} {
				if res, err := src.LoadSnapshotChunk(bg, req); err != nil || len(res.Chunk) != 0 {
					t.Fatalf("LoadSnapshotChunk(%v) = %d bytes, %v; want nothing", req, len(res.Chunk), err)
				}
			}
			view, err := c.store.At(tc.height)
			if err != nil {
				t.Fatal(err)
			}
			a, st := emptyApp(t)
			restore(t, a, s, chunks, view.Hash())
			if got, want := allKeys(st.Committed()), allKeys(view); !slices.Equal(got, want) {
				t.Fatal("restored state differs")
			}
		})
	}
}

// TestSetSnapshots: an invalid configuration is refused, snapshots are
// configured once, and an application without them creates and lists
// none. (Config.Validate itself is tested in package snapshots.)
func TestSetSnapshots(t *testing.T) {
	a, _ := emptyApp(t)
	if err := a.SetSnapshots(snapshots.Config{Interval: 5}); err == nil {
		t.Fatal("SetSnapshots accepted an interval without a directory")
	}
	if err := a.SetSnapshots(snapshots.Config{Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if err := a.SetSnapshots(snapshots.Config{Dir: t.TempDir()}); err == nil {
		t.Fatal("SetSnapshots configured twice")
	}
	b, _ := emptyApp(t)
	if _, err := b.CreateSnapshot(1); err == nil {
		t.Fatal("CreateSnapshot without a directory succeeded")
	}
	if snaps := listSnapshots(t, b); len(snaps) != 0 {
		t.Fatalf("unconfigured app lists %d snapshots", len(snaps))
	}
}

// snapshotGolden pins the snapshot of the golden history's last height.
const snapshotGolden = "testdata/snapshot.golden"

// TestSnapshotGolden: the snapshot of the golden history's last height, in
// chunks of 4 KiB, is pinned file by file: the directory's name, every
// chunk's name, size and SHA-256, and manifest.json byte for byte. Two
// nodes snapshotting the same state must write the same chunks, whatever
// release they run; a change to the format or the directory layout
// rewrites the file with -update and says so.
func TestSnapshotGolden(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snapshots")
	// The first release's chain: its state is what the golden file pins.
	c := goldenChain(t, firstReleaseGenesis)
	if err := c.app.SetSnapshots(snapshots.Config{Dir: dir, ChunkSize: 4 << 10}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.app.Close() })
	goldenHistory(t, c)
	s, err := c.app.CreateSnapshot(c.height)
	if err != nil {
		t.Fatal(err)
	}
	if s.Chunks < 2 {
		t.Fatalf("the golden snapshot has %d chunk: want several", s.Chunks)
	}
	var b strings.Builder
	var manifest []byte
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			fmt.Fprintf(&b, "%s/\n", filepath.ToSlash(rel))
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %d %x\n", filepath.ToSlash(rel), len(data), sha256.Sum256(data))
		if d.Name() == "manifest.json" {
			manifest = data
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "-- manifest.json --\n%s\n", manifest)
	got := b.String()

	if *update {
		if err := os.WriteFile(snapshotGolden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", snapshotGolden)
		return
	}
	want, err := os.ReadFile(snapshotGolden)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if got != string(want) {
		t.Fatalf("the golden snapshot changed; if the format is meant to change, rerun with -update and say so.\nwant:\n%s\ngot:\n%s", want, got)
	}
}
