package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	lpb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// defineLicense is a transaction of the admin's next sequence that writes
// a licence called id.
func defineLicense(c *chain, id string) []byte {
	return c.tx(c.admin, &lpb.MsgDefineLicense{License: &lpb.LicenseSpec{Id: id, SpdxId: "MIT",
		Usage: &lpb.Usage{CommercialUse: true}}})
}

func (c *chain) acceptProposal(height int64, t time.Time, txs [][]byte) []byte {
	c.t.Helper()
	hash := sha256.Sum256(bytes.Join(append([][]byte{[]byte("proposal")}, txs...), nil))
	pp, err := c.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{
		Txs: txs, Hash: hash[:], Height: height, Time: t,
	})
	if err != nil {
		c.t.Fatal(err)
	}
	if pp.Status != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		c.t.Fatalf("height %d: proposal rejected", height)
	}
	return hash[:]
}

func licenseExists(c *chain, id string) bool {
	var resp lpb.QueryLicenseResponse
	return c.query("/lineage.licenses.v1.Query/License", &lpb.QueryLicenseRequest{Id: id}, &resp) == nil
}

// TestSpeculativeWrites: an accepted proposal is written into the working
// tree ahead of FinalizeBlock; when another block is finalized at that
// height, the chain ends exactly where a node that only saw the finalized
// block ends, whichever way it got there.
func TestSpeculativeWrites(t *testing.T) {
	cases := []struct {
		name string
		// run takes c, at the height before, to the finalized block b
		// after seeing the other proposal a.
		run func(c *chain, a, b [][]byte)
	}{
		{"finalized as processed", func(c *chain, _, b [][]byte) {
			c.height++
			c.now = c.now.Add(time.Second)
			c.finalize(c.acceptProposal(c.height, c.now, b), b)
		}},
		{"other round's proposal finalized", func(c *chain, a, b [][]byte) {
			c.height++
			c.now = c.now.Add(time.Second)
			c.acceptProposal(c.height, c.now, a)
			c.finalize(c.acceptProposal(c.height, c.now, b), b)
		}},
		{"unprocessed block finalized", func(c *chain, a, b [][]byte) {
			c.height++
			c.now = c.now.Add(time.Second)
			c.acceptProposal(c.height, c.now, a)
			c.finalize([]byte("a block this node did not process"), b)
		}},
		{"own proposal in a later round", func(c *chain, a, b [][]byte) {
			c.height++
			c.now = c.now.Add(time.Second)
			c.acceptProposal(c.height, c.now, a)
			pp, err := c.app.PrepareProposal(context.Background(), &abci.PrepareProposalRequest{
				Txs: b, Height: c.height, Time: c.now, MaxTxBytes: 1 << 20,
			})
			if err != nil || len(pp.Txs) != len(b) {
				c.t.Fatalf("PrepareProposal: %d of %d txs, %v", len(pp.Txs), len(b), err)
			}
			c.finalize(c.acceptProposal(c.height, c.now, pp.Txs), pp.Txs)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ref, c := newChain(t), newChain(t)
			ref.mustBlock()
			c.mustBlock()
			// Both proposals spend the admin's same sequence, each on its
			// own licence.
			seq := c.admin.seq
			a := [][]byte{defineLicense(c, "lic-a")}
			c.admin.seq = seq
			b := [][]byte{defineLicense(c, "lic-b"), defineLicense(c, "lic-c")}
			if c.app.speculation != nil {
				t.Fatal("a speculation is left after Commit")
			}

			tc.run(c, a, b)
			ref.height++
			ref.now = c.now
			ref.finalize([]byte("reference"), b)

			if got, want := appHash(c), appHash(ref); !bytes.Equal(got, want) {
				t.Fatalf("app hash %X, a node that saw only the finalized block has %X", got, want)
			}
			if licenseExists(c, "lic-a") || !licenseExists(c, "lic-b") || !licenseExists(c, "lic-c") {
				t.Fatalf("licences after the block: a=%v b=%v c=%v, want only b and c",
					licenseExists(c, "lic-a"), licenseExists(c, "lic-b"), licenseExists(c, "lic-c"))
			}
			// The chain goes on from there, with speculation again.
			next := defineLicense(c, "lic-d")
			ref.admin.seq = c.admin.seq
			c.height++
			c.now = c.now.Add(time.Second)
			h := c.acceptProposal(c.height, c.now, [][]byte{next})
			if c.app.speculation == nil {
				t.Fatal("no speculation after an accepted proposal")
			}
			c.finalize(h, [][]byte{next})
			ref.height++
			ref.now = c.now
			ref.finalize([]byte("reference"), [][]byte{next})
			if got, want := appHash(c), appHash(ref); !bytes.Equal(got, want) {
				t.Fatalf("next block: app hash %X, want %X", got, want)
			}
		})
	}
}

// TestNoSpeculationOnGenesisState: the first block is not written ahead,
// since rolling it back would drop the uncommitted genesis state with it.
func TestNoSpeculationOnGenesisState(t *testing.T) {
	c := newChain(t)
	c.height++
	c.now = c.now.Add(time.Second)
	c.acceptProposal(c.height, c.now, [][]byte{defineLicense(c, "lic-a")})
	if c.app.speculation != nil {
		t.Fatal("the first block was written ahead of FinalizeBlock")
	}
	c.acceptProposal(c.height, c.now.Add(time.Millisecond), nil)
	c.finalize([]byte("other"), nil)
	if c.account(c.admin.addr()) == nil {
		t.Fatal("genesis accounts lost")
	}
}
