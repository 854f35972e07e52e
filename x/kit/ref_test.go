package kit

import (
	"errors"
	"strings"
	"testing"
)

func TestParseModelRef(t *testing.T) {
	for _, tc := range []struct {
		field, in string
		want      ModelRef
		wantErr   string
	}{
		{"", "acme/llm-7b@1.0+build.5", ModelRef{"acme/llm-7b", "1.0+build.5"}, ""},
		{"model", "acme/llm", ModelRef{}, "want name@version"},
		{"", "@1.0", ModelRef{}, "name must be 1-128 characters, got 0"},
		{"base", "acme@", ModelRef{}, "base version must be 1-64 characters, got 0"},
		{"base", "acme@1@2", ModelRef{}, `base version "1@2": character '@' not allowed`},
		{"", "ac me@1", ModelRef{}, `name "ac me": character ' ' not allowed`},
	} {
		got, err := ParseModelRef(tc.field, tc.in)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("ParseModelRef(%q, %q): %v", tc.field, tc.in, err)
		case tc.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.wantErr)):
			t.Errorf("ParseModelRef(%q, %q) = %v, want an error starting %q", tc.field, tc.in, err, tc.wantErr)
		case got != tc.want:
			t.Errorf("ParseModelRef(%q, %q) = %+v, want %+v", tc.field, tc.in, got, tc.want)
		}
		if tc.wantErr == "" && got.String() != tc.in {
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), tc.in)
		}
	}
	if _, err := ParseModelRef("", "x"); !errors.Is(err, ErrRefForm) {
		t.Errorf("missing '@': %v, want ErrRefForm", err)
	}
}
