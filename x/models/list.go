package models

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// Bounds of a listing's scan (see [Querier.Models]).
const (
	DefaultMaxScan = 1000
	MaxScan        = 10000
)

// Models implements pb.QueryServer: model versions in key order (shorter
// names first, then by name; the versions of a name likewise), a page at a
// time.
//
// It answers from the version records themselves (0x01), so listing
// writes nothing and needs no index. A namespace and a name prefix narrow
// the records read to key ranges: one per name length from the prefix's
// to [MaxNameLen], since lengths lead the keys. The organisation and
// licence filters need each record's value: a page examines at most
// max_scan records (matching or not), and when that bound stops it before
// limit versions matched it says so (scan_bound_reached) and names the last
// record examined in next_start_after, to continue from. A page thus reads
// at most max_scan + 1 records and opens at most [MaxNameLen] ranges.
func (q Querier) Models(_ context.Context, req *pb.QueryModelsRequest) (*pb.QueryModelsResponse, error) {
	prefix, err := namePrefix(req.Namespace, req.Prefix)
	if err != nil {
		return nil, err
	}
	if req.Org != "" {
		if err := kit.ValidateOrgID("org", req.Org); err != nil {
			return nil, ErrInvalidQuery.Wrapf("%v", err)
		}
	}
	if req.LicenseId != "" {
		if err := kit.ValidateIdentifier("license_id", req.LicenseId, MaxLicenseIDLen, kit.IDChars); err != nil {
			return nil, ErrInvalidQuery.Wrapf("%v", err)
		}
	}
	var after []byte
	if req.StartAfter != "" {
		ref, err := kit.ParseModelRef("start_after", req.StartAfter)
		if err != nil {
			return nil, ErrInvalidQuery.Wrapf("start_after %q: %v", req.StartAfter, err)
		}
		after = ModelKey(ref.Name, ref.Version)
	}
	limit, err := pageLimit(req.Limit)
	if err != nil {
		return nil, err
	}
	maxScan, err := bound("max_scan", req.MaxScan, DefaultMaxScan, MaxScan)
	if err != nil {
		return nil, err
	}

	resp := &pb.QueryModelsResponse{}
	ranges := kit.NameRanges([]byte{prefixModel}, prefix, MaxNameLen)
	page := kit.ScanPage(q.r, ranges, after, limit, maxScan, func(key, value []byte) bool {
		m := new(pb.ModelVersion)
		kit.Decode(key, value, m)
		if req.Org != "" && m.PublisherOrg != req.Org {
			return false
		}
		if req.LicenseId != "" && !slices.Contains(m.GetSpec().GetLicenseIds(), req.LicenseId) {
			return false
		}
		resp.Models = append(resp.Models, m)
		return true
	})
	resp.Scanned = uint32(page.Scanned)
	resp.ScanBoundReached = page.Bounded
	if page.More {
		name, rest, ok1 := readPart(page.Last[1:])
		version, _, ok2 := readPart(rest)
		if !ok1 || !ok2 {
			panic(fmt.Sprintf("models: corrupt model key %x", page.Last))
		}
		resp.NextStartAfter = Ref(name, version)
	}
	return resp, nil
}

// namePrefix is the prefix every listed name starts with: the namespace's
// "<namespace>/" followed by prefix, or prefix alone.
func namePrefix(namespace, prefix string) (string, error) {
	if namespace != "" {
		if err := kit.ValidateIdentifier("namespace", namespace, MaxNameLen, kit.NameChars); err != nil {
			return "", ErrInvalidQuery.Wrapf("%v", err)
		}
		if strings.Contains(namespace, "/") {
			return "", ErrInvalidQuery.Wrapf("namespace %q: a namespace is the part of a name before its first '/'", namespace)
		}
	}
	for i := 0; i < len(prefix); i++ {
		if !strings.ContainsRune(kit.NameChars, rune(prefix[i])) {
			return "", ErrInvalidQuery.Wrapf("prefix %q: byte %#02x cannot occur in a model name", prefix, prefix[i])
		}
	}
	full := prefix
	if namespace != "" {
		full = namespace + "/" + prefix
	}
	if len(full) > MaxNameLen {
		return "", ErrInvalidQuery.Wrapf("prefix %q is longer than a model name can be (%d)", full, MaxNameLen)
	}
	return full, nil
}
