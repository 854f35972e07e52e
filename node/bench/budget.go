package bench

import (
	"fmt"
	"sort"
	"time"
)

// appBudget is what the consensus engine leaves of the machine for the
// applications of a network at a given committed rate, judged by the
// baseline: kvstore's nodes do CometBFT's work and almost nothing else, so
// the cores they keep busy at that rate are CometBFT's, and what the
// busiest step of either chain shows the nodes can use, less that, is left
// for the applications.
type appBudget struct {
	rate float64
	// baseCores is kvstore's nodes' busy cores at rate, interpolated
	// between the steps below and above it (lo, hi: their committed rates).
	baseCores float64
	lo, hi    float64
	// usable is the most cores the nodes of either chain kept busy in any
	// step.
	usable float64
	// perValidator is the CPU left per transaction for each validator's
	// application (zero or less: none).
	perValidator time.Duration
}

// budgetAt estimates the applications' budget at rate from the baseline's
// steps. It reports false when the baseline has no steps on both sides of
// rate to interpolate between.
func budgetAt(kv, ours *chainRun, rate float64) (appBudget, bool) {
	if kv.validators <= 0 || rate <= 0 {
		return appBudget{}, false
	}
	type point struct{ committed, offered, cores float64 }
	var pts []point
	usable := 0.0
	for _, run := range []*chainRun{kv, ours} {
		for _, s := range run.steps {
			if !s.rated {
				continue // a stall's backlog, not a pace
			}
			usable = max(usable, s.nodeCores())
			if run == kv && s.committed > 0 {
				pts = append(pts, point{s.committed, s.offered, s.nodeCores()})
			}
		}
	}
	// Steps at the same committed rate (a saturated one and the refining
	// step after it) keep the order of their offered rates, so that the
	// choice between them does not depend on the sort.
	sort.SliceStable(pts, func(i, j int) bool {
		if pts[i].committed != pts[j].committed {
			return pts[i].committed < pts[j].committed
		}
		return pts[i].offered < pts[j].offered
	})
	for i := 1; i < len(pts); i++ {
		lo, hi := pts[i-1], pts[i]
		if lo.committed > rate || hi.committed < rate || hi.committed == lo.committed {
			continue
		}
		base := lo.cores + (hi.cores-lo.cores)*(rate-lo.committed)/(hi.committed-lo.committed)
		left := time.Duration((usable - base) / rate / float64(kv.validators) * float64(time.Second))
		return appBudget{rate: rate, baseCores: base, lo: lo.committed, hi: hi.committed, usable: usable, perValidator: left}, true
	}
	return appBudget{}, false
}

// appCost estimates what this chain's application costs each validator per
// transaction: its nodes' CPU per committed transaction less kvstore's, at
// the highest offered rate both kept up with, over the validators. It
// reports the rate too, and false when there is no such rate.
func appCost(kv, ours *chainRun) (time.Duration, float64, bool) {
	if ours.validators <= 0 {
		return 0, 0, false
	}
	kept := map[float64]stepResult{}
	for _, s := range kv.steps {
		if s.rated && !s.saturated() {
			kept[s.offered] = s
		}
	}
	best, rate, found := time.Duration(0), 0.0, false
	for _, s := range ours.steps {
		k, ok := kept[s.offered]
		if !ok || !s.rated || s.saturated() || s.offered <= rate {
			continue
		}
		best, rate, found = (s.nodeCPUPerTx()-k.nodeCPUPerTx())/time.Duration(ours.validators), s.offered, true
	}
	return best, rate, found
}

// budgetNote says, for a target ratio, whether the machine leaves room
// for any application at that rate: the figure that tells a slow
// application from a machine too small to show the target on.
func budgetNote(kv, ours *chainRun, target float64) (string, bool) {
	if !kv.saturated {
		return "", false
	}
	b, ok := budgetAt(kv, ours, target*kv.best.committed)
	if !ok {
		return "", false
	}
	note := fmt.Sprintf("Room for the application at the target: at %.1f× kvstore's saturation (%s tx/s) kvstore's nodes keep %.2f cores busy "+
		"(between its %s and %s tx/s steps), and the most any nodes of this run kept busy was %.2f cores; that leaves %s per validator per transaction "+
		"for an application whose transactions cost CometBFT what kvstore's do.",
		target, fmtCount(b.rate), b.baseCores, fmtCount(b.lo), fmtCount(b.hi), b.usable, fmtBudget(b.perValidator))
	switch cost, at, ok := appCost(kv, ours); {
	case !ok:
	case cost <= 0:
		note += fmt.Sprintf(" This chain's nodes spent no more CPU per committed transaction than kvstore's at %s tx/s.", fmtCount(at))
	default:
		note += fmt.Sprintf(" This chain's application spends about %s per validator per transaction (its nodes' CPU per committed transaction less kvstore's at %s tx/s, over %d validators).",
			fmtDur(cost), fmtCount(at), ours.validators)
	}
	return note, true
}

// fmtBudget prints a budget, which may be nothing at all.
func fmtBudget(d time.Duration) string {
	if d <= 0 {
		return "nothing"
	}
	return fmtDur(d)
}
