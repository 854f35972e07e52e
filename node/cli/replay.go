package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lineageledger/lineaged/node"
)

func (e *env) replayCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Re-execute a stopped node's blocks on a fresh state and check every app hash",
		Long: `Re-execute the chain stored in a STOPPED node's home on a fresh application
over an in-memory state: InitChain from the home's genesis, then every stored
block through FinalizeBlock and Commit, as CometBFT hands them to the
application. After each block the app hash and the transaction results'
hash must equal what the next stored header records (for the newest block,
CometBFT's saved state), and at the end the node's own application state.
The node's stores are only read.

A disagreement means the state machine is not deterministic, or the node's
state was changed behind consensus. The first one is printed.

Exit status: 0 everything agrees, 1 mismatch, 2 unusable input (no stopped
node home, or a block store that does not start at the initial height, as
after state sync or pruning).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			res, err := e.replayStopped(cmd)
			if err != nil {
				if e.json() {
					_ = printJSON(e.stdout, map[string]any{"agreed": false, "error": err.Error()})
				}
				code := exitUnusable
				if !errors.Is(err, node.ErrReplayUnusable) {
					err = fmt.Errorf("replay did not complete: %w", err)
				}
				return &exitError{code: code, msg: err.Error()}
			}
			if e.json() {
				out := map[string]any{
					"agreed": res.Mismatch == nil, "from": jsonInt(res.From), "to": jsonInt(res.To), "blocks": jsonInt(res.Blocks), "txs": res.Txs,
					"seconds": res.Duration.Seconds(), "app_hash": fmt.Sprintf("%X", res.AppHash),
					"headers_checked": jsonInt(res.Checked.Headers), "state_store_checked": res.Checked.StateStore,
					"app_state_height": jsonInt(res.Checked.AppHeight),
				}
				if m := res.Mismatch; m != nil {
					out["mismatch"] = map[string]any{
						"height": jsonInt(m.Height), "genesis": m.Genesis, "what": m.What, "reference": m.Reference,
						"got": fmt.Sprintf("%X", m.Got), "want": fmt.Sprintf("%X", m.Want), "error": m.Err,
					}
				}
				if err := printJSON(e.stdout, out); err != nil {
					return err
				}
			} else {
				rate := 0.0
				if s := res.Duration.Seconds(); s > 0 {
					rate = float64(res.Blocks) / s
				}
				if res.Blocks > 0 {
					fmt.Fprintf(e.stdout, "replayed heights %d-%d: %d blocks, %d txs in %.2fs (%.0f blocks/s)\n",
						res.From, res.From+res.Blocks-1, res.Blocks, res.Txs, res.Duration.Seconds(), rate)
				} else {
					fmt.Fprintln(e.stdout, "replayed no block")
				}
				fmt.Fprintf(e.stdout, "checked against %d stored header(s)", res.Checked.Headers)
				if res.Checked.StateStore {
					fmt.Fprint(e.stdout, ", CometBFT's saved state")
				}
				if res.Checked.AppHeight > 0 {
					fmt.Fprintf(e.stdout, ", the node's application state at height %d", res.Checked.AppHeight)
				}
				fmt.Fprintln(e.stdout)
				if res.Mismatch == nil {
					fmt.Fprintf(e.stdout, "agreed: app hash after height %d is %X\n", res.To, res.AppHash)
				}
			}
			if res.Mismatch != nil {
				return &exitError{code: exitInvalid, msg: "MISMATCH at " + res.Mismatch.String()}
			}
			return nil
		},
	}
	cmd.Flags().Int64("to", 0, "last height to replay (default: the last stored block)")
	return cmd
}

// replayStopped replays the home's chain, holding the home so that a node
// running with it is named instead of failing on its databases.
func (e *env) replayStopped(cmd *cobra.Command) (*node.ReplayResult, error) {
	if err := e.holdStoppedHome(); err != nil {
		return nil, fmt.Errorf("%w: %w", node.ErrReplayUnusable, err)
	}
	defer e.releaseHome()
	return node.Replay(cmd.Context(), e.home(), node.ReplayOptions{To: e.v.GetInt64("to")})
}
