package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// BenchmarkDecodeVerify measures what every transaction costs before its
// handler: canonical decoding and one signature check, per key type.
func BenchmarkDecodeVerify(b *testing.B) {
	for _, typ := range []keysv1.KeyType{keysv1.KeyType_KEY_TYPE_ED25519, keysv1.KeyType_KEY_TYPE_P256, keysv1.KeyType_KEY_TYPE_SECP256K1} {
		b.Run(keys.TypeName(typ), func(b *testing.B) {
			k := testKey(b, "bench", typ)
			c := &chain{t: b}
			raw := c.sign(k, c.body(&actor{key: k}, &lineagepb.MsgRegisterDataset{Dataset: &lineagepb.DatasetSpec{
				Digest: contentDigest("d"), Namespace: "corpora", Name: "web", Version: "1", SizeBytes: 1 << 30,
				MediaType: "application/x-parquet", LicenseIds: []string{"cc-by-4.0"},
			}}))
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				d, err := decodeTx(raw, 1<<20)
				if err != nil {
					b.Fatal(err)
				}
				if err := keys.Verify(k.Public(), SignBytes(d.tx.Body), d.tx.Signature); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBlock measures a validator's work for one block of n
// transactions from n accounts (ProcessProposal, FinalizeBlock, Commit):
// cold, with every signature checked there, in parallel; and warm, with
// signatures already checked by CheckTx, as a node that saw them in its
// mempool has them.
func BenchmarkBlock(b *testing.B) {
	for _, warm := range []bool{false, true} {
		name := "cold"
		if warm {
			name = "checked"
		}
		b.Run(fmt.Sprintf("%s/200txs", name), func(b *testing.B) {
			c := newChain(b)
			c.mustBlock()
			// 200 accounts, so that the block holds 200 independent txs.
			var signers []*actor
			var adds [][]byte
			for i := 0; i < 200; i++ {
				a := &actor{key: testKey(b, fmt.Sprint("signer", i), keysv1.KeyType_KEY_TYPE_ED25519)}
				signers = append(signers, a)
				adds = append(adds, c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: a.key.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_DATA_STEWARD}}))
			}
			c.mustBlock(adds...)
			n := 0
			for b.Loop() {
				b.StopTimer()
				txs := make([][]byte, len(signers))
				for i, a := range signers {
					txs[i] = c.tx(a, &lineagepb.MsgRegisterDataset{Dataset: &lineagepb.DatasetSpec{
						Digest: contentDigest(fmt.Sprint(n, i)), Namespace: "bench", Name: fmt.Sprint("d", n, "-", i), Version: "1",
					}})
					if warm {
						c.checkTx(txs[i])
					}
				}
				n++
				c.height++
				c.now = c.now.Add(time.Second)
				b.StartTimer()
				pp, err := c.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{Txs: txs, Hash: []byte(fmt.Sprint(n)), Height: c.height, Time: c.now})
				if err != nil || pp.Status != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
					b.Fatalf("proposal: %v %v", pp.GetStatus(), err)
				}
				c.finalize([]byte(fmt.Sprint(n)), txs)
			}
			b.ReportMetric(float64(len(signers)*b.N)/b.Elapsed().Seconds(), "txs/s")
		})
	}
}
