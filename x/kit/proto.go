package kit

import (
	"fmt"

	"google.golang.org/protobuf/proto"
)

// Signer is the authenticated account a message executes for, or the
// consortium's authority: a message of a passed governance proposal, which
// no account signed (Authority set, Address and OrgID empty).
type Signer struct {
	Address string
	OrgID   string
	// Authority marks a message executed by governance.
	Authority bool
}

// GovernanceAuthority is the signer of the messages a passed proposal
// executes.
var GovernanceAuthority = Signer{Authority: true}

// Authority executes messages with the consortium's authority, as a
// passed governance proposal does: each through its own module's handler,
// on that module's prefix of the state only, signed by
// [GovernanceAuthority]. Execution is all or nothing: when a message
// fails, Execute returns its index and error and none of the messages'
// writes stay. The application gives one to end-of-block work, bound to
// the block's state.
type Authority interface {
	Execute(blk Block, msgs []proto.Message) (events []Event, failed int, err error)
}

var deterministic = proto.MarshalOptions{Deterministic: true}

// Marshal encodes m deterministically. Encoding a generated message cannot
// fail, so a failure is a broken invariant.
func Marshal(m proto.Message) []byte {
	b, err := deterministic.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("kit: failed to marshal %T: %v", m, err))
	}
	return b
}

// Load decodes the record under key into m and reports whether it existed.
// A record that fails to decode was written by this code and means corrupt
// state, which stops the node.
func Load(s Reader, key []byte, m proto.Message) bool {
	b := s.Get(key)
	if b == nil {
		return false
	}
	Decode(key, b, m)
	return true
}

// Decode decodes a stored record read from key (for instance through an
// iterator) into m; like [Load], it stops the node on corrupt state.
func Decode(key, value []byte, m proto.Message) {
	if err := proto.Unmarshal(value, m); err != nil {
		panic(fmt.Sprintf("kit: corrupt record %x (%T): %v", key, m, err))
	}
}

// Save stores m under key.
func Save(s Store, key []byte, m proto.Message) {
	s.Set(key, Marshal(m))
}
