package node

import (
	"math"
	"runtime/debug"
	"strings"
	"testing"
)

// TestApplyRuntime: the config sets the collector unless GOGC or
// GOMEMLIMIT already did.
func TestApplyRuntime(t *testing.T) {
	gc := debug.SetGCPercent(100)
	limit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(gc)
		debug.SetMemoryLimit(limit)
	})
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	cases := []struct {
		name      string
		cfg       RuntimeConfig
		env       map[string]string
		wantGC    int
		wantLimit int64 // bytes, as the runtime holds it
		wantLog   string
	}{
		{"config only", RuntimeConfig{GCPercent: 400}, nil, 400, math.MaxInt64, "gc_percent=400 memory_limit=none"},
		{"config with a limit", RuntimeConfig{GCPercent: 250, MemoryLimitMiB: 3072}, nil, 250, 3072 << 20, "gc_percent=250 memory_limit=3072 MiB"},
		{"GOGC wins", RuntimeConfig{GCPercent: 400}, map[string]string{"GOGC": "100"}, 100, math.MaxInt64, "gc_percent=100 memory_limit=none (from [GOGC])"},
		{"GOMEMLIMIT wins", RuntimeConfig{GCPercent: 300, MemoryLimitMiB: 100}, map[string]string{"GOMEMLIMIT": "1GiB"}, 300, math.MaxInt64, "(from [GOMEMLIMIT])"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// What the runtime would hold after reading the variables.
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
			got := ApplyRuntime(tc.cfg, env(tc.env))
			if gc := debug.SetGCPercent(-1); gc != tc.wantGC {
				t.Errorf("gc percent = %d, want %d", gc, tc.wantGC)
			}
			debug.SetGCPercent(tc.wantGC)
			if l := debug.SetMemoryLimit(-1); l != tc.wantLimit {
				t.Errorf("memory limit = %d, want %d", l, tc.wantLimit)
			}
			if !strings.Contains(got.String(), tc.wantLog) {
				t.Errorf("settings %q, want %q in it", got, tc.wantLog)
			}
		})
	}
}
