package kit

import (
	"fmt"
	"strings"
)

// Named is one value of an enum with the name users type for it.
type Named[T comparable] struct {
	Name  string
	Value T
}

// NameTable maps the names users type (lower-case words such as
// "security") to an enum's values, in code order, so that parsing, naming,
// listing and checking a value read one table.
type NameTable[T comparable] []Named[T]

// Lookup finds the value named s, in any case.
func (t NameTable[T]) Lookup(s string) (T, bool) {
	for _, n := range t {
		if strings.EqualFold(s, n.Name) {
			return n.Value, true
		}
	}
	var zero T
	return zero, false
}

// Name is v's name, or "unknown(v)" for a value not in the table.
func (t NameTable[T]) Name(v T) string {
	for _, n := range t {
		if n.Value == v {
			return n.Name
		}
	}
	return fmt.Sprintf("unknown(%v)", v)
}

// Names lists the names in code order.
func (t NameTable[T]) Names() []string {
	out := make([]string, len(t))
	for i, n := range t {
		out[i] = n.Name
	}
	return out
}

// Has reports whether v is a value of the table.
func (t NameTable[T]) Has(v T) bool {
	for _, n := range t {
		if n.Value == v {
			return true
		}
	}
	return false
}
