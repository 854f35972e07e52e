package lineage

import (
	"context"
	"slices"
	"strings"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// Bounds of a listing's scan (see [Querier.Datasets]).
const (
	DefaultMaxScan = 1000
	MaxScan        = 10000
)

// Datasets implements pb.QueryServer: datasets in the order of the name
// index (0x03: namespace, then name, then version, each shorter first and
// then by its bytes), a page at a time.
//
// It answers from the name index and the dataset records, so listing
// writes nothing and needs no index of its own. A namespace narrows the
// read to its part of the name index, and a name prefix with it to one
// key range per name length from the prefix's to [MaxNameLen]. A prefix
// without a namespace, the organisation and the licence are filters: a
// page examines at most max_scan index entries, matching or not (each one
// with the prefix also reads its dataset record), and
// when that bound stops it before limit datasets matched it says so
// (scan_bound_reached) and names the last dataset examined in
// next_start_after, to continue from.
func (q Querier) Datasets(_ context.Context, req *pb.QueryDatasetsRequest) (*pb.QueryDatasetsResponse, error) {
	if req.Namespace != "" {
		if err := kit.ValidateIdentifier("namespace", req.Namespace, MaxNamespaceLen, kit.NameChars); err != nil {
			return nil, ErrInvalidQuery.Wrapf("%v", err)
		}
	}
	if len(req.Prefix) > MaxNameLen {
		return nil, ErrInvalidQuery.Wrapf("prefix is longer than a name can be (%d)", MaxNameLen)
	}
	for i := 0; i < len(req.Prefix); i++ {
		if !strings.ContainsRune(kit.NameChars, rune(req.Prefix[i])) {
			return nil, ErrInvalidQuery.Wrapf("prefix %q: byte %#02x cannot occur in a dataset name", req.Prefix, req.Prefix[i])
		}
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
		if err := validateDigest("start_after", req.StartAfter, true); err != nil {
			return nil, ErrInvalidQuery.Wrapf("%v", err)
		}
		ds, ok := loadDataset(q.r, req.StartAfter)
		if !ok {
			return nil, ErrInvalidQuery.Wrapf("start_after: no dataset %s is registered", req.StartAfter)
		}
		after = NameKey(ds.Spec.Namespace, ds.Spec.Name, ds.Spec.Version)
	}
	limit, err := limitOr("limit", req.Limit, DefaultPageLimit, MaxPageLimit)
	if err != nil {
		return nil, err
	}
	maxScan, err := limitOr("max_scan", req.MaxScan, DefaultMaxScan, MaxScan)
	if err != nil {
		return nil, err
	}

	var ranges []kit.KeyRange
	filterPrefix := req.Prefix
	if req.Namespace == "" {
		ranges = kit.NameRanges([]byte{prefixName}, "", 0)
	} else {
		ranges = kit.NameRanges(key(prefixName, req.Namespace), req.Prefix, MaxNameLen)
		filterPrefix = "" // the ranges hold only names with the prefix
	}
	resp := &pb.QueryDatasetsResponse{}
	var last string
	page := kit.ScanPage(q.r, ranges, after, limit, maxScan, func(k, v []byte) bool {
		last = string(v)
		if filterPrefix != "" {
			_, rest := readPart(k[1:]) // past the namespace
			if name, _ := readPart(rest); !strings.HasPrefix(name, filterPrefix) {
				return false
			}
		}
		ds, ok := loadDataset(q.r, last)
		if !ok {
			panic("lineage: name index names missing dataset " + last)
		}
		if req.Org != "" && ds.OwnerOrg != req.Org {
			return false
		}
		if req.LicenseId != "" && !slices.Contains(ds.Spec.LicenseIds, req.LicenseId) {
			return false
		}
		resp.Datasets = append(resp.Datasets, ds)
		return true
	})
	resp.Scanned = uint32(page.Scanned)
	resp.ScanBoundReached = page.Bounded
	if page.More {
		resp.NextStartAfter = last
	}
	return resp, nil
}
