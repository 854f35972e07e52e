package models

// Key prefixes of model aliases within the module's store. Documented in
// doc.go, with the others (keys.go).
const (
	prefixAlias     = 0x0a
	prefixAliasMove = 0x0b
)

// AliasKey is where an alias of a model name keeps its latest move: where
// it points now.
func AliasKey(name, alias string) []byte {
	return newKey(prefixAlias, 2+len(name)+len(alias)).str(name).str(alias)
}

// AliasesPrefix prefixes the aliases of a model name.
func AliasesPrefix(name string) []byte { return newKey(prefixAlias, 1+len(name)).str(name) }

// AliasMovesPrefix prefixes every move of an alias.
func AliasMovesPrefix(name, alias string) []byte {
	return newKey(prefixAliasMove, 2+len(name)+len(alias)).str(name).str(alias)
}

// AliasMoveKey is where the move with the given number (from 1) of an alias
// is kept, so that the moves list in the order they were made.
func AliasMoveKey(name, alias string, move uint64) []byte {
	return newKey(prefixAliasMove, 10+len(name)+len(alias)).str(name).str(alias).u64(move)
}
