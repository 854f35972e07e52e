package bench

import (
	"strings"
	"testing"
	"time"
)

// step is a load step whose window of 10 s committed committed tx/s with
// the nodes keeping cores cores busy.
func step(offered, committed, cores float64) stepResult {
	const window = 10 * time.Second
	return stepResult{offered: offered, committed: committed, window: window, blocks: 10, rated: true,
		cpu: []time.Duration{time.Duration(cores * float64(window))}}
}

// unrated is a step whose window held too few blocks to count.
func unrated(s stepResult) stepResult {
	s.rated = false
	return s
}

func TestBudgetAt(t *testing.T) {
	kv := &chainRun{kind: "kvstore", validators: 4, saturated: true, steps: []stepResult{
		step(200, 200, 0.6), step(1000, 1000, 1.6), step(1500, 1500, 1.7), step(2300, 2000, 1.74),
	}}
	kv.best = kv.steps[3]
	ours := &chainRun{kind: "lineaged", validators: 4, saturated: true, steps: []stepResult{
		step(200, 200, 0.8), step(450, 450, 1.6), step(675, 560, 1.83),
		// A stall's backlog: counts neither as a pace nor as what the
		// machine can give.
		unrated(step(1012, 1300, 1.99)),
	}}
	kv.steps = append(kv.steps, unrated(step(1100, 1100, 0.5)))
	cases := []struct {
		rate      float64
		ok        bool
		base      float64
		perVal    time.Duration
		lo, hi    float64
		usableMax float64
	}{
		// 1,200 tx/s lies between kvstore's 1,000 and 1,500 steps:
		// 1.6 + 0.1 × 200/500 = 1.64 cores; 1.83 − 1.64 = 0.19 cores over
		// 1,200 tx/s and 4 validators is 39.58 µs.
		{rate: 1200, ok: true, base: 1.64, perVal: 39583 * time.Nanosecond, lo: 1000, hi: 1500, usableMax: 1.83},
		// A rate at a step's own.
		{rate: 1000, ok: true, base: 1.6, perVal: 57500 * time.Nanosecond, lo: 200, hi: 1000, usableMax: 1.83},
		// Above every step, or below: nothing to interpolate between.
		{rate: 2500, ok: false},
		{rate: 100, ok: false},
	}
	for _, tc := range cases {
		b, ok := budgetAt(kv, ours, tc.rate)
		if ok != tc.ok {
			t.Fatalf("rate %v: ok = %v, want %v", tc.rate, ok, tc.ok)
		}
		if !ok {
			continue
		}
		if diff := b.baseCores - tc.base; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("rate %v: base cores %v, want %v", tc.rate, b.baseCores, tc.base)
		}
		if d := b.perValidator - tc.perVal; d > time.Microsecond/10 || d < -time.Microsecond/10 {
			t.Errorf("rate %v: %v per validator, want %v", tc.rate, b.perValidator, tc.perVal)
		}
		if b.lo != tc.lo || b.hi != tc.hi || b.usable != tc.usableMax {
			t.Errorf("rate %v: between %v and %v, usable %v; want %v, %v, %v", tc.rate, b.lo, b.hi, b.usable, tc.lo, tc.hi, tc.usableMax)
		}
	}
	// kvstore alone keeps the machine as busy as it ever gets at this
	// rate: nothing is left.
	full := &chainRun{kind: "lineaged", validators: 4, steps: []stepResult{step(200, 200, 1.0)}}
	if b, ok := budgetAt(kv, full, 2000); !ok || b.perValidator > 0 || fmtBudget(b.perValidator) != "nothing" {
		t.Errorf("budget on a machine kvstore alone fills: %+v (%s)", b, fmtBudget(b.perValidator))
	}
}

func TestAppCost(t *testing.T) {
	kv := &chainRun{kind: "kvstore", validators: 4, saturated: true, steps: []stepResult{
		step(200, 200, 0.6), step(450, 450, 0.855), step(675, 675, 1.28),
	}}
	kv.best = kv.steps[2]
	ours := &chainRun{kind: "lineaged", validators: 4, saturated: true, steps: []stepResult{
		step(200, 200, 0.8), step(450, 450, 1.575), step(675, 560, 1.8),
	}}
	cost, at, ok := appCost(kv, ours)
	// At 450 tx/s, the highest rate both kept up with: 3.5 ms against
	// 1.9 ms of CPU per transaction, over 4 validators.
	if !ok || at != 450 || cost != 400*time.Microsecond {
		t.Fatalf("appCost = %v at %v (%v), want 400µs at 450", cost, at, ok)
	}
	kv.steps = append(kv.steps, step(1500, 1500, 1.7))
	kv.best = kv.steps[3]
	note, ok := budgetNote(kv, ours, 0.6)
	if !ok || !strings.Contains(note, "900 tx/s") || !strings.Contains(note, "400 µs per validator") {
		t.Fatalf("budget note: %q", note)
	}
	kv.saturated = false
	if _, ok := budgetNote(kv, ours, 0.6); ok {
		t.Fatal("a note from a baseline that never saturated")
	}
	// Noise can make this chain's CPU per transaction look lower than
	// kvstore's: the note says so rather than printing a cost of zero.
	kv.saturated = true
	cheap := &chainRun{kind: "lineaged", validators: 4, saturated: true, steps: []stepResult{step(450, 450, 0.8)}}
	if note, ok := budgetNote(kv, cheap, 0.6); !ok || !strings.Contains(note, "no more CPU per committed transaction than kvstore's at 450") {
		t.Fatalf("note for a chain cheaper than kvstore: %q", note)
	}
	// No validators: no estimate, and no division by zero.
	if _, ok := budgetAt(&chainRun{steps: kv.steps}, ours, 900); ok {
		t.Fatal("a budget for a network of no validators")
	}
	if _, _, ok := appCost(kv, &chainRun{steps: ours.steps}); ok {
		t.Fatal("an application cost for a network of no validators")
	}
}
