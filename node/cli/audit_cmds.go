package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/x/kit/digest"
	"github.com/lineageledger/lineaged/x/lineage"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	"github.com/lineageledger/lineaged/x/models"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
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

func (e *env) modelsImpactCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:         "impact (--dataset DIGEST | --model NAME@VERSION)",
		Annotations: runsQuery(modelsQueryPath + "Impact"),
		Short:       "List the datasets, model versions and deployments downstream of a dataset or model",
		Long: `Walk downstream from a dataset or a model version: the datasets derived from
it, the model versions trained on any of them, their fine-tunes, recursively,
and every deployment of those versions. Each version is listed once, at its
shortest distance, with the path that reaches it, its publisher, whether it
is revoked, and where it is deployed. With --receipt the answer comes with
proofs that 'lineaged verify' checks offline.

Only chains on rule set 2 or later (every chain started since it exists)
index model versions by their datasets and base models; on an older chain
the answer lists the derived datasets and the model's own deployments, and
says so.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			req := &modelspb.QueryImpactRequest{Dataset: e.v.GetString("dataset"), Model: e.v.GetString("model"),
				MaxDepth: e.v.GetUint32("depth"), MaxNodes: e.v.GetUint32("max-nodes")}
			if (req.Dataset == "") == (req.Model == "") {
				return errors.New("give exactly one of --dataset DIGEST and --model NAME@VERSION")
			}
			var resp modelspb.QueryImpactResponse
			if err := e.ask(cmd, modelsQueryPath+"Impact", req, &resp); err != nil {
				return err
			}
			if e.json() {
				return e.printProto(&resp)
			}
			start := models.DatasetNodeID(req.Dataset)
			if req.Model != "" {
				start = models.ModelNodeID(req.Model)
			}
			printImpact(e.stdout, start, &resp)
			return nil
		},
	}
	f := cmd.Flags()
	f.String("dataset", "", "start from the dataset with this content digest")
	f.String("model", "", "start from this model version, NAME@VERSION")
	f.Uint32("depth", models.DefaultLineageMaxDepth, fmt.Sprintf("hops to follow (at most %d)", models.MaxLineageDepth))
	f.Uint32("max-nodes", models.DefaultLineageMaxNodes, fmt.Sprintf("datasets, model versions and deployments to list, together (at most %d)", models.MaxLineageNodes))
	return cmd
}

// printImpact writes an impact answer for people: every model version
// reached, how, and where it is deployed.
func printImpact(w io.Writer, start string, r *modelspb.QueryImpactResponse) {
	deployments := 0
	for _, m := range r.Models {
		deployments += len(m.Deployments)
	}
	fmt.Fprintf(w, "downstream of %s: datasets %d, model versions %d, deployments %d\n", start, len(r.Datasets), len(r.Models), deployments)
	for _, m := range r.Models {
		revoked := ""
		if m.Revoked {
			revoked = "  REVOKED"
		}
		fmt.Fprintf(w, "  %s  published by %s, depth %d%s\n", m.Model, m.PublisherOrg, m.Depth, revoked)
		fmt.Fprintf(w, "      via %s\n", strings.Join(m.Path, " > "))
		for _, d := range m.Deployments {
			fmt.Fprintf(w, "      deployed #%d  %s  by %s at height %d\n", d.Id, d.Environment, d.OrgId, d.Height)
		}
	}
	if len(r.Datasets) > 0 {
		fmt.Fprintln(w, "datasets:")
		for _, d := range r.Datasets {
			fmt.Fprintf(w, "  %s  depth %d\n", d.Digest, d.Depth)
		}
	}
	if r.Truncated {
		fmt.Fprintln(w, "incomplete: a limit cut the walk short (raise --depth or --max-nodes)")
	}
	if !r.IndexComplete {
		fmt.Fprintln(w, "incomplete: this chain's rule set predates the impact index, so no model version is found through its datasets or base model")
	}
}
