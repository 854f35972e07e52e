package cli

import (
	"github.com/spf13/cobra"

	"github.com/lineageledger/lineaged/node/receipt"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
)

// expectArtefact reads verify's --artefact: the directory's manifest root
// digest (the one "lineaged hash model" and "gate check --artefact"
// compute) becomes the digest the receipt's answer must name, and ALLOW
// the verdict it must have unless --expect-verdict asked for another.
func (e *env) expectArtefact(cmd *cobra.Command, x *receipt.Expect) error {
	dir, _ := cmd.Flags().GetString("artefact")
	if dir == "" {
		return nil
	}
	root, err := e.artefactRoot(cmd, dir)
	if err != nil {
		return err
	}
	x.ManifestDigest = root
	if x.Verdict == gatepb.Verdict_VERDICT_UNSPECIFIED {
		x.Verdict = gatepb.Verdict_VERDICT_ALLOW
	}
	return nil
}
