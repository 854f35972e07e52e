package app

import (
	"context"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/x/gate"
	"github.com/lineageledger/lineaged/x/kit"
)

// DefaultParams are the parameters a new chain starts with unless its
// genesis says otherwise.
func DefaultParams() *appv1.Params {
	return &appv1.Params{MaxTxBytes: 64 << 10, MaxMemoBytes: 256, GatePolicy: gate.DefaultPolicy()}
}

// Bounds on parameters: a chain cannot be configured into nonsense.
const (
	minTxBytes = 1 << 10
	maxTxBytes = 4 << 20
)

// ValidateParams rejects parameters no chain should run with.
func ValidateParams(p *appv1.Params) error {
	if p == nil {
		return fmt.Errorf("params missing")
	}
	if p.MaxTxBytes < minTxBytes || p.MaxTxBytes > maxTxBytes {
		return fmt.Errorf("max_tx_bytes %d outside [%d, %d]", p.MaxTxBytes, minTxBytes, maxTxBytes)
	}
	if p.MaxMemoBytes > p.MaxTxBytes/2 {
		return fmt.Errorf("max_memo_bytes %d exceeds half of max_tx_bytes", p.MaxMemoBytes)
	}
	if err := gate.ValidatePolicy(p.GatePolicy); err != nil {
		return fmt.Errorf("gate_policy: %w", err)
	}
	return nil
}

// ParseGenesis decodes the app_state of a CometBFT genesis document,
// rejecting unknown fields so that a typo cannot silently drop a setting.
func ParseGenesis(appState []byte) (*appv1.Genesis, error) {
	var g appv1.Genesis
	if err := protojson.Unmarshal(appState, &g); err != nil {
		return nil, fmt.Errorf("failed to parse app_state: %w", err)
	}
	if g.Params == nil {
		g.Params = DefaultParams()
	}
	if err := ValidateParams(g.Params); err != nil {
		return nil, fmt.Errorf("invalid genesis params: %w", err)
	}
	return &g, nil
}

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

// GenesisJSON encodes an app_state for a genesis document.
func GenesisJSON(g *appv1.Genesis) ([]byte, error) {
	return protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(g)
}

// App-wide records under prefixApp.
var (
	keyParams  = []byte{prefixApp, 0x01}
	keyChainID = []byte{prefixApp, 0x02}
)

// blockOf is the block that produced a version of the state: the clock
// that version's queries read (licence expiry, for instance).
func (a *App) blockOf(v *store.View) kit.Block {
	return kit.Block{ChainID: string(v.Get(keyChainID)), Height: v.Height(), Time: v.Time()}
}

func loadParams(r kit.Reader) *appv1.Params {
	var p appv1.Params
	if !kit.Load(r, keyParams, &p) {
		panic("app: params missing from state")
	}
	return &p
}
