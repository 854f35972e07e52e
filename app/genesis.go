package app

import (
	"context"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/x/kit"
)

// ValidateGenesis runs an app_state through exactly the checks InitChain
// applies, on a scratch in-memory store, so that a bad genesis is caught
// when it is written rather than when the chain starts.
func ValidateGenesis(chainID string, appState []byte) error {
	st, err := store.Open(store.Config{Backend: "memdb"})
	if err != nil {
		return err
	}
	defer st.Close()
	_, err = New(st, nil).InitChain(context.Background(), &abci.InitChainRequest{
		ChainId: chainID, InitialHeight: 1, AppStateBytes: appState,
	})
	return err
}

// blockOf is the block that produced a version of the state: the clock
// that version's queries read (licence expiry, for instance).
func blockOf(v *store.View) kit.Block {
	return kit.Block{ChainID: modules.ChainID(v), Height: v.Height(), Time: v.Time()}
}
