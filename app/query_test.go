package app

import (
	"bytes"
	"context"
	"fmt"
	"github.com/lineageledger/lineaged/app/modules"
	"slices"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	"github.com/lineageledger/lineaged/x/membership"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

const (
	pathAccount = "/lineage.membership.v1.Query/Account"
	pathOrg     = "/lineage.membership.v1.Query/Org"
	pathOrgs    = "/lineage.membership.v1.Query/Orgs"
	pathParams  = "/lineage.app.v1.Query/Params"
)

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (c *chain) rawQuery(path string, data []byte, height int64) *abci.QueryResponse {
	c.t.Helper()
	res, err := c.app.Query(context.Background(), &abci.QueryRequest{Path: path, Data: data, Height: height})
	if err != nil {
		c.t.Fatalf("Query(%s) returned an error instead of a response: %v", path, err)
	}
	return res
}

func TestQuery(t *testing.T) {
	c := newChain(t)
	clerk := testKey(t, "clerk", keysv1.KeyType_KEY_TYPE_ED25519)
	clerkAddr := keys.Address(clerk.Public())
	c.mustBlock() // height 1: genesis state only
	c.mustBlock(c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: clerk.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}, Label: "clerk"}))
	h1 := c.height
	c.mustBlock(c.tx(c.admin, &membershippb.MsgSetRoles{Address: clerkAddr, Roles: []membershippb.Role{membershippb.Role_ROLE_LICENSOR, membershippb.Role_ROLE_AUDITOR}}))
	h2 := c.height
	c.mustBlock() // latest is h2+1, with the same roles as h2

	stranger := keys.Address(testKey(t, "stranger", keysv1.KeyType_KEY_TYPE_ED25519).Public())
	acctReq := func(addr string) []byte { return marshal(t, &membershippb.QueryAccountRequest{Address: addr}) }
	clerkRoles := func(want ...membershippb.Role) func(*testing.T, []byte) {
		return func(t *testing.T, v []byte) {
			var resp membershippb.QueryAccountResponse
			if err := proto.Unmarshal(v, &resp); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(resp.Account.GetRoles(), want) {
				t.Fatalf("clerk roles = %v, want %v", resp.Account.GetRoles(), want)
			}
		}
	}

	cases := []struct {
		name       string
		path       string
		data       []byte
		height     int64
		want       *kit.Error // nil: success
		wantHeight int64      // height the response reports
		check      func(t *testing.T, value []byte)
	}{
		{"account found", pathAccount, acctReq(c.admin.addr()), 0, nil, c.height, func(t *testing.T, v []byte) {
			var resp membershippb.QueryAccountResponse
			if err := proto.Unmarshal(v, &resp); err != nil {
				t.Fatal(err)
			}
			a := resp.Account
			if a.GetAddress() != c.admin.addr() || a.OrgId != "alpha" || a.Label != "admin" ||
				a.Status != membershippb.AccountStatus_ACCOUNT_STATUS_ACTIVE || a.Sequence != 2 || !proto.Equal(a.PublicKey, c.admin.key.Public()) {
				t.Fatalf("account = %v, want alpha's admin with sequence 2", a)
			}
			if !slices.IsSorted(a.Roles) || len(a.Roles) != len(membership.AllRoles()) {
				t.Fatalf("admin roles = %v, want all %d, sorted", a.Roles, len(membership.AllRoles()))
			}
		}},
		{"account unknown", pathAccount, acctReq(stranger), 0, membership.ErrAccountNotFound, 0, nil},
		{"account address malformed", pathAccount, acctReq("lin1notanaddress"), 0, membership.ErrInvalidAddress, 0, nil},
		{"account address upper-case", pathAccount, acctReq(strings.ToUpper(c.admin.addr())), 0, membership.ErrInvalidAddress, 0, nil},
		{"account address empty", pathAccount, nil, 0, membership.ErrInvalidAddress, 0, nil},
		{"org with accounts", pathOrg, marshal(t, &membershippb.QueryOrgRequest{OrgId: "alpha"}), 0, nil, c.height, func(t *testing.T, v []byte) {
			var resp membershippb.QueryOrgResponse
			if err := proto.Unmarshal(v, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.Org.GetId() != "alpha" || resp.Org.GetName() != "Alpha Labs" || resp.AccountsTruncated {
				t.Fatalf("org = %v (truncated %v), want alpha / Alpha Labs", resp.Org, resp.AccountsTruncated)
			}
			var got []string
			for _, a := range resp.Accounts {
				if a.OrgId != "alpha" {
					t.Errorf("account %s of org %q listed under alpha", a.Address, a.OrgId)
				}
				got = append(got, a.Address)
			}
			want := []string{c.admin.addr(), c.steward.addr(), clerkAddr}
			if !sameSet(got, want) {
				t.Fatalf("alpha's accounts = %v, want %v", got, want)
			}
			// Documented order: by address bytes (not by address string).
			if !slices.IsSortedFunc(resp.Accounts, func(a, b *membershippb.Account) int {
				return bytes.Compare(mustAddr(t, a.Address), mustAddr(t, b.Address))
			}) {
				t.Fatalf("accounts are not in address order: %v", got)
			}
		}},
		{"org unknown", pathOrg, marshal(t, &membershippb.QueryOrgRequest{OrgId: "zeta"}), 0, membership.ErrOrgNotFound, 0, nil},
		{"org id invalid", pathOrg, marshal(t, &membershippb.QueryOrgRequest{OrgId: "Zeta!"}), 0, membership.ErrInvalidOrgID, 0, nil},
		{"params", pathParams, nil, 0, nil, c.height, func(t *testing.T, v []byte) {
			var resp appv1.QueryParamsResponse
			if err := proto.Unmarshal(v, &resp); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(resp.Params, modules.DefaultParams()) {
				t.Fatalf("params = %v, want %v", resp.Params, modules.DefaultParams())
			}
		}},
		{"unknown path", "/lineage.nothing.v1.Query/Foo", nil, 0, modules.ErrUnknownQuery, 0, nil},
		{"empty path", "", nil, 0, modules.ErrUnknownQuery, 0, nil},
		{"path without leading slash", strings.TrimPrefix(pathParams, "/"), nil, 0, modules.ErrUnknownQuery, 0, nil},
		{"garbage request bytes", pathAccount, []byte{0xff, 0xff, 0xff}, 0, modules.ErrInvalidRequest, 0, nil},
		{"truncated request", pathAccount, acctReq(c.admin.addr())[:10], 0, modules.ErrInvalidRequest, 0, nil},
		{"oversize request", pathAccount, make([]byte, modules.MaxQueryBytes+1), 0, modules.ErrInvalidRequest, 0, nil},
		{"roles at the height they were granted", pathAccount, acctReq(clerkAddr), h1, nil, h1, clerkRoles(membershippb.Role_ROLE_AUDITOR)},
		{"roles at the height they changed", pathAccount, acctReq(clerkAddr), h2, nil, h2, clerkRoles(membershippb.Role_ROLE_LICENSOR, membershippb.Role_ROLE_AUDITOR)},
		{"roles at latest", pathAccount, acctReq(clerkAddr), 0, nil, c.height, clerkRoles(membershippb.Role_ROLE_LICENSOR, membershippb.Role_ROLE_AUDITOR)},
		{"account before it existed", pathAccount, acctReq(clerkAddr), h1 - 1, membership.ErrAccountNotFound, 0, nil},
		{"height not yet committed", pathAccount, acctReq(c.admin.addr()), c.height + 1, modules.ErrInvalidRequest, 0, nil},
		{"height far ahead", pathParams, nil, 1 << 40, modules.ErrInvalidRequest, 0, nil},
		{"negative height", pathParams, nil, -1, modules.ErrInvalidRequest, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := c.rawQuery(tc.path, tc.data, tc.height)
			wantCode(t, "Query", res.Codespace, res.Code, res.Log, tc.want)
			if tc.want != nil {
				if res.Log == "" || len(res.Value) != 0 {
					t.Fatalf("error response: log %q, value %x; want a log and no value", res.Log, res.Value)
				}
				return
			}
			if res.Height != tc.wantHeight {
				t.Fatalf("response height = %d, want %d", res.Height, tc.wantHeight)
			}
			tc.check(t, res.Value)
		})
	}
}

// TestQueryBeforeFirstCommit: with nothing committed there is no state to
// read, even though InitChain has run.
func TestQueryBeforeFirstCommit(t *testing.T) {
	c := newChain(t)
	for _, h := range []int64{0, 1} {
		res := c.rawQuery(pathParams, nil, h)
		wantCode(t, fmt.Sprintf("Query at height %d", h), res.Codespace, res.Code, res.Log, modules.ErrInvalidRequest)
	}
}

func TestQueryOrgsPagination(t *testing.T) {
	c := newChain(t)
	// Genesis has alpha and beta; these make nine, of mixed lengths.
	ids := []string{"zz", "gamma", "delta", "ab", "omega-partners", "b2", "kappa"}
	var txs [][]byte
	for _, id := range ids {
		txs = append(txs, c.tx(c.admin, &membershippb.MsgCreateOrg{
			OrgId: id, Name: "Org " + id,
			AdminPublicKey: testKey(t, "orgs-"+id, keysv1.KeyType_KEY_TYPE_ED25519).Public(),
			AdminRoles:     []membershippb.Role{membershippb.Role_ROLE_ADMIN},
		}))
	}
	c.mustBlock(txs...)
	all := append([]string{"alpha", "beta"}, ids...)
	// Documented order: shorter identifiers first, then alphabetically.
	want := slices.Clone(all)
	slices.SortFunc(want, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})

	orgs := func(t *testing.T, req *membershippb.QueryOrgsRequest) (*membershippb.QueryOrgsResponse, *abci.QueryResponse) {
		t.Helper()
		res := c.rawQuery(pathOrgs, marshal(t, req), 0)
		var resp membershippb.QueryOrgsResponse
		if res.Code == 0 {
			if err := proto.Unmarshal(res.Value, &resp); err != nil {
				t.Fatal(err)
			}
		}
		return &resp, res
	}

	for _, limit := range []uint32{1, 2, 3, 9, 10, 0} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			var got []string
			pages := 0
			req := &membershippb.QueryOrgsRequest{Limit: limit}
			for {
				resp, res := orgs(t, req)
				wantCode(t, "Orgs", res.Codespace, res.Code, res.Log, nil)
				pages++
				if pages > len(all)+1 {
					t.Fatalf("pagination does not end: %d pages so far", pages)
				}
				eff := int(limit)
				if eff == 0 {
					eff = membership.DefaultPageLimit
				}
				if len(resp.Orgs) > eff {
					t.Fatalf("page %d has %d orgs, limit %d", pages, len(resp.Orgs), eff)
				}
				for _, o := range resp.Orgs {
					got = append(got, o.Id)
				}
				if resp.NextStartAfter == "" {
					break
				}
				if last := resp.Orgs[len(resp.Orgs)-1].Id; resp.NextStartAfter != last {
					t.Fatalf("next_start_after = %q, want the page's last org %q", resp.NextStartAfter, last)
				}
				req = &membershippb.QueryOrgsRequest{Limit: limit, StartAfter: resp.NextStartAfter}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("pages concatenate to %v, want %v", got, want)
			}
			eff := int(limit)
			if eff == 0 {
				eff = membership.DefaultPageLimit
			}
			if wantPages := max(1, (len(all)+eff-1)/eff); pages != wantPages {
				t.Fatalf("took %d pages, want %d", pages, wantPages)
			}
		})
	}

	bad := []struct {
		name string
		req  *membershippb.QueryOrgsRequest
		want *kit.Error
	}{
		{"limit above maximum", &membershippb.QueryOrgsRequest{Limit: membership.MaxPageLimit + 1}, membership.ErrInvalidQuery},
		{"invalid start_after", &membershippb.QueryOrgsRequest{StartAfter: "Not An Id"}, membership.ErrInvalidOrgID},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, res := orgs(t, tc.req)
			wantCode(t, "Orgs", res.Codespace, res.Code, res.Log, tc.want)
		})
	}
	t.Run("limit at maximum", func(t *testing.T) {
		resp, res := orgs(t, &membershippb.QueryOrgsRequest{Limit: membership.MaxPageLimit})
		wantCode(t, "Orgs", res.Codespace, res.Code, res.Log, nil)
		if len(resp.Orgs) != len(all) || resp.NextStartAfter != "" {
			t.Fatalf("got %d orgs, next %q; want %d and none", len(resp.Orgs), resp.NextStartAfter, len(all))
		}
	})
	t.Run("start after an absent id", func(t *testing.T) {
		// "b3" is not an org; the listing resumes after where it would be.
		resp, res := orgs(t, &membershippb.QueryOrgsRequest{StartAfter: "b3"})
		wantCode(t, "Orgs", res.Codespace, res.Code, res.Log, nil)
		var got []string
		for _, o := range resp.Orgs {
			got = append(got, o.Id)
		}
		if i := slices.Index(want, "zz"); !slices.Equal(got, want[i:]) {
			t.Fatalf("orgs after b3 = %v, want %v", got, want[i:])
		}
	})
}

// TestQueryPaths: every method of every query service compiled into the
// binary is answered, under its full gRPC method name, and nothing else is
// listed.
func TestQueryPaths(t *testing.T) {
	c := newChain(t)
	c.mustBlock()
	a := c.app
	paths := a.QueryPaths()
	if !slices.IsSorted(paths) {
		t.Errorf("QueryPaths not sorted: %v", paths)
	}

	var want []string
	for _, m := range a.mods.Modules() {
		for _, svc := range m.Services {
			if svc.New == nil {
				continue
			}
			for _, md := range svc.Desc.Methods {
				want = append(want, "/"+svc.Desc.ServiceName+"/"+md.MethodName)
			}
		}
	}
	// Every service of this project's proto packages that is linked in must
	// be served: a module whose Query service is not wired up fails here.
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(fd.Package()), "lineage.") {
			return true
		}
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			if sd.FullName() == "lineage.app.v1.Receipts" {
				continue // served by the node, which holds the block headers
			}
			for j := 0; j < sd.Methods().Len(); j++ {
				p := "/" + string(sd.FullName()) + "/" + string(sd.Methods().Get(j).Name())
				if !slices.Contains(want, p) {
					want = append(want, p)
				}
			}
		}
		return true
	})
	for _, p := range []string{pathAccount, pathOrg, pathOrgs, pathParams} {
		if !slices.Contains(want, p) {
			t.Fatalf("expected path %s missing from the registered services", p)
		}
	}
	slices.Sort(want)
	if !slices.Equal(paths, want) {
		t.Fatalf("QueryPaths() = %v\nwant %v", paths, want)
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			res := c.rawQuery(p, nil, 0)
			if res.Codespace == modules.ErrUnknownQuery.Codespace && res.Code == modules.ErrUnknownQuery.Code {
				t.Fatalf("listed path is not answered: %s", res.Log)
			}
		})
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func mustAddr(t *testing.T, s string) []byte {
	t.Helper()
	b, err := keys.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
