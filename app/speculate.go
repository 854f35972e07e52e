package app

import (
	"time"
)

// Writing a block's changes into the IAVL working tree and hashing the tree
// is most of what FinalizeBlock costs. Once ProcessProposal has accepted a
// block, that block is nearly always the one finalized: the validators are
// voting on it. So the application starts writing it then, in the
// background, while the votes travel, and FinalizeBlock of that block only
// waits for the write to end. If another block is finalized instead (its
// round failed), the working tree is rolled back to the last commit and
// the finalized block is written as before.
//
// The tree's content and hash depend only on which block is finalized,
// never on this timing: the same writes go in the same order either way.

// speculation is an accepted proposal being written into the working tree
// ahead of FinalizeBlock.
type speculation struct {
	block *executedBlock
	done  chan struct{}
	// Set before done is closed.
	hash    []byte
	err     error
	panic   any
	elapsed time.Duration // for metrics only
}

// speculate starts writing eb into the working tree. The caller holds
// a.mu and has made sure no other speculation is running or kept.
func (a *App) speculate(eb *executedBlock) {
	sp := &speculation{block: eb, done: make(chan struct{})}
	a.speculation = sp
	go func() {
		defer close(sp.done)
		// A panic (a database failure) is raised again on the ABCI
		// goroutine that waits for this one, as if it had happened there.
		defer func() { sp.panic = recover() }()
		start := time.Now() // for metrics only
		if sp.err = a.store.Apply(eb.cache); sp.err == nil {
			sp.hash = a.store.WorkingHash()
		}
		sp.elapsed = time.Since(start)
	}()
}

// awaitSpeculation waits until the working tree is not being written and
// returns the speculation it holds, if any. Everything that executes
// blocks or writes the store calls it first, holding a.mu.
func (a *App) awaitSpeculation() *speculation {
	sp := a.speculation
	if sp == nil {
		return nil
	}
	<-sp.done
	if sp.panic != nil {
		a.speculation = nil
		panic(sp.panic)
	}
	return sp
}

// dropSpeculation rolls the working tree back to the last commit if a
// speculation wrote into it.
func (a *App) dropSpeculation() {
	if a.awaitSpeculation() != nil {
		a.store.Rollback()
		a.speculation = nil
	}
}

// takeSpeculation returns the speculation if it wrote eb into the working
// tree without error; otherwise it drops whatever was written (nil eb:
// drop in any case).
func (a *App) takeSpeculation(eb *executedBlock) *speculation {
	sp := a.awaitSpeculation()
	if sp == nil {
		return nil
	}
	if eb == nil || sp.block != eb || sp.err != nil {
		a.dropSpeculation()
		return nil
	}
	a.speculation = nil
	return sp
}
