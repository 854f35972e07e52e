package modules

import (
	"context"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/lineageledger/lineaged/x/kit"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// Module is one row of the table: everything the application, the query
// API and the CLI need to know of one module. Only Name is required; a
// module has what it fills in.
type Module struct {
	// Name names the module's routes ("models.register_model"), its field
	// in the genesis document, and its command groups in the CLI.
	Name string
	// Prefix is the byte all the module's state lives under; 0 for a
	// module that stores nothing (the gate). Consensus: never reuse or
	// change one.
	Prefix byte
	// Codespace and Errors are the module's error table: every error it
	// returns, all in Codespace. Codes are consensus.
	Codespace string
	Errors    []*kit.Error
	// Routes are the transaction messages the module executes, one per
	// field of the transaction body's message oneof (see [Msg]).
	Routes []*Route
	// Services are the module's query services (see [Queries]).
	Services []Service
	// Genesis writes the module's part of the genesis state (see
	// [GenesisOf]); nil when it has none.
	Genesis *Genesis
	// EndBlock runs after every block's transactions, on the module's own
	// store, and returns events and changes to the validator set. It has
	// no user to refuse: a failure is a broken invariant and panics.
	// authority executes messages with the consortium's authority through
	// the table's routes (governance executing a passed proposal): the
	// only way end-of-block work writes another module's state.
	EndBlock func(st kit.Store, view kit.Reader, blk kit.Block, authority kit.Authority) ([]kit.Event, []kit.ValidatorUpdate)
	// Preamble are the kinds of proposer-made entry the module puts at the
	// head of a block (see [PreambleKind]).
	Preamble []*PreambleKind
	// VoteExtensions are what the module has validators sign in their
	// precommits (see [VoteExtension]).
	VoteExtensions []*VoteExtension
}

// Handler executes one message type. st is the module's own store (its
// prefix stripped), the only state it can write; view is the whole state,
// read-only, with the transaction's own writes so far. The application has
// authenticated signer and checked the route's role.
type Handler[M proto.Message] func(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg M) ([]kit.Event, error)

// Route is how one message type executes.
type Route struct {
	// Name is "<module>.<field>", field being the message's field in the
	// transaction body's oneof: the msg attribute of the tx event and the
	// msg label of the metrics.
	Name string
	// Role is what the signer must hold; ROLE_UNSPECIFIED admits any
	// active account.
	Role membershippb.Role

	message protoreflect.MessageDescriptor
	run     func(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg proto.Message) ([]kit.Event, error)
	// changesAdmission: see [ChangesAdmission].
	changesAdmission bool
	// governanceOnly: see [GovernanceOnly].
	governanceOnly bool
	// since: see [Since].
	since   uint32
	carried func(msg proto.Message) []kit.CarriedSignature
	claims  func(msg proto.Message) []string
	// prefix is the module's, set when the table is built.
	prefix []byte
}

// RouteOption adds to a [Route].
type RouteOption func(*Route)

// Msg is the route of message type M: signers need role, and h runs it.
func Msg[M proto.Message](role membershippb.Role, h Handler[M], opts ...RouteOption) *Route {
	var zero M
	r := &Route{
		Role:    role,
		message: zero.ProtoReflect().Descriptor(),
		run: func(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg proto.Message) ([]kit.Event, error) {
			return h(st, view, blk, signer, msg.(M))
		},
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

// ChangesAdmission marks a message that can change what the admission of
// the transactions after it decides: which organisations and accounts
// exist, their status, keys and roles. CheckTx runs its handler, which it
// does not for other messages, so that a transaction queued behind it (an
// account's first, a rotated key's first) is admitted or refused in the
// mempool as it will be in the block.
func ChangesAdmission(r *Route) { r.changesAdmission = true }

// GovernanceOnly marks a message only governance may send: the
// application refuses it in any user's transaction (whatever the signer's
// roles), and a passed proposal carrying it executes it with the
// consortium's authority (see [kit.Authority]).
func GovernanceOnly(r *Route) { r.governanceOnly = true }

// Since marks a message a chain accepts only from rule set rules on: under
// an earlier one it is refused as an unknown message, as the release
// before it did.
func Since(rules uint32) RouteOption { return func(r *Route) { r.since = rules } }

// GovernanceOnly reports whether only governance may send the route's
// message (see the option [GovernanceOnly]).
func (r *Route) GovernanceOnly() bool { return r.governanceOnly }

// Known reports whether the route exists under rule set rules (see
// [Since]).
func (r *Route) Known(rules uint32) bool { return rules >= r.since }

// Carries names the signatures a message carries besides its
// transaction's own, which admission checks too (see
// [kit.CarriedSignature]).
func Carries[M proto.Message](f func(M) []kit.CarriedSignature) RouteOption {
	return func(r *Route) {
		r.carried = func(msg proto.Message) []kit.CarriedSignature { return f(msg.(M)) }
	}
}

// Claims names the names a message claims (a model name, a licence id, a
// dataset namespace): under rule set kit.RulesBoundNames the application
// admits the message only if every scoped one is in a namespace of the
// signer's organisation (see kit.Namespace).
func Claims[M proto.Message](f func(M) []string) RouteOption {
	return func(r *Route) {
		r.claims = func(msg proto.Message) []string { return f(msg.(M)) }
	}
}

// Claimed lists the names msg, a message of this route, claims.
func (r *Route) Claimed(msg proto.Message) []string {
	if r.claims == nil {
		return nil
	}
	return r.claims(msg)
}

// ChangesAdmission reports whether the route's message can change
// admission (see the option [ChangesAdmission]).
func (r *Route) ChangesAdmission() bool { return r.changesAdmission }

// Carried lists the signatures msg, a message of this route, carries.
func (r *Route) Carried(msg proto.Message) []kit.CarriedSignature {
	if r.carried == nil {
		return nil
	}
	return r.carried(msg)
}

// Message is the route's message type.
func (r *Route) Message() protoreflect.MessageDescriptor { return r.message }

// Run executes msg, a message of this route, on the whole state st: the
// handler gets the module's prefix of st to write and st read-only to
// read, so it cannot write another module's state.
func (r *Route) Run(st kit.Store, blk kit.Block, signer kit.Signer, msg proto.Message) ([]kit.Event, error) {
	return r.run(kit.Prefixed(st, r.prefix), kit.ReadOnly(st), blk, signer, msg)
}

// Service is one gRPC service of a module: served on the gRPC listener,
// as ABCI queries (path "/" + full method name) and, through the REST
// gateway, at the routes proto/http.yaml binds.
type Service struct {
	Desc *grpc.ServiceDesc
	// New is the service's implementation over one version of the state
	// and the block that produced it; nil for a service the node
	// implements itself (receipts), which is not an ABCI query.
	New func(r kit.Reader, blk kit.Block) any
	// REST registers the service's HTTP routes on a gateway mux, calling
	// the service through conn.
	REST func(ctx context.Context, mux *runtime.ServeMux, conn grpc.ClientConnInterface) error
}

// Queries binds a query service: its generated description, its
// implementation over a state version, and its generated gateway
// registration and client constructor.
func Queries[S, C any](desc *grpc.ServiceDesc, impl func(kit.Reader, kit.Block) S,
	rest func(context.Context, *runtime.ServeMux, C) error, client func(grpc.ClientConnInterface) C) Service {
	s := NodeService(desc, rest, client)
	s.New = func(r kit.Reader, blk kit.Block) any { return impl(r, blk) }
	return s
}

// NodeService binds a service the node implements (see [Service.New]).
func NodeService[C any](desc *grpc.ServiceDesc, rest func(context.Context, *runtime.ServeMux, C) error, client func(grpc.ClientConnInterface) C) Service {
	return Service{Desc: desc, REST: func(ctx context.Context, mux *runtime.ServeMux, conn grpc.ClientConnInterface) error {
		return rest(ctx, mux, client(conn))
	}}
}

// Genesis is a module's part of the genesis document: the field of
// lineage.app.v1.Genesis named after the module, and what writes it.
type Genesis struct {
	message protoreflect.MessageDescriptor
	init    func(st kit.Store, view kit.Reader, blk kit.Block, g proto.Message) error
	field   protoreflect.FieldDescriptor // set when the table is built
}

// GenesisOf binds a module's genesis message type G to init, which writes
// it (g is nil when the document leaves the field out).
func GenesisOf[G proto.Message](init func(st kit.Store, view kit.Reader, blk kit.Block, g G) error) *Genesis {
	var zero G
	return &Genesis{
		message: zero.ProtoReflect().Descriptor(),
		init: func(st kit.Store, view kit.Reader, blk kit.Block, g proto.Message) error {
			typed, _ := g.(G)
			return init(st, view, blk, typed)
		},
	}
}

// PreambleKind is an entry a block's proposer, not a user, puts at the
// head of the block, built from the votes on the previous block: the
// validators' signatures collected from vote extensions, for instance.
// Every validator checks it in ProcessProposal by executing it; a block
// whose entry fails is rejected.
type PreambleKind struct {
	// Name is the kind within its module; on the wire the entry's kind is
	// "<module>.<Name>".
	Name string
	// Build makes the entry at PrepareProposal, on the state the block
	// executes on, from the commit of the previous block with each vote's
	// extension entry of the same name; nil means none in this block.
	Build func(view kit.Reader, blk kit.Block, last kit.CommitInfo) []byte
	// Execute checks the entry against the commit of the previous block
	// (without extensions) and writes what it records. An error rejects
	// the block in ProcessProposal; a block decided with one anyway (by a
	// faulty majority) gets the error as the entry's result and nothing
	// is written.
	Execute func(st kit.Store, view kit.Reader, blk kit.Block, last kit.CommitInfo, data []byte) ([]kit.Event, error)
}

// VoteExtension is something each validator signs in its precommit for a
// block, with a key the node holds: the application asks the signer the
// node gave it (App.SetVoteSigner in package app) to sign what Payload returns,
// so no module ever holds a key.
type VoteExtension struct {
	// Name is the extension within its module; on the wire it is
	// "<module>.<Name>", and a preamble kind of the same name receives it.
	Name string
	// Payload is what the validator signs in its precommit for the block
	// at height, on the last committed state, whose app hash is the one in
	// the header of height; nil means nothing.
	Payload func(view kit.Reader, height int64, appHash []byte) []byte
	// Verify checks another validator's entry: its payload, and its
	// signature by the key the module knows for that validator.
	Verify func(view kit.Reader, height int64, appHash []byte, validator, payload, signature []byte) error
}
