package kv

// PrefixEnd returns the smallest key greater than every key starting with
// prefix, or nil when no such key exists (prefix is all 0xff).
func PrefixEnd(prefix []byte) []byte {
	end := make([]byte, len(prefix))
	copy(end, prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// PrefixedReader returns the read-only view of r under prefix: keys passed
// in and out of it have the prefix stripped.
func PrefixedReader(r Reader, prefix []byte) Reader {
	return prefixReader{parent: r, prefix: append([]byte(nil), prefix...)}
}

// Prefixed returns the view of s under prefix: keys passed in and out of it
// have the prefix stripped.
func Prefixed(s Store, prefix []byte) Store {
	return prefixStore{prefixReader: prefixReader{parent: s, prefix: append([]byte(nil), prefix...)}, parent: s}
}

type prefixReader struct {
	parent Reader
	prefix []byte
}

type prefixStore struct {
	prefixReader
	parent Store
}

var _ Store = prefixStore{}

func (p prefixReader) key(k []byte) []byte {
	out := make([]byte, len(p.prefix)+len(k))
	copy(out, p.prefix)
	copy(out[len(p.prefix):], k)
	return out
}

func (p prefixReader) Get(k []byte) []byte { return p.parent.Get(p.key(k)) }
func (p prefixReader) Has(k []byte) bool   { return p.parent.Has(p.key(k)) }
func (p prefixStore) Set(k, v []byte)      { p.parent.Set(p.key(k), v) }
func (p prefixStore) Delete(k []byte)      { p.parent.Delete(p.key(k)) }

func (p prefixReader) Iterator(start, end []byte, reverse bool) Iterator {
	s := p.key(start)
	var e []byte
	if end == nil {
		e = PrefixEnd(p.prefix)
	} else {
		e = p.key(end)
	}
	return &prefixIterator{Iterator: p.parent.Iterator(s, e, reverse), n: len(p.prefix)}
}

type prefixIterator struct {
	Iterator
	n int
}

func (it *prefixIterator) Key() []byte { return it.Iterator.Key()[it.n:] }
