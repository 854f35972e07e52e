package app

import (
	"fmt"

	"github.com/lineageledger/lineaged/app/store"
)

// SimulatePath is the ABCI query path that runs a signed transaction on
// the mempool's view as the next block would (the admission checks, then
// the message's handler) and throws away what it wrote. The query's data
// is the encoded transaction; its value the encoded abci.ExecTxResult the
// transaction would get (code, codespace, log and events), and its height
// the committed version under the view. Since CheckTx decides admission
// only (see [App.CheckTx]), this is how a client learns before
// broadcasting whether the handler will accept a transaction. Nothing is
// spent: the same signed bytes can be broadcast afterwards.
const SimulatePath = "/app/simulate"

// simulate answers [SimulatePath]. It holds the mempool's lock for one
// transaction's execution, as a CheckTx running handlers would.
func (a *App) simulate(raw []byte) ([]byte, int64, error) {
	a.checkMu.Lock()
	defer a.checkMu.Unlock()
	height, _ := a.store.LastCommit()
	res, _, _ := a.deliver(store.NewCache(a.check), a.block(a.nextHeight(), a.checkTime), raw, nil, modeBlock)
	value, err := res.Marshal()
	if err != nil {
		return nil, 0, fmt.Errorf("failed to encode the simulated result: %w", err)
	}
	return value, height, nil
}
