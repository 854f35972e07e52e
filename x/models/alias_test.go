package models

import (
	"maps"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/kittest"
	pb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// aliasFixture adds acme/base@2.0 (acme) and acme/base@3.0 (beta's, from
// before names were bound to namespaces) to the fixture.
func aliasFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.register(t, alice, &pb.ModelSpec{Name: "acme/base", Version: "2.0", ManifestDigest: dg(60)})
	f.register(t, bob, &pb.ModelSpec{Name: "acme/base", Version: "3.0", ManifestDigest: dg(61)})
	return f
}

func (f *fixture) setAlias(s kit.Signer, name, alias, version string) ([]kit.Event, error) {
	return f.k.SetModelAlias(f.k.own(f.st), f.st, blk, s, &pb.MsgSetModelAlias{Name: name, Alias: alias, Version: version})
}

func (f *fixture) mustSetAlias(t *testing.T, s kit.Signer, name, alias, version string) {
	t.Helper()
	if _, err := f.setAlias(s, name, alias, version); err != nil {
		t.Fatalf("set %s of %s to %q: %v", alias, name, version, err)
	}
}

func TestSetModelAlias(t *testing.T) {
	type step struct {
		s                    kit.Signer
		name, alias, version string
	}
	prod := func(s kit.Signer, version string) step { return step{s, "acme/base", "production", version} }
	cases := []struct {
		name   string
		before []step
		msg    step
		want   *kit.Error
		// On success: the move's number and the version it moved from.
		move     uint64
		previous string
	}{
		{"first set", nil, prod(alice, "1.0"), nil, 1, ""},
		{"moved by another publisher of the organisation", []step{prod(alice, "1.0")}, prod(carol, "2.0"), nil, 2, "1.0"},
		{"to a superseded version", nil, prod(alice, "2.0"), nil, 1, ""},
		{"cleared", []step{prod(alice, "1.0")}, prod(alice, ""), nil, 2, "1.0"},
		{"set again after a clear", []step{prod(alice, "1.0"), prod(alice, "")}, prod(alice, "2.0"), nil, 3, ""},
		{"another alias of the name", []step{prod(alice, "1.0")}, step{alice, "acme/base", "staging", "1.0"}, nil, 1, ""},

		{"name malformed", nil, step{alice, "acme/base@1.0", "production", "1.0"}, ErrInvalidField, 0, ""},
		{"alias upper-case", nil, step{alice, "acme/base", "Production", "1.0"}, ErrInvalidField, 0, ""},
		{"alias starting with a digit", nil, step{alice, "acme/base", "2nd", "1.0"}, ErrInvalidField, 0, ""},
		{"alias empty", nil, step{alice, "acme/base", "", "1.0"}, ErrInvalidField, 0, ""},
		{"version malformed", nil, prod(alice, "1/0"), ErrInvalidField, 0, ""},
		{"version not registered", nil, prod(alice, "9.9"), ErrUnknownModel, 0, ""},
		{"version of another organisation", nil, prod(alice, "3.0"), ErrNotPublisher, 0, ""},
		{"version revoked", nil, step{alice, "acme/old", "production", "1.0"}, ErrRevoked, 0, ""},
		{"to where it points", []step{prod(alice, "1.0")}, prod(carol, "1.0"), ErrAliasUnchanged, 0, ""},
		{"clear of an alias never set", nil, prod(alice, ""), ErrAliasNotSet, 0, ""},
		{"clear of a cleared alias", []step{prod(alice, "1.0"), prod(alice, "")}, prod(alice, ""), ErrAliasNotSet, 0, ""},
		{"moved by another organisation to its own version", []step{prod(alice, "1.0")}, prod(bob, "3.0"), ErrNotPublisher, 0, ""},
		{"cleared by another organisation", []step{prod(alice, "1.0")}, prod(bob, ""), ErrNotPublisher, 0, ""},
		{"set by another organisation after a clear", []step{prod(alice, "1.0"), prod(alice, "")}, prod(bob, "3.0"), ErrNotPublisher, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := aliasFixture(t)
			f.supersede(t, alice, "acme/base", "2.0", "acme/base@3.0")
			for _, s := range c.before {
				f.mustSetAlias(t, s.s, s.name, s.alias, s.version)
			}
			before := f.st.Snapshot()
			events, err := f.setAlias(c.msg.s, c.msg.name, c.msg.alias, c.msg.version)
			check(t, err, c.want)
			if c.want != nil {
				if !maps.Equal(before, f.st.Snapshot()) {
					t.Fatal("a refused move changed the state")
				}
				return
			}
			cur, ok := f.k.Alias(f.st, c.msg.name, c.msg.alias)
			if !ok {
				t.Fatal("the alias does not load after its move")
			}
			want := &pb.ModelAlias{Name: c.msg.name, Alias: c.msg.alias, Version: c.msg.version, PreviousVersion: c.previous,
				Move: c.move, OrgId: c.msg.s.OrgID, MovedBy: c.msg.s.Address, Height: blk.Height}
			cur.Time = nil
			if !proto.Equal(cur, want) {
				t.Fatalf("latest move %v, want %v", cur, want)
			}
			var recorded pb.ModelAlias
			if !kit.Load(f.k.reader(f.st), AliasMoveKey(c.msg.name, c.msg.alias, c.move), &recorded) {
				t.Fatalf("move %d is not recorded", c.move)
			}
			recorded.Time = nil
			if !proto.Equal(&recorded, want) {
				t.Fatalf("recorded move %v, want %v", &recorded, want)
			}
			typ := "models.alias_set"
			if c.msg.version == "" {
				typ = "models.alias_cleared"
			}
			if len(events) != 1 || events[0].Type != typ || attrs(events[0])["alias"] != c.msg.alias ||
				attrs(events[0])["previous_version"] != c.previous || !slices.Equal(kittest.Indexed(events[0]), []string{"name"}) {
				t.Fatalf("events %v, want one %s naming the alias and the previous version, indexed by name", events, typ)
			}
		})
	}
}

func TestQueryModelAliases(t *testing.T) {
	f := aliasFixture(t)
	f.mustSetAlias(t, alice, "acme/base", "production", "1.0")
	f.mustSetAlias(t, alice, "acme/base", "production", "2.0")
	f.mustSetAlias(t, alice, "acme/base", "production", "1.0")
	f.mustSetAlias(t, alice, "acme/base", "staging", "2.0")
	f.mustSetAlias(t, alice, "acme/base", "staging", "")
	f.mustSetAlias(t, alice, "acme/base", "qa", "2.0")
	q := f.k.Querier(f.st, blk)

	t.Run("alias", func(t *testing.T) {
		for _, c := range []struct {
			alias, version string
			move           uint64
			want           *kit.Error
		}{
			{"production", "1.0", 3, nil},
			{"staging", "", 2, nil},
			{"canary", "", 0, ErrNotFound},
			{"Canary", "", 0, ErrInvalidField},
		} {
			resp, err := q.ModelAlias(ctx, &pb.QueryModelAliasRequest{Name: "acme/base", Alias: c.alias})
			check(t, err, c.want)
			if c.want == nil && (resp.Alias.Version != c.version || resp.Alias.Move != c.move) {
				t.Errorf("%s: %v, want version %q move %d", c.alias, resp.Alias, c.version, c.move)
			}
		}
	})

	t.Run("aliases of a name, paged", func(t *testing.T) {
		for _, c := range []struct {
			req  *pb.QueryModelAliasesRequest
			want *kit.Error
			list []string
			next string
		}{
			{&pb.QueryModelAliasesRequest{Name: "acme/base"}, nil, []string{"qa", "staging", "production"}, ""},
			{&pb.QueryModelAliasesRequest{Name: "acme/base", Limit: 2}, nil, []string{"qa", "staging"}, "staging"},
			{&pb.QueryModelAliasesRequest{Name: "acme/base", Limit: 2, StartAfter: "staging"}, nil, []string{"production"}, ""},
			{&pb.QueryModelAliasesRequest{Name: "acme/other"}, nil, nil, ""},
			{&pb.QueryModelAliasesRequest{Name: "acme/base", StartAfter: "Qa"}, ErrInvalidQuery, nil, ""},
			{&pb.QueryModelAliasesRequest{Name: "", StartAfter: "qa"}, ErrInvalidField, nil, ""},
			{&pb.QueryModelAliasesRequest{Name: "acme/base", Limit: MaxPageLimit + 1}, ErrInvalidQuery, nil, ""},
		} {
			resp, err := q.ModelAliases(ctx, c.req)
			check(t, err, c.want)
			if c.want != nil {
				continue
			}
			var got []string
			for _, a := range resp.Aliases {
				got = append(got, a.Alias)
			}
			if !slices.Equal(got, c.list) || resp.NextStartAfter != c.next {
				t.Errorf("%v: aliases %q next %q, want %q %q", c.req, got, resp.NextStartAfter, c.list, c.next)
			}
		}
	})

	t.Run("history, paged", func(t *testing.T) {
		for _, c := range []struct {
			req      *pb.QueryModelAliasHistoryRequest
			want     *kit.Error
			versions []string
			next     uint64
		}{
			{&pb.QueryModelAliasHistoryRequest{Name: "acme/base", Alias: "production"}, nil, []string{"1.0", "2.0", "1.0"}, 0},
			{&pb.QueryModelAliasHistoryRequest{Name: "acme/base", Alias: "production", Limit: 2}, nil, []string{"1.0", "2.0"}, 2},
			{&pb.QueryModelAliasHistoryRequest{Name: "acme/base", Alias: "production", Limit: 2, StartAfter: 2}, nil, []string{"1.0"}, 0},
			{&pb.QueryModelAliasHistoryRequest{Name: "acme/base", Alias: "production", StartAfter: 3}, nil, nil, 0},
			{&pb.QueryModelAliasHistoryRequest{Name: "acme/base", Alias: "staging"}, nil, []string{"2.0", ""}, 0},
			{&pb.QueryModelAliasHistoryRequest{Name: "acme/base", Alias: "canary"}, nil, nil, 0},
			{&pb.QueryModelAliasHistoryRequest{Name: "acme/base", Alias: "-x"}, ErrInvalidField, nil, 0},
			{&pb.QueryModelAliasHistoryRequest{Name: "acme/base", Alias: "qa", Limit: MaxPageLimit + 1}, ErrInvalidQuery, nil, 0},
		} {
			resp, err := q.ModelAliasHistory(ctx, c.req)
			check(t, err, c.want)
			if c.want != nil {
				continue
			}
			var got []string
			for i, m := range resp.Moves {
				got = append(got, m.Version)
				if want := c.req.StartAfter + uint64(i) + 1; m.Move != want {
					t.Errorf("%v: move %d numbered %d", c.req, want, m.Move)
				}
			}
			if !slices.Equal(got, c.versions) || resp.NextStartAfter != c.next {
				t.Errorf("%v: versions %q next %d, want %q %d", c.req, got, resp.NextStartAfter, c.versions, c.next)
			}
		}
	})
}
