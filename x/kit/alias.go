package kit

import "fmt"

// MaxModelAliasLen bounds a model alias.
const MaxModelAliasLen = 64

// AliasChars suits model aliases such as "production" or "canary-eu".
const AliasChars = "abcdefghijklmnopqrstuvwxyz0123456789_-"

// ValidateModelAlias checks a model alias: 1 to [MaxModelAliasLen] bytes
// of [AliasChars], starting with a letter and ending with a letter or
// digit. An alias names a model's version only together with the model's
// name, in a field of its own, never inside a "name@version" reference, so
// an alias that happens to spell a version ("v2") is never taken for one.
// Every module that reads aliases (the model registry, the gate) checks
// them here.
func ValidateModelAlias(field, s string) error {
	if err := ValidateIdentifier(field, s, MaxModelAliasLen, AliasChars); err != nil {
		return err
	}
	if c := s[0]; c < 'a' || c > 'z' {
		return fmt.Errorf("%s %q must start with a letter", field, s)
	}
	return nil
}
