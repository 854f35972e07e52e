package kit

// Event is something a handler reports about a state change. Type is
// module-qualified ("membership.account_added"); attributes keep their order.
type Event struct {
	Type       string
	Attributes []Attribute
}

// Attribute is one key/value pair of an event.
type Attribute struct {
	Key, Value string
}

// NewEvent builds an event from alternating keys and values.
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
