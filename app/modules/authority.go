package modules

import (
	"errors"

	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/x/kit"
)

// authority is the consortium's authority over one block's state st, the
// whole state: it executes the messages of a passed governance proposal
// through the table's routes, each handler on its own module's prefix of
// a branch of st, and writes the branch back only if every message
// succeeds.
type authority struct {
	t  *Table
	st kit.Store
}

var _ kit.Authority = authority{}

// Branch is writes staged over a parent (see [Config.Branch]).
type Branch interface {
	kit.Store
	// Write applies the staged writes to dst, the parent.
	Write(dst kit.Store)
}

// Execute implements kit.Authority.
func (a authority) Execute(blk kit.Block, msgs []proto.Message) ([]kit.Event, int, error) {
	if a.t.branch == nil {
		panic("modules: a table built without Config.Branch cannot execute governance's messages")
	}
	branch := a.t.branch(a.st)
	var events []kit.Event
	for i, msg := range msgs {
		r := a.t.byMessage[msg.ProtoReflect().Descriptor().FullName()]
		if r == nil || !r.Known(blk.Rules) {
			return nil, i, ErrUnknownMessage.Wrapf("%s is no message of this chain", msg.ProtoReflect().Descriptor().FullName())
		}
		ev, err := runAsAuthority(r, branch, blk, msg)
		if err != nil {
			return nil, i, err
		}
		events = append(events, ev...)
	}
	branch.Write(a.st)
	return events, -1, nil
}

// runAsAuthority runs one message signed by the consortium's authority. As
// for a user's message (see the application's runHandler), a handler's
// panic other than a database failure is a bug every node hits alike: it
// becomes a deterministic internal error, here the proposal's failure.
func runAsAuthority(r *Route, st kit.Store, blk kit.Block, msg proto.Message) (events []kit.Event, err error) {
	defer func() {
		if p := recover(); p != nil {
			if e, ok := p.(error); ok && errors.Is(e, kit.ErrIO) {
				panic(p)
			}
			events, err = nil, ErrInternal.Wrapf("%s failed unexpectedly", r.Name)
		}
	}()
	return r.Run(st, blk, kit.GovernanceAuthority, msg)
}
