package membership

import "github.com/lineageledger/lineaged/x/kit"

// own is the store the application hands this module's handlers: the
// module's prefix of the whole state.
func (k Keeper) own(st kit.Store) kit.Store { return kit.Prefixed(st, k.prefix) }
