package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/x/kit/digest"
	"github.com/lineageledger/lineaged/x/lineage"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// The commands auditors and data stewards use to withdraw datasets and to
// find what a dataset or model reaches downstream.

func (e *env) lineageRevokeDatasetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:         "revoke-dataset DIGEST",
		Annotations: runsRoute("lineage.revoke_dataset"),
		Short:       "Revoke a dataset your organisation registered (needs data-steward)",
		Long: `Record that the dataset with content digest DIGEST must no longer be used —
for instance because it turned out to hold data it must not. Only the
organisation that registered the dataset can revoke it, and only once. The
dataset and everything recorded from it stay on the chain; the deployment gate
denies every model downstream of it with DATASET_REVOKED (under a policy with
deny_revoked_datasets, which new chains have). 'lineaged query models impact
--dataset DIGEST' lists the models and deployments it reaches.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Check what needs no chain before anything is signed.
			e.bind(cmd)
			if err := digest.Validate(args[0]); err != nil {
				return fmt.Errorf("DIGEST: %w", err)
			}
			code := e.v.GetString("reason-code")
			if code == "" {
				return fmt.Errorf("--reason-code is required: %s", strings.Join(lineage.RevocationReasonNames(), ", "))
			}
			reason, err := lineage.ParseRevocationReason(code)
			if err != nil {
				return fmt.Errorf("--reason-code: %w", err)
			}
			text := e.v.GetString("reason")
			if text == "" {
				return errors.New("--reason is required: why, recorded on chain (at most 512 bytes)")
			}
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) {
				return &lineagepb.MsgRevokeDataset{Digest: args[0], ReasonCode: reason, Reason: text}, nil
			}, nil)
		},
	}
	cmd.Flags().String("reason-code", "", "why, one of: "+strings.Join(lineage.RevocationReasonNames(), ", "))
	cmd.Flags().String("reason", "", "explanation recorded on chain (required, at most 512 bytes)")
	return cmd
}

func (e *env) lineageRevocationQueryCmd() *cobra.Command {
	return &cobra.Command{
		Use:         "revocation DIGEST",
		Annotations: runsQuery(lineageQueryPath("DatasetRevocation")),
		Short:       "Show whether a registered dataset was revoked, and why",
		Long: `Show the revocation of the dataset with content digest DIGEST. A registered
dataset that is not revoked answers with no revocation ({} in JSON); with
--receipt the receipt proves that too.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.query(cmd, lineageQueryPath("DatasetRevocation"),
				&lineagepb.QueryDatasetRevocationRequest{Digest: args[0]}, &lineagepb.QueryDatasetRevocationResponse{})
		},
	}
}
