package gate

import "testing"

func TestErrorsAreDenseAndUnique(t *testing.T) {
	for i, e := range Errors {
		if e.Codespace != Codespace {
			t.Errorf("%q has codespace %q", e.Message, e.Codespace)
		}
		if e.Code != uint32(i+1) {
			t.Errorf("%q has code %d, want %d", e.Message, e.Code, i+1)
		}
	}
}
