package kit

import "bytes"

// KeyRange is the interval [Start, End) of keys; a nil End is unbounded.
type KeyRange struct {
	Start, End []byte
}

// NameRanges are the key ranges that hold the keys
// base | len(name) | name | ... of every name starting with prefix, at most
// maxLen bytes long, in key order. The length byte sorts before the name,
// so names sharing a prefix are contiguous only among names of one length:
// there is one range per length, from len(prefix) (at least 1) to maxLen.
// An empty prefix is the one range of every key under base.
//
// A list query answering from such ranges opens up to maxLen of them, an
// empty one costing one read (and, in a receipt, one proof of absence):
// that is the price of filtering by name prefix over keys that were not
// laid out for it, and it writes nothing.
func NameRanges(base []byte, prefix string, maxLen int) []KeyRange {
	if prefix == "" {
		start := bytes.Clone(base)
		return []KeyRange{{Start: start, End: PrefixEnd(start)}}
	}
	var out []KeyRange
	for n := max(len(prefix), 1); n <= maxLen && n <= 255; n++ {
		start := make([]byte, 0, len(base)+1+len(prefix))
		start = append(append(append(start, base...), byte(n)), prefix...)
		out = append(out, KeyRange{Start: start, End: PrefixEnd(start)})
	}
	return out
}

// Page is what [ScanPage] examined.
type Page struct {
	// Last is the key of the last record examined; nil if none was.
	Last []byte
	// Scanned counts the records examined.
	Scanned int
	// More says that records remain after Last: the scan stopped because
	// limit records matched or because maxScan were examined.
	More bool
	// Bounded says that it stopped because maxScan records were examined
	// before limit matched: fewer matches than asked for does not mean
	// there are no more.
	Bounded bool
}

// ScanPage examines the records under ranges (ascending and disjoint), in
// key order, from the first key after after (nil: from the start of the
// first range), calling match with each record's key and value. It stops
// before examining another record once limit of them matched, or once
// maxScan were examined; to know whether records remain it reads the key
// it stopped at (a range read, so a receipt proves where the page ended).
// The next page passes the returned Last as after.
//
// Every record examined is read whether or not it matches, so the work of
// a page, and the proofs of its receipt, grow with maxScan, not with the
// matches.
func ScanPage(r Reader, ranges []KeyRange, after []byte, limit, maxScan int, match func(key, value []byte) bool) Page {
	var p Page
	matched := 0
	var from []byte
	if after != nil {
		from = make([]byte, len(after)+1) // the smallest key after after
		copy(from, after)
	}
	for _, kr := range ranges {
		start := kr.Start
		if from != nil {
			if kr.End != nil && bytes.Compare(from, kr.End) >= 0 {
				continue
			}
			if bytes.Compare(from, start) > 0 {
				start = from
			}
		}
		if scanRange(r, start, kr.End, &p, &matched, limit, maxScan, match) {
			return p
		}
	}
	return p
}

// scanRange is one range of [ScanPage]; true when the page is complete.
func scanRange(r Reader, start, end []byte, p *Page, matched *int, limit, maxScan int, match func(key, value []byte) bool) bool {
	it := r.Iterator(start, end, false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if *matched >= limit || p.Scanned >= maxScan {
			p.More = true
			p.Bounded = *matched < limit
			return true
		}
		key := it.Key()
		p.Last = bytes.Clone(key)
		p.Scanned++
		if match(key, it.Value()) {
			*matched++
		}
	}
	return false
}
