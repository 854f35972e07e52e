package kit

import (
	"strings"
	"testing"
)

func TestEventSearchable(t *testing.T) {
	ev := NewEvent("lineage.dataset_registered", "digest", "sha256:ab", "name", "web", "size_bytes", "10")
	for _, at := range ev.Attributes {
		if at.Index {
			t.Fatalf("%s indexed before any was marked", at.Key)
		}
	}
	ev = ev.Searchable("digest", "name")
	want := map[string]bool{"digest": true, "name": true, "size_bytes": false}
	for _, at := range ev.Attributes {
		if at.Index != want[at.Key] {
			t.Errorf("%s: index %v, want %v", at.Key, at.Index, want[at.Key])
		}
	}
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), `"owner"`) {
			t.Fatalf("marking a missing attribute: recovered %v, want a panic naming it", r)
		}
	}()
	ev.Searchable("owner")
}
