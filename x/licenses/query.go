package licenses

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// Query bounds.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
	// MaxGrantsPerQuery bounds the Grants answer; the first grants in key
	// order (by licensee, then grant number) are returned.
	MaxGrantsPerQuery = 1000
)

// Querier answers [pb.QueryServer] from one version of the state, with
// expiry judged at the block that produced it.
type Querier struct {
	k    Keeper
	root kit.Reader // the whole state, for the provenance
	r    kit.Reader // the module's store
	blk  kit.Block
}

var _ pb.QueryServer = Querier{}

// Querier answers queries from r, the whole state of one version, produced
// by blk.
func (k Keeper) Querier(r kit.Reader, blk kit.Block) Querier {
	return Querier{k: k, root: r, r: k.reader(r), blk: blk}
}

// License implements pb.QueryServer.
func (q Querier) License(_ context.Context, req *pb.QueryLicenseRequest) (*pb.QueryLicenseResponse, error) {
	if err := validateLicenseID("id", req.Id); err != nil {
		return nil, ErrInvalidQuery.Wrapf("%v", err)
	}
	l, found := loadLicense(q.r, req.Id)
	if !found {
		return nil, ErrNotFound.Wrapf("licence %q", req.Id)
	}
	return &pb.QueryLicenseResponse{License: l, Expired: LicenseExpired(l, q.blk)}, nil
}

// Licenses implements pb.QueryServer. Licences are listed in key order:
// shorter ids first, ids of equal length bytewise (ids are length-prefixed
// in keys); start_after pages through that order.
func (q Querier) Licenses(_ context.Context, req *pb.QueryLicensesRequest) (*pb.QueryLicensesResponse, error) {
	limit, err := kit.Bound("limit", req.Limit, DefaultPageLimit, MaxPageLimit)
	if err != nil {
		return nil, ErrInvalidQuery.Wrapf("%v", err)
	}
	start := []byte{prefixLicense}
	if req.StartAfter != "" {
		if err := validateLicenseID("start_after", req.StartAfter); err != nil {
			return nil, ErrInvalidQuery.Wrapf("%v", err)
		}
		start = append(LicenseKey(req.StartAfter), 0)
	}
	resp := &pb.QueryLicensesResponse{}
	it := q.r.Iterator(start, []byte{prefixLicense + 1}, false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if len(resp.Licenses) == limit {
			resp.NextStartAfter = resp.Licenses[limit-1].Spec.Id
			break
		}
		l := new(pb.License)
		kit.Decode(it.Key(), it.Value(), l)
		resp.Licenses = append(resp.Licenses, l)
	}
	return resp, nil
}

// Grant implements pb.QueryServer.
func (q Querier) Grant(_ context.Context, req *pb.QueryGrantRequest) (*pb.QueryGrantResponse, error) {
	seq, err := ParseGrantID(req.Id)
	if err != nil {
		return nil, ErrInvalidQuery.Wrapf("%v", err)
	}
	g, revocation := loadGrant(q.r, seq)
	if g == nil {
		return nil, ErrNotFound.Wrapf("grant %q", req.Id)
	}
	return q.grantResponse(g, revocation), nil
}

func (q Querier) grantResponse(g *pb.Grant, revocation *pb.GrantRevocation) *pb.QueryGrantResponse {
	return &pb.QueryGrantResponse{Grant: g, Revocation: revocation, Active: grantActive(q.r, q.blk, g, revocation)}
}

// Grants implements pb.QueryServer: the grants on a subject (of one
// licensee if licensee_org is set), by licensee then grant number, at most
// [MaxGrantsPerQuery], with Truncated set when there are more.
func (q Querier) Grants(_ context.Context, req *pb.QueryGrantsRequest) (*pb.QueryGrantsResponse, error) {
	if err := ValidateSubject("subject", req.Subject); err != nil {
		return nil, ErrInvalidQuery.Wrapf("%v", err)
	}
	prefix := GrantsBySubjectPrefix(SubjectKey(req.Subject))
	if req.LicenseeOrg != "" {
		if err := ValidateOrgID("licensee_org", req.LicenseeOrg); err != nil {
			return nil, ErrInvalidQuery.Wrapf("%v", err)
		}
		prefix = GrantsBySubjectLicenseePrefix(SubjectKey(req.Subject), req.LicenseeOrg)
	}
	resp := &pb.QueryGrantsResponse{}
	it := q.r.Iterator(prefix, kit.PrefixEnd(prefix), false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if len(resp.Grants) == MaxGrantsPerQuery {
			resp.Truncated = true
			break
		}
		key := it.Key()
		seq := binary.BigEndian.Uint64(key[len(key)-sequenceLen:])
		g, revocation := loadGrant(q.r, seq)
		if g == nil {
			panic(fmt.Sprintf("licenses: subject index names missing grant %d", seq))
		}
		resp.Grants = append(resp.Grants, q.grantResponse(g, revocation))
	}
	return resp, nil
}

// EffectiveLicense implements pb.QueryServer (see [Keeper.EffectiveLicense]).
func (q Querier) EffectiveLicense(_ context.Context, req *pb.QueryEffectiveLicenseRequest) (*pb.QueryEffectiveLicenseResponse, error) {
	if req.Subject == nil {
		return nil, ErrInvalidQuery.Wrapf("subject is required")
	}
	if err := ValidateSubject("subject", req.Subject); err != nil {
		return nil, ErrInvalidQuery.Wrapf("%v", err)
	}
	if req.Org != "" {
		if err := ValidateOrgID("org", req.Org); err != nil {
			return nil, ErrInvalidQuery.Wrapf("%v", err)
		}
	}
	maxNodes, err := kit.Bound("max_nodes", req.MaxNodes, DefaultMaxNodes, MaxMaxNodes)
	if err != nil {
		return nil, ErrInvalidQuery.Wrapf("%v", err)
	}
	return q.k.EffectiveLicense(q.root, q.blk, req.Subject, req.Org, maxNodes)
}
