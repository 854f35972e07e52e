package kit

import (
	"fmt"
	"strings"
	"testing"
)

func TestValidateText(t *testing.T) {
	cases := []struct {
		s  string
		ok bool
	}{
		{"Acme Labs", true},
		{"", false},
		{strings.Repeat("x", 11), false},
		{"tab\there", false},
		{"bad\xffutf8", false},
		{"ünïcode", true},
	}
	for _, c := range cases {
		if err := ValidateText("f", c.s, 1, 10); (err == nil) != c.ok {
			t.Errorf("ValidateText(%q) = %v, want ok=%v", c.s, err, c.ok)
		}
	}
}

func TestValidateIdentifier(t *testing.T) {
	cases := []struct {
		s, chars string
		ok       bool
	}{
		{"acme/llm-7b", NameChars, true},
		{"meta-llama/Llama-2-7b", NameChars, true},
		{"1.2.0+build.5", VersionChars, true},
		{"1.2.0+build.5", NameChars, false},
		{"acme/cc-by-4.0", IDChars, true},
		{"Acme/cc", IDChars, false},
		{"/leading", NameChars, false},
		{"trailing-", NameChars, false},
		{"name@1", NameChars, false},
		{"", NameChars, false},
		{strings.Repeat("a", 65), NameChars, false},
	}
	for _, c := range cases {
		if err := ValidateIdentifier("f", c.s, 64, c.chars); (err == nil) != c.ok {
			t.Errorf("ValidateIdentifier(%q) = %v, want ok=%v", c.s, err, c.ok)
		}
	}
}

// TestValidateIdentifierMessages: the offending character is shown as
// the user typed it, a byte that is not UTF-8 as a byte value, and the
// messages for ASCII input keep their exact text (result logs carry them).
func TestValidateIdentifierMessages(t *testing.T) {
	cases := []struct {
		s, chars, want string
	}{
		// ASCII: byte-for-byte the text result logs have always carried.
		{"name@1", NameChars, `f "name@1": character '@' not allowed (use letters, digits and . _ / -)`},
		{"a\x01b", NameChars, `f "a\x01b": character '\x01' not allowed (use letters, digits and . _ / -)`},
		{"a\x7fb", NameChars, `f "a\x7fb": character '\x7f' not allowed (use letters, digits and . _ / -)`},
		{"a b", VersionChars, `f "a b": character ' ' not allowed (use letters, digits and . _ + -)`},
		{"Acme/cc", IDChars, `f "Acme/cc": character 'A' not allowed (use lower-case letters, digits and . _ / -)`},
		{"-ab", NameChars, `f "-ab" must start and end with a letter or digit`},
		{"", NameChars, `f must be 1-64 characters, got 0`},
		// Non-ASCII: the character, not its first byte read as Latin-1.
		{"café", NameChars, `f "café": character 'é' not allowed (use letters, digits and . _ / -)`},
		{"bot-🤖", NameChars, `f "bot-🤖": character '🤖' not allowed (use letters, digits and . _ / -)`},
		{"a\u200bb", NameChars, `f "a\u200bb": character '\u200b' not allowed (use letters, digits and . _ / -)`},
		// Not UTF-8: the byte's value.
		{"ab\xffc", NameChars, `f "ab\xffc": byte 0xff not allowed (not UTF-8; use letters, digits and . _ / -)`},
		{"ab\xc3", NameChars, `f "ab\xc3": byte 0xc3 not allowed (not UTF-8; use letters, digits and . _ / -)`},
	}
	for _, c := range cases {
		err := ValidateIdentifier("f", c.s, 64, c.chars)
		if err == nil || err.Error() != c.want {
			t.Errorf("ValidateIdentifier(%q) = %v\n want %s", c.s, err, c.want)
		}
	}
	// Every ASCII byte refused gets the message it always got, when the
	// offending byte was printed with %q.
	for b := 0; b < 0x80; b++ {
		for _, chars := range []string{NameChars, VersionChars, IDChars} {
			s := "a" + string(rune(b)) + "b"
			err := ValidateIdentifier("f", s, 64, chars)
			if strings.IndexByte(chars, byte(b)) >= 0 {
				continue
			}
			want := fmt.Sprintf("f %q: character %q not allowed (use %s)", s, s[1], describe(chars))
			if err == nil || err.Error() != want {
				t.Errorf("ValidateIdentifier(%q) = %v\n want %s", s, err, want)
			}
		}
	}
}
