package kit

import (
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
