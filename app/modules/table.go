package modules

import (
	"fmt"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/txv1"
	"github.com/lineageledger/lineaged/x/gate"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/gov"
	govpb "github.com/lineageledger/lineaged/x/gov/govv1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	"github.com/lineageledger/lineaged/x/licenses"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	"github.com/lineageledger/lineaged/x/lineage"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	"github.com/lineageledger/lineaged/x/membership"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	"github.com/lineageledger/lineaged/x/models"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// One byte of state prefix per module. Consensus: never reuse or change
// one. 0x07 is kept for federated learning, 0x08 for anchors; 0xf0–0xff
// for tests.
const (
	prefixApp        byte = 0x01
	prefixMembership byte = 0x02
	prefixGov        byte = 0x03
	prefixLineage    byte = 0x04
	prefixModels     byte = 0x05
	prefixLicenses   byte = 0x06
)

// Roles the routes below ask for.
const (
	anyAccount      = membershippb.Role_ROLE_UNSPECIFIED
	consortiumAdmin = membershippb.Role_ROLE_CONSORTIUM_ADMIN
	orgAdmin        = membershippb.Role_ROLE_ADMIN
	dataSteward     = membershippb.Role_ROLE_DATA_STEWARD
	modelPublisher  = membershippb.Role_ROLE_MODEL_PUBLISHER
	deployer        = membershippb.Role_ROLE_DEPLOYER
	licensor        = membershippb.Role_ROLE_LICENSOR
)

// Table is the chain's modules, wired together: the one list every other
// list is read from (the router, the query services, the REST gateway, the
// CLI's command groups, the error tables, the genesis document).
type Table struct {
	modules []Module

	membership membership.Keeper
	lineage    lineage.Keeper
	models     models.Keeper
	licenses   licenses.Keeper
	gate       gate.Keeper
	gov        gov.Keeper

	// routes is indexed by the number of the message's field in the
	// transaction body's oneof.
	routes map[protoreflect.FieldNumber]*Route
	// branch: see [Config.Branch].
	branch func(parent kit.Reader) Branch
	// byMessage is every route by its message's full name, for what
	// governance executes.
	byMessage map[protoreflect.FullName]*Route
	queries   map[string]QueryHandler
	// preamble and votes are every module's kinds, by wire name.
	preamble map[string]boundPreamble
	votes    map[string]*VoteExtension
}

// Config is how the application builds its table.
type Config struct {
	// VerifySignature checks a signature a message carries; it must give
	// keys.Verify's answers (a cache of them, say). Nil means keys.Verify.
	VerifySignature func(pub *keysv1.PublicKey, msg, sig []byte) error
	// Branch stages writes over a parent, to be written back whole or
	// dropped: what governance executes a proposal's messages on (see
	// [kit.Authority]). The application passes its store's cache; a table
	// that never executes blocks (offline verification, the CLI) leaves
	// it nil.
	Branch func(parent kit.Reader) Branch
	// Extra modules follow the chain's own. Tests use them to exercise
	// what no module of the chain uses yet (a block preamble, validator
	// updates); a chain's binary has none.
	Extra []Module
}

// New builds the table. It panics if a module is wired inconsistently (a
// route for a message the transaction body cannot carry, two modules on
// one prefix, a genesis without its field): that is a programming error
// the tests catch, never a matter of input.
func New(cfg Config) *Table {
	verify := cfg.VerifySignature
	if verify == nil {
		verify = keys.Verify
	}
	t := &Table{membership: membership.NewKeeper(prefixMembership), branch: cfg.Branch}
	// Modules reach each other only through the interfaces they declare;
	// the adapters (wiring.go) read through the table, so the order of
	// construction does not matter.
	t.licenses = licenses.NewKeeper(prefixLicenses, provenance{t}, orgs{t})
	t.lineage = lineage.NewKeeper(prefixLineage, t.licenses)
	t.models = models.NewKeeper(prefixModels, modelDeps{t}, modelDeps{t}, t.licenses, modelDeps{t}).WithVerifier(verify)
	t.gate = gate.NewKeeper(gateDeps{t}, t.licenses, gateDeps{t}, t.lineage, gateDeps{t})
	t.gov = gov.NewKeeper(prefixGov, govDeps{t}, govDeps{t})
	mk, lk, mok, lck, gk := t.membership, t.lineage, t.models, t.licenses, t.gov

	t.modules = []Module{
		{
			Name: "app", Prefix: prefixApp, Codespace: Codespace, Errors: Errors,
			Routes: []*Route{Msg(anyAccount, updateParams, GovernanceOnly, Since(kit.RulesGovernance))},
			Services: []Service{
				Queries(&appv1.Query_ServiceDesc, newParamsQuerier, appv1.RegisterQueryHandlerClient, appv1.NewQueryClient),
				NodeService(&appv1.Receipts_ServiceDesc, appv1.RegisterReceiptsHandlerClient, appv1.NewReceiptsClient),
			},
		},
		{
			Name: "membership", Prefix: prefixMembership, Codespace: membership.Codespace, Errors: membership.Errors,
			Genesis: GenesisOf(mk.InitGenesis),
			Routes: []*Route{
				Msg(consortiumAdmin, mk.CreateOrg, ChangesAdmission),
				Msg(orgAdmin, mk.AddAccount, ChangesAdmission),
				Msg(orgAdmin, mk.SetRoles, ChangesAdmission),
				Msg(orgAdmin, mk.SuspendAccount, ChangesAdmission),
				Msg(orgAdmin, mk.ReinstateAccount, ChangesAdmission),
				Msg(anyAccount, mk.RotateKey, ChangesAdmission),
				Msg(anyAccount, mk.SuspendOrg, GovernanceOnly, Since(kit.RulesGovernance)),
				Msg(anyAccount, mk.ReinstateOrg, GovernanceOnly, Since(kit.RulesGovernance)),
				Msg(anyAccount, mk.SetAccountRoles, GovernanceOnly, Since(kit.RulesGovernance)),
			},
			Services: []Service{Queries(&membershippb.Query_ServiceDesc, mk.Querier, membershippb.RegisterQueryHandlerClient, membershippb.NewQueryClient)},
		},
		{
			Name: "gov", Prefix: prefixGov, Codespace: gov.Codespace, Errors: gov.Errors,
			Routes: []*Route{
				Msg(orgAdmin, gk.SubmitProposal, Since(kit.RulesGovernance)),
				Msg(orgAdmin, gk.Vote, Since(kit.RulesGovernance)),
			},
			EndBlock: gk.EndBlock,
			Services: []Service{Queries(&govpb.Query_ServiceDesc, gk.Querier, govpb.RegisterQueryHandlerClient, govpb.NewQueryClient)},
		},
		{
			Name: "lineage", Prefix: prefixLineage, Codespace: lineage.Codespace, Errors: lineage.Errors,
			Routes: []*Route{
				Msg(dataSteward, lk.RegisterDataset, Claims(lineage.ClaimedNamespaces)),
				Msg(dataSteward, lk.RecordRun, Claims(lineage.ClaimedOutputNamespaces)),
				Msg(dataSteward, lk.RevokeDataset),
			},
			Services: []Service{Queries(&lineagepb.Query_ServiceDesc, lk.Querier, lineagepb.RegisterQueryHandlerClient, lineagepb.NewQueryClient)},
		},
		{
			Name: "models", Prefix: prefixModels, Codespace: models.Codespace, Errors: models.Errors,
			Routes: []*Route{
				Msg(modelPublisher, mok.RegisterModel, Carries(models.CarriedSignatures), Claims(models.ClaimedNames)),
				Msg(modelPublisher, mok.RevokeModel),
				Msg(modelPublisher, mok.SupersedeModel),
				Msg(deployer, mok.RecordDeployment),
				Msg(modelPublisher, mok.SetModelAlias),
			},
			Services: []Service{Queries(&modelspb.Query_ServiceDesc, mok.Querier, modelspb.RegisterQueryHandlerClient, modelspb.NewQueryClient)},
		},
		{
			Name: "licenses", Prefix: prefixLicenses, Codespace: licenses.Codespace, Errors: licenses.Errors,
			Routes: []*Route{
				Msg(licensor, lck.DefineLicense, Claims(licenses.ClaimedNames)),
				Msg(licensor, lck.GrantLicense),
				Msg(licensor, lck.RevokeGrant),
			},
			Services: []Service{Queries(&licensespb.Query_ServiceDesc, lck.Querier, licensespb.RegisterQueryHandlerClient, licensespb.NewQueryClient)},
		},
		{
			Name: "gate", Codespace: gate.Codespace, Errors: gate.Errors,
			Services: []Service{Queries(&gatepb.Query_ServiceDesc, t.gate.Querier, gatepb.RegisterQueryHandlerClient, gatepb.NewQueryClient)},
		},
	}
	t.modules = append(t.modules, cfg.Extra...)
	t.index()
	return t
}

// Default is the chain's table, built once, with the plain signature
// check: for what reads the table without running a chain (offline
// verification, the API's routes, the CLI's commands).
var Default = sync.OnceValue(func() *Table { return New(Config{}) })

// Modules lists the table's modules, in order.
func (t *Table) Modules() []Module { return slices.Clone(t.modules) }

// Accounts is the membership keeper: the accounts, keys, roles and
// sequences the application authenticates and authorises transactions
// with.
func (t *Table) Accounts() membership.Keeper { return t.membership }

// msgOneof is the transaction body's oneof of messages.
var msgOneof = (&txv1.TxBody{}).ProtoReflect().Descriptor().Oneofs().ByName("msg")

// genesisFields are the fields of the genesis document.
var genesisFields = (&appv1.Genesis{}).ProtoReflect().Descriptor().Fields()

// index checks the table and builds its lookups.
func (t *Table) index() {
	t.routes = map[protoreflect.FieldNumber]*Route{}
	t.byMessage = map[protoreflect.FullName]*Route{}
	t.preamble = map[string]boundPreamble{}
	t.votes = map[string]*VoteExtension{}
	names, prefixes := map[string]bool{}, map[byte]string{}
	for i := range t.modules {
		m := &t.modules[i]
		if m.Name == "" || names[m.Name] {
			panic(fmt.Sprintf("modules: module %d has an empty or repeated name %q", i, m.Name))
		}
		names[m.Name] = true
		if m.Prefix != 0 {
			if other, taken := prefixes[m.Prefix]; taken {
				panic(fmt.Sprintf("modules: %s and %s share prefix 0x%02x", other, m.Name, m.Prefix))
			}
			prefixes[m.Prefix] = m.Name
		}
		needsPrefix := len(m.Routes) > 0 || m.Genesis != nil || m.EndBlock != nil || len(m.Preamble) > 0
		if needsPrefix && m.Prefix == 0 {
			panic(fmt.Sprintf("modules: %s writes state but has no prefix", m.Name))
		}
		for _, r := range m.Routes {
			fd := fieldCarrying(msgOneof.Fields(), r.message)
			if fd == nil {
				panic(fmt.Sprintf("modules: %s routes %s, which the transaction body's msg oneof does not carry", m.Name, r.message.FullName()))
			}
			if _, dup := t.routes[fd.Number()]; dup {
				panic(fmt.Sprintf("modules: %s is routed twice", r.message.FullName()))
			}
			r.Name = m.Name + "." + string(fd.Name())
			r.prefix = []byte{m.Prefix}
			t.routes[fd.Number()] = r
			t.byMessage[r.message.FullName()] = r
		}
		if g := m.Genesis; g != nil {
			fd := genesisFields.ByName(protoreflect.Name(m.Name))
			if fd == nil || fd.Message() == nil || fd.Message().FullName() != g.message.FullName() {
				panic(fmt.Sprintf("modules: lineage.app.v1.Genesis has no field %q of type %s", m.Name, g.message.FullName()))
			}
			g.field = fd
		}
		for _, p := range m.Preamble {
			t.preamble[m.Name+"."+p.Name] = boundPreamble{p, []byte{m.Prefix}}
		}
		for _, v := range m.VoteExtensions {
			t.votes[m.Name+"."+v.Name] = v
		}
	}
	t.queries = t.queryHandlers()
}

// fieldCarrying is the field of fields whose message type is md.
func fieldCarrying(fields protoreflect.FieldDescriptors, md protoreflect.MessageDescriptor) protoreflect.FieldDescriptor {
	for i := range fields.Len() {
		if fd := fields.Get(i); fd.Message() != nil && fd.Message().FullName() == md.FullName() {
			return fd
		}
	}
	return nil
}

// Route finds the route of the message body carries, and the message.
func (t *Table) Route(body *txv1.TxBody) (*Route, proto.Message, bool) {
	b := body.ProtoReflect()
	fd := b.WhichOneof(msgOneof)
	if fd == nil {
		return nil, nil, false
	}
	r, ok := t.routes[fd.Number()]
	if !ok {
		return nil, nil, false
	}
	return r, b.Get(fd).Message().Interface(), true
}

// Routes lists every route, in table order.
func (t *Table) Routes() []*Route {
	var out []*Route
	for _, m := range t.modules {
		out = append(out, m.Routes...)
	}
	return out
}

// ErrorOf finds the error a codespace and code stand for; nil if none of
// the tables has it.
func (t *Table) ErrorOf(codespace string, code uint32) *kit.Error {
	for _, m := range t.modules {
		if m.Codespace != codespace {
			continue
		}
		for _, e := range m.Errors {
			if e.Code == code {
				return e
			}
		}
	}
	return nil
}

// Module finds a module by name.
func (t *Table) Module(name string) (Module, bool) {
	for _, m := range t.modules {
		if m.Name == name {
			return m, true
		}
	}
	return Module{}, false
}
