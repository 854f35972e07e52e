package membership

import (
	"context"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
	pb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// Query page sizes.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
	maxOrgAccounts   = 1000
)

// Querier answers [pb.QueryServer] from one version of the state.
type Querier struct {
	r kit.Reader
}

var _ pb.QueryServer = Querier{}

// Querier answers queries from r, the whole state of one version.
func (k Keeper) Querier(r kit.Reader, _ kit.Block) Querier { return Querier{r: k.reader(r)} }

// Account implements pb.QueryServer.
func (q Querier) Account(_ context.Context, req *pb.QueryAccountRequest) (*pb.QueryAccountResponse, error) {
	acct, err := loadAccount(q.r, req.Address)
	if err != nil {
		return nil, err
	}
	return &pb.QueryAccountResponse{Account: acct}, nil
}

// Org implements pb.QueryServer.
func (q Querier) Org(_ context.Context, req *pb.QueryOrgRequest) (*pb.QueryOrgResponse, error) {
	org, err := loadOrg(q.r, req.OrgId)
	if err != nil {
		return nil, err
	}
	resp := &pb.QueryOrgResponse{Org: org}
	prefix := OrgAccountsPrefix(req.OrgId)
	it := q.r.Iterator(prefix, kit.PrefixEnd(prefix), false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if len(resp.Accounts) == maxOrgAccounts {
			resp.AccountsTruncated = true
			break
		}
		acct, err := loadAccount(q.r, keys.EncodeAddress(it.Key()[len(prefix):]))
		if err != nil {
			return nil, err
		}
		resp.Accounts = append(resp.Accounts, acct)
	}
	return resp, nil
}

// Orgs implements pb.QueryServer.
func (q Querier) Orgs(_ context.Context, req *pb.QueryOrgsRequest) (*pb.QueryOrgsResponse, error) {
	limit, err := kit.Bound("limit", req.Limit, DefaultPageLimit, MaxPageLimit)
	if err != nil {
		return nil, ErrInvalidQuery.Wrapf("%v", err)
	}
	start := []byte{prefixOrg}
	if req.StartAfter != "" {
		if err := ValidateOrgID(req.StartAfter); err != nil {
			return nil, err
		}
		start = append(OrgKey(req.StartAfter), 0)
	}
	resp := &pb.QueryOrgsResponse{}
	it := q.r.Iterator(start, []byte{prefixOrg + 1}, false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if len(resp.Orgs) == limit {
			resp.NextStartAfter = resp.Orgs[limit-1].Id
			break
		}
		org := new(pb.Org)
		kit.Decode(it.Key(), it.Value(), org)
		resp.Orgs = append(resp.Orgs, org)
	}
	return resp, nil
}
