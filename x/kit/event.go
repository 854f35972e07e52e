package kit

import "fmt"

// Event is something a handler reports about a state change. Type is
// module-qualified ("membership.account_added"); attributes keep their order.
type Event struct {
	Type       string
	Attributes []Attribute
}

// Attribute is one key/value pair of an event. Index marks it searchable:
// the node's transaction index keeps a key for it, so that CometBFT's
// tx_search can find transactions by its value.
type Attribute struct {
	Key, Value string
	Index      bool
}

// NewEvent builds an event from alternating keys and values. No attribute
// is searchable until marked with [Event.Searchable].
func NewEvent(typ string, kv ...string) Event {
	if len(kv)%2 != 0 {
		panic("kit: NewEvent needs key/value pairs")
	}
	ev := Event{Type: typ, Attributes: make([]Attribute, 0, len(kv)/2)}
	for i := 0; i < len(kv); i += 2 {
		ev.Attributes = append(ev.Attributes, Attribute{Key: kv[i], Value: kv[i+1]})
	}
	return ev
}

// Searchable marks the attributes named by keys as indexed and returns the
// event. Index only what identifies the subject of the change (an address,
// a digest, an id): every indexed attribute costs every node a write per
// transaction, and the record itself is found through the query API.
// A key the event lacks is a programming error.
func (e Event) Searchable(keys ...string) Event {
	for _, k := range keys {
		found := false
		for i := range e.Attributes {
			if e.Attributes[i].Key == k {
				e.Attributes[i].Index, found = true, true
			}
		}
		if !found {
			panic(fmt.Sprintf("kit: event %s has no attribute %q to index", e.Type, k))
		}
	}
	return e
}
