// Package modules is the chain's table of modules: the one explicit list of
// what the state machine is made of, which every other list is read from —
// the application's router and query dispatch, the gRPC services, the REST
// gateway, the CLI's command groups, the error-code tables, the genesis
// document and the metrics' labels. It is a table, not a module manager:
// [New] builds the modules' keepers, wires each to what the others offer
// through the interfaces it declares (wiring.go), and lists them in order.
//
// # A row of the table
//
// A [Module] names its state prefix, its error table, its routes (one per
// transaction message: [Msg] binds a handler and the role its signer
// needs, in one line), its query services ([Queries]), its genesis
// ([GenesisOf]), and, when it needs them, end-of-block work, block preamble
// kinds and vote extensions. docs/adding-a-module.md walks through adding
// one.
//
// # Isolation
//
// A handler is given its module's own prefix of the state to write ([Route.Run]
// strips the prefix) and the whole state read-only: it cannot write another
// module's records, even by a type assertion. What it needs to know of
// another module it asks through an interface it declares in its
// expected.go, which this package implements from the other module's
// keeper.
//
// # Queries without a store
//
// The table needs no store: [Table.Answer] runs a query over any
// [kit.Reader], so the offline receipt verifier re-runs a query over the
// reads a receipt proves with the same handlers the node ran. [Default]
// is the chain's table for such callers.
//
// # The application's own records and errors
//
// The module "app" is the application itself: its prefix holds the chain
// id and the parameters ([LoadParams]), and its codespace "tx" the errors
// decided before a message reaches its module ([Errors]) and those of
// query dispatch.
//
// # State layout
//
// Under the application's prefix:
//
//	0x01 → lineage.app.v1.Params (the chain's parameters)
//	0x02 → the chain id, as bytes
package modules
