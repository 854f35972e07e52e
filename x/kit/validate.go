package kit

import (
	"fmt"
	"unicode/utf8"
)

// ValidateText checks user-supplied free text: valid UTF-8, no control
// characters, between min and max bytes. Modules wrap the error in their
// own invalid-field error.
func ValidateText(field, s string, min, max int) error {
	if len(s) < min || len(s) > max {
		return fmt.Errorf("%s must be %d-%d bytes, got %d", field, min, max, len(s))
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%s contains control characters", field)
		}
	}
	return nil
}

// Charsets for [ValidateIdentifier].
const (
	// NameChars suits names such as "acme/llm-7b" or "corpora/web-en".
	NameChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/-"
	// VersionChars suits versions such as "1.2.0+build.5" or "2026-11-01".
	VersionChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+-"
	// IDChars suits lower-case identifiers such as "acme/cc-by-4.0".
	IDChars = "abcdefghijklmnopqrstuvwxyz0123456789._/-"
)

// ValidateIdentifier checks a structured identifier: 1 to max bytes from
// chars, starting and ending with a letter or digit.
func ValidateIdentifier(field, s string, max int, chars string) error {
	if len(s) == 0 || len(s) > max {
		return fmt.Errorf("%s must be 1-%d characters, got %d", field, max, len(s))
	}
	for i := 0; i < len(s); i++ {
		if !containsByte(chars, s[i]) {
			// Name the character as typed: for ASCII, exactly the text
			// these messages have always had; for a byte that does not
			// start valid UTF-8, its value.
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size <= 1 {
				return fmt.Errorf("%s %q: byte %#02x not allowed (not UTF-8; use %s)", field, s, s[i], describe(chars))
			}
			return fmt.Errorf("%s %q: character %q not allowed (use %s)", field, s, r, describe(chars))
		}
	}
	if !alnum(s[0]) || !alnum(s[len(s)-1]) {
		return fmt.Errorf("%s %q must start and end with a letter or digit", field, s)
	}
	return nil
}

func containsByte(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}

func alnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

func describe(chars string) string {
	switch chars {
	case NameChars:
		return "letters, digits and . _ / -"
	case VersionChars:
		return "letters, digits and . _ + -"
	case IDChars:
		return "lower-case letters, digits and . _ / -"
	case AliasChars:
		return "lower-case letters, digits and _ -"
	}
	return fmt.Sprintf("only %q", chars)
}

// Bound applies a query's size limit: 0 means def, anything above max is
// an error the module wraps in its own invalid-query error. Every list and
// walk a query returns is bounded this way.
func Bound(field string, v uint32, def, max int) (int, error) {
	switch {
	case v == 0:
		return def, nil
	case int64(v) > int64(max):
		return 0, fmt.Errorf("%s %d exceeds %d", field, v, max)
	}
	return int(v), nil
}

// MaxOrgIDLen bounds organisation identifiers.
const MaxOrgIDLen = 64

// ValidateOrgID checks the form of an organisation identifier: 2-64
// characters of [a-z0-9-], starting with a letter and not ending with a
// hyphen. Whether the organisation exists is membership's business.
func ValidateOrgID(field, id string) error {
	if len(id) < 2 || len(id) > MaxOrgIDLen {
		return fmt.Errorf("%s %q must be 2-%d characters", field, id, MaxOrgIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' && i > 0 || c == '-' && i > 0 && i < len(id)-1
		if !ok {
			return fmt.Errorf("%s %q: use lower-case letters, digits and inner hyphens, starting with a letter", field, id)
		}
	}
	return nil
}
