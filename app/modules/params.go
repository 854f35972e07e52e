package modules

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/x/gate"
	"github.com/lineageledger/lineaged/x/gov"
	govpb "github.com/lineageledger/lineaged/x/gov/govv1"
	"github.com/lineageledger/lineaged/x/kit"
)

// Chain-wide records, under the application's own prefix (see the
// package's state layout).
var (
	keyParams  = []byte{prefixApp, 0x01}
	keyChainID = []byte{prefixApp, 0x02}
)

// AppVersion is the application protocol version reported to CometBFT and
// carried in every header: what a verifier must implement to re-run this
// chain's queries. It changes only with a change of state-machine rules
// that a header must tell apart.
const AppVersion uint64 = 1

// DefaultParams are the parameters a new chain starts with unless its
// genesis says otherwise.
func DefaultParams() *appv1.Params {
	return &appv1.Params{MaxTxBytes: 64 << 10, MaxMemoBytes: 256, GatePolicy: gate.DefaultPolicy(), Rules: kit.LatestRules, Gov: gov.DefaultParams()}
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
	if p.Rules > kit.LatestRules {
		return fmt.Errorf("rules %d: this software implements rule sets up to %d", p.Rules, kit.LatestRules)
	}
	if err := gate.ValidatePolicy(p.GatePolicy); err != nil {
		return fmt.Errorf("gate_policy: %w", err)
	}
	if p.Gov != nil {
		if err := gov.ValidateParams(p.Gov); err != nil {
			return fmt.Errorf("gov: %w", err)
		}
	}
	return nil
}

// keyParamsInApp is keyParams within the application's own prefix: where
// the app module's handlers, given that prefix, find the parameters.
var keyParamsInApp = keyParams[1:]

// updateParams executes governance's lineage.gov.v1.MsgUpdateParams on st,
// the application's prefix of the state: the fields the message sets
// replace the parameters', and the result must be valid. The rule set is
// not among them: moving a chain to another is an upgrade.
func updateParams(st kit.Store, _ kit.Reader, _ kit.Block, _ kit.Signer, msg *govpb.MsgUpdateParams) ([]kit.Event, error) {
	var p appv1.Params
	if !kit.Load(st, keyParamsInApp, &p) {
		panic("modules: params missing from state")
	}
	var changed []string
	if msg.GatePolicy != nil {
		p.GatePolicy, changed = msg.GatePolicy, append(changed, "gate_policy")
	}
	if msg.MaxTxBytes != nil {
		p.MaxTxBytes, changed = *msg.MaxTxBytes, append(changed, "max_tx_bytes")
	}
	if msg.MaxMemoBytes != nil {
		p.MaxMemoBytes, changed = *msg.MaxMemoBytes, append(changed, "max_memo_bytes")
	}
	if msg.Gov != nil {
		p.Gov, changed = msg.Gov, append(changed, "gov")
	}
	if len(changed) == 0 {
		return nil, ErrInvalidParams.Wrapf("the message changes nothing: set gate_policy, max_tx_bytes, max_memo_bytes or gov")
	}
	if err := ValidateParams(&p); err != nil {
		return nil, ErrInvalidParams.Wrapf("%v", err)
	}
	kit.Save(st, keyParamsInApp, &p)
	return []kit.Event{kit.NewEvent("params_updated", "fields", strings.Join(changed, ","))}, nil
}

// LoadParams reads the chain's parameters from r, the whole state.
func LoadParams(r kit.Reader) *appv1.Params {
	var p appv1.Params
	if !kit.Load(r, keyParams, &p) {
		panic("modules: params missing from state")
	}
	return &p
}

// ChainID reads the chain id from r, the whole state ("" before genesis).
func ChainID(r kit.Reader) string { return string(r.Get(keyChainID)) }

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

// GenesisJSON encodes an app_state for a genesis document.
func GenesisJSON(g *appv1.Genesis) ([]byte, error) {
	return protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(g)
}

// InitGenesis writes the genesis state into st, the whole state: the
// parameters and chain id, then each module's part in table order. Genesis
// records carry height 0: they predate every block.
func (t *Table) InitGenesis(st kit.Store, chainID string, g *appv1.Genesis, blk kit.Block) error {
	kit.Save(st, keyParams, g.Params)
	st.Set(keyChainID, []byte(chainID))
	for _, m := range t.modules {
		if m.Genesis == nil {
			continue
		}
		var part proto.Message // nil when the document leaves it out
		if gr := g.ProtoReflect(); gr.Has(m.Genesis.field) {
			part = gr.Get(m.Genesis.field).Message().Interface()
		}
		if err := m.Genesis.init(kit.Prefixed(st, []byte{m.Prefix}), kit.ReadOnly(st), blk, part); err != nil {
			return fmt.Errorf("invalid genesis: %w", err)
		}
	}
	return nil
}
