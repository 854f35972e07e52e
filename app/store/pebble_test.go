package store

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"
	"time"

	dbm "github.com/cosmos/cosmos-db"
)

// TestPebbleDB holds the tuned pebble database to the contract of
// cosmos-db's: what iavl and the store rely on.
func TestPebbleDB(t *testing.T) {
	dir := t.TempDir()
	db, err := openPebble("application", dir, 8)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"get empty key", func() error { _, err := db.Get(nil); return err }(), errEmptyKey},
		{"set empty key", db.Set([]byte{}, []byte("v")), errEmptyKey},
		{"set nil value", db.Set([]byte("k"), nil), errNilValue},
		{"delete empty key", db.Delete(nil), errEmptyKey},
		{"iterator empty start", func() error { _, err := db.Iterator([]byte{}, nil); return err }(), errEmptyKey},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
	if v, err := db.Get([]byte("absent")); v != nil || err != nil {
		t.Fatalf("absent key: %q %v", v, err)
	}
	// An empty value is present, not absent.
	if err := db.SetSync([]byte("empty"), []byte{}); err != nil {
		t.Fatal(err)
	}
	if v, err := db.Get([]byte("empty")); v == nil || len(v) != 0 || err != nil {
		t.Fatalf("empty value: %v %v", v, err)
	}
	if ok, _ := db.Has([]byte("empty")); !ok {
		t.Fatal("Has(empty) = false")
	}

	m := model{"empty": {}}
	r := rand.New(rand.NewSource(1))
	b := db.NewBatch()
	for i := range 500 {
		k, v := fmt.Sprintf("k%03d", r.Intn(300)), fmt.Sprintf("v%d", i)
		if r.Intn(5) == 0 {
			if err := b.Delete([]byte(k)); err != nil {
				t.Fatal(err)
			}
			delete(m, k)
			continue
		}
		if err := b.Set([]byte(k), []byte(v)); err != nil {
			t.Fatal(err)
		}
		m[k] = []byte(v)
	}
	if n, err := b.GetByteSize(); err != nil || n == 0 {
		t.Fatalf("batch size %d %v", n, err)
	}
	if err := b.WriteSync(); err != nil {
		t.Fatal(err)
	}
	if err := b.Set([]byte("k"), []byte("v")); !errors.Is(err, errBatchClosed) {
		t.Fatalf("set after write: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("close after write: %v", err)
	}

	check := func(db dbm.DB) {
		t.Helper()
		for _, rg := range [][2][]byte{{nil, nil}, {[]byte("k050"), []byte("k150")}, {[]byte("k2"), nil}, {nil, []byte("k1")}, {[]byte("x"), nil}} {
			for _, reverse := range []bool{false, true} {
				var it dbm.Iterator
				if reverse {
					it, err = db.ReverseIterator(rg[0], rg[1])
				} else {
					it, err = db.Iterator(rg[0], rg[1])
				}
				if err != nil {
					t.Fatal(err)
				}
				var got [][2]string
				for ; it.Valid(); it.Next() {
					got = append(got, [2]string{string(it.Key()), string(it.Value())})
				}
				if err := it.Close(); err != nil {
					t.Fatal(err)
				}
				want := m.iterate(rg[0], rg[1], reverse)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("range %q reverse=%v:\n got %v\nwant %v", rg, reverse, got, want)
				}
			}
		}
	}
	check(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// What was written survives a reopen, through cosmos-db's own pebble
	// constructor too: both use DIR/application.db.
	db, err = openPebble("application", dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	check(db)
	db.Close()
	theirs, err := dbm.NewDB("application", dbm.PebbleDBBackend, dir)
	if err != nil {
		t.Fatal(err)
	}
	check(theirs)
	theirs.Close()
}

// TestLatestIsTheCommittedVersion: the fast view the application executes
// on reads exactly what the query view reads, and keeps reading the last
// committed version while the next block's writes sit in the working tree.
func TestLatestIsTheCommittedVersion(t *testing.T) {
	s, err := Open(Config{Backend: "pebbledb", Dir: t.TempDir(), CacheSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := rand.New(rand.NewSource(7))
	m := model{}
	for h := 1; h <= 20; h++ {
		c := NewCache(s.Latest())
		for range 50 {
			k := []byte(fmt.Sprintf("key%04d", r.Intn(400)))
			v := []byte(fmt.Sprintf("h%d-%d", h, r.Int()))
			c.Set(k, v)
		}
		if err := s.Apply(c); err != nil {
			t.Fatal(err)
		}
		// Applied but not committed: both views still read the last
		// commit, which the model holds.
		for k := range 400 {
			key := []byte(fmt.Sprintf("key%04d", k))
			want := m[string(key)]
			if got := s.Latest().Get(key); string(got) != string(want) || (got == nil) != (want == nil) {
				t.Fatalf("height %d before commit: Latest %s = %q, want %q", h, key, got, want)
			}
			if got := s.Committed().Get(key); string(got) != string(want) {
				t.Fatalf("height %d before commit: Committed %s = %q, want %q", h, key, got, want)
			}
		}
		c.each(func(e entry) bool { m[string(e.key)] = e.value; return true })
		if _, _, err := s.Commit(time.Unix(int64(h), 0)); err != nil {
			t.Fatal(err)
		}
		if lh, ch := s.Latest().Height(), s.Committed().Height(); lh != int64(h) || ch != int64(h) {
			t.Fatalf("heights %d %d, want %d", lh, ch, h)
		}
		if got, want := collect(s.Latest().Iterator(nil, nil, false)), collect(s.Committed().Iterator(nil, nil, false)); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("height %d: iterations differ", h)
		}
	}
}

// TestWriteStallAccounting: stalls are counted once each, a repeated begin
// or a stray end changes nothing, and a stall in progress counts up to now.
func TestWriteStallAccounting(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	var w writeStalls
	w.end(at(0)) // no stall to end
	w.begin(at(10))
	w.begin(at(20)) // still the same stall
	w.end(at(110))
	w.end(at(500))
	w.begin(at(1000))
	for _, tc := range []struct {
		now       time.Time
		count     int64
		totalMsec int
	}{
		{at(1000), 2, 100},
		{at(1250), 2, 350},
	} {
		n, total := w.read(tc.now)
		if n != tc.count || total != time.Duration(tc.totalMsec)*time.Millisecond {
			t.Fatalf("at %v: %d stalls, %v in all; want %d, %dms", tc.now.Sub(t0), n, total, tc.count, tc.totalMsec)
		}
	}
	w.end(at(1300))
	if n, total := w.read(at(5000)); n != 2 || total != 400*time.Millisecond {
		t.Fatalf("after the second stall: %d stalls, %v; want 2, 400ms", n, total)
	}
}
