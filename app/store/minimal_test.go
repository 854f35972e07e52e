package store

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/store/kv"
	"github.com/lineageledger/lineaged/app/store/proof"
	"github.com/lineageledger/lineaged/app/store/proofv1"
)

// TestCheckMinimal: a bundle passes only if it proves exactly what the
// query re-run over it reads. A widened range or a surplus key proof is a
// true statement the query never needed, and is refused all the same.
func TestCheckMinimal(t *testing.T) {
	s := memStore(t)
	c := NewCache(s.Committed())
	for _, k := range []string{"a1", "a3", "b1", "c1"} {
		c.Set([]byte(k), []byte("v"+k))
	}
	if err := s.Apply(c); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Commit(time.Unix(1_700_000_000, 0)); err != nil {
		t.Fatal(err)
	}
	view := s.Committed()
	query := func(r kv.Reader) {
		r.Get([]byte("c1"))
		r.Get([]byte("zz")) // absent, outside every range
		it := r.Iterator([]byte("a"), []byte("b"), false)
		for ; it.Valid(); it.Next() {
		}
		it.Close()
	}
	rec := NewRecorder(view)
	query(rec)
	bundle, err := rec.Proofs()
	if err != nil {
		t.Fatal(err)
	}
	check := func(b *proofv1.ProofBundle) error {
		reader, err := proof.Verify(b, view.Hash())
		if err != nil {
			return err
		}
		again := proof.NewRecorder(reader)
		if err := proof.Run(func() { query(again) }); err != nil {
			return err
		}
		return proof.CheckMinimal(b, again)
	}
	if err := check(bundle); err != nil {
		t.Fatalf("the query's own bundle: %v", err)
	}

	// A surplus key proof (true, but not read).
	extraRec := NewRecorder(view)
	query(extraRec)
	extraRec.Get([]byte("b1"))
	extra, err := extraRec.Proofs()
	if err != nil {
		t.Fatal(err)
	}
	if err := check(extra); !errors.Is(err, proof.ErrInvalid) {
		t.Fatalf("surplus key proof: %v", err)
	}

	// A widened range: [a, b) proven as [a, b1), still true.
	wideRec := NewRecorder(view)
	wideRec.Get([]byte("c1"))
	wideRec.Get([]byte("zz"))
	it := wideRec.Iterator([]byte("a"), []byte("b1"), false)
	for ; it.Valid(); it.Next() {
	}
	it.Close()
	wide, err := wideRec.Proofs()
	if err != nil {
		t.Fatal(err)
	}
	if err := check(wide); !errors.Is(err, proof.ErrInvalid) {
		t.Fatalf("widened range: %v", err)
	}

	// A dropped key proof makes the re-run itself fail.
	dropped := proto.Clone(bundle).(*proofv1.ProofBundle)
	for i, kp := range dropped.Keys {
		if bytes.Equal(kp.Key, []byte("c1")) {
			dropped.Keys = append(dropped.Keys[:i], dropped.Keys[i+1:]...)
			break
		}
	}
	if err := check(dropped); err == nil {
		t.Fatal("bundle without a key the query reads passed")
	}
}
