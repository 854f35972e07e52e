package snapshots

import "testing"

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		cfg Config
		ok  bool
	}{
		{Config{}, true},
		{DefaultConfig("/data/snapshots"), true},
		{Config{Dir: "d", Interval: 100, KeepRecent: 0, ChunkSize: MaxChunkSize}, true},
		{Config{Dir: "d", Interval: -1}, false},
		{Config{Interval: 10}, false},
		{Config{Dir: "d", KeepRecent: -1}, false},
		{Config{Dir: "d", ChunkSize: -1}, false},
		{Config{Dir: "d", ChunkSize: MaxChunkSize + 1}, false},
	}
	for _, tc := range cases {
		if err := tc.cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("Validate(%+v) = %v, want ok=%v", tc.cfg, err, tc.ok)
		}
		if _, err := Open(tc.cfg, nil); !tc.ok && err == nil {
			t.Errorf("Open(%+v) accepted an invalid configuration", tc.cfg)
		}
	}
}

func TestManagerDue(t *testing.T) {
	cases := []struct {
		interval, height int64
		want             bool
	}{
		{0, 10, false},
		{5, 4, false},
		{5, 5, true},
		{5, 10, true},
		{1, 1, true},
	}
	for _, tc := range cases {
		m, err := Open(Config{Dir: t.TempDir(), Interval: tc.interval}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Due(tc.height); got != tc.want {
			t.Errorf("interval %d: Due(%d) = %v, want %v", tc.interval, tc.height, got, tc.want)
		}
		m.Close()
	}
	if got := mustOpen(t, Config{}).Config().ChunkSize; got != DefaultChunkSize {
		t.Errorf("chunk size 0 runs as %d, want %d", got, DefaultChunkSize)
	}
}
