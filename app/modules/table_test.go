package modules

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/lineageledger/lineaged/x/gov"
	govpb "github.com/lineageledger/lineaged/x/gov/govv1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/kittest"
	"github.com/lineageledger/lineaged/x/membership"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// The tests below fail when a module is half-registered: a message in the
// transaction body that no route executes, a service compiled in but not
// in the table or without HTTP routes, a genesis field no module writes, a
// route asking for a role that does not exist. Table entries that name
// something missing (a message the body cannot carry, a genesis field that
// does not exist, a prefix taken twice) already make New panic, which
// every test of this package would show.

// TestEveryMessageRouted: every field of the transaction body's oneof has
// a route, named after the field, asking for a defined role.
func TestEveryMessageRouted(t *testing.T) {
	tbl := Default()
	fields := msgOneof.Fields()
	routed := map[string]bool{}
	for _, r := range tbl.Routes() {
		routed[r.Name] = true
		if r.Role != anyAccount {
			if n := membership.RoleName(r.Role); n == "" || strings.HasPrefix(n, "role(") {
				t.Errorf("%s needs role %d, which has no name", r.Name, r.Role)
			}
			if _, ok := membershippb.Role_name[int32(r.Role)]; !ok {
				t.Errorf("%s needs undefined role %d", r.Name, r.Role)
			}
		}
	}
	for i := range fields.Len() {
		fd := fields.Get(i)
		found := false
		for name := range routed {
			if strings.HasSuffix(name, "."+string(fd.Name())) {
				found = true
			}
		}
		if !found {
			t.Errorf("the transaction body carries %s (field %s) but no module routes it: add the route to the module's Routes in table.go", fd.Message().FullName(), fd.Name())
		}
	}
	if len(routed) != fields.Len() {
		t.Errorf("%d routes for %d messages", len(routed), fields.Len())
	}
}

// TestEveryServiceInTable: every service of this project's proto packages
// linked into the binary is some module's service.
func TestEveryServiceInTable(t *testing.T) {
	inTable := map[string]bool{}
	for _, m := range Default().Modules() {
		for _, s := range m.Services {
			inTable[s.Desc.ServiceName] = true
		}
	}
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(fd.Package()), "lineage.") {
			return true
		}
		for i := range fd.Services().Len() {
			if name := string(fd.Services().Get(i).FullName()); !inTable[name] {
				t.Errorf("service %s (%s) is in no module's Services", name, fd.Path())
			}
		}
		return true
	})
}

// TestEveryMethodHasHTTPRoute: every method of every service in the table
// has a rule in proto/http.yaml, and every rule names a method that
// exists.
func TestEveryMethodHasHTTPRoute(t *testing.T) {
	raw, err := os.ReadFile("../../proto/http.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		HTTP struct {
			Rules []struct {
				Selector string `yaml:"selector"`
			} `yaml:"rules"`
		} `yaml:"http"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{}
	for _, r := range cfg.HTTP.Rules {
		rules[r.Selector] = true
	}
	methods := map[string]bool{}
	for _, m := range Default().Modules() {
		for _, s := range m.Services {
			if s.REST == nil {
				t.Errorf("%s: service %s has no REST registration", m.Name, s.Desc.ServiceName)
			}
			for _, md := range s.Desc.Methods {
				sel := s.Desc.ServiceName + "." + md.MethodName
				methods[sel] = true
				if !rules[sel] {
					t.Errorf("%s has no HTTP rule in proto/http.yaml", sel)
				}
			}
		}
	}
	for sel := range rules {
		if !methods[sel] {
			t.Errorf("proto/http.yaml binds %s, which no service in the table has", sel)
		}
	}
}

// TestEveryGenesisFieldWritten: each field of the genesis document but
// params is the genesis of the module it is named after.
func TestEveryGenesisFieldWritten(t *testing.T) {
	for i := range genesisFields.Len() {
		fd := genesisFields.Get(i)
		if fd.Name() == "params" {
			continue
		}
		m, ok := Default().Module(string(fd.Name()))
		if !ok || m.Genesis == nil {
			t.Errorf("genesis field %s is written by no module: give module %q a Genesis", fd.Name(), fd.Name())
		}
	}
}

// TestModulesComplete: a module that writes state has a prefix outside
// the reserved ones, and every module has an error table of its own
// codespace.
func TestModulesComplete(t *testing.T) {
	reserved := map[byte]string{0x03: "gov", 0x07: "", 0x08: ""} // governance, federated learning, anchors
	for _, m := range Default().Modules() {
		if owner, ok := reserved[m.Prefix]; ok && owner != m.Name || m.Prefix >= 0xf0 {
			t.Errorf("%s uses prefix 0x%02x, which is reserved", m.Name, m.Prefix)
		}
		if m.Codespace == "" || len(m.Errors) == 0 {
			t.Errorf("%s has no error table", m.Name)
		}
		for _, e := range m.Errors {
			if e.Codespace != m.Codespace {
				t.Errorf("%s lists %q of codespace %s", m.Name, e.Message, e.Codespace)
			}
		}
	}
}

// TestNewRefusesHalfWiring: New panics on a table entry that names what
// does not exist or takes what another module has.
func TestNewRefusesHalfWiring(t *testing.T) {
	noop := func(kit.Store, kit.Reader, kit.Block, kit.Signer, *membershippb.MsgCreateOrg) ([]kit.Event, error) {
		return nil, nil
	}
	notInBody := func(kit.Store, kit.Reader, kit.Block, kit.Signer, *membershippb.Org) ([]kit.Event, error) {
		return nil, nil
	}
	genesis := GenesisOf(func(kit.Store, kit.Reader, kit.Block, *membershippb.Genesis) error { return nil })
	for _, tc := range []struct {
		name  string
		extra Module
	}{
		{"a message the body cannot carry", Module{Name: "x", Prefix: 0xf0, Routes: []*Route{Msg(anyAccount, notInBody)}}},
		{"a message routed twice", Module{Name: "x", Prefix: 0xf0, Routes: []*Route{Msg(anyAccount, noop)}}},
		{"a prefix taken", Module{Name: "x", Prefix: prefixModels}},
		{"a name taken", Module{Name: "models"}},
		{"no name", Module{Prefix: 0xf0}},
		{"a genesis without its field", Module{Name: "x", Prefix: 0xf0, Genesis: genesis}},
		{"state without a prefix", Module{Name: "x", Routes: []*Route{Msg(anyAccount, notInBody)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("New accepted the entry")
				}
			}()
			New(Config{Extra: []Module{tc.extra}})
		})
	}
}

// TestRouteIsolatesHandler: a handler writes under its module's prefix
// only, and the whole state it reads cannot be turned into a store.
func TestRouteIsolatesHandler(t *testing.T) {
	root := kittest.NewMemStore()
	var viewWritable bool
	r := Msg(anyAccount, func(st kit.Store, view kit.Reader, _ kit.Block, _ kit.Signer, _ *membershippb.MsgCreateOrg) ([]kit.Event, error) {
		st.Set([]byte("k"), []byte("v"))
		_, viewWritable = view.(kit.Store)
		if got := view.Get([]byte{0xf0, 'k'}); string(got) != "v" {
			t.Errorf("the handler's own write is not in its view: %q", got)
		}
		return nil, nil
	})
	r.prefix = []byte{0xf0}
	if _, err := r.Run(root, kit.Block{}, kit.Signer{}, &membershippb.MsgCreateOrg{}); err != nil {
		t.Fatal(err)
	}
	if viewWritable {
		t.Error("the handler's view of the whole state is a kit.Store")
	}
	if got := root.Snapshot(); len(got) != 1 || got["\xf0k"] != "v" {
		t.Errorf("state after the handler: %q, want only the key under the module's prefix", got)
	}
}

// TestGovernanceAllowList: every message governance may send is routed,
// and every route only governance may use is on its allow-list (else
// nothing could ever send it). A proposal can name every message of the
// transaction body, so that one off the list is refused by governance
// with a clear error rather than as a field the chain does not know.
func TestGovernanceAllowList(t *testing.T) {
	table := Default()
	oneof := (&govpb.ProposalMessage{}).ProtoReflect().Descriptor().Oneofs().ByName("msg").Fields()
	allowed := map[protoreflect.FullName]bool{}
	for _, name := range gov.Allowed {
		fd := oneof.ByName(name)
		if fd == nil {
			t.Fatalf("gov.Allowed names %s, which lineage.gov.v1.ProposalMessage lacks", name)
		}
		r := table.byMessage[fd.Message().FullName()]
		if r == nil {
			t.Errorf("governance may send %s, which no route executes", fd.Message().FullName())
			continue
		}
		allowed[fd.Message().FullName()] = true
	}
	for _, r := range table.Routes() {
		if r.GovernanceOnly() && !allowed[r.Message().FullName()] {
			t.Errorf("%s is governance-only but not on gov.Allowed", r.Name)
		}
		if fieldCarrying(oneof, r.Message()) == nil {
			t.Errorf("lineage.gov.v1.ProposalMessage cannot name %s (route %s): add it to the oneof", r.Message().FullName(), r.Name)
		}
	}
}
